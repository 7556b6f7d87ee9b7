"""A whole competition driven from terminals with `podium`, against a running server.

The organizer checks and uploads a bundle (examples/iris-results, approval required) and
publishes it; a participant registers; the organizer approves; the participant submits and
waits while the real worker runs the job; the participant puts the submission on the
leaderboard (the bundle's rule leaves that to participants), reads it, and downloads the
scores.

The server is pytest-django's live server. The job the submission queues is run by the
worker's own runner in its bubblewrap sandbox, fetching its files through signed URLs and
reporting over HTTP as a worker on another machine does; only the broker between them is left
out (the job message is taken where the server publishes it). The expected scores come from the
same scoring program run bare on the same files.

It belongs with the system tests (tests/system) once the client is part of them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from pathlib import Path

import pytest

from podium.participation.models import Participant
from podium.submissions.models import Submission
from podium_worker.app import make_workdir
from podium_worker.protocol import Job
from podium_worker.runner import Outcome, run_job
from podium_worker.sandbox.base import GIB, Limits
from podium_worker.sandbox.bwrap import BwrapSandbox
from podium_worker.transfer import HttpReporter, HttpTransfer
from tests.client.conftest import cells, verified
from tests.factories import make_user

IRIS = Path(__file__).resolve().parents[2] / "examples" / "iris-results"


@pytest.fixture
def bundle(tmp_path) -> Path:
    """The iris example, its registrations approved by the organizers."""
    folder = tmp_path / "iris"
    shutil.copytree(IRIS, folder)
    yaml = folder / "competition.yaml"
    text = yaml.read_text()
    assert "registration_auto_approve: true" in text
    yaml.write_text(
        text.replace("registration_auto_approve: true", "registration_auto_approve: false")
    )
    return folder


@pytest.fixture
def worker_folder():
    # Not pytest's tmp_path: the sandbox's host user must search every folder above a job's.
    base = Path(tempfile.mkdtemp(prefix="podium-client-journey-"))
    base.chmod(0o711)
    yield base
    subprocess.run(["rm", "-rf", "--one-file-system", str(base)], check=True)


def run_the_worker(jobs: list[Job], base: Path, outcomes: list[Outcome | BaseException]) -> None:
    """One worker process's work: the first job queued, run for real."""
    try:
        for _ in range(600):
            if jobs:
                break
            threading.Event().wait(0.05)
        job = jobs[0]
        outcomes.append(
            run_job(
                job,
                sandbox=BwrapSandbox(),
                transfer=HttpTransfer(base / "cache", budget_bytes=GIB),
                reporter=HttpReporter(job),
                workdir=make_workdir(str(base / "jobs")),
                limits=Limits(wall_time=float(job.execution_time_limit), memory_bytes=GIB),
            )
        )
    except BaseException as exc:  # handed to the test, which fails with it
        outcomes.append(exc)


