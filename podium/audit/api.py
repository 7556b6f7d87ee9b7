"""The platform hosts' read-only API, for platform admins only: the audit log (nobody
writes it over HTTP) and the analytics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.audit import analytics
from podium.audit.models import AuditEntry
from podium.audit.serializers import (
    AnalyticsQuerySerializer,
    AnalyticsSerializer,
    AuditEntrySerializer,
    AuditFilterSerializer,
)
from podium.core import examples as ex
from podium.core.api import filter_by, query_filters


class IsPlatformAdmin(permissions.BasePermission):
    message = "only platform admins may read the audit log and the analytics"

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(getattr(request.user, "is_superuser", False))


@extend_schema_view(
    list=extend_schema(
        summary="List audit entries",
        description="Who did what to which object, newest first: score edits, custom "
        "metrics, migrations, re-runs, cancellations, deletions, publishing, registration "
        "decisions, queue and data group changes, quota cleanups. Platform admins only. "
        "Filters combine.",
        parameters=[AuditFilterSerializer],
        examples=[ex.response(ex.AUDIT_ENTRY)],
    ),
    retrieve=extend_schema(
        summary="Read an audit entry",
        description="One entry with its details. Platform admins only.",
        examples=[ex.response(ex.AUDIT_ENTRY)],
    ),
)
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet[AuditEntry]):
    serializer_class = AuditEntrySerializer
    permission_classes = [IsPlatformAdmin]

    def get_queryset(self) -> QuerySet[AuditEntry]:
        entries = AuditEntry.objects.order_by("-at", "-id")
        if self.action != "list":
            return entries
        lookups = {
            "action": "action",
            "actor": "actor_name",
            "competition": "competition_id",
            "target_type": "target_type",
            "target_id": "target_id",
            "since": "at__gte",
            "until": "at__lt",
        }
        return filter_by(entries, query_filters(self.request, AuditFilterSerializer), lookups)


class AnalyticsViewSet(viewsets.ViewSet):
    permission_classes = [IsPlatformAdmin]

    @extend_schema(
        summary="View analytics data",
        description="The platform's figures for charts, platform admins only. `counts`: users "
        "joined, competitions created and submissions made per day, week or month between "
        "`start` and `end` (widened to whole periods), one list of period starts and one "
        "count per period for each series. `workers`: jobs that workers hold now (preparing, "
        "running or scoring) and jobs waiting, per queue. `storage`: bytes stored in all, "
        "for the `top` users (with their quotas) and the `top` competitions holding most.",
        parameters=[AnalyticsQuerySerializer],
        responses={200: AnalyticsSerializer},
        examples=[
            ex.response(ex.ANALYTICS, summary="?start=2025-01-01&end=2025-03-31&interval=month")
        ],
    )
    def list(self, request: Request) -> Response:
        chosen = query_filters(request, AnalyticsQuerySerializer)
        end = chosen.get("end") or timezone.now().date()
        start = chosen.get("start") or end - timedelta(days=30)
        try:
            window = analytics.Window.around(start=start, end=end, interval=chosen["interval"])
        except analytics.WindowInvalid as exc:
            field, _, message = str(exc).partition(": ")
            raise serializers.ValidationError({field: [message]}) from None
        body = {
            "start": window.start,
            "end": window.last_day,
            "interval": window.interval,
            "counts": analytics.counts_over_time(window),
            "workers": analytics.workers_busy(),
            "storage": analytics.storage(chosen["top"]),
        }
        return Response(AnalyticsSerializer(body).data)


def register(router: BaseRouter) -> None:
    router.register("audit", AuditEntryViewSet, basename="audit")
    router.register("analytics", AnalyticsViewSet, basename="analytics")
