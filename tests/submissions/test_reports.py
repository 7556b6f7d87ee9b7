"""Worker reports over the API: authenticated by the job's secret, idempotent, forward only;
and lost workers' jobs requeued or failed."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from podium.leaderboards.models import Column
from podium.submissions import dispatch, reports
from podium.submissions.models import Submission, SubmissionScore
from podium.submissions.services import create_submission
from podium_worker.protocol import SECRET_HEADER
from tests.factories import make_leaderboard, make_phase, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(
        dispatch,
        "publish",
        lambda submission, task: sent.append((submission.pk, submission.attempt)),
    )
    return sent


@pytest.fixture
def leaderboard(competition):
    board = make_leaderboard(competition=competition, columns=("accuracy", "f1"))
    Column.objects.create(
        leaderboard=board,
        index=2,
        key="mean",
        title="Mean",
        computation="avg",
        computation_indexes=[0, 1],
    )
    Column.objects.create(
        leaderboard=board, index=3, key="podium:prediction.wall_time", title="Time", sorting="asc"
    )
    return board


def results_zip() -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", "1\n")
    buffer.seek(0)
    return buffer


@pytest.fixture
def submission(participant, competition, organizer, leaderboard, published):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    phase.leaderboard = leaderboard
    phase.save()
    return create_submission(user=participant, phase=phase, stream=results_zip())


def post(client, submission, what, secret=None, **body):
    body.setdefault("attempt", submission.attempt)
    return client.post(
        f"/api/worker/submissions/{submission.pk}/{what}/",
        body,
        content_type="application/json",
        headers={SECRET_HEADER: submission.secret if secret is None else secret},
    )


FINISHED = {
    "status": "finished",
    "scores": {"accuracy": 0.9, "f1": 0.8, "extra": 1.0},
    "metrics": {"prediction": {"wall_time": 1.25, "peak_memory": 1000}},
}


def scores_of(submission):
    return dict(
        SubmissionScore.objects.filter(submission=submission).values_list("column__key", "value")
    )


def test_a_finished_report_stores_one_score_per_column_with_computed_and_measured_ones(
    client, submission
):
    response = post(client, submission, "report", **FINISHED)
    assert (response.status_code, response.json()) == (200, {"accepted": True})
    submission.refresh_from_db()
    assert submission.status == "finished"
    assert scores_of(submission) == pytest.approx(
        {"accuracy": 0.9, "f1": 0.8, "mean": 0.85, "podium:prediction.wall_time": 1.25}
    )
    assert submission.metrics == FINISHED["metrics"]
    assert list(submission.status_changes.values_list("to_status", flat=True)) == [
        "submitted",
        "preparing",
        "scoring",
        "finished",
    ]


def test_the_same_report_twice_changes_nothing(client, submission):
    post(client, submission, "report", **FINISHED)
    again = post(
        client, submission, "report", **{**FINISHED, "scores": {"accuracy": 0.1, "f1": 0.1}}
    )
    assert again.json() == {"accepted": False}
    assert scores_of(submission)["accuracy"] == pytest.approx(0.9)
    assert SubmissionScore.objects.filter(submission=submission).count() == 4


def test_a_report_of_an_older_attempt_is_ignored(client, submission):
    Submission.objects.filter(pk=submission.pk).update(attempt=2)
    stale = post(client, submission, "report", attempt=1, **FINISHED)
    assert stale.json() == {"accepted": False}
    submission.refresh_from_db()
    assert submission.status == "submitted"


def test_a_heartbeat_never_moves_a_job_backwards(client, submission):
    assert post(client, submission, "heartbeat", status="scoring", log_tail="epoch 3").json() == {
        "accepted": True,
        "cancelled": False,
        "stop": False,
    }
    # Behind, not over: a job delivered again may go on (it is not told to stop).
    assert post(client, submission, "heartbeat", status="running").json() == {
        "accepted": False,
        "cancelled": False,
        "stop": False,
    }
    submission.refresh_from_db()
    assert (submission.status, submission.log_tail) == ("scoring", "epoch 3")
    assert submission.lease_expires_at > timezone.now()


@pytest.mark.parametrize("secret", ["", "wrong", "x" * 43])
def test_a_wrong_secret_reads_like_a_missing_submission(client, submission, secret):
    response = post(client, submission, "report", secret=secret, **FINISHED)
    assert response.status_code == 404
    submission.refresh_from_db()
    assert submission.status == "submitted"


def test_another_jobs_secret_is_refused(client, submission, participant):
    other = create_submission(user=participant, phase=submission.phase, stream=results_zip())
    response = post(client, submission, "report", secret=other.secret, **FINISHED)
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("scores", "detail"),
    [
        ({"accuracy": 0.9}, "invalid scores: the scoring program wrote no score for 'f1'"),
        ({"accuracy": 0.9, "f1": "NaN"}, "invalid scores: 'f1' is not a finite number"),
    ],
)
def test_missing_or_non_finite_scores_fail_the_submission(client, submission, scores, detail):
    post(client, submission, "report", status="finished", scores=scores)
    submission.refresh_from_db()
    assert (submission.status, submission.status_detail) == ("failed", detail)
    assert SubmissionScore.objects.filter(submission=submission).count() == 0


def test_a_heartbeat_is_not_a_final_report(client, submission):
    response = post(client, submission, "heartbeat", status="finished")
    assert response.status_code == 400
    assert response.json() == {"status": ["expected preparing, running or scoring"]}


def test_a_phase_with_two_tasks_finishes_when_both_children_have(
    client, participant, competition, organizer, leaderboard, published
):
    phase = make_phase(
        competition=competition, tasks=[make_task(owner=organizer), make_task(owner=organizer)]
    )
    phase.leaderboard = leaderboard
    phase.save()
    parent = create_submission(user=participant, phase=phase, stream=results_zip())
    first, second = parent.children.order_by("pk")
    post(client, first, "report", **FINISHED)
    parent.refresh_from_db()
    assert parent.status == "submitted"
    post(client, second, "report", status="failed", detail="scoring program crashed")
    parent.refresh_from_db()
    assert (parent.status, parent.status_detail) == (
        "failed",
        "a task of this submission did not finish",
    )


def test_a_silent_worker_loses_its_job_which_runs_again_then_fails(
    client, submission, published, settings, django_capture_on_commit_callbacks
):
    settings.JOB_MAX_ATTEMPTS = 2
    post(client, submission, "heartbeat", status="running")
    Submission.objects.filter(pk=submission.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert reports.expire_leases() == (1, 0)
    submission.refresh_from_db()
    assert (submission.status, submission.attempt) == ("submitted", 1)
    assert published[-1] == (submission.pk, 1)
    # The lost worker wakes up: its report belongs to attempt 0 and is ignored.
    assert post(client, submission, "report", attempt=0, **FINISHED).json() == {"accepted": False}
    post(client, submission, "heartbeat", status="running")
    Submission.objects.filter(pk=submission.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert reports.expire_leases() == (0, 1)
    submission.refresh_from_db()
    assert (submission.status, submission.status_detail) == ("failed", "worker lost")
    assert reports.expire_leases() == (0, 0)


def test_a_job_within_its_lease_is_left_alone(client, submission):
    post(client, submission, "heartbeat", status="running")
    assert reports.expire_leases() == (0, 0)
    submission.refresh_from_db()
    assert submission.status == "running"


def test_a_second_run_of_the_same_attempt_is_told_to_stop_while_the_first_holds_it(
    client, submission, settings
):
    first = post(client, submission, "heartbeat", status="running", run="run-a")
    assert first.json() == {"accepted": True, "cancelled": False, "stop": False}

    # The broker delivered the job again (D34): the other run must not go on beside it.
    second = post(client, submission, "heartbeat", status="running", run="run-b")
    assert second.json() == {"accepted": False, "cancelled": False, "stop": True}
    late_report = post(client, submission, "report", run="run-b", **FINISHED)
    assert late_report.json() == {"accepted": False}
    submission.refresh_from_db()
    assert (submission.status, submission.worker_run) == ("running", "run-a")
    assert submission.scores.count() == 0

    # The first run goes quiet past its lease: the second takes the job over and finishes it.
    Submission.objects.filter(pk=submission.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    taken = post(client, submission, "heartbeat", status="running", run="run-b")
    assert taken.json() == {"accepted": True, "cancelled": False, "stop": False}
    assert post(client, submission, "report", run="run-b", **FINISHED).json() == {"accepted": True}
    assert post(client, submission, "heartbeat", status="running", run="run-a").json()["stop"]


def test_a_heartbeat_of_an_older_attempt_is_told_to_stop(client, submission):
    Submission.objects.filter(pk=submission.pk).update(attempt=1)
    reply = post(client, submission, "heartbeat", status="running", attempt=0)
    assert reply.json() == {"accepted": False, "cancelled": False, "stop": True}
