from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum

from podium.core.models import Timestamped


class DataQuerySet(models.QuerySet["Data"]):
    def visible_to(self, user: Any) -> DataQuerySet:
        """Files the caller may see: public ones, their own, all for platform admins."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.filter(is_public=True)
        return self.filter(Q(is_public=True) | Q(owner=user))

    def owned_by(self, user: Any) -> DataQuerySet:
        """Files the caller may rename, publish or delete: their own."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(Q(owner=user))

    def counted_for(self, user: Any) -> DataQuerySet:
        return self.filter(owner=user, upload_completed=True)

    def bytes_used(self) -> int:
        return int(self.aggregate(total=Sum("size"))["total"] or 0)


class Data(Timestamped):
    """A stored file. Identical bytes share one blob in storage (keyed by sha256)."""

    class Kind(models.TextChoices):
        BUNDLE = "bundle"
        LOGO = "logo"
        SCORING_PROGRAM = "scoring_program"
        INGESTION_PROGRAM = "ingestion_program"
        INPUT_DATA = "input_data"
        REFERENCE_DATA = "reference_data"
        STARTING_KIT = "starting_kit"
        PUBLIC_DATA = "public_data"
        SOLUTION = "solution"
        SUBMISSION = "submission"
        OUTPUT = "output"
        LOG = "log"

    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(max_length=32, choices=Kind.choices, db_index=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_files"
    )
    file = models.FileField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField(default=0)
    is_public = models.BooleanField(default=False)
    upload_completed = models.BooleanField(default=True)

    objects = DataQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "data"
        constraints = [
            models.CheckConstraint(condition=Q(size__gte=0), name="data_size_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"
