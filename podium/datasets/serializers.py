"""What the datasets API reads and writes.

The bytes, their hash, size and owner are the server's: only a file's name, description
and visibility change after upload. The storage path is shown to the owner (and platform
admins) only.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from podium.core.drf import MAX_ID
from podium.datasets.models import Data, DataGroup

# What people upload themselves. Bundles, logos, outputs and logs are written by the
# server and the workers, never uploaded as such.
UPLOADABLE_KINDS = [
    Data.Kind.SCORING_PROGRAM,
    Data.Kind.INGESTION_PROGRAM,
    Data.Kind.INPUT_DATA,
    Data.Kind.REFERENCE_DATA,
    Data.Kind.STARTING_KIT,
    Data.Kind.PUBLIC_DATA,
    Data.Kind.SOLUTION,
    Data.Kind.SUBMISSION,
]


class DataSerializer(serializers.ModelSerializer[Data]):
    owner = serializers.CharField(source="owner.username", read_only=True)
    file = serializers.SerializerMethodField(
        help_text="Where the bytes are stored; shown to the owner only."
    )

    class Meta:
        model = Data
        fields = [
            "id",
            "key",
            "kind",
            "name",
            "description",
            "owner",
            "is_public",
            "sha256",
            "size",
            "file",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "key", "kind", "sha256", "size", "created_at", "updated_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_file(self, data: Data) -> str | None:
        # The viewset's queryset annotates `caller_owns` (one query for a whole list);
        # anything else asks the same rule directly.
        owns = getattr(data, "caller_owns", None)
        if owns is None:
            user = getattr(self.context.get("request"), "user", None)
            owns = Data.objects.owned_by(user).filter(pk=data.pk).exists()
        return data.file.name if owns else None


class DataUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The bytes; a folder is uploaded as a zip.")
    kind = serializers.ChoiceField(choices=[(kind.value, kind.label) for kind in UPLOADABLE_KINDS])
    name = serializers.CharField(max_length=255)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    is_public = serializers.BooleanField(required=False, default=False)


class DataFileSummarySerializer(serializers.ModelSerializer[Data]):
    """A file in a data group or a cleanup: what it is and what it weighs."""

    # A plain string: a second enum of the same name would make the schema's enum names
    # ambiguous (the datasets API documents the kinds).
    kind = serializers.CharField(read_only=True, help_text="The file's kind, as the datasets API.")

    class Meta:
        model = Data
        fields = ["id", "key", "kind", "name", "size", "created_at"]
        read_only_fields = fields


MAX_GROUP_FILES = 1000


def listed_files(group: DataGroup) -> list[Data]:
    """The group's files that its owner may see, by id. The viewset prefetches them as
    `listed` for a whole list at once."""
    entries = getattr(group, "listed", None)
    if entries is None:
        entries = list(group.entries.seen_by_group_owner().select_related("data"))
    return sorted((entry.data for entry in entries), key=lambda data: data.pk)


class DataIdsField(serializers.ListField):
    """Data file ids: written as a list, read from the files the group lists."""

    def get_attribute(self, instance: DataGroup) -> list[int]:
        return [data.pk for data in listed_files(instance)]


class DataGroupSerializer(serializers.ModelSerializer[DataGroup]):
    owner = serializers.CharField(source="owner.username", read_only=True)
    # DRF's metaclass takes declared fields off the class, so this does not hide `.data`.
    data = DataIdsField(  # type: ignore[assignment]
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=MAX_GROUP_FILES,
        required=False,
        help_text="Ids of the group's data files; writing it replaces them. Only files the "
        "group's owner may see (their own and public ones) can be added, and only those are "
        "listed.",
    )
    files = serializers.SerializerMethodField(help_text="The group's files, as `data` lists.")
    size = serializers.SerializerMethodField(help_text="Bytes of the files listed, together.")

    class Meta:
        model = DataGroup
        fields = [
            "id",
            "name",
            "description",
            "owner",
            "data",
            "files",
            "size",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]

    @extend_schema_field(DataFileSummarySerializer(many=True))
    def get_files(self, group: DataGroup) -> list[dict[str, Any]]:
        return list(DataFileSummarySerializer(listed_files(group), many=True).data)

    def get_size(self, group: DataGroup) -> int:
        return sum(data.size for data in listed_files(group))


class QuotaCleanupSerializer(serializers.Serializer[Any]):
    """A user's storage and the files a cleanup deletes (or deleted)."""

    quota_bytes = serializers.IntegerField(help_text="The caller's storage quota.")
    used_bytes = serializers.IntegerField(
        help_text="Bytes the caller's files take now, as the quota counts them."
    )
    reclaimable_bytes = serializers.IntegerField(
        help_text="Bytes of the files listed: what the cleanup frees (or freed)."
    )
    files = DataFileSummarySerializer(
        many=True,
        help_text="The caller's files that no competition, phase, task, solution, submission "
        "or data group uses.",
    )


class QuotaCleanupRequestSerializer(serializers.Serializer[Any]):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=10_000,
        help_text="Delete only these of the unused files (the ones a listing showed); left "
        "out, every unused file is deleted. Ids of files in use, or not the caller's, are "
        "left alone.",
    )
