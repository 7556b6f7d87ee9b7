"""Workers upload a job's outputs as raw bodies, authenticated by the job's secret: kept as
the submission owner's files, streamed rather than read whole, capped, and never kept for a
stale attempt or a submission that has ended."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from django.core.files.storage import default_storage

from podium.datasets.models import Data
from podium.submissions import dispatch, lifecycle
from podium.submissions.models import Submission
from podium.submissions.services import create_submission, transition
from podium_worker.protocol import ATTEMPT_HEADER, SECRET_HEADER, Output, Status
from tests.factories import make_phase, make_task

pytestmark = pytest.mark.django_db


def zip_of(name: str, content: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, content)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def published(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: sent.append(submission.pk))
    return sent


@pytest.fixture
def submission(participant, competition, organizer):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    stream = io.BytesIO(zip_of("predictions.csv", "1\n"))
    submission = create_submission(user=participant, phase=phase, stream=stream)
    transition(submission, Status.PREPARING)
    transition(submission, Status.SCORING)
    return submission


def put(client, submission, kind, body, *, attempt=None, secret=None, content_type=None):
    if content_type is None:
        content_type = "text/html" if kind == "detailed_results" else "application/zip"
    return client.put(
        f"/api/worker/submissions/{submission.pk}/outputs/{kind}/",
        body,
        content_type=content_type,
        headers={
            SECRET_HEADER: submission.secret if secret is None else secret,
            ATTEMPT_HEADER: str(submission.attempt if attempt is None else attempt),
        },
    )


def blobs(storage) -> list[str]:
    return sorted(str(path.relative_to(storage)) for path in storage.rglob("*") if path.is_file())


@pytest.mark.parametrize(
    ("kind", "field", "data_kind", "name"),
    [
        ("predictions", "prediction_result", "output", "predictions.zip"),
        ("scoring_output", "scoring_result", "output", "scoring_output.zip"),
        ("logs", "logs", "log", "logs.zip"),
        ("detailed_results", "detailed_result", "output", "detailed_results.html"),
    ],
)
def test_each_output_is_kept_as_a_file_of_the_submissions_owner(
    client, submission, participant, kind, field, data_kind, name
):
    body = b"<h1>Detailed</h1>" if kind == "detailed_results" else zip_of("out.txt", kind)
    response = put(client, submission, kind, body)
    assert (response.status_code, response.json()) == (200, {"accepted": True})
    submission.refresh_from_db()
    data = getattr(submission, field)
    assert (data.kind, data.owner, data.name) == (
        data_kind,
        participant,
        f"submission-{submission.pk}-{name}",
    )
    assert (data.sha256, data.size) == (hashlib.sha256(body).hexdigest(), len(body))
    with default_storage.open(data.file.name, "rb") as stored:
        assert stored.read() == body


def test_the_body_is_streamed_to_storage_not_read_whole(client, submission, settings):
    # Reading request.body would trip Django's in-memory limit; a streamed upload never does.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    body = zip_of("predictions.csv", "x" * 300_000)
    assert len(body) > 1024
    response = put(client, submission, "predictions", body)
    assert response.json() == {"accepted": True}
    submission.refresh_from_db()
    assert submission.prediction_result.size == len(body)


def test_an_upload_of_an_older_attempt_is_refused_and_stores_nothing(client, submission, storage):
    Submission.objects.filter(pk=submission.pk).update(attempt=1)
    before = (Data.objects.count(), blobs(storage))
    response = put(client, submission, "logs", zip_of("log.txt", "late"), attempt=0)
    assert (response.status_code, response.json()) == (200, {"accepted": False})
    assert (Data.objects.count(), blobs(storage)) == before
    submission.refresh_from_db()
    assert submission.logs is None


@pytest.mark.parametrize("status", [Status.CANCELLED, Status.FAILED])
def test_an_upload_for_a_submission_that_has_ended_stores_nothing(
    client, submission, storage, status
):
    transition(submission, status)
    before = (Data.objects.count(), blobs(storage))
    response = put(client, submission, "predictions", zip_of("p.csv", "1"))
    assert response.json() == {"accepted": False}
    assert (Data.objects.count(), blobs(storage)) == before


def test_an_upload_larger_than_the_limit_is_refused_with_the_limit(
    client, submission, settings, storage
):
    settings.SUBMISSION_MAX_BYTES = 100
    before = (Data.objects.count(), blobs(storage))
    response = put(client, submission, "logs", zip_of("log.txt", "y" * 500))
    assert response.status_code == 413
    assert response.json() == {
        "detail": "logs is larger than the limit of 100 bytes (PODIUM_SUBMISSION_MAX_BYTES)"
    }
    assert (Data.objects.count(), blobs(storage)) == before


def test_a_body_without_a_declared_size_is_still_cut_at_the_limit(submission, settings, storage):
    settings.SUBMISSION_MAX_BYTES = 100
    before = (Data.objects.count(), blobs(storage))
    with pytest.raises(lifecycle.OutputTooLarge):
        lifecycle.receive_output(
            submission=submission,
            kind=Output.LOGS,
            attempt=0,
            body=io.BytesIO(zip_of("log.txt", "y" * 500)),
            declared_size=None,
        )
    assert (Data.objects.count(), blobs(storage)) == before


def test_a_zip_output_that_is_not_a_zip_is_refused(client, submission):
    response = put(client, submission, "scoring_output", b"scores: 1\n")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "scoring_output must be a zip archive"},
    )
    submission.refresh_from_db()
    assert submission.scoring_result is None


def test_an_output_sent_as_the_wrong_media_type_is_refused(client, submission):
    response = put(
        client, submission, "detailed_results", b"<p>x</p>", content_type="application/zip"
    )
    assert response.status_code == 415
    response = put(client, submission, "logs", b"x", content_type="text/plain")
    assert response.status_code == 415


def test_a_second_upload_of_the_same_kind_replaces_the_first(client, submission, storage):
    first = zip_of("log.txt", "first attempt at logging")
    put(client, submission, "logs", first)
    submission.refresh_from_db()
    replaced = submission.logs
    second = zip_of("log.txt", "second")
    assert put(client, submission, "logs", second).json() == {"accepted": True}
    submission.refresh_from_db()
    assert submission.logs.sha256 == hashlib.sha256(second).hexdigest()
    assert not Data.objects.filter(pk=replaced.pk).exists()
    assert not (storage / replaced.file.name).exists()
    assert Data.objects.filter(kind="log").count() == 1


def test_the_same_bytes_twice_keep_their_one_blob(client, submission, storage):
    body = zip_of("log.txt", "same")
    put(client, submission, "logs", body)
    put(client, submission, "logs", body)
    submission.refresh_from_db()
    assert Data.objects.filter(kind="log").count() == 1
    assert (storage / submission.logs.file.name).read_bytes() == body


@pytest.mark.parametrize("secret", ["", "wrong"])
def test_a_wrong_secret_reads_like_a_missing_submission(client, submission, secret):
    response = put(client, submission, "logs", zip_of("l", "x"), secret=secret)
    assert response.status_code == 404
    assert Data.objects.filter(kind="log").count() == 0


def test_an_unknown_kind_is_not_found(client, submission):
    response = put(client, submission, "secrets", zip_of("l", "x"))
    assert (response.status_code, response.json()) == (
        404,
        {"detail": "no output called 'secrets'"},
    )


def test_the_attempt_header_is_required(client, submission):
    response = client.put(
        f"/api/worker/submissions/{submission.pk}/outputs/logs/",
        zip_of("l", "x"),
        content_type="application/zip",
        headers={SECRET_HEADER: submission.secret},
    )
    assert (response.status_code, response.json()) == (
        400,
        {ATTEMPT_HEADER: ["expected the job's attempt"]},
    )
