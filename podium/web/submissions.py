"""A participant's own submissions to one competition, as the "My submissions" tab lists
them: newest first, a page at a time, each with the scores the leaderboards' visibility
policy lets its owner see (`visibility.visible_score_rows`: one query for the page)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q

from podium.competitions.models import Competition
from podium.leaderboards.models import Column
from podium.leaderboards.visibility import visible_score_rows
from podium.submissions.models import Submission, SubmissionScore
from podium.web.formatting import exact, shown, unit
from podium_worker.protocol import TERMINAL

PAGE_SIZE = 25
ENDED = frozenset(status.value for status in TERMINAL)


@dataclass(frozen=True)
class Score:
    label: str
    text: str
    exact: str


@dataclass
class Mine:
    submission: Submission
    scores: list[Score] = field(default_factory=list)

    @property
    def live(self) -> bool:
        """Still on its way: the page polls it until it has ended."""
        return self.submission.status not in ENDED


def own(competition: Competition, user: Any) -> Any:
    """`user`'s submissions to `competition` (the parents of multi-task ones), newest first."""
    return (
        Submission.objects.filter(owner=user, phase__competition=competition, parent__isnull=True)
        .select_related("phase")
        .order_by("-created_at", "-pk")
    )


def page(competition: Competition, user: Any, number: str | int | None) -> Page[Mine]:
    """One page of `user`'s submissions with their scores: three queries."""
    paginator = Paginator(own(competition, user), PAGE_SIZE)
    found = paginator.get_page(number)
    found.object_list = with_scores(user, list(found.object_list))
    return found


def one(competition: Competition, user: Any, pk: int) -> Mine | None:
    submission = own(competition, user).filter(pk=pk).first()
    return None if submission is None else with_scores(user, [submission])[0]


def with_scores(user: Any, submissions: list[Submission]) -> list[Mine]:
    """Each submission with the scores `user` may see, in leaderboard and column order; for
    a multi-task submission, each task's, named after the task."""
    ids = [submission.pk for submission in submissions]
    rows = (
        visible_score_rows(
            user,
            SubmissionScore.objects.filter(
                Q(submission_id__in=ids) | Q(submission__parent_id__in=ids)
            ),
        )
        .order_by("column__leaderboard__index", "submission_id", "column__index")
        .values_list(
            "submission_id",
            "submission__parent_id",
            "submission__task__name",
            "column__key",
            "column__title",
            "column__precision",
            "value",
        )
    )
    scores: dict[int, list[Score]] = defaultdict(list)
    for submission, parent, task, key, title, precision, value in rows:
        label = title or key
        if unit(key):
            label = f"{label} ({unit(key)})"
        if parent is not None:
            label = f"{task}: {label}"
        scores[parent or submission].append(
            Score(label=label, text=shown(key, value, precision), exact=exact(key, value))
        )
    return [Mine(submission, scores.get(submission.pk, [])) for submission in submissions]


DOWNLOADS = {
    "submission": "The uploaded submission",
    "predictions": "Predictions (zip)",
    "scoring_output": "Scoring output (zip)",
    "detailed_results": "Detailed results (HTML)",
    "logs": "Logs (zip)",
}


def labelled(
    details: dict[str, Any], columns: dict[str, Column], tasks: dict[int, str]
) -> list[Score]:
    """The scores of `lifecycle.details` (already filtered by the visibility policy) as a page
    shows them: by column title, a multi-task submission's per task."""

    def score(key: str, value: float, task: str = "") -> Score:
        column = columns.get(key)
        label = (column.title if column is not None else "") or key
        if unit(key):
            label = f"{label} ({unit(key)})"
        if task:
            label = f"{task}: {label}"
        precision = column.precision if column is not None else 2
        return Score(label=label, text=shown(key, value, precision), exact=exact(key, value))

    found = [score(key, value) for key, value in details["scores"].items()]
    for child in details["children"]:
        name = tasks.get(child["task"], f"Task {child['task']}")
        found.extend(score(key, value, name) for key, value in child["scores"].items())
    return found


def downloads(details: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, signed address) of each file of the submission the viewer may download."""
    return [(DOWNLOADS.get(name, name), url) for name, url in details["files"].items() if url]
