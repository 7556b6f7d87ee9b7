"""What the submissions API reads and writes, and what workers send and are answered.

A submission is the server's: its owner, phase, file, status, scores and outputs are
read-only here, and a client that sends them is ignored. What people change is whether it
is public and its fact sheet answers (see podium.submissions.lifecycle.update).
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from podium.competitions.models import Competition, Phase
from podium.core.drf import MAX_ID
from podium.leaderboards.models import Column
from podium.organizations.models import Organization
from podium.submissions.models import Submission, SubmissionScore
from podium.submissions.scores import finite_number
from podium.uploads.models import Upload
from podium_worker.protocol import Status

MAX_LOG_TAIL = 100_000


class WorkerReportSerializer(serializers.Serializer[dict[str, Any]]):
    attempt = serializers.IntegerField(min_value=0, help_text="The attempt the job message named.")
    status = serializers.ChoiceField(
        choices=[status.value for status in Status if status not in (Status.SUBMITTING,)],
        help_text="Where the job is: preparing, running, scoring, or a final status.",
    )
    detail = serializers.CharField(required=False, allow_blank=True, max_length=5000, default="")
    run = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=64,
        default="",
        help_text="The worker's id for this execution of the job: while one run holds an "
        "attempt, another run of the same attempt is told to stop.",
    )
    log_tail = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_LOG_TAIL, default="", trim_whitespace=False
    )
    # Values are checked by the report service, which fails the submission with a message
    # naming the key, rather than refusing the report and leaving the job hanging.
    scores = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        default=dict,
        help_text="Column key to number.",
    )
    metrics = serializers.DictField(required=False, default=dict, help_text="Measurements by step.")


class WorkerReplySerializer(serializers.Serializer[dict[str, Any]]):
    accepted = serializers.BooleanField(
        help_text="False when the report or upload was stale (an older attempt, a finished "
        "job) and changed nothing."
    )
    cancelled = serializers.BooleanField(
        required=False,
        help_text="Heartbeats only: true when the submission (or the submission it is a task "
        "of) was cancelled on the server; the worker then stops the job and reports "
        "`cancelled`.",
    )
    stop = serializers.BooleanField(
        required=False,
        help_text="Heartbeats only: true when the worker must stop this job: cancelled, "
        "ended, queued again as a newer attempt, or held by another run of the worker.",
    )


@extend_schema_field(OpenApiTypes.INT)
class VisiblePhaseField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A phase by id, among the phases of the competitions the caller may see: any other
    id reads as one that does not exist."""

    def get_queryset(self) -> QuerySet[Phase]:
        user = getattr(self.context.get("request"), "user", None)
        return Phase.objects.filter(
            competition__in=Competition.objects.visible_to(user)
        ).select_related("competition")


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    owner = serializers.SerializerMethodField(
        help_text="The owner's username; null for others' submissions where the phase's "
        "leaderboard is anonymous (its owner and the organizers still see it)."
    )
    children = serializers.PrimaryKeyRelatedField[Submission](
        many=True, read_only=True, help_text="One submission per task, for multi-task phases."
    )
    fact_sheet_answers = serializers.SerializerMethodField(
        help_text="Shown to its owner and the competition's organizers only."
    )

    class Meta:
        model = Submission
        fields = [
            "id",
            "owner",
            "phase",
            "task",
            "parent",
            "children",
            "organization",
            "status",
            "status_detail",
            "is_public",
            "is_baseline",
            "fact_sheet_answers",
            "leaderboard",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def _caller_may_change(self, submission: Submission) -> bool:
        # The viewset's queryset annotates `caller_may_change` (one query for a whole list);
        # anything else asks the same rule directly.
        may = getattr(submission, "caller_may_change", None)
        if may is None:
            user = getattr(self.context.get("request"), "user", None)
            may = Submission.objects.changeable_by(user).filter(pk=submission.pk).exists()
        return bool(may)

    @extend_schema_field(serializers.JSONField(allow_null=True))
    def get_fact_sheet_answers(self, submission: Submission) -> Any:
        return submission.fact_sheet_answers if self._caller_may_change(submission) else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_owner(self, submission: Submission) -> str | None:
        board = submission.phase.leaderboard
        if board is not None and board.anonymous and not self._caller_may_change(submission):
            return None
        return submission.owner.username


class SubmissionFilterSerializer(serializers.Serializer[Any]):
    phase = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only the submissions to this phase.",
    )
    status = serializers.ChoiceField(
        choices=[status.value for status in Status],
        required=False,
        help_text="Only the submissions with this status.",
    )
    mine = serializers.BooleanField(
        required=False, help_text="true: only the caller's own submissions."
    )


