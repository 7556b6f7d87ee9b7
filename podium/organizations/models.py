from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from podium.core.models import Timestamped


class Organization(Timestamped):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class Membership(Timestamped):
    class Group(models.TextChoices):
        OWNER = "owner"
        MANAGER = "manager"
        PARTICIPANT = "participant"
        MEMBER = "member"

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    group = models.CharField(max_length=20, choices=Group.choices, default=Group.MEMBER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_user")
        ]


def _invite_token() -> str:
    return secrets.token_urlsafe(32)


class Invite(Timestamped):
    """An invitation by email; a member group of 'invited' until accepted or declined."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    group = models.CharField(
        max_length=20, choices=Membership.Group.choices, default=Membership.Group.MEMBER
    )
    token = models.CharField(max_length=64, unique=True, default=_invite_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
