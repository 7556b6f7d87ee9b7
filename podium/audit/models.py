"""The audit log: who did what to which object, for the platform's hosts.

Entries are written once and never changed. They outlive what they describe: the
competition is kept as an id without a database constraint and the target as a type and
an id, so that deleting a competition or a submission leaves its trail, and the actor's
username is copied so that an entry reads the same after the account is gone.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Action(models.TextChoices):
    ACCOUNT_DELETE = "account.delete"
    COMPETITION_PUBLISH = "competition.publish"
    COMPETITION_UNPUBLISH = "competition.unpublish"
    COMPETITION_DELETE = "competition.delete"
    COMPETITION_CLONE = "competition.clone"
    COLLABORATORS_UPDATE = "competition.collaborators"
    PHASE_DELETE = "phase.delete"
    TASK_DELETE = "task.delete"
    PHASE_MIGRATE = "phase.migrate"
    PHASE_RERUN = "phase.rerun"
    PARTICIPANT_APPROVE = "participant.approve"
    PARTICIPANT_DENY = "participant.deny"
    PARTICIPANT_REVOKE = "participant.revoke"
    PARTICIPANT_ADD = "participant.add"
    PARTICIPANT_REMOVE = "participant.remove"
    PARTICIPANTS_EMAIL = "participants.email"
    ALLOW_LIST_UPDATE = "allow_list.update"
    APPLICANTS_KEY_CREATE = "applicants_key.create"
    APPLICANTS_KEY_REVOKE = "applicants_key.revoke"
    SUBMISSION_CANCEL = "submission.cancel"
    SUBMISSION_RERUN = "submission.rerun"
    SUBMISSION_DELETE = "submission.delete"
    SUBMISSION_METRICS = "submission.metrics"
    SCORE_CREATE = "score.create"
    SCORE_UPDATE = "score.update"
    SCORE_DELETE = "score.delete"
    SCORE_UPLOAD = "score.upload"
    FORUM_THREAD_DELETE = "forum_thread.delete"
    FORUM_THREAD_PIN = "forum_thread.pin"
    FORUM_THREAD_UNPIN = "forum_thread.unpin"
    FORUM_THREAD_LOCK = "forum_thread.lock"
    FORUM_THREAD_UNLOCK = "forum_thread.unlock"
    FORUM_POST_DELETE = "forum_post.delete"
    ORGANIZATION_DELETE = "organization.delete"
    ORGANIZATION_MEMBER_REMOVE = "organization.member_remove"
    ORGANIZATION_MEMBER_GROUP = "organization.member_group"
    QUEUE_CREATE = "queue.create"
    QUEUE_UPDATE = "queue.update"
    QUEUE_DELETE = "queue.delete"
    DATA_GROUP_CREATE = "data_group.create"
    DATA_GROUP_UPDATE = "data_group.update"
    DATA_GROUP_DELETE = "data_group.delete"
    DATA_CLEANUP = "data.cleanup"
    QUOTA_UPDATE = "quota.update"


class AuditEntry(models.Model):
    at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(
        max_length=150,
        blank=True,
        help_text="The actor's username when it acted; empty for the platform itself.",
    )
    action = models.CharField(max_length=64, choices=Action.choices, db_index=True)
    target_type = models.CharField(max_length=64, help_text="The model's name: submission, ...")
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    competition = models.ForeignKey(
        "competitions.Competition",
        null=True,
        blank=True,
        # The id stays when the competition goes: an audit trail is not deleted with it.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            models.Index(fields=["competition", "at"]),
            models.Index(fields=["target_type", "target_id"]),
        ]

    def __str__(self) -> str:
        who = self.actor_name or "the platform"
        return f"{who}: {self.action} {self.target_type} {self.target_id}"