@extend_schema_field(OpenApiTypes.OBJECT)
class JSONObjectField(serializers.JSONField):
    """A JSON object: as it is in a JSON body, or as its text in a form field (multipart,
    where every value is text)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str | bytes):
            try:
                data = json.loads(data)
            except ValueError:
                self.fail("invalid")
        if data is not None and not isinstance(data, dict):
            raise serializers.ValidationError("expected a JSON object")
        return super().to_internal_value(data)  # type: ignore[arg-type]


class SubmissionCreateSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(
        required=False,
        help_text="The submission: a zip of results or of code. Or, for large files, "
        "`upload` instead.",
    )
    upload = serializers.PrimaryKeyRelatedField(
        queryset=Upload.objects.all(),
        required=False,
        help_text="A completed upload of the caller's (POST /api/uploads/), instead of "
        "`file`: the way to send large submissions.",
    )
    phase = VisiblePhaseField(help_text="The phase to submit to.")
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(),
        required=False,
        allow_null=True,
        help_text="Submit on behalf of this organization, in which the caller is an owner, "
        "manager or participant; it may have no more members than the competition's "
        "max_team_size.",
    )
    fact_sheet_answers = JSONObjectField(
        required=False,
        allow_null=True,
        help_text="Answers to the competition's fact sheet: a JSON object of question key to "
        "answer (in a multipart form, its JSON text).",
    )

    def validate_upload(self, upload: Upload) -> Upload:
        request = self.context.get("request")
        if request is None or upload.owner_id != request.user.pk:
            # Another user's upload is as unknown as one that does not exist.
            raise serializers.ValidationError(f'Invalid pk "{upload.pk}" - object does not exist.')
        return upload

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("file" in attrs) == ("upload" in attrs):
            raise serializers.ValidationError({"file": ["send either a file or an upload"]})
        return attrs

    def upload_name(self) -> str:
        """The last part of the client's file name, or "submission.zip"."""
        if "upload" in self.validated_data:
            name = self.validated_data["upload"].name
        else:
            name = getattr(self.validated_data["file"], "name", "") or ""
        base = PurePosixPath(name.replace("\\", "/")).name.strip()
        return base or "submission.zip"


class SubmissionUpdateSerializer(serializers.Serializer[Any]):
    is_public = serializers.BooleanField(
        required=False,
        help_text="Shown to everyone who may see the competition. Its owner only, where the "
        "competition allows it.",
    )
    fact_sheet_answers = serializers.JSONField(
        required=False, allow_null=True, help_text="Replaces the fact sheet answers."
    )


class StatusChangeSerializer(serializers.Serializer[Any]):
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    detail = serializers.CharField()
    at = serializers.DateTimeField()


class ChildDetailsSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    task = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    status_detail = serializers.CharField()
    scores = serializers.DictField(child=serializers.FloatField(), help_text="By column key.")


class SubmissionFilesSerializer(serializers.Serializer[Any]):
    submission = serializers.URLField(
        allow_null=True, help_text="The uploaded file; its owner and the organizers only."
    )
    predictions = serializers.URLField(allow_null=True, help_text="The prediction step's output.")
    scoring_output = serializers.URLField(
        allow_null=True, help_text="The scoring step's output, scores file included."
    )
    detailed_results = serializers.URLField(
        allow_null=True, help_text="The scoring program's detailed_results.html."
    )
    logs = serializers.URLField(allow_null=True, help_text="Each step's stdout and stderr.")


class SubmissionDetailsSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    status = serializers.CharField()
    status_detail = serializers.CharField()
    status_history = StatusChangeSerializer(many=True)
    log_tail = serializers.CharField(
        allow_null=True, help_text="The end of the logs; null where the phase hides them."
    )
    metrics = serializers.DictField(help_text="Run measurements by step.")
    scores = serializers.DictField(child=serializers.FloatField(), help_text="By column key.")
    children = ChildDetailsSerializer(many=True)
    files = SubmissionFilesSerializer(
        help_text="Signed download URLs, each valid for a few hours; null for a file that does "
        "not exist or that the caller may not have."
    )


class DetailedResultSerializer(serializers.Serializer[Any]):
    url = serializers.URLField(help_text="A signed URL of detailed_results.html, valid for hours.")
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Bytes.")


class RerunCountSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="How many submissions were queued again.")


@extend_schema_field(OpenApiTypes.DOUBLE)
class FiniteNumberField(serializers.Field):  # type: ignore[type-arg]
    """A JSON number that is finite: not a string, not a boolean, not NaN or infinity."""

    default_error_messages = {"invalid": "expected a finite number"}

    def to_internal_value(self, data: object) -> float:
        number = finite_number(data)
        if number is None:
            self.fail("invalid")
        return number

    def to_representation(self, value: float) -> float:
        return value


class VisibleSubmissionField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A submission by id, among those the caller may see: any other id reads as one that
    does not exist."""

    def get_queryset(self) -> QuerySet[Submission]:
        user = getattr(self.context.get("request"), "user", None)
        return Submission.objects.visible_to(user).select_related("phase")


class OrganizedColumnField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A leaderboard column by id, among the columns of the competitions the caller
    organizes."""

    def get_queryset(self) -> QuerySet[Column]:
        user = getattr(self.context.get("request"), "user", None)
        organized = Competition.objects.organized_by(user).values("pk")
        return Column.objects.filter(leaderboard__competition__in=organized).select_related(
            "leaderboard"
        )


class SubmissionScoreSerializer(serializers.ModelSerializer[SubmissionScore]):
    # `submission` comes first: who may change its scores is checked before anything else.
    submission = VisibleSubmissionField(help_text="The submission (or one task of it).")
    column = OrganizedColumnField(
        help_text="A column of one of the competition's leaderboards; not a computed one."
    )
    key = serializers.CharField(source="column.key", read_only=True, help_text="The column's key.")
    leaderboard = serializers.IntegerField(
        source="column.leaderboard_id", read_only=True, help_text="The column's leaderboard."
    )
    value = FiniteNumberField()

    class Meta:
        model = SubmissionScore
        fields = ["submission", "id", "column", "key", "leaderboard", "value"]
        # One score per column is the service's check, under the submission's lock.
        validators: list[Any] = []

    def validate_submission(self, submission: Submission) -> Submission:
        user = getattr(self.context.get("request"), "user", None)
        if not Submission.objects.organized_by(user).filter(pk=submission.pk).exists():
            raise PermissionDenied("only the organizers of its competition may change its scores")
        return submission


class ScoreValueSerializer(serializers.Serializer[Any]):
    value = FiniteNumberField(help_text="The new value; the computed columns follow.")


class ScoreFilterSerializer(serializers.Serializer[Any]):
    submission = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only the scores of this submission.",
    )
    phase = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="Only the scores of this phase's submissions.",
    )


class ScoresSerializer(serializers.Serializer[Any]):
    submission = serializers.IntegerField()
    scores = serializers.DictField(
        child=serializers.FloatField(),
        help_text="Every score of the submission on its phase's leaderboard, by column key, "
        "computed columns included.",
    )


class CustomMetricsSerializer(serializers.Serializer[Any]):
    submission = serializers.IntegerField()
    custom = serializers.DictField(
        child=serializers.FloatField(), help_text="All the submission's custom metrics, by name."
    )
    scores = serializers.DictField(
        child=serializers.FloatField(),
        help_text="Every score of the submission on its phase's leaderboard, by column key.",
    )


class MigrationSerializer(serializers.Serializer[Any]):
    phase = serializers.IntegerField(help_text="The phase the submissions went to.")
    count = serializers.IntegerField(help_text="How many submissions were queued there.")
