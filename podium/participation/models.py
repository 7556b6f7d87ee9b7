from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from podium.core.models import Timestamped
from podium.participation import rules


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
        # Counting a competition's approved participants (every competition page's header)
        # reads this index alone.
        indexes = [models.Index(fields=["competition", "status"], name="participant_by_status")]

    def __str__(self) -> str:
        return f"{self.user} in {self.competition} ({self.status})"

    def latest_application(self) -> Application | None:
        """The application the organizers decide on: the last one. Reads a prefetched
        `applications` list when there is one."""
        applications = list(self.applications.all())
        return max(applications, key=lambda row: row.number) if applications else None


class Question(models.Model):
    """One question of a competition's registration form (the seed's custom questions)."""

    class Kind(models.TextChoices):
        TEXT = "text"
        LONG_TEXT = "long_text"
        SINGLE_CHOICE = "single_choice"
        MULTIPLE_CHOICE = "multiple_choice"
        CHECKBOX = "checkbox"

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="registration_questions"
    )
    index = models.PositiveIntegerField(default=0)
    key = models.CharField(max_length=50, help_text="Answers are keyed by it.")
    label = models.CharField(max_length=500)
    help_text = models.TextField(blank=True, max_length=2000)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["competition", "index"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "key"], name="one_question_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.competition_id}: {self.key}"

    def as_rule(self) -> rules.Question:
        return rules.Question(
            key=self.key,
            label=self.label,
            kind=self.kind,
            required=self.required,
            choices=tuple(self.choices or ()),
            help_text=self.help_text,
        )


class Application(models.Model):
    """One application of a participant: the answers and the terms they accepted, and the
    organizers' decision on it. A denied participant who applies again adds one, so that
    the organizers see the latest and the history."""

    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, related_name="applications"
    )
    number = models.PositiveIntegerField(help_text="1 for the first application, and so on.")
    submitted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    questions = models.JSONField(
        default=list, blank=True, help_text="The form as it was asked, so that old answers read."
    )
    answers = models.JSONField(default=dict, blank=True)
    terms_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the terms accepted; empty: no terms."
    )
    terms_accepted_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=Participant.Status.choices, default=Participant.Status.PENDING
    )
    reason = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    approved_by_rule = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why it was approved without an organizer: auto-approve, or the allow-list "
        "entry the address matched.",
    )

    class Meta:
        ordering = ["participant", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "number"], name="one_application_per_number"
            )
        ]

    def __str__(self) -> str:
        return f"application {self.number} of {self.participant_id} ({self.status})"


class AllowedEmail(models.Model):
    """An address, or a domain, whose users are approved at once (Codabench, EvalAI)."""

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="registration_allow_list"
    )
    value = models.CharField(max_length=254, help_text="Lowercase: ada@example.org or a domain.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["competition", "value"]
        constraints = [
            models.UniqueConstraint(fields=["competition", "value"], name="one_allowed_email")
        ]

    def __str__(self) -> str:
        return self.value


class ApplicantsKey(models.Model):
    """A key an external system sends to read one competition's applicants and answers.

    Only its SHA-256 is stored: the key itself is shown once, when it is created.
    """

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="applicants_keys"
    )
    name = models.CharField(max_length=100, help_text="What it is for, for the organizers.")
    prefix = models.CharField(max_length=12, help_text="The key's first characters.")
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["competition", "-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.prefix}... ({self.name})"


class RequestNotice(models.Model):
    """A new registration request that one organizer is to read about in one digest.

    Written with the request; the digest job claims it (`digest` set) in the transaction
    that writes the digest, so that each request is in exactly one digest per organizer.
    """

    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    digest = models.UUIDField(
        null=True, blank=True, help_text="The batch of the digest message that told it."
    )
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["handled_at", "organizer"])]

    def __str__(self) -> str:
        return f"request {self.application_id} for organizer {self.organizer_id}"


class OrganizerDigest(models.Model):
    """When an organizer was last sent a digest of registration requests."""

    organizer = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"digests of {self.organizer_id}"


class OrganizerEmail(models.Model):
    """An email the organizers wrote to one participant or a group: the record they list.
    Each recipient's outcome is the outbox's `Message` row with the same batch."""

    competition = models.ForeignKey(
        "competitions.Competition", on_delete=models.CASCADE, related_name="organizer_emails"
    )
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    audience = models.JSONField(
        default=dict, help_text='Who: {"participant": id} or {"status": ..., "phase": id}.'
    )
    recipients = models.PositiveIntegerField(default=0)
    batch = models.UUIDField(unique=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.recipients} recipients)"


class ContactRequest(models.Model):
    """A message to a competition's organizers, or (no competition) to the platform's hosts."""

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_name = models.CharField(max_length=150, help_text="The sender's username then.")
    sender_email = models.EmailField(blank=True)
    competition = models.ForeignKey(
        "competitions.Competition",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_requests",
    )
    subject = models.CharField(max_length=255)
    body = models.TextField()
    recipients = models.JSONField(default=list, help_text="The addresses it was sent to.")
    batch = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["sender", "created_at"])]

    def __str__(self) -> str:
        return f"{self.sender_name}: {self.subject}"
