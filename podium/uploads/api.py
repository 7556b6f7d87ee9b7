"""`/api/uploads/`: large files sent straight to storage, then used by a submission."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.core import api
from podium.core import examples as ex
from podium.core.api import caller
from podium.datasets.services import QuotaExceeded
from podium.uploads import services
from podium.uploads.models import Upload
from podium.uploads.serializers import (
    UploadCompleteSerializer,
    UploadSerializer,
    UploadStartSerializer,
)


class RawBody(BaseParser):
    """Declares the bytes a PUT sends; the view reads them as a stream, never as a whole."""

    media_type = "application/octet-stream"

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        return {}


refusals = api.refusals(
    {
        services.UploadTooLarge: api.TooLarge,
        QuotaExceeded: api.TooLarge,
        services.UploadError: api.Conflict,
    }
)


@extend_schema_view(
    list=extend_schema(
        summary="List my uploads",
        description="The caller's uploads, newest first: pending, complete and used.",
        examples=[ex.response(ex.UPLOAD)],
    ),
    retrieve=extend_schema(
        summary="Read an upload",
        description="An upload of the caller's, with how many bytes arrived and, while it is "
        "pending, where to send them.",
        examples=[ex.response(ex.UPLOAD)],
    ),
    destroy=extend_schema(
        summary="Abort an upload",
        description="Removes an upload no submission took, with its bytes. 409 for one a "
        "submission uses.",
    ),
)
class UploadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet[Upload],
):
    serializer_class = UploadSerializer
    permission_classes = [permissions.IsAuthenticated]
    queryset = Upload.objects.all()

    def get_queryset(self) -> QuerySet[Upload]:
        return self.queryset.filter(owner=caller(self.request))

    @extend_schema(
        summary="Start an upload",
        description="Declares a file of `size` bytes. On local storage, PUT the whole file "
        "as the body to `url`; on S3-compatible storage, PUT each part to its signed URL in "
        "`parts`. Then POST to `complete/`, and create the submission with the upload's "
        "id. Refused with 413 beyond the largest submission or the caller's storage quota "
        "(pending uploads count with their declared size). An upload not completed and "
        "used within a day is removed with its bytes.",
        request=UploadStartSerializer,
        responses={201: UploadSerializer},
        examples=[
            ex.request({"name": ex.UPLOAD["name"], "size": ex.UPLOAD["size"]}),
            ex.response(ex.UPLOAD, "Local", summary="Local storage: one PUT of the whole file"),
            ex.response(ex.S3_UPLOAD, "S3", summary="S3 storage: a signed URL per part"),
        ],
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        declared = UploadStartSerializer(data=request.data)
        declared.is_valid(raise_exception=True)
        with refusals():
            upload = services.start(owner=caller(request), **declared.validated_data)
        return Response(UploadSerializer(upload).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Send an upload's bytes",
        description="Local storage: the whole file as the request body, written to storage "
        "as it arrives (the server never holds it in memory). Sending again starts over. "
        "413 when more bytes arrive than declared; 409 when the upload is not pending or "
        "the storage is S3 (send parts to their signed URLs instead).",
        request={"application/octet-stream": OpenApiTypes.BINARY},
        responses={200: UploadSerializer},
        examples=[ex.response({**ex.UPLOAD, "received": ex.UPLOAD["size"]})],
    )
    @action(detail=True, methods=["put"], parser_classes=[RawBody])
    def content(self, request: Request, pk: str | None = None) -> Response:
        upload = self.get_object()
        with refusals():
            services.receive(upload, request._request.read)
        return Response(UploadSerializer(upload).data)

    @extend_schema(
        summary="Complete an upload",
        description="Measures the stored file and makes it the caller's, ready for a "
        "submission (`upload` in POST /api/submissions/). On S3 storage, list every part "
        "with the ETag S3 answered. 409 when bytes are missing; 413 when the measured file "
        "does not fit the quota (the upload is then removed).",
        request=UploadCompleteSerializer,
        responses={
            200: UploadSerializer,
            409: OpenApiResponse(description="Bytes are missing or the upload is not pending."),
        },
        examples=[
            ex.request({}, "Local", summary="Local storage: nothing to say"),
            ex.request(
                {
                    "parts": [
                        {"number": number, "etag": f'"9b2cf535f27731c974343645a39853{number:02d}"'}
                        for number in range(1, 4)
                    ]
                },
                "S3",
                summary="S3 storage: each part's ETag",
            ),
            ex.response(ex.COMPLETE_UPLOAD),
        ],
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, pk: str | None = None) -> Response:
        upload = self.get_object()
        body = UploadCompleteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with refusals():
            done = services.complete(upload, body.validated_data.get("parts"))
        return Response(UploadSerializer(done).data)

    def perform_destroy(self, instance: Upload) -> None:
        with refusals():
            services.abort(instance)


def register(router: BaseRouter) -> None:
    router.register("uploads", UploadViewSet, basename="upload")
