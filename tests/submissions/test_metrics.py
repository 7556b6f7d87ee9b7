"""Custom complexity metrics that organizers post for a submission: checked, kept with it,
shown in its leaderboard's `podium:custom.<name>` columns (now and when it finishes), with
the computed columns following; never erased or written by a worker."""

from __future__ import annotations

import io
import zipfile

import pytest

from podium.audit.models import AuditEntry
from podium.leaderboards.models import Column
from podium.submissions import dispatch, scores
from podium.submissions.models import Submission, SubmissionScore
from podium.submissions.services import create_submission
from podium_worker.protocol import SECRET_HEADER
from tests.factories import make_leaderboard, make_phase, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def published(monkeypatch):
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: None)


@pytest.fixture
def phase(competition, organizer):
    board = make_leaderboard(competition=competition, columns=("accuracy", "podium:custom.flops"))
    Column.objects.create(
        leaderboard=board,
        index=2,
        key="total",
        title="Total",
        computation="sum",
        computation_indexes=[0, 1],
    )
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    phase.leaderboard = board
    phase.save()
    return phase


def results_zip() -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", "1\n")
    buffer.seek(0)
    return buffer


@pytest.fixture
def submission(participant, phase):
    return create_submission(user=participant, phase=phase, stream=results_zip())


def scores_of(submission):
    rows = SubmissionScore.objects.filter(submission=submission)
    return dict(rows.values_list("column__key", "value"))


def post_metrics(client, submission, body):
    return client.post(f"/api/submissions/{submission.pk}/metrics/", body, format="json")


def report(client, submission, **body):
    body.setdefault("attempt", submission.attempt)
    return client.post(
        f"/api/worker/submissions/{submission.pk}/report/",
        body,
        content_type="application/json",
        headers={SECRET_HEADER: submission.secret},
    )


def test_an_organizer_s_metrics_are_kept_and_fill_their_columns(api, collaborator, submission):
    response = post_metrics(api(collaborator), submission, {"flops": 1.5e9, "params": 42})

    assert (response.status_code, response.json()) == (
        200,
        {
            "submission": submission.pk,
            "custom": {"flops": 1.5e9, "params": 42.0},
            # no column shows params; total sums what the row has so far
            "scores": {"podium:custom.flops": 1.5e9, "total": 1.5e9},
        },
    )
    submission.refresh_from_db()
    assert submission.metrics == {"custom": {"flops": 1.5e9, "params": 42.0}}
    assert scores_of(submission) == {"podium:custom.flops": 1.5e9, "total": 1.5e9}
    entry = AuditEntry.objects.get()
    assert (entry.actor, entry.action, entry.target_type, entry.target_id) == (
        collaborator,
        "submission.metrics",
        "submission",
        submission.pk,
    )
    assert (entry.competition_id, entry.details) == (
        submission.phase.competition_id,
        {"metrics": {"flops": 1.5e9, "params": 42.0}},
    )


def test_metrics_posted_again_are_replaced_one_by_one(api, organizer, submission):
    post_metrics(api(organizer), submission, {"flops": 1.0, "params": 2.0})
    response = post_metrics(api(organizer), submission, {"flops": 3.0})

    assert response.json()["custom"] == {"flops": 3.0, "params": 2.0}
    assert scores_of(submission) == {"podium:custom.flops": 3.0, "total": 3.0}
    assert AuditEntry.objects.count() == 2


def test_a_submission_that_finishes_later_keeps_its_custom_columns(
    api, client, organizer, submission
):
    post_metrics(api(organizer), submission, {"flops": 2.0})

    response = report(
        client,
        submission,
        status="finished",
        scores={"accuracy": 0.5, "podium:custom.flops": 999.0},  # not the program's to write
        metrics={"prediction": {"wall_time": 1.0}, "custom": {"flops": 7.0}},
    )

    assert response.json() == {"accepted": True}
    submission.refresh_from_db()
    assert submission.status == "finished"
    assert scores_of(submission) == {"accuracy": 0.5, "podium:custom.flops": 2.0, "total": 2.5}
    # the worker's measurements are stored; the organizers' metrics stay theirs
    assert submission.metrics == {"prediction": {"wall_time": 1.0}, "custom": {"flops": 2.0}}


