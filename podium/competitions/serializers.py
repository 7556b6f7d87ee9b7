"""What the competitions API reads and writes: competitions, their pages, phases and tasks.

Server-owned fields (ids, keys, owners, the published flag, bundles, logos) are read-only
here: a client that sends them is ignored, never obeyed (HOSTILE C25). Every reference a
client may write (a task, a data file, a queue) is looked up among the rows the caller may
see, so an id the caller cannot see reads as "does not exist", like an id that does not.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from podium.accounts.models import User
from podium.competitions.models import Competition, Page, Phase, PhaseTask, Task
from podium.datasets.models import Data
from podium.leaderboards import services as leaderboards
from podium.leaderboards.models import Leaderboard
from podium.queues.models import Queue

# A docker image reference: no spaces, and never starting with "-" so that a worker passing
# it to a container engine's command line cannot have it read as an option.
DOCKER_IMAGE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*")


def _caller(serializer: serializers.Serializer[Any]) -> object:
    request = serializer.context.get("request")
    return getattr(request, "user", None)


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A reference by id, resolved among the rows the caller may see."""

    def __init__(self, *, model: type[Competition | Task | Data | Queue], **kwargs: Any) -> None:
        self.model = model
        super().__init__(**kwargs)

    def get_queryset(self) -> QuerySet[Any]:
        user = getattr(self.context.get("request"), "user", None)
        return self.model.objects.visible_to(user)


class PageSerializer(serializers.ModelSerializer[Page]):
    class Meta:
        model = Page
        fields = ["index", "title", "content"]


class PhaseSummarySerializer(serializers.ModelSerializer[Phase]):
    class Meta:
        model = Phase
        fields = ["id", "index", "name", "start", "end"]


class LeaderboardSummarySerializer(serializers.ModelSerializer[Leaderboard]):
    class Meta:
        model = Leaderboard
        fields = ["id", "index", "title", "key", "hidden"]


class CompetitionSummarySerializer(serializers.ModelSerializer[Competition]):
    """The short form, for lists."""

    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Competition
        fields = [
            "id",
            "key",
            "title",
            "description",
            "competition_type",
            "logo",
            "created_by",
            "published",
            "created_at",
        ]
        read_only_fields = fields


