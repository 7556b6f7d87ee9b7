"""Organizations (teams): members in groups, and invitations by email.

The groups, from most to least power: owners change everything and delete the
organization; managers change its details, invite and manage members other than owners;
participants may also register and submit for it; members belong to it and nothing more.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from podium.core.models import Timestamped


class OrganizationQuerySet(models.QuerySet["Organization"]):
    def of(self, user: Any) -> OrganizationQuerySet:
        """The organizations `user` is a member of, in any group."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(memberships__user=user)


class Organization(Timestamped):
    name = models.CharField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    website = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        constraints = [
            # "Vision Lab" and "vision lab" would read as one team on a leaderboard.
            models.UniqueConstraint(Lower("name"), name="organization_name_unique_ignoring_case")
        ]

    def __str__(self) -> str:
        return self.name


class Membership(Timestamped):
    class Group(models.TextChoices):
        OWNER = "owner"
        MANAGER = "manager"
        PARTICIPANT = "participant"
        MEMBER = "member"

    # Who changes the organization and its members, and who acts for it in competitions.
    MANAGING = frozenset({Group.OWNER, Group.MANAGER})
    ACTING = frozenset({Group.OWNER, Group.MANAGER, Group.PARTICIPANT})

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

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.group})"

    @property
    def manages(self) -> bool:
        return self.group in self.MANAGING

    @property
    def acts(self) -> bool:
        return self.group in self.ACTING


def _invite_token() -> str:
    return secrets.token_urlsafe(32)


def invite_expiry() -> datetime:
    """When an invitation sent now expires (PODIUM_ORGANIZATION_INVITE_DAYS)."""
    return timezone.now() + timedelta(days=settings.ORGANIZATION_INVITE_DAYS)


class Invite(Timestamped):
    """An invitation by email to join in `group`, open until accepted, declined or expired.

    One open invitation per address and organization: inviting again refreshes it.
    """

    class Status(models.TextChoices):
        OPEN = "open"
        ACCEPTED = "accepted"
        DECLINED = "declined"
        EXPIRED = "expired"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invites")
    email = models.EmailField()
    group = models.CharField(
        max_length=20, choices=Membership.Group.choices, default=Membership.Group.MEMBER
    )
    token = models.CharField(max_length=64, unique=True, default=_invite_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    expires_at = models.DateTimeField(default=invite_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "organization",
                condition=models.Q(accepted_at__isnull=True, declined_at__isnull=True),
                name="one_open_invite_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.status})"

    @property
    def status(self) -> str:
        if self.accepted_at is not None:
            return self.Status.ACCEPTED
        if self.declined_at is not None:
            return self.Status.DECLINED
        if self.expires_at <= timezone.now():
            return self.Status.EXPIRED
        return self.Status.OPEN