def test_a_submission_without_custom_metrics_finishes_with_the_column_empty(client, submission):
    response = report(client, submission, status="finished", scores={"accuracy": 0.5})

    assert response.json() == {"accepted": True}
    submission.refresh_from_db()
    assert (submission.status, submission.status_detail) == ("finished", "")
    assert scores_of(submission) == {"accuracy": 0.5, "total": 0.5}


def test_metrics_posted_after_the_finish_update_the_computed_columns(
    api, client, organizer, submission
):
    report(client, submission, status="finished", scores={"accuracy": 0.5})
    response = post_metrics(api(organizer), submission, {"flops": 4.0})

    assert response.json()["scores"] == {
        "accuracy": 0.5,
        "podium:custom.flops": 4.0,
        "total": 4.5,
    }


def test_a_worker_s_heartbeat_does_not_erase_custom_metrics(api, client, organizer, submission):
    post_metrics(api(organizer), submission, {"flops": 2.0})
    client.post(
        f"/api/worker/submissions/{submission.pk}/heartbeat/",
        {"attempt": 0, "status": "running", "metrics": {"prediction": {"wall_time": 0.5}}},
        content_type="application/json",
        headers={SECRET_HEADER: submission.secret},
    )
    submission.refresh_from_db()
    assert submission.metrics == {"prediction": {"wall_time": 0.5}, "custom": {"flops": 2.0}}


@pytest.mark.parametrize(
    ("body", "problems"),
    [
        (
            {"fl ops": 1},
            {
                "fl ops": [
                    "a name is 1 to 64 letters, digits, '_', '.' or '-', "
                    "not starting with '.' or '-'"
                ]
            },
        ),
        (
            {"x" * 65: 1},
            {
                "x" * 64: [
                    "a name is 1 to 64 letters, digits, '_', '.' or '-', "
                    "not starting with '.' or '-'"
                ]
            },
        ),
        ({"flops": "1e9"}, {"flops": ["expected a finite number"]}),
        ({"flops": True}, {"flops": ["expected a finite number"]}),
        ({"flops": None}, {"flops": ["expected a finite number"]}),
        ({"flops": [1]}, {"flops": ["expected a finite number"]}),
        ({}, {"metrics": ["expected an object of metric names to numbers"]}),
        ([1, 2], {"metrics": ["expected an object of metric names to numbers"]}),
    ],
)
def test_bad_names_and_values_are_refused_and_change_nothing(
    api, organizer, submission, body, problems
):
    response = post_metrics(api(organizer), submission, body)

    assert (response.status_code, response.json()) == (400, problems)
    submission.refresh_from_db()
    assert (submission.metrics, scores_of(submission), AuditEntry.objects.count()) == ({}, {}, 0)


@pytest.mark.parametrize("raw", ['{"flops": 1e999}', '{"flops": 1' + "0" * 400 + "}", '{"f": NaN}'])
def test_infinite_and_overflowing_numbers_are_refused(api, organizer, submission, raw):
    response = api(organizer).post(
        f"/api/submissions/{submission.pk}/metrics/", raw, content_type="application/json"
    )
    assert response.status_code == 400
    submission.refresh_from_db()
    assert submission.metrics == {}


def test_a_submission_keeps_at_most_a_hundred_custom_metrics(organizer, submission):
    scores.set_custom_metrics(
        submission, by=organizer, values={f"m{index}": index for index in range(100)}
    )
    with pytest.raises(scores.ScoreRefused) as refused:
        scores.set_custom_metrics(submission, by=organizer, values={"one_more": 1})
    assert refused.value.problems == {"metrics": "at most 100 per submission"}
    submission.refresh_from_db()
    assert len(submission.metrics["custom"]) == 100


def test_a_phase_without_leaderboard_keeps_the_metrics_only(api, organizer, submission):
    submission.phase.leaderboard = None
    submission.phase.save()
    response = post_metrics(api(organizer), submission, {"flops": 1.0})
    assert response.json() == {"submission": submission.pk, "custom": {"flops": 1.0}, "scores": {}}
    assert SubmissionScore.objects.count() == 0


def test_participants_may_not_post_metrics_for_their_own_submission(api, participant, submission):
    response = post_metrics(api(participant), submission, {"flops": 1.0})
    assert (response.status_code, response.json()) == (
        403,
        {"detail": "only the organizers of its competition may post its metrics"},
    )
    assert Submission.objects.get(pk=submission.pk).metrics == {}
