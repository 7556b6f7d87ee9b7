from __future__ import annotations

from typing import Any

from rest_framework import serializers

from podium.uploads import services
from podium.uploads.models import Upload


class UploadStartSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=255, help_text="The file's name, e.g. results.zip.")
    size = serializers.IntegerField(min_value=1, help_text="The file's size in bytes.")


class PartSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(min_value=1, max_value=services.MAX_PARTS)
    url = serializers.CharField(read_only=True, help_text="Where to PUT this part.")
    etag = serializers.CharField(
        write_only=True, max_length=200, help_text="The ETag header S3 answered for the part."
    )


class UploadCompleteSerializer(serializers.Serializer[Any]):
    parts = PartSerializer(
        many=True, required=False, help_text="S3 storage only: each part sent and its ETag."
    )


class UploadSerializer(serializers.ModelSerializer[Upload]):
    method = serializers.SerializerMethodField(help_text="How to send the bytes.")
    url = serializers.SerializerMethodField(
        help_text="Local storage: where to PUT the whole file as the request body."
    )
    parts = serializers.SerializerMethodField(
        help_text="S3 storage: a signed URL per part; PUT each part of `part_size` bytes "
        "(the last may be shorter) to its URL and keep the ETag S3 answers."
    )

    class Meta:
        model = Upload
        fields = [
            "id",
            "name",
            "size",
            "received",
            "status",
            "created",
            "expires_at",
            "data",
            "method",
            "url",
            "part_size",
            "parts",
        ]
        read_only_fields = fields

    def get_method(self, upload: Upload) -> str:
        return "parts" if upload.multipart_id else "put"

    def get_url(self, upload: Upload) -> str | None:
        if upload.multipart_id or upload.status != Upload.Status.PENDING:
            return None
        return f"/api/uploads/{upload.id}/content/"

    def get_parts(self, upload: Upload) -> list[dict[str, Any]] | None:
        if not upload.multipart_id or upload.status != Upload.Status.PENDING:
            return None
        return [{"number": part.number, "url": part.url} for part in services.part_urls(upload)]
