"""Scores beyond what a scoring program wrote: organizers' edits, custom metrics, and the
computed columns that follow every change.

Every change here is audited, and holds the submission's row while it writes: the lock a
worker's final report takes too, so that an edit and the report that stores the scores
never interleave.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.leaderboards import services as leaderboards
from podium.leaderboards.keys import CUSTOM_NAME, CUSTOM_PREFIX
from podium.leaderboards.models import Column, Leaderboard
from podium.leaderboards.visibility import visible_score_rows
from podium.submissions.models import Submission, SubmissionScore

# A leaderboard column with a key `podium:custom.<name>` (podium.leaderboards.keys) shows
# the custom metric <name> that organizers post for a submission (see set_custom_metrics).
MAX_CUSTOM_METRICS = 100
# What a score row may be computed from; avg_rank needs every row and is ranking's job.
COMPUTATIONS = frozenset({"avg", "sum", "min", "max"})


class ScoreRefused(Exception):
    """A change that is not made; `problems` says why, by field or key. Nothing changed."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems.items()))

    def as_fields(self) -> dict[str, list[str]]:
        """The problems in the shape of DRF's field errors."""
        return {key: [message] for key, message in self.problems.items()}


def finite_number(value: object) -> float | None:
    """The value as a float if it is a finite JSON number (not a boolean, not a string)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


# Computed columns


def compute(
    column: Column, by_index: dict[int, Column], values: Mapping[str, float]
) -> float | None:
    """avg/sum/min/max over other columns of the row, None when it has none of them."""
    if column.computation not in COMPUTATIONS:
        return None
    sources = [
        values.get(by_index[index].key)
        for index in column.computation_indexes or []
        if index in by_index
    ]
    numbers = [value for value in sources if value is not None]
    if not numbers:
        return None
    if column.computation == "avg":
        return sum(numbers) / len(numbers)
    if column.computation == "sum":
        return float(sum(numbers))
    return float(min(numbers) if column.computation == "min" else max(numbers))


def with_computed(columns: Sequence[Column], values: Mapping[str, float]) -> dict[str, float]:
    """`values` (by column key) with each computed column worked out, in column order."""
    result = dict(values)
    by_index = {column.index: column for column in columns}
    for column in columns:
        computed = compute(column, by_index, result)
        if computed is not None:
            result[column.key] = computed
    return result


def recompute(submission: Submission, leaderboard: Leaderboard) -> dict[str, float]:
    """Works the computed columns of `leaderboard` out again from the submission's other
    scores, storing or removing their rows; returns every score of it by column key."""
    columns = list(leaderboard.columns.order_by("index"))
    stored = {
        row.column_id: row
        for row in SubmissionScore.objects.filter(
            submission=submission, column__leaderboard=leaderboard
        )
    }
    base = {
        column.key: stored[column.pk].value
        for column in columns
        if column.computation not in COMPUTATIONS and column.pk in stored
    }
    values = with_computed(columns, base)
    for column in columns:
        if column.computation not in COMPUTATIONS:
            continue
        if column.key in values:
            SubmissionScore.objects.update_or_create(
                submission=submission, column=column, defaults={"value": values[column.key]}
            )
        elif column.pk in stored:
            stored[column.pk].delete()
    return values


def _write(submission: Submission, values: Mapping[Column, float]) -> None:
    for column, value in values.items():
        SubmissionScore.objects.update_or_create(
            submission=submission, column=column, defaults={"value": value}
        )
    _recompute_boards(submission, values)


def _recompute_boards(submission: Submission, columns: Iterable[Column]) -> None:
    boards = {column.leaderboard_id for column in columns}
    for leaderboard in Leaderboard.objects.filter(pk__in=boards).order_by("pk"):
        recompute(submission, leaderboard)
    # A rule that picks entries by score (Force_Best) picks again, once this commits.
    leaderboards.schedule_placement(submission)


def _locked(submission: Submission) -> Submission:
    return (
        Submission.objects.select_related("phase")
        .select_for_update(of=("self",))
        .get(pk=submission.pk)
    )


# Custom metrics


def custom_value(submission: Submission, key: str) -> float | None:
    """The custom metric a `podium:custom.<name>` column shows, if the submission has it."""
    custom = submission.metrics.get("custom") if isinstance(submission.metrics, dict) else None
    if not isinstance(custom, dict):
        return None
    return finite_number(custom.get(key.removeprefix(CUSTOM_PREFIX)))


def keep_custom(measured: dict[str, Any], stored: object) -> dict[str, Any]:
    """A worker's measurements, with the organizers' custom metrics kept as they were: the
    worker neither erases nor writes them."""
    merged = {key: value for key, value in measured.items() if key != "custom"}
    custom = stored.get("custom") if isinstance(stored, dict) else None
    if custom:
        merged["custom"] = custom
    return merged


def check_custom_metrics(values: object) -> dict[str, float]:
    if not isinstance(values, dict) or not values:
        raise ScoreRefused({"metrics": "expected an object of metric names to numbers"})
    problems: dict[str, str] = {}
    checked: dict[str, float] = {}
    for name, value in values.items():
        number = finite_number(value)
        if not CUSTOM_NAME.fullmatch(str(name)):
            problems[str(name)[:64]] = (
                "a name is 1 to 64 letters, digits, '_', '.' or '-', not starting with '.' or '-'"
            )
        elif number is None:
            problems[name] = "expected a finite number"
        else:
            checked[name] = number
    if problems:
        raise ScoreRefused(problems)
    return checked


def set_custom_metrics(
    submission: Submission, *, by: User, values: object
) -> tuple[dict[str, float], dict[str, float]]:
    """Adds (or replaces) custom metrics of the submission, kept in `metrics["custom"]`, and
    fills the `podium:custom.<name>` columns of its phase's leaderboard with them, now and
    again when it finishes. Returns all its custom metrics and its scores on that
    leaderboard. ScoreRefused names each bad name or value, and changes nothing."""
    checked = check_custom_metrics(values)
    with transaction.atomic():
        current = _locked(submission)
        metrics = dict(current.metrics) if isinstance(current.metrics, dict) else {}
        stored = metrics.get("custom")
        custom = {**(stored if isinstance(stored, dict) else {}), **checked}
        if len(custom) > MAX_CUSTOM_METRICS:
            raise ScoreRefused({"metrics": f"at most {MAX_CUSTOM_METRICS} per submission"})
        metrics["custom"] = custom
        current.metrics = metrics
        current.save(update_fields=["metrics", "updated_at"])
        leaderboard = current.phase.leaderboard
        scores: dict[str, float] = {}
        if leaderboard is not None:
            columns = leaderboard.columns.filter(key__startswith=CUSTOM_PREFIX)
            _write(
                current,
                {
                    column: custom[column.key.removeprefix(CUSTOM_PREFIX)]
                    for column in columns
                    if column.computation not in COMPUTATIONS
                    and column.key.removeprefix(CUSTOM_PREFIX) in custom
                },
            )
            scores = scores_by_key(current, leaderboard)
        audit.record(
            actor=by,
            action=Action.SUBMISSION_METRICS,
            target=current,
            competition=current.phase.competition_id,
            details={"metrics": checked},
        )
    submission.metrics = metrics
    return custom, scores


def scores_by_key(submission: Submission, leaderboard: Leaderboard) -> dict[str, float]:
    rows = SubmissionScore.objects.filter(submission=submission, column__leaderboard=leaderboard)
    return dict(rows.order_by("column__index").values_list("column__key", "value"))


# Organizers' score edits


def scores_visible_to(user: Any) -> QuerySet[SubmissionScore]:
    """The score rows the scores API shows `user`: the leaderboards' one visibility policy
    (every score of the competitions they organize; otherwise only of submissions they may
    see, on leaderboards neither hidden nor before their release date, no hidden column)."""
    return visible_score_rows(user)


def _check_column(submission: Submission, column: Column) -> None:
    if column.leaderboard.competition_id != submission.phase.competition_id:
        # Worded like a missing id: other competitions' columns stay unknown.
        raise ScoreRefused({"column": "no column with this id in this submission's competition"})
    if column.computation in COMPUTATIONS:
        raise ScoreRefused(
            {"column": f"'{column.key}' is computed from other columns; change those instead"}
        )


def _check_value(value: object) -> float:
    number = finite_number(value)
    if number is None:
        raise ScoreRefused({"value": "expected a finite number"})
    return number


def create_score(
    *, submission: Submission, column: Column, value: object, by: User
) -> SubmissionScore:
    """A score the submission did not have, on a column of its competition's leaderboards
    that is not computed; its leaderboard's computed columns follow."""
    number = _check_value(value)
    with transaction.atomic():
        current = _locked(submission)
        _check_column(current, column)
        if SubmissionScore.objects.filter(submission=current, column=column).exists():
            raise ScoreRefused(
                {"column": "this submission already has a score for this column; change it"}
            )
        _write(current, {column: number})
        audit.record(
            actor=by,
            action=Action.SCORE_CREATE,
            target=current,
            competition=current.phase.competition_id,
            details={"column": column.key, "leaderboard": column.leaderboard_id, "value": number},
        )
    return SubmissionScore.objects.select_related("column").get(submission=current, column=column)


