"""The caller's mail preferences: `/api/notification_preferences/`."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from podium.core import examples as ex
from podium.core.api import caller
from podium.messaging.serializers import PreferencesSerializer
from podium.messaging.services import preferences_of


class PreferencesView(APIView):
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="Read my mail preferences",
        description="Which emails Podium sends the caller. Account mail, contact requests "
        "and invitations are always sent. `organizer` sets how often organizers get a "
        "summary of new registration requests.",
        responses=PreferencesSerializer,
        examples=[ex.response(ex.PREFERENCES)],
    )
    def get(self, request: Request) -> Response:
        return Response(PreferencesSerializer(preferences_of(caller(request))).data)

    @extend_schema(
        summary="Change my mail preferences",
        description="Turns categories of email on or off; fields left out keep their value.",
        request=PreferencesSerializer,
        responses=PreferencesSerializer,
        examples=[
            ex.request({"forum": False, "organizer": "daily"}),
            ex.response(ex.PREFERENCES),
        ],
    )
    def patch(self, request: Request) -> Response:
        serializer = PreferencesSerializer(
            preferences_of(caller(request)), data=request.data, partial=True
        )
        serializer.is_valid(raise_exception=True)
        serializer.save()
        return Response(serializer.data, status=status.HTTP_200_OK)
