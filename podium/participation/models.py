from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from podium.core.models import Timestamped


class ParticipantQuerySet(models.QuerySet["Participant"]):
    def visible_to(self, user: Any) -> ParticipantQuerySet:
        """A participant sees their own registrations; organizers see their competitions'."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            models.Q(user=user)
            | models.Q(competition__created_by=user)
            | models.Q(competition__collaborators=user)
        ).distinct()


class Participant(Timestamped):
    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        DENIED = "denied"
        REVOKED = "revoked"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="participants"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reason = models.TextField(blank=True, help_text="Why it was denied or revoked.")
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.SET_NULL
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = ParticipantQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "competition"], name="one_registration_per_competition"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.competition} ({self.status})"
