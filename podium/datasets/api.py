"""The datasets API: the files people upload (programs, data, starting kits, solutions),
the data groups that keep track of what belongs together, and the quota cleanup.

Visibility is `Data.objects.visible_to` (public files and one's own), changes need
`Data.objects.owned_by`; a file the caller may not see is 404 (HOSTILE C22). Data groups
are their owner's (`DataGroup.objects.visible_to`); the cleanup only ever sees the
caller's own files.
"""

from __future__ import annotations

from typing import Any, BinaryIO, cast

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from podium.core import api
from podium.core import examples as ex
from podium.core.api import InUse, caller
from podium.datasets import services
from podium.datasets.models import Data, DataGroup, DataGroupEntry
from podium.datasets.serializers import (
    DataGroupSerializer,
    DataSerializer,
    DataUploadSerializer,
    QuotaCleanupRequestSerializer,
    QuotaCleanupSerializer,
)

SHARED = {
    **ex.SCORING_PROGRAM,
    "description": "Accuracy and macro F1; reads predictions.csv.",
    "is_public": True,
    "updated_at": "2025-02-10T09:30:00Z",
}
GROUP_CHANGES = {"description": "The test set of the 2025 edition: features, then labels."}


@extend_schema_view(
    list=extend_schema(
        summary="List data files",
        description="Data files the caller may see: public ones and their own (all of them "
        "for platform admins).",
        examples=[ex.response(ex.SCORING_PROGRAM)],
    ),
    create=extend_schema(
        summary="Upload a data file",
        description="Uploads a file (multipart: `file`, `kind`, `name`, optional "
        "`description` and `is_public`) owned by the caller. The server computes its sha256 "
        "and size; 400 when it does not fit the caller's storage quota.",
        request={"multipart/form-data": DataUploadSerializer},
        responses={201: DataSerializer},
        examples=[
            ex.request(
                {
                    "kind": "scoring_program",
                    "name": "scoring_program.zip",
                    "description": ex.SCORING_PROGRAM["description"],
                    "is_public": False,
                },
                summary="The zip goes in the `file` part",
                media_type="multipart/form-data",
            ),
            ex.response(ex.SCORING_PROGRAM),
        ],
    ),
    retrieve=extend_schema(
        summary="Read a data file",
        description="One file's name, kind, owner, hash and size. The storage path is shown "
        "to its owner only.",
        examples=[ex.response(ex.SCORING_PROGRAM)],
    ),
    update=extend_schema(
        summary="Update a data file",
        description="Changes the name, description and visibility. The bytes never change. "
        "Its owner and platform admins only.",
        examples=[
            ex.request({name: SHARED[name] for name in ("name", "description", "is_public")}),
            ex.response(SHARED),
        ],
    ),
    partial_update=extend_schema(
        summary="Partially update a data file",
        description="Changes the given fields among name, description and visibility. Its "
        "owner and platform admins only.",
        examples=[
            ex.request({"is_public": True}, summary="Share it with other organizers"),
            ex.response(
                {**ex.SCORING_PROGRAM, "is_public": True, "updated_at": SHARED["updated_at"]}
            ),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a data file",
        description="Deletes a file that nothing uses, freeing its quota: 409 names what "
        "still uses it (a competition's logo or bundle, a phase's starting kit or public "
        "data, a task, a solution, a submission). It leaves the data groups it was in. Its "
        "owner and platform admins only.",
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
            services.delete_file(instance)
        except services.FileInUse as exc:
            raise InUse(str(exc)) from None


@extend_schema_view(
    list=extend_schema(
        summary="List data groups",
        description="The caller's data groups (every user's for platform admins): named sets "
        "of data files that belong together. A group lists only the files its owner may see.",
        examples=[ex.response(ex.DATA_GROUP)],
    ),
    create=extend_schema(
        summary="Create a data group",
        description="Creates a group owned by the caller from the ids of data files the "
        "caller may see (their own and public ones); 400 names the ids that are not. Files in "
        "a group count as used: a quota cleanup leaves them alone.",
        examples=[
            ex.request(
                {
                    "name": ex.DATA_GROUP["name"],
                    "description": ex.DATA_GROUP["description"],
                    "data": [4, 5],
                }
            ),
            ex.response(ex.DATA_GROUP),
        ],
    ),
    retrieve=extend_schema(
        summary="Read a data group",
        description="One group with its files, their sizes and their total. Its owner and "
        "platform admins only.",
        examples=[ex.response(ex.DATA_GROUP)],
    ),
    update=extend_schema(
        summary="Update a data group",
        description="Replaces the group's name, description and files (`data` left out keeps "
        "them). Its owner and platform admins only.",
        examples=[
            ex.request({"name": ex.DATA_GROUP["name"], **GROUP_CHANGES, "data": [4, 5]}),
            ex.response({**ex.DATA_GROUP, **GROUP_CHANGES, "updated_at": "2025-02-10T09:45:00Z"}),
        ],
    ),
    partial_update=extend_schema(
        summary="Partially update a data group",
        description="Changes the given fields among name, description and data. Its owner and "
        "platform admins only.",
        examples=[
            ex.request(GROUP_CHANGES),
            ex.response({**ex.DATA_GROUP, **GROUP_CHANGES, "updated_at": "2025-02-10T09:45:00Z"}),
        ],
    ),
    destroy=extend_schema(
        summary="Delete a data group",
        description="Deletes the group; its files stay. Its owner and platform admins only.",
    ),
)
class DataGroupViewSet(viewsets.ModelViewSet[DataGroup]):
    serializer_class = DataGroupSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet[DataGroup]:
        listed = DataGroupEntry.objects.seen_by_group_owner().select_related("data")
        return (
            DataGroup.objects.visible_to(self.request.user)
            .select_related("owner")
            .prefetch_related(Prefetch("entries", queryset=listed, to_attr="listed"))
            .order_by("pk")
        )

    def _data(self, serializer: DataGroupSerializer, owner: Any) -> list[Data] | None:
        ids = serializer.validated_data.get("data")
        if ids is None:
            return None
        try:
            return services.data_for_group(owner=owner, ids=ids)
        except services.UnknownData as exc:
            raise serializers.ValidationError({"data": [str(exc)]}) from None

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = DataGroupSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        owner = caller(request)
        fields = serializer.validated_data
        group = services.create_group(
            by=owner,
            name=fields["name"],
            description=fields.get("description", ""),
            data=self._data(serializer, owner) or [],
        )
        return api.rendered(self, group, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        group = self.get_object()
        serializer = DataGroupSerializer(
            group,
            data=request.data,
            partial=kwargs.get("partial", False),
            context=self.get_serializer_context(),
        )
        serializer.is_valid(raise_exception=True)
        fields = serializer.validated_data
        services.update_group(
            group=group,
            by=caller(request),
            name=fields.get("name"),
            description=fields.get("description"),
            data=self._data(serializer, group.owner),
        )
        return api.rendered(self, group)

    def perform_destroy(self, instance: DataGroup) -> None:
        services.delete_group(group=instance, by=caller(self.request))


def cleanup_body(owner: Any, files: list[Data]) -> dict[str, Any]:
    body = {
        "quota_bytes": owner.storage_quota(),
        "used_bytes": Data.objects.counted_for(owner).bytes_used(),
        "reclaimable_bytes": sum(data.size for data in files),
        "files": files,
    }
    return dict(QuotaCleanupSerializer(body).data)


class QuotaCleanupView(APIView):
    """The caller's unused data files: listed by GET, deleted by POST."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="List user quota cleanup",
        description="The caller's data files that nothing uses (no competition, phase, task, "
        "solution, submission or data group references them), oldest first, with their sizes, "
        "the bytes a cleanup would free, the bytes used and the quota. Uploads still in "
        "progress are not listed. Nothing is deleted: POST does that.",
        responses={200: QuotaCleanupSerializer},
        examples=[ex.response(ex.QUOTA_CLEANUP)],
    )
    def get(self, request: Request) -> Response:
        owner = caller(request)
        return Response(cleanup_body(owner, list(services.unused_files(owner))))

    @extend_schema(
        summary="Run user quota cleanup",
        description="Deletes the caller's unused data files (only those among `ids`, when "
        "given), their stored bytes included, and answers with the files deleted, the bytes "
        "freed, and the bytes used afterwards. A file that something uses is never deleted, "
        "even if it was unused when listed: a starting kit a phase still offers, a task's "
        "program or data, a submission's file, outputs or logs, a file in a data group. The "
        "cleanup is written to the audit log.",
        request=QuotaCleanupRequestSerializer,
        responses={200: QuotaCleanupSerializer},
        examples=[
            ex.request({"ids": [10]}),
            ex.response({**ex.QUOTA_CLEANUP, "used_bytes": 412}, summary="Freed 398 bytes"),
        ],
    )
    def post(self, request: Request) -> Response:
        chosen = QuotaCleanupRequestSerializer(data=request.data)
        chosen.is_valid(raise_exception=True)
        owner = caller(request)
        deleted = services.clean_up(owner=owner, ids=chosen.validated_data.get("ids"))
        return Response(cleanup_body(owner, deleted))


def register(router: BaseRouter) -> None:
    router.register("datasets", DataViewSet, basename="data")
    router.register("data_groups", DataGroupViewSet, basename="data-group")
