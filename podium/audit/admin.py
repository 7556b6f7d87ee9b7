from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from podium.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    """Read only: an audit log that its readers could edit would prove nothing."""

    list_display = ["at", "actor_name", "action", "target_type", "target_id", "competition_id"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_name", "action"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
