from django.contrib import admin

from podium.uploads.models import Upload


@admin.register(Upload)
class UploadAdmin(admin.ModelAdmin[Upload]):
    list_display = ["id", "owner", "name", "size", "received", "status", "expires_at"]
    list_filter = ["status"]
