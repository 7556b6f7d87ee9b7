from django.contrib import admin

from podium.datasets.models import Data, DataGroup, DataGroupEntry


@admin.register(Data)
class DataAdmin(admin.ModelAdmin[Data]):
    list_display = ["name", "kind", "owner", "size", "is_public", "created_at"]
    list_filter = ["kind", "is_public", "upload_completed"]
    search_fields = ["name", "sha256", "owner__username"]
    raw_id_fields = ["owner"]
    readonly_fields = ["key", "sha256", "size", "file"]


class DataGroupEntryInline(admin.TabularInline[DataGroupEntry, DataGroup]):
    model = DataGroupEntry
    raw_id_fields = ["data"]
    extra = 0


@admin.register(DataGroup)
class DataGroupAdmin(admin.ModelAdmin[DataGroup]):
    list_display = ["name", "owner", "created_at"]
    search_fields = ["name", "owner__username"]
    raw_id_fields = ["owner"]
    inlines = [DataGroupEntryInline]
