"""Podium's outgoing mail: an outbox that a background job delivers, and who wants what.

Every email the platform sends is first a `Message` row, written in the same transaction as
the change it reports (an approval, a post), so that a rolled-back change sends nothing and
a mail server that is down loses nothing: the scheduler delivers queued messages and tries
failed ones again. The rows are also the record of what was sent to whom.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Category(models.TextChoices):
    """Why a message is sent; each one a user may turn off, except account and contact mail."""

    ACCOUNT = "account", "Account security (always sent)"
    CONTACT = "contact", "Contact requests (always sent)"
    REGISTRATION = "registration", "Decisions on my registrations"
    ORGANIZER = "organizer", "New registration requests in competitions I organize"
    ANNOUNCEMENT = "announcement", "Emails from the organizers of my competitions"
    FORUM = "forum", "New posts in forum threads I follow"
    INVITATION = "invitation", "Invitations to organizations"
    SUBMISSION = "submission", "My submissions finishing or failing"


# Mail a user cannot turn off: they asked for it, or it is about their account.
ALWAYS_SENT = frozenset({Category.ACCOUNT, Category.CONTACT, Category.INVITATION})


class Preferences(models.Model):
    """A user's choices of mail. A user without a row gets the defaults."""

    class Digest(models.TextChoices):
        HOURLY = "hourly"
        DAILY = "daily"
        NEVER = "never"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mail_preferences"
    )
    registration = models.BooleanField(default=True, help_text=Category.REGISTRATION.label)
    announcement = models.BooleanField(default=True, help_text=Category.ANNOUNCEMENT.label)
    forum = models.BooleanField(default=True, help_text=Category.FORUM.label)
    submission = models.BooleanField(default=False, help_text=Category.SUBMISSION.label)
    organizer = models.CharField(
        max_length=10,
        choices=Digest.choices,
        default=Digest.HOURLY,
        help_text="How often new registration requests are summed up for an organizer.",
    )

    class Meta:
        verbose_name_plural = "mail preferences"

    def __str__(self) -> str:
        return f"mail preferences of {self.user}"


class Unsubscription(models.Model):
    """A user who wants no more announcements from one competition's organizers."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unsubscriptions"
    )
    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="unsubscriptions"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "competition"], name="one_unsubscription")
        ]

    def __str__(self) -> str:
        return f"{self.user} muted {self.competition}"


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"
        SKIPPED = "skipped"  # the recipient turned this mail off, or has no address

    created = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    category = models.CharField(max_length=20, choices=Category.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages_received",
    )
    to = models.EmailField(blank=True)
    subject = models.CharField(max_length=255)
    body = models.TextField()
    reply_to = models.EmailField(blank=True)
    competition = models.ForeignKey(
        "competitions.Competition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages_sent",
        help_text="The user who wrote it; empty for the platform's own mail.",
    )
    batch = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="Messages written as one email to many."
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True
    )
    claimed_at = models.DateTimeField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["status", "created"])]

    def __str__(self) -> str:
        return f"{self.category} to {self.to or self.recipient}: {self.subject}"
