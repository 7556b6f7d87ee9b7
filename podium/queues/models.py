from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from podium.core.models import Timestamped


class QueueQuerySet(models.QuerySet["Queue"]):
    def visible_to(self, user: Any) -> QueueQuerySet:
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.filter(is_public=True)
        return self.filter(Q(is_public=True) | Q(owner=user) | Q(organizers=user)).distinct()

    def changeable_by(self, user: Any) -> QueueQuerySet:
        """Queues the caller may rename, configure or delete, and whose broker URL and key
        they may read: their own (all of them for platform admins). Organizers listed on a
        queue use it for their competitions but do not change it."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)


class Queue(Timestamped):
    """A named queue on a broker. A competition with no queue uses the platform default."""

    name = models.CharField(max_length=100)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    broker_url = models.CharField(max_length=500, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="queues"
    )
    organizers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="organized_queues"
    )
    is_public = models.BooleanField(default=False)
    exclusive = models.BooleanField(
        default=False,
        help_text="Each job of this queue runs alone on its worker's machine, so that the "
        "run times of a leaderboard are comparable.",
    )

    objects = QueueQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name

    @property
    def broker_queue(self) -> str:
        """The queue's name on its broker: what `podium-worker --queue` consumes."""
        return f"podium-{self.key}"