def scored_bare(tmp_path: Path) -> dict[str, float]:
    """The iris scoring program run directly on the sample submission."""
    output = tmp_path / "bare-output"
    output.mkdir()
    subprocess.run(
        [sys.executable, str(IRIS / "scoring_program" / "score.py"),
         str(IRIS / "reference_data" / "public"), str(IRIS / "sample_submission"), str(output)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    scores: dict[str, float] = json.loads((output / "scores.json").read_text())
    return scores


def test_a_competition_from_bundle_to_leaderboard_from_the_terminal(
    podium, server, organizer, bundle, tmp_path, worker_folder, jobs
):
    verified(organizer)
    verified(make_user("pia"))
    homes = {"olivia": tmp_path / "olivia-config", "pia": tmp_path / "pia-config"}

    def as_user(name: str, *args: str, stdin: str = ""):
        # Each person on a machine of their own: their own stored sign-in, nothing else.
        return podium(*args, stdin=stdin, env={"XDG_CONFIG_HOME": str(homes[name]),
                                               "PODIUM_URL": ""})  # fmt: skip

    # The organizer signs in, checks the bundle locally, uploads it and publishes it.
    assert as_user("olivia", "login", "--url", server, "--username", "olivia",
                   "--password-stdin", stdin="pw\n").code == 0  # fmt: skip
    checked = as_user("olivia", "bundle", "check", str(bundle), "--json")
    assert (checked.code, checked.json()["valid"]) == (0, True)
    uploaded = as_user("olivia", "bundle", "upload", str(bundle), "--json")
    assert uploaded.code == 0, uploaded.stderr
    competition = uploaded.json()["competition"]
    phase = next(p["id"] for p in uploaded.json()["phases"] if p["name"] == "Development")
    assert as_user("olivia", "publish", str(competition)).code == 0

    # The participant signs in, finds it and registers; the organizer approves.
    assert as_user("pia", "login", "--url", server, "--username", "pia",
                   "--password-stdin", stdin="pw\n").code == 0  # fmt: skip
    listed = as_user("pia", "competitions", "--json")
    assert [row["title"] for row in listed.json()] == ["Iris Species Classification"]
    registered = as_user("pia", "register", str(competition), "--accept-terms", "--json")
    assert registered.json()["status"] == "pending"
    approved = as_user("olivia", "participants", str(competition), "--approve", "pia")
    assert approved.stdout == f"pia (registration {registered.json()['id']}) is now approved.\n"
    assert Participant.objects.get(user__username="pia").status == Participant.Status.APPROVED

    # The participant submits and waits while a worker runs the job in its sandbox.
    outcomes: list[Outcome | BaseException] = []
    worker = threading.Thread(target=run_the_worker, args=(jobs, worker_folder, outcomes))
    worker.start()
    submitted = as_user("pia", "submit", str(IRIS / "sample_submission"), "--phase", str(phase),
                        "--fact-sheet", '{"method_name": "nearest centroid"}', "--wait",
                        "--poll", "0.2", "--timeout", "180", "--json")  # fmt: skip
    worker.join(timeout=200)
    assert len(outcomes) == 1
    outcome = outcomes[0]
    if isinstance(outcome, BaseException):
        raise outcome
    assert outcome.status.value == "finished"
    expected = scored_bare(tmp_path)
    assert submitted.code == 0, submitted.stderr
    details = submitted.json()
    assert details["status"] == "finished", details["status_detail"]
    assert details["scores"]["accuracy"] == pytest.approx(expected["accuracy"])
    assert details["scores"]["f1"] == pytest.approx(expected["f1"])
    assert [change["to_status"] for change in details["status_history"]] == [
        "submitted", "preparing", "scoring", "finished"
    ]  # fmt: skip
    assert submitted.stderr.splitlines()[-1] == f"Submission {details['id']}: finished (ended)"

    # On the leaderboard (the participant chooses, under Add_And_Delete), and the scores file.
    board = as_user("pia", "leaderboard", str(phase), "--add", str(details["id"]))
    assert board.code == 0, board.stderr
    mean = (expected["accuracy"] + expected["f1"]) / 2
    assert cells(board.stdout) == [
        [f"Results (phase {phase})"],
        ["Rank", "Participant", "Submission", "Accuracy", "Macro F1", "Mean of accuracy and F1"],
        ["1", "pia (you)", str(details["id"]), f"{expected['accuracy']:.4f}",
         f"{expected['f1']:.4f}", f"{mean:.4f}"],
    ]  # fmt: skip
    downloaded = as_user("pia", "download", str(details["id"]), "--what", "scoring_output",
                         "-o", str(tmp_path / "scores.zip"))  # fmt: skip
    assert downloaded.code == 0, downloaded.stderr
    with zipfile.ZipFile(tmp_path / "scores.zip") as archive:
        assert json.loads(archive.read("scores.json")) == pytest.approx(expected)
    assert Submission.objects.get(pk=details["id"]).owner.username == "pia"
