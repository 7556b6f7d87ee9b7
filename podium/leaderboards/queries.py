"""The one query that feeds ranking: a phase's scored runs with one value per column. It
runs when entries change (podium.leaderboards.standings keeps its rows, ranked), not when a
leaderboard is read.

A row is a run that holds scores: a single-task submission, or one task of a multi-task
submission (`task` is set on exactly those; the parent of several tasks has none). Each
column's value comes from a correlated subquery on SubmissionScore's unique
(submission, column) index, so the database returns one row per run rather than one per
score, with no GROUP BY; the names, the organization, the machine and the fact sheet come
through joins. Its cost grows with the rows asked for, never its number of queries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.db.models import F, JSONField, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce

from podium.competitions.models import Phase
from podium.leaderboards.models import Column, Leaderboard
from podium.leaderboards.ranking import BoardDef, ColumnDef, ScoreRow
from podium.submissions.models import Submission, SubmissionScore
from podium_worker.protocol import Status


def column_defs(columns: Iterable[Column]) -> tuple[ColumnDef, ...]:
    return tuple(
        ColumnDef(
            key=column.key,
            index=column.index,
            title=column.title,
            sorting=column.sorting,
            computation=column.computation,
            sources=tuple(
                index for index in column.computation_indexes or [] if isinstance(index, int)
            ),
            hidden=column.hidden,
            precision=column.precision,
        )
        for column in columns
    )


def rows_def(leaderboard: Leaderboard, columns: Iterable[Column]) -> BoardDef:
    """What a leaderboard's rows and their order are worked out from, on any phase: its
    columns, primary column and frontier (not the phase's tasks, nor the questions shown:
    those only change what a page shows)."""
    return BoardDef(
        columns=column_defs(columns),
        primary_index=leaderboard.primary_index,
        frontier=leaderboard.frontier,
    )


def board_def(phase: Phase, leaderboard: Leaderboard, columns: Iterable[Column]) -> BoardDef:
    """What ranking needs of `leaderboard` on `phase` (its tasks must be prefetched or it
    costs one query)."""
    questions = phase.competition.fact_sheet or {}
    return BoardDef(
        columns=column_defs(columns),
        primary_index=leaderboard.primary_index,
        tasks=tuple(
            link.task_id for link in sorted(phase.phase_tasks.all(), key=lambda link: link.index)
        ),
        frontier=leaderboard.frontier,
        fact_sheet=tuple(
            key
            for key, question in questions.items()
            if isinstance(question, dict) and question.get("is_on_leaderboard")
        ),
    )


def runs(
    *,
    phase_id: int,
    columns: Iterable[Column],
    fact_sheet: bool,
    leaderboard_id: int | None = None,
    owner_id: int | None = None,
    baseline: bool | None = None,
    data_id: int | None = None,
    entries: Collection[int] | None = None,
) -> QuerySet[Submission, tuple[Any, ...]]:
    """The finished scored runs of a phase: the entries of `leaderboard_id` when given, or
    all of `owner_id`'s (a rule's candidates); only those of the top-level submissions
    `entries` when given. One query when evaluated."""
    queryset = Submission.objects.filter(
        phase_id=phase_id, status=Status.FINISHED.value, task__isnull=False
    )
    if leaderboard_id is not None:
        queryset = queryset.filter(leaderboard_id=leaderboard_id)
    if owner_id is not None:
        queryset = queryset.filter(owner_id=owner_id)
    if baseline is not None:
        queryset = queryset.filter(is_baseline=baseline)
    if data_id is not None:
        queryset = queryset.filter(data_id=data_id)
    if entries is not None:
        queryset = queryset.filter(
            Q(pk__in=entries, parent__isnull=True) | Q(parent_id__in=entries)
        )
    stored = [column for column in columns if not column.computation]
    values = {
        f"c{position}": Subquery(
            SubmissionScore.objects.filter(
                submission_id=OuterRef("pk"), column_id=column.pk
            ).values("value")[:1]
        )
        for position, column in enumerate(stored)
    }
    extra: dict[str, Any] = {"machine": KT("metrics__hardware")}
    if fact_sheet:
        extra["answers"] = Coalesce(
            F("parent__fact_sheet_answers"), F("fact_sheet_answers"), output_field=JSONField()
        )
    return queryset.annotate(**extra, **values).values_list(
        "pk",
        "parent_id",
        "task_id",
        "owner_id",
        "owner__username",
        "organization__name",
        "is_baseline",
        *extra,
        *values,
    )


def score_rows(
    *,
    phase_id: int,
    columns: list[Column],
    fact_sheet: bool,
    leaderboard_id: int | None = None,
    owner_id: int | None = None,
    baseline: bool | None = None,
    data_id: int | None = None,
    entries: Collection[int] | None = None,
) -> list[ScoreRow]:
    """`runs` as ranking's rows."""
    stored = [column.key for column in columns if not column.computation]
    found = runs(
        phase_id=phase_id,
        columns=columns,
        fact_sheet=fact_sheet,
        leaderboard_id=leaderboard_id,
        owner_id=owner_id,
        baseline=baseline,
        data_id=data_id,
        entries=entries,
    )
    first_value = 8 + (1 if fact_sheet else 0)
    rows = []
    for record in found:
        pk, parent, task, owner, name, organization, baseline_, machine = record[:8]
        values = {
            key: value
            for key, value in zip(stored, record[first_value:], strict=True)
            if value is not None
        }
        rows.append(
            ScoreRow(
                entry=parent or pk,
                owner=owner,
                name=name,
                values=values,
                task=task,
                organization=organization or "",
                is_baseline=baseline_,
                hardware=machine,
                fact_sheet=record[8] if fact_sheet and isinstance(record[8], dict) else None,
            )
        )
    return rows
