"""Large uploads: declared, sent straight to storage, completed, then used by a submission."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import zipfile
from datetime import timedelta

import httpx
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.submissions.models import Submission
from podium.submissions.services import dispatch
from podium.uploads import services
from podium.uploads.models import Upload
from tests.bundles import test_s3_storage
from tests.factories import make_phase, make_task

pytestmark = pytest.mark.django_db

s3 = test_s3_storage.s3


def results_zip(size: int = 0) -> bytes:
    """A zip of predictions, padded with incompressible bytes to about `size`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("predictions.csv", "1,a\n")
        if size:
            archive.writestr("padding.bin", os.urandom(size))
    return buffer.getvalue()


@pytest.fixture
def phase(competition, organizer):
    return make_phase(competition=competition, tasks=[make_task(owner=organizer)])


@pytest.fixture(autouse=True)
def published(monkeypatch):
    sent: list[int] = []
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: sent.append(submission.pk))
    return sent


def start(client, name: str, size: int):
    return client.post("/api/uploads/", {"name": name, "size": size}, format="json")


def put(client, upload_id: str, body: bytes):
    return client.put(
        f"/api/uploads/{upload_id}/content/", body, content_type="application/octet-stream"
    )


def upload_file(client, body: bytes, name: str = "results.zip") -> str:
    started = start(client, name, len(body))
    assert started.status_code == 201, started.content
    upload_id = started.json()["id"]
    assert put(client, upload_id, body).status_code == 200
    done = client.post(f"/api/uploads/{upload_id}/complete/", {}, format="json")
    assert done.status_code == 200, done.content
    return str(upload_id)


def test_a_large_submission_goes_through_an_upload(
    api, participant, phase, storage, published, django_capture_on_commit_callbacks
):
    client = api(participant)
    body = results_zip(3 * 1024 * 1024)

    started = start(client, "results.zip", len(body))
    assert started.status_code == 201
    declared = started.json()
    assert (declared["status"], declared["method"], declared["parts"]) == ("pending", "put", None)
    assert declared["url"] == f"/api/uploads/{declared['id']}/content/"

    sent = put(client, declared["id"], body)
    assert (sent.status_code, sent.json()["received"]) == (200, len(body))
    done = client.post(f"/api/uploads/{declared['id']}/complete/", {}, format="json")
    assert (done.status_code, done.json()["status"], done.json()["url"]) == (200, "complete", None)

    with django_capture_on_commit_callbacks(execute=True):
        made = client.post(
            "/api/submissions/", {"phase": phase.pk, "upload": declared["id"]}, format="json"
        )
    assert made.status_code == 201, made.content
    submission = Submission.objects.get(pk=made.json()["id"])
    assert submission.data.sha256 == hashlib.sha256(body).hexdigest()
    assert (submission.data.size, submission.data.name) == (len(body), "results.zip")
    with default_storage.open(submission.data.file.name) as stored:
        assert stored.read() == body
    assert not default_storage.exists(f"uploads/{declared['id']}")
    assert Upload.objects.get().status == Upload.Status.USED
    assert published == [submission.pk]

    again = client.post(
        "/api/submissions/", {"phase": phase.pk, "upload": declared["id"]}, format="json"
    )
    assert again.status_code == 409
    assert again.json() == {"detail": "this upload is used; complete it first"}
    assert Submission.objects.count() == 1


def test_a_submission_takes_a_file_or_an_upload_not_both(api, participant, phase):
    client = api(participant)
    upload_id = upload_file(client, results_zip())
    neither = client.post("/api/submissions/", {"phase": phase.pk}, format="multipart")
    both = client.post(
        "/api/submissions/",
        {"phase": phase.pk, "upload": upload_id, "file": io.BytesIO(results_zip())},
        format="multipart",
    )
    for response in (neither, both):
        assert response.status_code == 400
        assert response.json() == {"file": ["send either a file or an upload"]}


def test_more_bytes_than_declared_are_refused_and_nothing_is_kept(api, participant, storage):
    client = api(participant)
    upload_id = start(client, "results.zip", 10).json()["id"]

    response = put(client, upload_id, b"x" * 11)

    assert response.status_code == 413
    assert response.json() == {
        "detail": "more bytes arrived than the 10 declared; nothing was kept"
    }
    assert not (storage / "uploads" / upload_id).exists()
    assert Upload.objects.get().received == 0


