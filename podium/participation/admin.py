from django.contrib import admin

from podium.participation.models import Participant


@admin.register(Participant)
class ParticipantAdmin(admin.ModelAdmin[Participant]):
    list_display = ["user", "competition", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    search_fields = ["user__username", "competition__title"]
    raw_id_fields = ["user", "competition", "organization", "decided_by"]
