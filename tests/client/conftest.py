"""Fixtures of the client tests: a real Podium server over HTTP, and `podium` run against it.

`server` is pytest-django's live server (a real HTTP server in a thread of this process, on a
database each test gets fresh). The client and the CLI talk to it over real sockets; the
tests set up and read rows with the ORM, as the other server tests do.

Jobs that submissions queue are recorded rather than sent to a broker (`jobs`). A test that
needs a submission to end plays the worker's side with the worker's own HTTP reporter
(`finish`), or runs the real worker (test_journey.py).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from podium.accounts import services as accounts
from podium.accounts.models import User
from podium.bundles.services import import_bundle
from podium.competitions.models import Competition
from podium.participation.models import Participant
from podium.submissions import dispatch
from podium_client import cli
from podium_worker.protocol import Job, Output, Status
from podium_worker.transfer import HttpReporter
from tests.bundles.builders import minimal_document, write_bundle
from tests.factories import make_participant, make_user


@pytest.fixture
def server(live_server, transactional_db, settings) -> str:
    """The live server's address, which signed download URLs and job messages name too."""
    settings.SITE_URL = live_server.url
    # Throttles and sign-in limits count in the cache, which outlives a test otherwise.
    cache.clear()
    return str(live_server.url)


def queued_jobs(monkeypatch: pytest.MonkeyPatch) -> list[Job]:
    """Where the job messages submissions queue go from now on, in order, as the broker would
    have carried them (for the `jobs` fixtures here and in tests/browser)."""
    sent: list[Job] = []
    monkeypatch.setattr(
        dispatch,
        "publish",
        lambda submission, task: sent.append(dispatch.build_job(submission, task)),
    )
    return sent


@pytest.fixture(autouse=True)
def jobs(monkeypatch) -> list[Job]:
    """The job messages submissions queue, in order, as the broker would have carried them."""
    return queued_jobs(monkeypatch)


def verified(user: User) -> User:
    """A user whose email address is verified, as `podium login` requires."""
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    return user


def token_for(user: User) -> str:
    _, key = accounts.create_token(user=user, name="tests")
    return key


@dataclass(frozen=True)
class Contest:
    """A published competition made from a bundle: one open phase, one leaderboard whose
    column `score` ranks rows."""

    id: int
    phase: int
    title: str


def contest_document(**changes: Any) -> dict[str, Any]:
    document = {**minimal_document(), "title": "Client Cup", **changes}
    # Each participant's last finished submission is on the leaderboard, without a step of
    # their own to add it.
    document["leaderboards"][0]["submission_rule"] = "Force_Last"
    return document


@pytest.fixture
def contest(organizer, tmp_path) -> Contest:
    folder = write_bundle(tmp_path / "contest-bundle", contest_document())
    competition = import_bundle(source=folder, owner=organizer).competition
    competition.published = True
    competition.save(update_fields=["published"])
    return Contest(id=competition.pk, phase=competition.phases.get().pk, title=competition.title)


@pytest.fixture
def entrant(contest) -> User:
    """Approved in `contest`."""
    user = make_user("erin")
    competition = Competition.objects.get(pk=contest.id)
    make_participant(user=user, competition=competition, status=Participant.Status.APPROVED)
    return user


@pytest.fixture
def applicant(contest) -> User:
    """Registered in `contest`, waiting for the organizers."""
    user = make_user("abel")
    competition = Competition.objects.get(pk=contest.id)
    make_participant(user=user, competition=competition, status=Participant.Status.PENDING)
    return user


def results_zip(folder: Path, content: str = "id,label\n1,setosa\n") -> Path:
    """A participant's results submission."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "results.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("predictions.csv", content)
    return target


def finish(
    job: Job, folder: Path, *, scores: dict[str, float], log: str = "epoch 1: loss 0.5\n"
) -> None:
    """Plays the worker's side of `job` with the worker's own reporter, over HTTP: the status
    steps with a log tail, the outputs uploaded (predictions and logs as zips), the final
    report with `scores`."""
    reporter = HttpReporter(job, attempts=1)
    for status in (Status.PREPARING, Status.RUNNING, Status.SCORING):
        reporter.heartbeat(status, log)
    outputs = {
        Output.PREDICTIONS: {"predictions.csv": "id,label\n1,setosa\n"},
        Output.SCORING_OUTPUT: {"scores.json": json.dumps(scores)},
        Output.LOGS: {"prediction.stdout": log, "scoring.stdout": "scored\n"},
    }
    folder.mkdir(parents=True, exist_ok=True)
    for kind, members in outputs.items():
        archive = folder / f"{kind.value}.zip"
        with zipfile.ZipFile(archive, "w") as written:
            for name, text in members.items():
                written.writestr(name, text)
        reporter.upload(kind, archive)
    reporter.report(Status.FINISHED, "", scores, {})


@dataclass(frozen=True)
class Ran:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


Podium = Callable[..., Ran]


@pytest.fixture
def config_home(tmp_path) -> Path:
    return tmp_path / "config-home"


@pytest.fixture
def podium(server, config_home) -> Podium:
    """`podium(*args, token=..., stdin=..., env=...)` runs the command line in this process,
    as a user runs it (stdout and stderr are not terminals), against the live server."""

    def run_podium(
        *args: str, token: str | None = None, stdin: str = "", env: dict[str, str] | None = None
    ) -> Ran:
        environ = {"XDG_CONFIG_HOME": str(config_home), "PODIUM_URL": server}
        if token is not None:
            environ["PODIUM_TOKEN"] = token
        environ.update(env or {})
        out, err = io.StringIO(), io.StringIO()
        code = cli.run(
            list(args), stdout=out, stderr=err, stdin=io.StringIO(stdin), environ=environ
        )
        return Ran(code, out.getvalue(), err.getvalue())

    return run_podium


def cells(text: str) -> list[list[str]]:
    """What a table or a list of fields shows, line by line, cell by cell (columns are two
    spaces apart or more); rules under headers left out, every time shown as `TIME`."""
    shown = []
    for line in text.splitlines():
        if line.strip() and not line.strip().strip("─"):
            continue
        line = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "TIME", line)
        shown.append([cell for cell in re.split(r"\s{2,}", line.strip()) if cell])
    return shown