def update_score(score: SubmissionScore, *, value: object, by: User) -> SubmissionScore:
    number = _check_value(value)
    with transaction.atomic():
        current = _locked(score.submission)
        row = SubmissionScore.objects.select_related("column__leaderboard").get(pk=score.pk)
        _check_column(current, row.column)
        before = row.value
        _write(current, {row.column: number})
        audit.record(
            actor=by,
            action=Action.SCORE_UPDATE,
            target=current,
            competition=current.phase.competition_id,
            details={"column": row.column.key, "before": before, "after": number},
        )
    return SubmissionScore.objects.select_related("column").get(pk=score.pk)


def delete_score(score: SubmissionScore, *, by: User) -> None:
    with transaction.atomic():
        current = _locked(score.submission)
        row = SubmissionScore.objects.select_related("column__leaderboard").get(pk=score.pk)
        _check_column(current, row.column)
        row.delete()
        _recompute_boards(current, [row.column])
        audit.record(
            actor=by,
            action=Action.SCORE_DELETE,
            target=current,
            competition=current.phase.competition_id,
            details={"column": row.column.key, "value": row.value},
        )


def upload_scores(submission: Submission, *, values: object, by: User) -> dict[str, float]:
    """Sets the submission's scores on its phase's leaderboard from a {column key: number}
    mapping (other columns keep theirs); returns all its scores there by key. ScoreRefused
    names each unknown key, computed column and bad value, and changes nothing."""
    if not isinstance(values, dict) or not values:
        raise ScoreRefused({"scores": "expected an object of column keys to numbers"})
    with transaction.atomic():
        current = _locked(submission)
        leaderboard = current.phase.leaderboard
        if leaderboard is None:
            raise ScoreRefused({"scores": "this submission's phase has no leaderboard"})
        columns = {column.key: column for column in leaderboard.columns.all()}
        problems: dict[str, str] = {}
        checked: dict[Column, float] = {}
        for key, value in values.items():
            column, number = columns.get(key), finite_number(value)
            if column is None:
                problems[str(key)[:100]] = f"no such column on leaderboard '{leaderboard.key}'"
            elif column.computation in COMPUTATIONS:
                problems[key] = "computed from other columns; change those instead"
            elif number is None:
                problems[key] = "expected a finite number"
            else:
                checked[column] = number
        if problems:
            raise ScoreRefused(problems)
        _write(current, checked)
        audit.record(
            actor=by,
            action=Action.SCORE_UPLOAD,
            target=current,
            competition=current.phase.competition_id,
            details={
                "leaderboard": leaderboard.pk,
                "scores": {c.key: v for c, v in checked.items()},
            },
        )
        return scores_by_key(current, leaderboard)
