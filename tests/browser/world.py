"""A small world for the page tests: a published benchmark with organizer pages (one with a
script in it), three phases around now, a leaderboard with efficiency columns, a hidden
column and a frontier, and submissions finished the real way (the worker's final report,
then the leaderboard's rule once it commits).

The leaderboard, best first:

    rank  participant  accuracy  run time (s)  peak memory      secret
    1     alice        0.950     2.0           300 MiB          1
    2=    bob          0.900     0.5           100 MiB          1
    2=    carol        0.900     0.5           100 MiB          1
    -     olivia       0.850     1.0           200 MiB          1   (baseline)
    4     dave         0.800     3.0           400 MiB          1

Its efficiency frontier (accuracy against run time): alice, bob and carol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.test import TestCase
from django.utils import timezone

from podium.accounts.models import User
from podium.competitions.models import Competition, Page, Phase
from podium.datasets.models import Data
from podium.leaderboards.models import Column, Leaderboard
from podium.participation.models import Participant
from podium.submissions.models import Submission
from podium.submissions.reports import Report, receive
from podium.submissions.services import start_submission
from podium_worker.protocol import Status
from tests.factories import (
    make_competition,
    make_data,
    make_participant,
    make_phase,
    make_task,
    make_user,
)

MACHINE = {"cpu": "Xeon 6130", "cores": 16, "memory": 64 * 2**30, "gpus": []}
MIB = 2**20

SCRIPTED_PAGE = (
    "## How results are scored\n\nAccuracy on the hidden test set, then run time.\n\n"
    "<script>alert('page script ran'); console.error('page script ran')</script>"
    '<img src="data:image/png;base64,broken" onerror="alert(\'handler ran\')" alt="broken">'
    "<p>Good luck!</p>"
)
DETAILED_RESULTS = (
    b"<!doctype html><html><body><h1>Per-class accuracy</h1>"
    b"<table><tr><th>setosa</th><td>1.00</td></tr><tr><th>virginica</th><td>0.91</td></tr>"
    b"</table><script>alert('detailed results script ran');"
    b"parent.document.title = 'pwned'</script></body></html>"
)

ROWS = [
    # name, accuracy, run time, peak memory, days ago
    ("alice", 0.95, 2.0, 300, 2),
    ("bob", 0.90, 0.5, 100, 6),
    ("carol", 0.90, 0.5, 100, 4),
    ("dave", 0.80, 3.0, 400, 8),
]


@dataclass
class World:
    organizer: User
    competition: Competition
    phases: dict[str, Phase]
    leaderboard: Leaderboard
    users: dict[str, User] = field(default_factory=dict)
    submissions: dict[str, Submission] = field(default_factory=dict)


def measured(seconds: float, memory_mib: float) -> dict[str, Any]:
    """A run's measurements as the worker reports them."""
    return {
        "hardware": MACHINE,
        "prediction": {"wall_time": seconds, "cpu_time": seconds, "peak_memory": memory_mib * MIB},
        "scoring": {"wall_time": 0.2, "cpu_time": 0.2, "peak_memory": 50 * MIB},
    }


def report(submission: Submission, status: Status, **fields: Any) -> Submission:
    """The worker's report, then what runs once it commits (the leaderboard's placement);
    in a test wrapped in a transaction too."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        receipt = receive(submission, Report(attempt=submission.attempt, status=status, **fields))
    assert receipt == "accepted"
    submission.refresh_from_db()
    return submission


def submit(owner: User, phase: Phase, *, baseline: bool = False, made: datetime | None = None):
    submission = start_submission(
        owner=owner,
        participant=Participant.objects.filter(user=owner, competition=phase.competition).first(),
        phase=phase,
        tasks=[link.task for link in phase.phase_tasks.order_by("index")],
        data=make_data(owner=owner, kind=Data.Kind.SUBMISSION),
        is_baseline=baseline,
        publish=False,
    )
    if made is not None:
        Submission.objects.filter(pk=submission.pk).update(created_at=made)
        submission.refresh_from_db()
    return submission


def finish(submission: Submission, accuracy: float, seconds: float, memory: float) -> Submission:
    finished = report(
        submission,
        Status.FINISHED,
        scores={"accuracy": accuracy, "secret": 1.0},
        metrics=measured(seconds, memory),
    )
    assert finished.status == Status.FINISHED.value, finished.status_detail
    return finished


def build(now: datetime | None = None) -> World:
    now = now or timezone.now()
    organizer = make_user("olivia")
    competition = make_competition(
        owner=organizer,
        title="Efficient Iris",
        description="Classify iris flowers: as accurately, and as fast, as you can.",
        published=True,
        competition_type=Competition.Type.BENCHMARK,
        enable_detailed_results=True,
        reward="Eternal glory",
        contact_email="olivia@example.org",
        terms="Be **fair**: one account per person.",
    )
    Page.objects.create(
        competition=competition,
        index=0,
        title="Overview",
        content="# Welcome\n\nPredict the species of iris flowers from four measurements.",
    )
    Page.objects.create(competition=competition, index=1, title="Evaluation", content=SCRIPTED_PAGE)
    task = make_task(owner=organizer, name="Iris")
    phases = {
        "warmup": make_phase(
            competition=competition,
            name="Warm-up",
            index=0,
            tasks=[task],
            start=now - timedelta(days=30),
            end=now - timedelta(days=10),
        ),
        "development": make_phase(
            competition=competition,
            name="Development",
            index=1,
            tasks=[task],
            start=now - timedelta(days=10),
            end=now + timedelta(days=20),
        ),
        "final": make_phase(
            competition=competition,
            name="Final",
            index=2,
            tasks=[task],
            start=now + timedelta(days=20),
            end=now + timedelta(days=40),
        ),
    }
    leaderboard = Leaderboard.objects.create(
        competition=competition,
        key="main",
        title="Main leaderboard",
        submission_rule=Leaderboard.Rule.FORCE_BEST,
        frontier_score="accuracy",
        frontier_cost="podium:prediction.wall_time",
    )
    for index, (key, title, sorting, precision, hidden) in enumerate(
        [
            ("accuracy", "Accuracy", "desc", 3, False),
            ("podium:prediction.wall_time", "Run time", "asc", 1, False),
            ("podium:prediction.peak_memory", "Peak memory", "asc", 0, False),
            ("secret", "Secret metric", "desc", 2, True),
        ]
    ):
        Column.objects.create(
            leaderboard=leaderboard,
            index=index,
            key=key,
            title=title,
            sorting=sorting,
            precision=precision,
            hidden=hidden,
        )
    Phase.objects.filter(pk=phases["development"].pk).update(leaderboard=leaderboard)
    phases["development"].refresh_from_db()
    world = World(organizer, competition, phases, leaderboard)
    development = phases["development"]
    for name, accuracy, seconds, memory, days in ROWS:
        user = make_user(name)
        make_participant(user=user, competition=competition, status=Participant.Status.APPROVED)
        world.users[name] = user
        made = now - timedelta(days=days)
        world.submissions[name] = finish(
            submit(user, development, made=made), accuracy, seconds, memory
        )
    world.submissions["baseline"] = finish(
        submit(organizer, development, baseline=True, made=now - timedelta(days=9)),
        0.85,
        1.0,
        200,
    )
    detailed = make_data(
        owner=world.users["alice"],
        kind=Data.Kind.OUTPUT,
        content=DETAILED_RESULTS,
        name="detailed_results.html",
    )
    Submission.objects.filter(pk=world.submissions["alice"].pk).update(detailed_result=detailed)
    return world