def test_an_upload_missing_bytes_is_not_completed_and_can_be_sent_again(api, participant):
    client = api(participant)
    upload_id = start(client, "results.zip", 10).json()["id"]
    put(client, upload_id, b"12345")

    early = client.post(f"/api/uploads/{upload_id}/complete/", {}, format="json")
    assert early.status_code == 409
    assert early.json() == {
        "detail": "5 of the 10 bytes declared have arrived; send the whole file again"
    }
    assert Upload.objects.get().status == Upload.Status.PENDING

    put(client, upload_id, b"0123456789")
    done = client.post(f"/api/uploads/{upload_id}/complete/", {}, format="json")
    assert (done.status_code, done.json()["received"]) == (200, 10)
    assert Data.objects.get().sha256 == hashlib.sha256(b"0123456789").hexdigest()


def test_the_body_is_read_in_chunks_never_whole(participant):
    upload = services.start(owner=participant, name="big.bin", size=5 * services.CHUNK)
    stream = io.BytesIO(b"y" * (5 * services.CHUNK))
    asked: list[int] = []

    def read(size: int) -> bytes:
        asked.append(size)
        return stream.read(size)

    services.receive(upload, read)

    assert set(asked) == {services.CHUNK}
    assert len(asked) == 6  # five chunks, then the end


def test_the_bytes_and_their_names_are_on_disk_before_they_count(participant, monkeypatch):
    size = 10_000
    upload = services.start(owner=participant, name="big.bin", size=size)
    stream = io.BytesIO(os.urandom(size))
    synced: list[tuple[str, int, int, bool]] = []  # (what, file size, counted, file kept)
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        real_fsync(descriptor)
        found = os.fstat(descriptor)
        what = "folder" if stat.S_ISDIR(found.st_mode) else "file"
        counted = Upload.objects.get(pk=upload.pk).received
        synced.append(
            (what, found.st_size if what == "file" else 0, counted, Data.objects.exists())
        )

    monkeypatch.setattr(services.os, "fsync", fsync)
    # Small pieces, which a buffered file keeps until flushed.
    services.receive(upload, lambda _: stream.read(1000))
    assert synced == [("file", size, 0, False), ("folder", 0, 0, False)]

    synced.clear()
    services.complete(upload)
    # The file's new name (its content address), before the row that names it.
    assert synced == [("folder", 0, size, False)]
    assert Data.objects.get().size == size


def test_the_quota_counts_declared_sizes_of_pending_uploads(api, participant, settings):
    participant.quota_bytes = 100
    participant.save()
    client = api(participant)

    assert start(client, "a.zip", 60).status_code == 201
    second = start(client, "b.zip", 60)

    assert second.status_code == 413
    assert second.json() == {
        "detail": "storage quota exceeded: 60 bytes used + 60 bytes uploaded = 120 bytes, "
        "quota is 100 bytes"
    }
    assert Upload.objects.count() == 1


def test_an_upload_beyond_the_largest_submission_is_refused(api, participant, settings):
    settings.SUBMISSION_MAX_BYTES = 1000
    response = start(api(participant), "huge.zip", 1001)
    assert response.status_code == 413
    assert response.json() == {"detail": "1001 bytes is more than the largest upload, 1000 bytes"}


def test_uploads_are_their_owners_alone(api, participant, outsider, phase):
    upload_id = upload_file(api(participant), results_zip())
    other = api(outsider)

    assert other.get(f"/api/uploads/{upload_id}/").status_code == 404
    assert put(other, upload_id, b"x").status_code == 404
    assert other.post(f"/api/uploads/{upload_id}/complete/").status_code == 404
    assert other.delete(f"/api/uploads/{upload_id}/").status_code == 404
    assert api(None).post("/api/uploads/", {"name": "a", "size": 1}).status_code == 401
    taken = api(participant).get("/api/uploads/").json()["results"]
    assert [item["id"] for item in taken] == [upload_id]


def test_a_refused_submission_leaves_the_upload_complete_for_the_next_try(api, pending, phase):
    client = api(pending)
    upload_id = upload_file(client, results_zip())

    refused = client.post("/api/submissions/", {"phase": phase.pk, "upload": upload_id})

    assert refused.status_code == 403
    assert Upload.objects.get().status == Upload.Status.COMPLETE
    assert Submission.objects.count() == 0


def test_a_file_that_is_not_a_zip_is_refused_at_submission(api, participant, phase):
    client = api(participant)
    upload_id = upload_file(client, b"not a zip at all")

    refused = client.post("/api/submissions/", {"phase": phase.pk, "upload": upload_id})

    assert refused.status_code == 400
    assert refused.json() == {"detail": "a submission must be a zip archive"}
    assert Upload.objects.get().status == Upload.Status.COMPLETE


