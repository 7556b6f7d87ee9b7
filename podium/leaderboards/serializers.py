"""What the leaderboards API reads and writes: leaderboard definitions, ranked rows, entry
changes and the results export.

A competition or phase named by id is looked up among the ones the caller may see, so one
they may not see reads as missing. The definition's soundness (columns, primary index,
frontier) is `podium.leaderboards.definition`'s.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied

from podium.competitions.models import Competition, Phase
from podium.leaderboards import definition, services
from podium.leaderboards.models import Column, Leaderboard


def _user(serializer: serializers.Serializer[Any]) -> Any:
    return getattr(serializer.context.get("request"), "user", None)


class VisibleCompetitionField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    def get_queryset(self) -> QuerySet[Competition]:
        return Competition.objects.visible_to(_user(self))  # type: ignore[arg-type]


class VisiblePhaseField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    def get_queryset(self) -> QuerySet[Phase]:
        user = _user(self)  # type: ignore[arg-type]
        return Phase.objects.filter(competition__in=Competition.objects.visible_to(user))


class ColumnSerializer(serializers.ModelSerializer[Column]):
    id = serializers.IntegerField(
        required=False,
        help_text="On update: the column to change (else columns are matched by key). "
        "Read-only otherwise.",
    )
    computation_indexes = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        allow_null=True,
        help_text="The indexes of the columns a computed column is computed from.",
    )

    class Meta:
        model = Column
        fields = ["id", *services.COLUMN_FIELDS]
        extra_kwargs = {
            "key": {
                "help_text": "What the scoring program writes; podium:<step>.<measure> for the "
                "worker's measurements (podium:prediction.wall_time...), podium:custom.NAME "
                "for metrics organizers post."
            },
            "precision": {"help_text": "Decimals shown; values are ranked unrounded."},
        }


class FrontierSerializer(serializers.Serializer[Any]):
    score = serializers.CharField(help_text="The score column's key.")
    cost = serializers.CharField(help_text="The cost column's key (a run time, a size...).")


class LeaderboardSerializer(serializers.ModelSerializer[Leaderboard]):
    """A leaderboard's definition. On write, `columns` (when given) replaces the columns,
    matched to the existing ones by id, else by key, so that their scores stay; a column
    left out is deleted with its scores. `phases` (when given) lists the phases that use
    this leaderboard."""

    competition = VisibleCompetitionField()
    columns = ColumnSerializer(many=True, required=False)
    phases = VisiblePhaseField(
        many=True,
        required=False,
        help_text="The phases that use this leaderboard (each phase uses one).",
    )
    frontier = FrontierSerializer(
        source="frontier_columns",
        required=False,
        allow_null=True,
        help_text="An efficiency frontier: rows not dominated on (score, cost) are marked.",
    )

    class Meta:
        model = Leaderboard
        fields = [
            "id",
            "competition",
            "index",
            "title",
            "key",
            "hidden",
            "submission_rule",
            "primary_index",
            "release_date",
            "anonymous",
            "frontier",
            "columns",
            "phases",
        ]
        read_only_fields = ["id"]
        # The key's uniqueness is checked in `validate`, with a message naming the key.
        validators: list[Any] = []

    def to_representation(self, instance: Leaderboard) -> dict[str, Any]:
        data = super().to_representation(instance)
        organizer = getattr(instance, "caller_organizes", None)
        if organizer is None:
            organizer = instance.competition.is_organizer(_user(self))
        if not organizer:
            data["columns"] = [column for column in data["columns"] if not column["hidden"]]
            shown = {column["key"] for column in data["columns"]}
            if (
                data["frontier"]
                and not {data["frontier"]["score"], data["frontier"]["cost"]} <= shown
            ):
                data["frontier"] = None
        return data

    def create(self, validated_data: dict[str, Any]) -> Leaderboard:
        return services.save_leaderboard(leaderboard=None, **_parts(validated_data))

    def update(self, instance: Leaderboard, validated_data: dict[str, Any]) -> Leaderboard:
        return services.save_leaderboard(leaderboard=instance, **_parts(validated_data))

    def validate_competition(self, competition: Competition) -> Competition:
        if self.instance is not None and competition.pk != self.instance.competition_id:
            raise serializers.ValidationError("a leaderboard cannot move to another competition")
        if not Competition.objects.organized_by(_user(self)).filter(pk=competition.pk).exists():
            raise PermissionDenied(
                "only the organizers of this competition may change its leaderboards"
            )
        return competition

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance

        def current(name: str, default: Any = None) -> Any:
            return attrs[name] if name in attrs else getattr(instance, name, default)

        competition = current("competition")
        for phase in attrs.get("phases", []):
            if phase.competition_id != competition.pk:
                raise serializers.ValidationError(
                    {"phases": f"no phase with id {phase.pk} in this competition"}
                )
        if "columns" in attrs:
            columns = [dict(column) for column in attrs["columns"]]
        elif instance is not None:
            columns = list(instance.columns.values(*ColumnSerializer.Meta.fields))
        else:
            columns = []
        frontier = current("frontier_columns")
        problems: dict[str, list[str]] = {}
        for path, message in definition.problems(columns, current("primary_index", 0), frontier):
            problems.setdefault(path.split("[")[0].split(".")[0], []).append(f"{path}: {message}")
        key = current("key")
        taken = Leaderboard.objects.filter(competition=competition, key=key)
        if instance is not None:
            taken = taken.exclude(pk=instance.pk)
        if key and taken.exists():
            problems.setdefault("key", []).append(f"another leaderboard already has key {key!r}")
        if problems:
            raise serializers.ValidationError(problems)
        return attrs


def _parts(validated: dict[str, Any]) -> dict[str, Any]:
    """The serializer's validated data as `services.save_leaderboard`'s arguments."""
    fields = dict(validated)
    columns = fields.pop("columns", None)
    phases = fields.pop("phases", None)
    if "frontier_columns" in fields:
        frontier = fields.pop("frontier_columns")
        fields["frontier_score"] = frontier["score"] if frontier else ""
        fields["frontier_cost"] = frontier["cost"] if frontier else ""
    return {
        "fields": fields,
        "columns": None if columns is None else [dict(column) for column in columns],
        "phases": phases,
    }


class TaskScoresSerializer(serializers.Serializer[Any]):
    task = serializers.IntegerField()
    scores = serializers.DictField(child=serializers.FloatField(allow_null=True))
    display = serializers.DictField(child=serializers.CharField())


class RowSerializer(serializers.Serializer[Any]):
    rank = serializers.IntegerField(
        allow_null=True, help_text="Shared by tied rows; none for a baseline."
    )
    rank_label = serializers.CharField(help_text='"2=" when tied; empty for a baseline.')
    participant = serializers.CharField(help_text='"Anonymous" on an anonymous leaderboard.')
    organization = serializers.CharField(
        allow_null=True, help_text="When submitted as an organization."
    )
    submission = serializers.IntegerField(allow_null=True)
    is_baseline = serializers.BooleanField(help_text="An organizer's reference solution.")
    is_mine = serializers.BooleanField(help_text="The caller's own row.")
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Column key to value as stored (for a multi-task phase, across its tasks).",
    )
    display = serializers.DictField(
        child=serializers.CharField(), help_text="Column key to value rounded to its precision."
    )
    tasks = TaskScoresSerializer(many=True, help_text="Multi-task phases: each task's scores.")
    fact_sheet = serializers.DictField(
        child=serializers.JSONField(), help_text="The answers shown on the leaderboard."
    )
    on_frontier = serializers.BooleanField(
        allow_null=True, help_text="Not dominated on (score, cost); null without a frontier."
    )
    hardware_note = serializers.CharField(
        allow_null=True, help_text="Set when the row was measured on other hardware."
    )


class BoardColumnSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    index = serializers.IntegerField()
    sorting = serializers.CharField()
    computation = serializers.CharField()
    precision = serializers.IntegerField()
    hidden = serializers.BooleanField()


class BoardTaskSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class BoardQuestionSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()


class BoardHeadSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    submission_rule = serializers.CharField()
    hidden = serializers.BooleanField()
    anonymous = serializers.BooleanField()
    release_date = serializers.DateTimeField(allow_null=True)
    primary_key = serializers.CharField(
        allow_null=True, help_text="The key of the column rows are ranked by first."
    )
    frontier = FrontierSerializer(allow_null=True)


class PhaseLeaderboardSerializer(serializers.Serializer[Any]):
    phase = serializers.IntegerField()
    leaderboard = BoardHeadSerializer()
    columns = BoardColumnSerializer(many=True)
    tasks = BoardTaskSerializer(many=True, help_text="The tasks of a multi-task phase.")
    fact_sheet = BoardQuestionSerializer(many=True)
    hardware = serializers.CharField(
        allow_null=True, help_text="The machine most rows were measured on."
    )
    count = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = RowSerializer(many=True)


class ResultsSerializer(serializers.Serializer[Any]):
    competition = serializers.IntegerField()
    title = serializers.CharField()
    phases = PhaseLeaderboardSerializer(many=True)


class EntriesSerializer(serializers.Serializer[Any]):
    submission = serializers.IntegerField()
    leaderboard = serializers.IntegerField(allow_null=True)
    on_leaderboard = serializers.BooleanField()
    entries = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Its owner's submissions on this phase's leaderboard after the change.",
    )
