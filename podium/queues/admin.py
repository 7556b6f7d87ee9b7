from django.contrib import admin

from podium.queues.models import Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin[Queue]):
    list_display = ["name", "owner", "is_public", "created_at"]
    raw_id_fields = ["owner"]
    filter_horizontal = ["organizers"]
