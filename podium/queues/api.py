"""The queues API, at the seed's paths: the compute queues competitions send jobs to.

A queue the caller may not see (`Queue.objects.visible_to`: public ones, their own, the
ones they are listed on as organizer) is 404 for every method; one they may see but not
change (`changeable_by`: the owner and platform admins) is 403 (HOSTILE C22).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.core import api
from podium.core import examples as ex
from podium.core.api import InUse, caller
from podium.queues import services
from podium.queues.brokers import BrokerUrlRefused
from podium.queues.models import Queue
from podium.queues.serializers import QueueSerializer

SECRETS = (
    "The broker URL, the key and the queue's name on its broker are shown to the owner and "
    "platform admins only (null for others): a worker needs them to take the queue's jobs."
)


@extend_schema_view(
    list=extend_schema(
        summary="List queues",
        description="Compute queues the caller may see, oldest first: public ones, their own "
        "and the ones they are listed on as organizer (all of them for platform admins). "
        + SECRETS,
        examples=[ex.response(ex.QUEUE)],
    ),
    create=extend_schema(
        summary="Create a queue",
        description="Creates a queue owned by the caller. `organizers` (usernames) may then "
        "run their competitions on it too. With an empty broker URL the queue lives on the "
        "platform's broker; otherwise jobs go to the broker named, which must not be on the "
        "server's own networks unless the caller is a platform admin. Start a worker for it "
        "with `podium-worker --broker <broker_url> --queue <broker_queue>`.",
        examples=[ex.request(ex.QUEUE_SETTINGS), ex.response(ex.QUEUE)],
    ),
    retrieve=extend_schema(
        summary="Read a queue",
        description="One queue. " + SECRETS,
        examples=[ex.response(ex.QUEUE)],
    ),
    update=extend_schema(
        summary="Update a queue",
        description="Replaces the queue's name, flags, broker URL and organizers (those left "
        "out keep their value). Its owner and platform admins only; organizers may use a "
        "queue but not change it.",
        examples=[ex.request(ex.QUEUE_SETTINGS), ex.response(ex.QUEUE)],
    ),
    partial_update=extend_schema(
        summary="Partially update a queue",
        description="Changes the given fields among name, is_public, exclusive, broker_url "
        "and organizers. Its owner and platform admins only.",
        examples=[
            ex.request({"organizers": [ex.COLIN, ex.ALICE]}),
            ex.response(
                {
                    **ex.QUEUE,
                    "organizers": [ex.ALICE, ex.COLIN],
                    "updated_at": "2025-02-10T10:00:00Z",
                }
            ),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a queue",
        description="Deletes a queue that no competition uses. Its owner and platform admins only.",
        responses={
            204: None,
            409: OpenApiResponse(
                description="Competitions still use the queue; `detail` names them (those "
                "the caller may not see are counted)."
            ),
        },
    ),
)
class QueueViewSet(viewsets.ModelViewSet[Queue]):
    serializer_class = QueueSerializer
    permission_classes = [permissions.IsAuthenticatedOrReadOnly]

    def get_queryset(self) -> QuerySet[Queue]:
        user = self.request.user
        owned = Queue.objects.changeable_by(user).filter(pk=OuterRef("pk"))
        return (
            Queue.objects.visible_to(user)
            .annotate(caller_owns=Exists(owned))
            .select_related("owner")
            .prefetch_related("organizers")
            .order_by("pk")
        )

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if request.method in permissions.SAFE_METHODS:
            return
        if not obj.caller_owns:
            self.permission_denied(
                request, message="only its owner and platform admins may change a queue"
            )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = QueueSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        try:
            queue = services.create_queue(by=caller(request), fields=serializer.fields_to_save())
        except BrokerUrlRefused as exc:
            raise serializers.ValidationError({"broker_url": [str(exc)]}) from None
        return api.rendered(self, queue, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queue = self.get_object()
        serializer = QueueSerializer(
            queue,
            data=request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        try:
            services.update_queue(
                queue=queue, by=caller(request), fields=serializer.fields_to_save()
            )
        except BrokerUrlRefused as exc:
            raise serializers.ValidationError({"broker_url": [str(exc)]}) from None
        return api.rendered(self, queue)

    def perform_destroy(self, instance: Queue) -> None:
        try:
            services.delete_queue(queue=instance, by=caller(self.request))
        except services.QueueInUse as exc:
            raise InUse(str(exc)) from None


def register(router: BaseRouter) -> None:
    router.register("queues", QueueViewSet, basename="queue")
