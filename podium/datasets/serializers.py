"""What the datasets API reads and writes.

The bytes, their hash, size and owner are the server's: only a file's name, description
and visibility change after upload. The storage path is shown to the owner (and platform
admins) only.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from podium.datasets.models import Data

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
