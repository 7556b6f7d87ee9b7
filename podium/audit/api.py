"""The audit log's read-only API, for platform admins only: nobody writes it over HTTP."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, viewsets
from rest_framework.request import Request
from rest_framework.routers import BaseRouter

from podium.audit.models import AuditEntry
from podium.audit.serializers import AuditEntrySerializer, AuditFilterSerializer


class IsPlatformAdmin(permissions.BasePermission):
    message = "only platform admins may read the audit log"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "is_superuser", False))


@extend_schema_view(
    list=extend_schema(
        summary="List audit entries",
        description="Who did what to which object, newest first: score edits, custom "
        "metrics, migrations, re-runs, cancellations, deletions, publishing, registration "
        "decisions. Platform admins only. Filters combine.",
        parameters=[AuditFilterSerializer],
    ),
    retrieve=extend_schema(
        summary="Read an audit entry",
        description="One entry with its details. Platform admins only.",
    ),
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet[AuditEntry]):
    serializer_class = AuditEntrySerializer
    permission_classes = [IsPlatformAdmin]

    def get_queryset(self) -> QuerySet[AuditEntry]:
        entries = AuditEntry.objects.order_by("-at", "-id")
        if self.action != "list":
            return entries
        filters = AuditFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        chosen = filters.validated_data
        lookups = {
            "action": "action",
            "actor": "actor_name",
            "competition": "competition_id",
            "target_type": "target_type",
            "target_id": "target_id",
            "since": "at__gte",
            "until": "at__lt",
        }
        return entries.filter(
            **{lookup: chosen[name] for name, lookup in lookups.items() if name in chosen}
        )


def register(router: BaseRouter) -> None:
    router.register("audit", AuditEntryViewSet, basename="audit")
