"""The datasets API: the files people upload (programs, data, starting kits, solutions).

Visibility is `Data.objects.visible_to` (public files and one's own), changes need
`Data.objects.owned_by`; a file the caller may not see is 404 (HOSTILE C22).
"""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from django.db.models import Exists, OuterRef, ProtectedError, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.core.api import caller, in_use
from podium.datasets import services
from podium.datasets.models import Data
from podium.datasets.serializers import DataSerializer, DataUploadSerializer


@extend_schema_view(
    list=extend_schema(
        summary="List data files",
        description="Data files the caller may see: public ones and their own (all of them "
        "for platform admins).",
    ),
    create=extend_schema(
        summary="Upload a data file",
        description="Uploads a file (multipart: `file`, `kind`, `name`, optional "
        "`description` and `is_public`) owned by the caller. The server computes its sha256 "
        "and size; 400 when it does not fit the caller's storage quota.",
        request={"multipart/form-data": DataUploadSerializer},
        responses={201: DataSerializer},
    ),
    retrieve=extend_schema(
        summary="Read a data file",
        description="One file's name, kind, owner, hash and size. The storage path is shown "
        "to its owner only.",
    ),
    update=extend_schema(
        summary="Update a data file",
        description="Changes the name, description and visibility. The bytes never change. "
        "Its owner and platform admins only.",
    ),
    partial_update=extend_schema(
        summary="Partially update a data file",
        description="Changes the given fields among name, description and visibility. Its "
        "owner and platform admins only.",
    ),
    destroy=extend_schema(
        summary="Delete a data file",
        description="Deletes a file that no task, submission or solution uses (409 "
        "otherwise), freeing its quota. Its owner and platform admins only.",
    ),
)
class DataViewSet(viewsets.ModelViewSet[Data]):
    serializer_class = DataSerializer
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[Data]:
        user = self.request.user
        owned = Data.objects.owned_by(user).filter(pk=OuterRef("pk"))
        visible = Data.objects.visible_to(user).annotate(caller_owns=Exists(owned))
        return visible.select_related("owner").order_by("pk")

    def check_object_permissions(self, request: Request, obj: Any) -> None:
        super().check_object_permissions(request, obj)
        if request.method in permissions.SAFE_METHODS:
            return
        if not Data.objects.owned_by(request.user).filter(pk=obj.pk).exists():
            self.permission_denied(request, message="only its owner may change a data file")

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = DataUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        fields = upload.validated_data
        try:
            data = services.store(
                owner=caller(request),
                kind=fields["kind"],
                name=fields["name"],
                stream=cast(BinaryIO, fields["file"]),
                description=fields["description"],
                is_public=fields["is_public"],
            )
        except services.QuotaExceeded as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from None
        body = DataSerializer(data, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Data) -> None:
        try:
            services.delete(instance)
        except ProtectedError as exc:
            raise in_use("file", exc) from None


def register(router: BaseRouter) -> None:
    router.register("datasets", DataViewSet, basename="data")
