"""What workers report: heartbeats and the final report, idempotent, and lost jobs.

A report names the attempt it belongs to. A report for an older attempt, a second final
report, or a status that would move the submission backwards changes nothing, so a
message delivered twice or a worker that wakes up late can never undo newer state.
"""

from __future__ import annotations

import functools
import math
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from podium.leaderboards import services as leaderboards
from podium.leaderboards.keys import is_custom
from podium.submissions import dispatch
from podium.submissions.models import Submission, SubmissionScore
from podium.submissions.scores import custom_value, keep_custom, with_computed
from podium.submissions.services import transition
from podium_worker.protocol import METRIC_KEYS, REQUEUE_FROM, TERMINAL, Status, order

LOG_TAIL_CHARS = 20_000
# The forward path to each status a worker reports; running is skipped on the way to
# scoring because a results submission has no prediction step.
PATH = {
    Status.PREPARING: [Status.PREPARING],
    Status.RUNNING: [Status.PREPARING, Status.RUNNING],
    Status.SCORING: [Status.PREPARING, Status.SCORING],
    Status.FINISHED: [Status.PREPARING, Status.SCORING, Status.FINISHED],
}


class Receipt(StrEnum):
    """What became of a worker's report."""

    ACCEPTED = "accepted"
    # A status behind the current one (a job delivered again after its first worker went
    # quiet): it changes nothing, and the job may go on.
    BEHIND = "behind"
    # The submission has ended, or a newer attempt of it was queued: the job must stop.
    ENDED = "ended"
    # Another run of the same attempt holds the job and its lease is live (a broker that
    # delivered the message twice): this run must stop, so that a job never runs twice.
    SUPERSEDED = "superseded"


class ReportRefused(Exception):
    """The report does not come from this submission's worker."""


@dataclass
class Report:
    attempt: int
    status: Status
    detail: str = ""
    log_tail: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    run: str = ""  # the worker's id for this execution of the job


def authenticate(submission: Submission, secret: str) -> None:
    if not secrets.compare_digest(submission.secret.encode(), secret.encode()):
        raise ReportRefused("this job's secret does not match")


def _advance(submission: Submission, to: Status, detail: str) -> None:
    """Walks the state machine forward to `to`, one legal step at a time (a worker may
    report `scoring` without having reported `preparing`, or `finished` straight away)."""
    if to in (Status.FAILED, Status.CANCELLED):
        transition(submission, to, detail=detail)
        return
    for step in PATH[to]:
        if order(step) > order(Status(submission.status)):
            transition(submission, step, detail=detail if step == to else "")


def receive(submission: Submission, report: Report) -> Receipt:
    """Applies a worker's report; anything but ACCEPTED changed nothing.

    The first run of an attempt to report claims it; a report from another run of the same
    attempt is SUPERSEDED while the claim's lease is live, and takes the claim over once it
    has lapsed (the first worker went quiet)."""
    with transaction.atomic():
        current = Submission.objects.select_for_update().get(pk=submission.pk)
        if report.attempt != current.attempt or current.status in {s.value for s in TERMINAL}:
            return Receipt.ENDED
        now = timezone.now()
        claimed = current.worker_run and current.worker_run != report.run
        if report.run and claimed and current.lease_expires_at and current.lease_expires_at > now:
            return Receipt.SUPERSEDED
        if order(report.status) < order(Status(current.status)):
            return Receipt.BEHIND
        current.lease_expires_at = now + timedelta(seconds=settings.JOB_LEASE_SECONDS)
        if report.run:
            current.worker_run = report.run
        if report.log_tail:
            current.log_tail = report.log_tail[-LOG_TAIL_CHARS:]
        current.save(update_fields=["lease_expires_at", "worker_run", "log_tail", "updated_at"])
        if report.metrics:
            current.metrics = keep_custom(report.metrics, current.metrics)
            current.save(update_fields=["metrics"])
        problem = ""
        if report.status == Status.FINISHED:
            problem = _save_scores(current, report.scores, report.metrics)
        if problem:
            _advance(current, Status.FAILED, problem)
        else:
            _advance(current, report.status, report.detail)
        if current.parent_id is not None:
            _settle_parent(current.parent_id)
        if report.status == Status.FINISHED and not problem:
            # Placed by the leaderboard's submission rule once this commits.
            leaderboards.schedule_placement(current)
    return Receipt.ACCEPTED


def _save_scores(submission: Submission, scores: dict[str, float], metrics: dict[str, Any]) -> str:
    """Stores one score per column of the phase's leaderboard; an error message, or ''."""
    leaderboard = submission.phase.leaderboard
    if leaderboard is None:
        return ""
    columns = list(leaderboard.columns.all())
    values: dict[str, float] = {}
    for column in columns:
        if column.computation:
            continue
        if column.key in METRIC_KEYS:
            step, _, measure = column.key.removeprefix("podium:").partition(".")
            measured = metrics.get(step)
            value = measured.get(measure) if isinstance(measured, dict) else None
            if isinstance(value, int | float) and math.isfinite(value):
                values[column.key] = float(value)
            continue
        if is_custom(column.key):
            # The organizers' custom metric, posted before the job finished (or never).
            custom = custom_value(submission, column.key)
            if custom is not None:
                values[column.key] = custom
            continue
        value = scores.get(column.key)
        if value is None:
            return f"invalid scores: the scoring program wrote no score for '{column.key}'"
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            return f"invalid scores: '{column.key}' is not a finite number"
        values[column.key] = float(value)
    values = with_computed(columns, values)
    SubmissionScore.objects.filter(submission=submission).delete()
    SubmissionScore.objects.bulk_create(
        SubmissionScore(submission=submission, column=column, value=values[column.key])
        for column in columns
        if column.key in values
    )
    return ""


def _settle_parent(parent_id: int) -> None:
    """A parent finishes when all its children have; it fails when one failed."""
    parent = Submission.objects.select_for_update().get(pk=parent_id)
    children = list(parent.children.values_list("status", flat=True))
    if parent.status in {s.value for s in TERMINAL} or not all(
        status in {s.value for s in TERMINAL} for status in children
    ):
        return
    if all(status == Status.FINISHED.value for status in children):
        _advance(parent, Status.FINISHED, "")
    else:
        _advance(parent, Status.FAILED, "a task of this submission did not finish")


def expire_leases() -> tuple[int, int]:
    """Requeues jobs whose worker went silent, or fails them as "worker lost" after the last
    attempt. Returns (requeued, failed). Safe to run from two schedulers at once."""
    requeued = failed = 0
    now = timezone.now()
    lost = Submission.objects.filter(
        status__in=[status.value for status in REQUEUE_FROM], lease_expires_at__lt=now
    ).values_list("pk", flat=True)
    for pk in lost:
        with transaction.atomic():
            submission = Submission.objects.select_for_update().get(pk=pk)
            if submission.status not in {s.value for s in REQUEUE_FROM} or (
                submission.lease_expires_at is None or submission.lease_expires_at >= now
            ):
                continue  # another scheduler, or a late heartbeat, got there first
            if submission.attempt + 1 < settings.JOB_MAX_ATTEMPTS:
                transition(
                    submission, Status.SUBMITTED, detail="worker lost; queued again", requeue=True
                )
                Submission.objects.filter(pk=pk).update(lease_expires_at=None, worker_run="")
                task = submission.task
                if task is not None:
                    transaction.on_commit(functools.partial(dispatch.publish, submission, task))
                requeued += 1
            else:
                transition(submission, Status.FAILED, detail="worker lost")
                if submission.parent_id is not None:
                    _settle_parent(submission.parent_id)
                failed += 1
    return requeued, failed
