"""Leaderboards with their phases, and submissions finished through the worker's report.

`finish` goes the real way: the final report (podium.submissions.reports.receive) stores
the scores and measurements, and the leaderboard's rule places the submission once the
report's transaction commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from django.test import TestCase

from podium.accounts.models import User
from podium.competitions.models import Competition, Phase
from podium.datasets.models import Data
from podium.leaderboards.keys import CUSTOM_PREFIX
from podium.leaderboards.models import Column, Leaderboard
from podium.organizations.models import Organization
from podium.participation.models import Participant
from podium.submissions.models import Submission
from podium.submissions.reports import Report, receive
from podium.submissions.scores import set_custom_metrics
from podium.submissions.services import start_submission
from podium_worker.protocol import Status
from tests.factories import make_data, make_participant, make_phase, make_task, make_user

MACHINE = {"cpu": "Xeon 6130", "cores": 16, "memory": 64 * 2**30, "gpus": []}
OTHER_MACHINE = {"cpu": "EPYC 7763", "cores": 8, "memory": 32 * 2**30, "gpus": []}


def make_board(
    competition: Competition,
    columns: Iterable[dict[str, Any]] = ({"key": "score"},),
    *,
    key: str = "main",
    phases: Iterable[Phase] = (),
    **fields: Any,
) -> Leaderboard:
    board = Leaderboard.objects.create(competition=competition, key=key, title=key, **fields)
    for position, column in enumerate(columns):
        Column.objects.create(
            leaderboard=board,
            index=column.get("index", position),
            title=column.get("title", column["key"]),
            **{name: value for name, value in column.items() if name not in ("index", "title")},
        )
    for phase in phases:
        phase.leaderboard = board
        phase.save(update_fields=["leaderboard"])
    return board


def player(name: str, competition: Competition) -> User:
    user = make_user(name)
    make_participant(user=user, competition=competition, status=Participant.Status.APPROVED)
    return user


def submit(
    owner: User,
    phase: Phase,
    *,
    organization: Organization | None = None,
    baseline: bool = False,
    fact_sheet: dict[str, Any] | None = None,
    data: Data | None = None,
) -> Submission:
    return start_submission(
        owner=owner,
        participant=Participant.objects.filter(user=owner, competition=phase.competition).first(),
        phase=phase,
        tasks=[link.task for link in phase.phase_tasks.order_by("index")],
        data=data or make_data(owner=owner, kind=Data.Kind.SUBMISSION),
        organization=organization,
        fact_sheet_answers=fact_sheet,
        is_baseline=baseline,
        publish=False,
    )


@pytest.fixture
def finish(django_capture_on_commit_callbacks):
    """`finish(submission, scores, metrics=None, tasks=None)`: its worker's final report,
    then what runs once it commits (the rule's placement). For a multi-task submission,
    `tasks` maps each task's id to (scores, metrics)."""

    def run(
        submission: Submission,
        scores: dict[str, float] | None = None,
        metrics: dict[str, Any] | None = None,
        tasks: dict[int, tuple[dict[str, float], dict[str, Any]]] | None = None,
    ) -> Submission:
        jobs = (
            [(child, *tasks[child.task_id]) for child in submission.children.order_by("pk")]
            if tasks
            else [(submission, scores or {}, metrics or {})]
        )
        for job, job_scores, job_metrics in jobs:
            with django_capture_on_commit_callbacks(execute=True):
                receipt = receive(
                    job,
                    Report(
                        attempt=job.attempt,
                        status=Status.FINISHED,
                        scores=job_scores,
                        metrics=job_metrics,
                    ),
                )
            assert receipt == "accepted"
        submission.refresh_from_db()
        assert submission.status == Status.FINISHED.value, submission.status_detail
        return submission

    return run


def timed(seconds: float, machine: dict[str, Any] | None = None) -> dict[str, Any]:
    """A run's measurements as the worker reports them."""
    return {
        "hardware": machine or MACHINE,
        "prediction": {"wall_time": seconds, "cpu_time": seconds, "peak_memory": 2**20},
        "scoring": {"wall_time": 0.5, "cpu_time": 0.4, "peak_memory": 2**20},
    }


def post_custom(submission: Submission, key: str, value: float) -> None:
    """The organizers' custom metrics endpoint: the metric stored, the custom column's score
    written, and the submission placed again once that commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        set_custom_metrics(
            submission,
            by=submission.phase.competition.created_by,
            values={key.removeprefix(CUSTOM_PREFIX): value},
        )


@pytest.fixture
def task(organizer):
    return make_task(owner=organizer, name="Main task")


@pytest.fixture
def phase(competition, task):
    return make_phase(competition=competition, name="Development", tasks=[task])


def on_board(phase: Phase) -> list[int]:
    """The phase's entries: top-level submissions on its leaderboard."""
    return sorted(
        Submission.objects.filter(
            phase=phase, parent__isnull=True, leaderboard=phase.leaderboard
        ).values_list("pk", flat=True)
    )
