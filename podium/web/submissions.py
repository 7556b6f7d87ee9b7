"""A participant's own submissions to one competition, as the "My submissions" tab lists
them: newest first, a page at a time, each with the scores the leaderboards' visibility
policy lets its owner see (`visibility.visible_score_rows`: one query for the page), the
actions the page offers on it, and the limits left in each phase.

The actions offered are a page's hints only: each button calls the service the API calls
(podium.submissions.lifecycle, podium.leaderboards.services), which has the last word and
says why when it refuses."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q

from podium.competitions.models import Competition, Phase
from podium.datasets.signing import signed_url
from podium.leaderboards import ranking
from podium.leaderboards.models import Column
from podium.leaderboards.visibility import visible_score_rows
from podium.submissions.models import Submission, SubmissionScore
from podium.web.formatting import exact, shown, unit
from podium_worker.protocol import TERMINAL, Status

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
    log_tail: str = ""  # the end of its logs while it runs, where its owner may read them

    @property
    def live(self) -> bool:
        """Still on its way: the page polls it until it has ended."""
        return self.submission.status not in ENDED

    @property
    def file_url(self) -> str:
        """Where its owner downloads the file they submitted (always theirs to read)."""
        return signed_url(self.submission.data)

    @property
    def rule(self) -> str:
        """The submission rule of its phase's leaderboard; "" without leaderboard."""
        board = self.submission.phase.leaderboard
        return board.submission_rule if board is not None else ""

    @property
    def on_leaderboard(self) -> bool:
        return self.submission.leaderboard_id is not None

    @property
    def placed_automatically(self) -> bool:
        return self.rule in ranking.AUTOMATIC_RULES

    @property
    def rule_name(self) -> str:
        return self.rule.replace("_", " ")

    @property
    def may_add(self) -> bool:
        """Offer "add to the leaderboard": a finished submission off it, under a rule that
        lets participants choose their entries."""
        return (
            self.rule in ranking.MANUAL_RULES
            and self.submission.status == Status.FINISHED.value
            and not self.on_leaderboard
        )

    @property
    def may_remove(self) -> bool:
        """Offer its owner "remove from the leaderboard": an entry, under a rule that lets
        them take it off (the organizers may under any manual rule: `may_moderate`)."""
        return self.on_leaderboard and self.rule in ranking.REMOVABLE_RULES

    @property
    def may_moderate(self) -> bool:
        return self.on_leaderboard and self.rule in ranking.MANUAL_RULES


def own(competition: Competition, user: Any) -> Any:
    """`user`'s submissions to `competition` (the parents of multi-task ones), newest first."""
    return (
        Submission.objects.filter(owner=user, phase__competition=competition, parent__isnull=True)
        .select_related("phase__leaderboard", "data", "organization")
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


def tail(text: str | None, lines: int = 12) -> str:
    """The last `lines` lines of a log tail, for a row of the list."""
    if not text:
        return ""
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])


@dataclass(frozen=True)
class Limit:
    """What is left of a phase's limits for one participant; None: no such limit."""

    phase: Phase
    made: int
    made_today: int
    left: int | None
    left_today: int | None

    @property
    def exhausted(self) -> bool:
        return self.left == 0 or self.left_today == 0


def limits(phases: list[Phase], user: Any, now: datetime) -> list[Limit]:
    """The submissions `user` has made to each phase, in all and this UTC day, against the
    phase's limits, as create_submission counts them (every submission made, failed ones
    too; the day from midnight UTC). One query."""
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    counts = {
        row["phase"]: row
        for row in Submission.objects.filter(owner=user, phase__in=phases, parent__isnull=True)
        .values("phase")
        .annotate(total=Count("pk"), today=Count("pk", filter=Q(created_at__gte=midnight)))
        .order_by()
    }
    found = []
    for phase in phases:
        row = counts.get(phase.pk, {"total": 0, "today": 0})
        found.append(
            Limit(
                phase=phase,
                made=row["total"],
                made_today=row["today"],
                left=None
                if phase.max_submissions is None
                else max(phase.max_submissions - row["total"], 0),
                left_today=None
                if phase.max_submissions_per_day is None
                else max(phase.max_submissions_per_day - row["today"], 0),
            )
        )
    return found