class CompetitionSerializer(serializers.ModelSerializer[Competition]):
    """One competition with its pages, and summaries of its phases and leaderboards.

    Writing `pages` replaces every page of the competition; leaving it out keeps them.
    """

    created_by = serializers.CharField(source="created_by.username", read_only=True)
    collaborators = serializers.SlugRelatedField[User](
        slug_field="username", many=True, read_only=True
    )
    pages = PageSerializer(many=True, required=False)
    phases = PhaseSummarySerializer(many=True, read_only=True)
    leaderboards = serializers.SerializerMethodField()
    is_organizer = serializers.SerializerMethodField()
    queue = VisibleRelatedField(model=Queue, required=False, allow_null=True)

    class Meta:
        model = Competition
        fields = [
            "id",
            "key",
            "title",
            "description",
            "terms",
            "contact_email",
            "reward",
            "competition_type",
            "logo",
            "published",
            "created_by",
            "collaborators",
            "is_organizer",
            "created_at",
            "updated_at",
            "bundle",
            "registration_auto_approve",
            "docker_image",
            "queue",
            "make_programs_available",
            "make_input_data_available",
            "enable_detailed_results",
            "show_detailed_results_in_submission_panel",
            "show_detailed_results_in_leaderboard",
            "auto_run_submissions",
            "can_participants_make_submissions_public",
            "forum_enabled",
            "fact_sheet",
            "pages",
            "phases",
            "leaderboards",
        ]
        read_only_fields = [
            "id",
            "key",
            "logo",
            "published",
            "created_at",
            "updated_at",
            "bundle",
        ]

    def _caller_organizes(self, competition: Competition) -> bool:
        # The viewset's queryset annotates this (an Exists over `organized_by`), so that a
        # list costs no query per row; anything else asks the same rule directly.
        annotated = getattr(competition, "caller_organizes", None)
        if annotated is not None:
            return bool(annotated)
        organized = Competition.objects.organized_by(_caller(self))
        return organized.filter(pk=competition.pk).exists()

    @extend_schema_field(serializers.BooleanField())
    def get_is_organizer(self, competition: Competition) -> bool:
        return self._caller_organizes(competition)

    @extend_schema_field(LeaderboardSummarySerializer(many=True))
    def get_leaderboards(self, competition: Competition) -> list[dict[str, Any]]:
        # A hidden leaderboard is shown to the organizers only (HOSTILE C23).
        boards = [
            board
            for board in competition.leaderboards.all()
            if not board.hidden or self._caller_organizes(competition)
        ]
        return list(LeaderboardSummarySerializer(boards, many=True).data)

    def validate_docker_image(self, value: str) -> str:
        if not DOCKER_IMAGE.fullmatch(value):
            raise serializers.ValidationError(
                "not a docker image name: use letters, digits and . _ / : @ + -, "
                "starting with a letter or digit"
            )
        return value

    def validate_fact_sheet(self, value: object) -> object:
        if value is not None and not isinstance(value, dict):
            raise serializers.ValidationError(
                "the fact sheet must be an object of question keys, or null"
            )
        return value

    def validate_pages(self, pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        indexes = [page.get("index", position) for position, page in enumerate(pages)]
        if len(set(indexes)) != len(indexes):
            raise serializers.ValidationError("two pages have the same index")
        return pages

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Competition:
        pages = validated_data.pop("pages", [])
        competition = super().create(validated_data)
        self._replace_pages(competition, pages)
        return competition

    @transaction.atomic
    def update(self, instance: Competition, validated_data: dict[str, Any]) -> Competition:
        pages = validated_data.pop("pages", None)
        competition = super().update(instance, validated_data)
        if pages is not None:
            competition.pages.all().delete()
            self._replace_pages(competition, pages)
        return competition

    def _replace_pages(self, competition: Competition, pages: list[dict[str, Any]]) -> None:
        Page.objects.bulk_create(
            Page(competition=competition, **{"index": position, **page})
            for position, page in enumerate(pages)
        )


@extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
class TaskIdsField(serializers.ListField):
    """The phase's tasks, in order, as ids of tasks the caller may see."""

    child = VisibleRelatedField(model=Task)

    def to_representation(self, data: Any) -> list[int]:
        return [phase_task.task_id for phase_task in data.all()]


class PhaseSerializer(serializers.ModelSerializer[Phase]):
    competition = VisibleRelatedField(model=Competition)
    tasks = TaskIdsField(source="phase_tasks", required=False)
    status = serializers.SerializerMethodField()
    starting_kit = VisibleRelatedField(model=Data, required=False, allow_null=True)
    public_data = VisibleRelatedField(model=Data, required=False, allow_null=True)

    class Meta:
        model = Phase
        # `competition` comes first: it is checked before anything else (see its validator).
        fields = [
            "competition",
            "id",
            "index",
            "name",
            "description",
            "start",
            "end",
            "status",
            "tasks",
            "max_submissions",
            "max_submissions_per_day",
            "execution_time_limit",
            "auto_migrate_to_this_phase",
            "has_been_migrated",
            "hide_output",
            "hide_prediction_output",
            "hide_score_output",
            "starting_kit",
            "public_data",
            "leaderboard",
        ]
        read_only_fields = ["id", "has_been_migrated"]
        extra_kwargs = {"leaderboard": {"queryset": Leaderboard.objects.all()}}

    @extend_schema_field(serializers.ChoiceField(choices=Phase.Status.choices))
    def get_status(self, phase: Phase) -> str:
        # Lists annotate it (PhaseQuerySet.with_status), at one moment for every row.
        annotated = getattr(phase, "status_now", None)
        return str(annotated) if annotated is not None else phase.status

    def validate_competition(self, competition: Competition) -> Competition:
        if self.instance is not None and competition.pk != self.instance.competition_id:
            raise serializers.ValidationError("a phase cannot move to another competition")
        # Checked here, before the other fields, so that a caller who may see the
        # competition but not change it is told 403 rather than what else is wrong.
        if not Competition.objects.organized_by(_caller(self)).filter(pk=competition.pk).exists():
            raise PermissionDenied("only the organizers of this competition may change its phases")
        return competition

    def validate_tasks(self, tasks: list[Task]) -> list[Task]:
        if len({task.pk for task in tasks}) != len(tasks):
            raise serializers.ValidationError("a task appears twice")
        return tasks

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        def current(name: str) -> Any:
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        start, end = current("start"), current("end")
        if start is not None and end is not None and end <= start:
            raise serializers.ValidationError({"end": "the phase must end after it starts"})
        leaderboard = current("leaderboard")
        competition = current("competition")
        if leaderboard is not None and leaderboard.competition_id != competition.pk:
            # Worded like a missing id: leaderboards of other competitions stay unknown.
            raise serializers.ValidationError(
                {"leaderboard": "no leaderboard with this id in this competition"}
            )
        return attrs

    @transaction.atomic
    def create(self, validated_data: dict[str, Any]) -> Phase:
        tasks = validated_data.pop("phase_tasks", [])
        phase = super().create(validated_data)
        self._set_tasks(phase, tasks)
        return phase

    @transaction.atomic
    def update(self, instance: Phase, validated_data: dict[str, Any]) -> Phase:
        tasks = validated_data.pop("phase_tasks", None)
        board_before = instance.leaderboard_id
        phase = super().update(instance, validated_data)
        if tasks is not None:
            phase.phase_tasks.all().delete()
            self._set_tasks(phase, tasks)
        if phase.leaderboard is not None and phase.leaderboard_id != board_before:
            # The phase's entries move to the leaderboard it now has, by that one's rule.
            leaderboards.reapply(phase.leaderboard, [phase])
        return phase

    def _set_tasks(self, phase: Phase, tasks: list[Task]) -> None:
        PhaseTask.objects.bulk_create(
            PhaseTask(phase=phase, task=task, index=index) for index, task in enumerate(tasks)
        )


# Each program or data slot of a task takes files of its own kind only.
TASK_FILE_KINDS = {
    "scoring_program": Data.Kind.SCORING_PROGRAM,
    "ingestion_program": Data.Kind.INGESTION_PROGRAM,
    "input_data": Data.Kind.INPUT_DATA,
    "reference_data": Data.Kind.REFERENCE_DATA,
}


class TaskSerializer(serializers.ModelSerializer[Task]):
    created_by = serializers.CharField(source="created_by.username", read_only=True)
    scoring_program = VisibleRelatedField(model=Data)
    ingestion_program = VisibleRelatedField(model=Data, required=False, allow_null=True)
    input_data = VisibleRelatedField(model=Data, required=False, allow_null=True)
    reference_data = VisibleRelatedField(model=Data, required=False, allow_null=True)

    class Meta:
        model = Task
        fields = [
            "id",
            "key",
            "name",
            "description",
            "created_by",
            "is_public",
            "scoring_program",
            "ingestion_program",
            "input_data",
            "reference_data",
            "ingestion_only_during_scoring",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "key", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {
            field: f"must be a {kind} file, not {attrs[field].kind}"
            for field, kind in TASK_FILE_KINDS.items()
            if attrs.get(field) is not None and attrs[field].kind != kind
        }
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class BundleUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The competition bundle, a zip.")


class FrontPageCountsSerializer(serializers.Serializer[Any]):
    competitions = serializers.IntegerField()
    participants = serializers.IntegerField()
    submissions = serializers.IntegerField()


class FrontPageSerializer(serializers.Serializer[Any]):
    competitions = CompetitionSummarySerializer(many=True)
    counts = FrontPageCountsSerializer()