def test_uploads_never_completed_or_never_used_expire_with_their_bytes(
    api, participant, phase, storage
):
    client = api(participant)
    pending_id = start(client, "p.zip", 4).json()["id"]
    put(client, pending_id, b"abcd")
    unused_id = upload_file(client, results_zip(100))
    used_id = upload_file(client, results_zip(200))
    client.post("/api/submissions/", {"phase": phase.pk, "upload": used_id})
    unused_blob = Upload.objects.get(pk=unused_id).data.file.name

    assert services.expire_uploads(timezone.now() + timedelta(hours=23)) == 0
    assert services.expire_uploads(timezone.now() + timedelta(hours=25)) == 2

    assert list(Upload.objects.values_list("id", flat=True)) == [Upload.objects.get().id]
    assert str(Upload.objects.get().id) == used_id
    assert not (storage / "uploads" / pending_id).exists()
    assert not default_storage.exists(unused_blob)
    assert sorted(Data.objects.values_list("kind", "name")) == [
        ("scoring_program", "file.zip"),  # the task's
        ("submission", "results.zip"),  # the submission's
    ]
    assert Submission.objects.get().data.size > 0


def test_the_same_bytes_stored_twice_share_one_blob(api, participant, storage):
    client = api(participant)
    body = results_zip(1000)
    first = upload_file(client, body)
    second = upload_file(client, body)

    blobs = [path for path in (storage / "blobs").rglob("*") if path.is_file()]
    assert len(blobs) == 1
    assert not any((storage / "uploads").iterdir())
    aborted = client.delete(f"/api/uploads/{first}/")
    assert aborted.status_code == 204
    assert default_storage.exists(datasets.blob_name(hashlib.sha256(body).hexdigest()))
    assert Upload.objects.get().id.hex == second.replace("-", "")


def test_on_s3_the_parts_go_to_signed_urls_and_the_server_completes(api, participant, s3):
    client = api(participant)
    body = os.urandom(services.MIN_PART + 1000)

    started = start(client, "big.zip", len(body))
    assert started.status_code == 201, started.content
    declared = started.json()
    assert (declared["method"], declared["url"]) == ("parts", None)
    assert declared["part_size"] == services.MIN_PART
    assert [part["number"] for part in declared["parts"]] == [1, 2]
    assert put(client, declared["id"], body).status_code == 409

    sent = []
    for part in declared["parts"]:
        offset = (part["number"] - 1) * declared["part_size"]
        chunk = body[offset : offset + declared["part_size"]]
        response = httpx.put(part["url"], content=chunk)
        assert response.status_code == 200
        sent.append({"number": part["number"], "etag": response.headers["ETag"]})

    missing = client.post(f"/api/uploads/{declared['id']}/complete/", {}, format="json")
    assert missing.status_code == 409
    assert missing.json() == {"detail": "list the parts sent, each with its number and ETag"}

    done = client.post(f"/api/uploads/{declared['id']}/complete/", {"parts": sent}, format="json")
    assert done.status_code == 200, done.content
    sha256 = hashlib.sha256(body).hexdigest()
    data = Data.objects.get()
    assert (data.sha256, data.size) == (sha256, len(body))
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="podium-test")["Contents"]]
    assert keys == [f"instance/blobs/{sha256[:2]}/{sha256}"]


def test_on_s3_an_abandoned_upload_is_aborted(api, participant, s3):
    client = api(participant)
    declared = start(client, "big.zip", 100).json()
    httpx.put(declared["parts"][0]["url"], content=b"z" * 100)
    assert s3.list_multipart_uploads(Bucket="podium-test").get("Uploads")

    assert client.delete(f"/api/uploads/{declared['id']}/").status_code == 204

    assert not s3.list_multipart_uploads(Bucket="podium-test").get("Uploads")
    assert Upload.objects.count() == 0


def test_a_json_body_sends_the_fact_sheet_as_an_object(api, participant, phase, storage):
    phase.competition.fact_sheet = {
        "method": {
            "key": "method",
            "type": "text",
            "title": "Method",
            "selection": None,
            "is_required": True,
            "is_on_leaderboard": False,
        }
    }
    phase.competition.save(update_fields=["fact_sheet"])
    client = api(participant)
    upload = upload_file(client, results_zip(100))

    wrong = client.post(
        "/api/submissions/",
        {"phase": phase.pk, "upload": upload, "fact_sheet_answers": ["kNN"]},
        format="json",
    )
    created = client.post(
        "/api/submissions/",
        {"phase": phase.pk, "upload": upload, "fact_sheet_answers": {"method": "kNN"}},
        format="json",
    )

    assert wrong.status_code == 400
    assert wrong.json() == {"fact_sheet_answers": ["expected a JSON object"]}
    assert created.status_code == 201, created.content
    assert Submission.objects.get().fact_sheet_answers == {"method": "kNN"}
