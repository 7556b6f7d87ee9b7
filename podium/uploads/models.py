"""A large file on its way to storage, in parts or as one stream, before anything uses it.

The client declares the file (name and size), sends its bytes straight to storage (S3
multipart parts to signed URLs, or one streamed PUT on local storage), then completes the
upload; only then does the file become a `Data` row that a submission may take. An upload
never completed expires, and its bytes go with it.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class Upload(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"  # bytes may still arrive
        COMPLETE = "complete"  # stored and measured; `data` is the file
        USED = "used"  # a submission took the file

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="uploads"
    )
    name = models.CharField(max_length=255)
    size = models.BigIntegerField(help_text="The size the client declared, in bytes.")
    received = models.BigIntegerField(default=0)
    sha256 = models.CharField(
        max_length=64, blank=True, help_text="Of the bytes received, where the server saw them."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    multipart_id = models.CharField(max_length=1024, blank=True)
    part_size = models.BigIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField(db_index=True)
    data = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created"]
        constraints = [
            models.CheckConstraint(condition=models.Q(size__gt=0), name="upload_size_positive")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"

    @property
    def object_name(self) -> str:
        """Where the bytes lie in storage until the upload completes."""
        return f"uploads/{self.id}"
