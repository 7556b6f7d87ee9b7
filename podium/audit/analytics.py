"""The platform's figures for its hosts, shaped for charts: a few aggregate queries each.

Counts over time come as one list of periods and, per series, one count per period (zero
where nothing happened), so that a chart plots them as they come. A period is a UTC day, a
week starting on Monday, or a calendar month; the window is widened to whole periods.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.functions import Coalesce, TruncDay, TruncMonth, TruncWeek

from podium.accounts.models import User
from podium.competitions.models import Competition, Phase, PhaseTask, Solution
from podium.datasets.models import Data
from podium.submissions.models import Submission
from podium_worker.protocol import TERMINAL, Status, order

INTERVALS = ("day", "week", "month")
TRUNCATE = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
MAX_PERIODS = 1000

# The statuses in which a worker holds a job: it took it and has not reported an end.
HELD = [
    status.value
    for status in Status
    if status not in TERMINAL and order(status) >= order(Status.PREPARING)
]
WAITING = Status.SUBMITTED.value
TASK_FILES = ("scoring_program", "ingestion_program", "input_data", "reference_data")
SUBMISSION_FILES = (
    "data",
    "prediction_result",
    "scoring_result",
    "detailed_result",
    "logs",
)


class WindowInvalid(ValueError):
    """A window the analytics refuse; the message names the parameter."""


@dataclass(frozen=True)
class Window:
    """Whole periods: `start` is the first day of the first, `end` the day after the last.
    `around` makes one from the days a caller asks for."""

    start: date
    end: date
    interval: str

    @classmethod
    def around(cls, *, start: date, end: date, interval: str) -> Window:
        if interval not in INTERVALS:
            raise WindowInvalid(f"interval: expected one of {', '.join(INTERVALS)}")
        if end < start:
            raise WindowInvalid("end: must not be before start")
        try:
            first = period_of(start, interval)
            window = cls(
                start=first, end=_next(period_of(end, interval), interval), interval=interval
            )
        except (OverflowError, ValueError):
            raise WindowInvalid("end: outside the calendar's range") from None
        count = window.count()
        if count > MAX_PERIODS:
            raise WindowInvalid(
                f"interval: {count} {interval}s between start and end, at most {MAX_PERIODS}; "
                "choose a shorter window or a longer interval"
            )
        return window

    def count(self) -> int:
        if self.interval == "month":
            return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
        days = (self.end - self.start).days
        return days // 7 if self.interval == "week" else days

    def periods(self) -> list[date]:
        found: list[date] = []
        current = self.start
        while current < self.end:
            found.append(current)
            current = _next(current, self.interval)
        return found

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def period_of(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next(period: date, interval: str) -> date:
    if interval == "week":
        return period + timedelta(weeks=1)
    if interval == "month":
        return date(period.year + period.month // 12, period.month % 12 + 1, 1)
    return period + timedelta(days=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _series(rows: QuerySet[Any], moment: str, window: Window) -> list[int]:
    """One count per period of the rows whose `moment` falls in the window."""
    truncate = TRUNCATE[window.interval]
    counted = (
        rows.filter(
            **{f"{moment}__gte": _midnight(window.start), f"{moment}__lt": _midnight(window.end)}
        )
        .annotate(period=truncate(moment, tzinfo=UTC))
        .order_by()
        .values("period")
        .annotate(count=Count("pk"))
    )
    by_period = {row["period"].date(): row["count"] for row in counted}
    return [by_period.get(period, 0) for period in window.periods()]


def counts_over_time(window: Window) -> dict[str, Any]:
    """Users who joined, competitions created and submissions made, per period. A
    submission to a phase of several tasks counts once."""
    return {
        "periods": window.periods(),
        "users_joined": _series(User.objects.all(), "date_joined", window),
        "competitions_created": _series(Competition.objects.all(), "created_at", window),
        "submissions_made": _series(
            Submission.objects.filter(parent__isnull=True), "created_at", window
        ),
    }


def workers_busy() -> dict[str, Any]:
    """Jobs a worker holds now (preparing, running or scoring) and jobs waiting for one,
    per queue; the platform's default queue has no id. A job is one (submission, task):
    a submission to a phase of several tasks is one job per task."""
    rows = (
        Submission.objects.filter(task__isnull=False, status__in=[*HELD, WAITING])
        .values("phase__competition__queue", "phase__competition__queue__name")
        .annotate(
            running=Count("pk", filter=Q(status__in=HELD)),
            waiting=Count("pk", filter=Q(status=WAITING)),
        )
        .order_by("-running", "-waiting", "phase__competition__queue")
    )
    queues = [
        {
            "queue": row["phase__competition__queue"],
            "name": row["phase__competition__queue__name"] or settings.DEFAULT_QUEUE,
            "running": row["running"],
            "waiting": row["waiting"],
        }
        for row in rows
    ]
    return {
        "running": sum(row["running"] for row in queues),
        "waiting": sum(row["waiting"] for row in queues),
        "queues": queues,
    }


def _competition_files() -> Q:
    """The data files of the competition of the enclosing query: its logo and bundle, its
    phases' starting kits and public data, the programs and data of its phases' tasks and
    their solutions, and its submissions' files, outputs and logs. A file that several of
    these name is one row of the subquery, so it is counted once."""
    competition = OuterRef(OuterRef("pk"))
    phases = Phase.objects.filter(competition=competition)
    tasks = PhaseTask.objects.filter(phase__competition=competition)
    solutions = Solution.objects.filter(tasks__phases__competition=competition)
    submissions = Submission.objects.filter(phase__competition=competition)
    files = Q(pk=OuterRef("logo")) | Q(pk=OuterRef("bundle"))
    for field in ("starting_kit", "public_data"):
        files |= Q(pk__in=phases.values(field))
    for field in TASK_FILES:
        files |= Q(pk__in=tasks.values(f"task__{field}"))
    files |= Q(pk__in=solutions.values("data"))
    for field in SUBMISSION_FILES:
        files |= Q(pk__in=submissions.values(field))
    return files


def storage(top: int) -> dict[str, Any]:
    """Bytes stored, as the quotas count them (every completed file, per owner), in all,
    for the `top` users and the `top` competitions that hold the most. A file counts for
    every competition that uses it."""
    stored = Data.objects.filter(upload_completed=True)
    total = stored.aggregate(bytes=Coalesce(Sum("size"), 0), files=Count("pk"))
    heaviest = list(
        stored.order_by()
        .values("owner")
        .annotate(bytes=Sum("size"), files=Count("pk"))
        .order_by("-bytes", "owner")[:top]
    )
    # SUM as a plain function, not an aggregate, so that the ORM adds no GROUP BY: one
    # scalar per competition.
    used = (
        stored.filter(_competition_files())
        .order_by()
        .values(bytes=Func(F("size"), function="SUM", output_field=BigIntegerField()))
    )
    by_competition = (
        Competition.objects.annotate(bytes=Coalesce(Subquery(used), 0))
        .filter(bytes__gt=0)
        .order_by("-bytes", "pk")
        .values("pk", "title", "bytes")[:top]
    )
    users = User.objects.in_bulk([row["owner"] for row in heaviest])
    return {
        "bytes": total["bytes"],
        "files": total["files"],
        "by_user": [
            {
                "user": row["owner"],
                "username": users[row["owner"]].username,
                "bytes": row["bytes"],
                "files": row["files"],
                "quota_bytes": users[row["owner"]].storage_quota(),
            }
            for row in heaviest
        ],
        "by_competition": [
            {"competition": row["pk"], "title": row["title"], "bytes": row["bytes"]}
            for row in by_competition
        ],
    }
