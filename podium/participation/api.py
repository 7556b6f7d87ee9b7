"""The participation API: registrations and the organizers' decisions on them.

A registration is visible to its participant and to the organizers of its competition
(`Participant.objects.visible_to`); only those organizers decide (`organized_by`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.accounts.models import User
from podium.competitions.models import Competition
from podium.core.api import caller
from podium.participation import services
from podium.participation.models import Participant
from podium.participation.serializers import (
    ParticipantFilterSerializer,
    ParticipantSerializer,
    ReasonSerializer,
)


@extend_schema_view(
    list=extend_schema(
        summary="List registrations",
        description="The caller's own registrations, and every registration of the "
        "competitions they organize (all of them for platform admins).",
        parameters=[ParticipantFilterSerializer],
    ),
    retrieve=extend_schema(
        summary="Read a registration",
        description="One registration: its user, status and the organizers' reason.",
    ),
)
class ParticipantViewSet(viewsets.ReadOnlyModelViewSet[Participant]):
    serializer_class = ParticipantSerializer

    def get_queryset(self) -> QuerySet[Participant]:
        queryset = Participant.objects.visible_to(self.request.user)
        if self.action == "list":
            filters = ParticipantFilterSerializer(data=self.request.query_params)
            filters.is_valid(raise_exception=True)
            if "competition" in filters.validated_data:
                queryset = queryset.filter(competition_id=filters.validated_data["competition"])
            if "status" in filters.validated_data:
                queryset = queryset.filter(status=filters.validated_data["status"])
        return queryset.select_related("user", "decided_by").order_by("pk")

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if request.method in permissions.SAFE_METHODS:
            return
        organized = Competition.objects.organized_by(request.user)
        if not organized.filter(pk=obj.competition_id).exists():
            self.permission_denied(
                request, message="only the organizers of this competition decide registrations"
            )

    def _decide(
        self, decide: Callable[[Participant, User, str], Participant], *, with_reason: bool
    ) -> Response:
        participant = self.get_object()  # 404 when unseen, 403 for anyone but organizers
        reason = ""
        if with_reason:
            body = ReasonSerializer(data=self.request.data)
            body.is_valid(raise_exception=True)
            reason = body.validated_data["reason"]
        try:
            decided = decide(participant, caller(self.request), reason)
        except services.RegistrationError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        return Response(ParticipantSerializer(decided).data)

    @extend_schema(
        summary="Approve a registration",
        description="Approves a pending or denied registration; the participant may then "
        "submit. Organizers of the competition only.",
        request=None,
        responses=ParticipantSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(
            lambda participant, by, _: services.approve(participant, by=by), with_reason=False
        )

    @extend_schema(
        summary="Deny a registration",
        description="Denies a pending registration with a reason the participant reads "
        "(required). An approved participant is revoked instead. Organizers of the "
        "competition only.",
        request=ReasonSerializer,
        responses=ParticipantSerializer,
    )
    @action(detail=True, methods=["post"])
    def deny(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(
            lambda participant, by, reason: services.deny(participant, by=by, reason=reason),
            with_reason=True,
        )

    @extend_schema(
        summary="Revoke a participant",
        description="Revokes an approved participant with a reason the participant reads "
        "(required): they can no longer submit, nor register again. Organizers of the "
        "competition only.",
        request=ReasonSerializer,
        responses=ParticipantSerializer,
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        return self._decide(
            lambda participant, by, reason: services.revoke(participant, by=by, reason=reason),
            with_reason=True,
        )


def register(router: BaseRouter) -> None:
    router.register("participants", ParticipantViewSet, basename="participant")
