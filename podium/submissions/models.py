from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from podium.core.models import Timestamped
from podium_worker.protocol import Status


def _job_secret() -> str:
    return secrets.token_urlsafe(32)


class SubmissionQuerySet(models.QuerySet["Submission"]):
    def visible_to(self, user: Any) -> SubmissionQuerySet:
        """Own submissions, public ones, and all of a competition one organizes."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.filter(is_public=True, phase__competition__published=True)
        return self.filter(
            Q(owner=user)
            | Q(is_public=True, phase__competition__published=True)
            | Q(phase__competition__created_by=user)
            | Q(phase__competition__collaborators=user)
        ).distinct()

    def organized_by(self, user: Any) -> SubmissionQuerySet:
        """Submissions of the competitions the caller organizes (all for platform admins)."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            Q(phase__competition__created_by=user) | Q(phase__competition__collaborators=user)
        ).distinct()

    def changeable_by(self, user: Any) -> SubmissionQuerySet:
        """Submissions the caller may cancel, delete or annotate: their own, and those of the
        competitions they organize."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(
            Q(owner=user)
            | Q(phase__competition__created_by=user)
            | Q(phase__competition__collaborators=user)
        ).distinct()


class Submission(Timestamped):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions"
    )
    participant = models.ForeignKey(
        "participation.Participant",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="submissions",
    )
    phase = models.ForeignKey(
        "competitions.Phase", on_delete=models.CASCADE, related_name="submissions"
    )
    task = models.ForeignKey(
        "competitions.Task", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    organization = models.ForeignKey(
        "organizations.Organization", null=True, blank=True, on_delete=models.SET_NULL
    )
    data = models.ForeignKey("datasets.Data", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=12,
        choices=[(status.value, status.value) for status in Status],
        default=Status.SUBMITTING.value,
        db_index=True,
    )
    status_detail = models.TextField(blank=True)
    fact_sheet_answers = models.JSONField(null=True, blank=True)
    is_public = models.BooleanField(default=False)
    is_baseline = models.BooleanField(
        default=False, help_text="An organizer's reference solution, run as a submission."
    )
    leaderboard = models.ForeignKey(
        "leaderboards.Leaderboard",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="submissions",
        help_text="The leaderboard this submission is shown on, if any.",
    )
    secret = models.CharField(max_length=64, default=_job_secret, editable=False)
    attempt = models.PositiveIntegerField(default=0)
    lease_expires_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A running job whose worker stays silent past this is lost.",
    )
    worker_run = models.CharField(
        max_length=64,
        blank=True,
        editable=False,
        help_text="The worker's run that holds the current attempt (see reports.receive).",
    )
    log_tail = models.TextField(blank=True, help_text="The end of the logs, from heartbeats.")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text="Run measurements by step.")
    prediction_result = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    scoring_result = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    detailed_result = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    logs = models.ForeignKey(
        "datasets.Data", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["phase", "owner", "created_at"])]

    def __str__(self) -> str:
        return f"submission {self.pk} ({self.status})"


class StatusChange(models.Model):
    """Every status change of a submission, in order: the audit trail of the state machine."""

    submission = models.ForeignKey(
        Submission, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(max_length=12)
    to_status = models.CharField(max_length=12)
    detail = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["submission", "id"]

    def __str__(self) -> str:
        return f"{self.from_status} -> {self.to_status}"


class SubmissionScore(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="scores")
    column = models.ForeignKey("leaderboards.Column", on_delete=models.CASCADE, related_name="+")
    value = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["submission", "column"], name="one_score_per_column")
        ]

    def __str__(self) -> str:
        return f"{self.column_id}={self.value}"
