"""The Python client (`podium_client.Client`) against a live server, and its pure parts."""

from __future__ import annotations

import os
import zipfile

import pytest

from podium.submissions.models import Submission
from podium.uploads.models import Upload
from podium_client import client as client_module
from podium_client.client import CHUNK, ENDED, Client, server_url
from podium_client.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    EndpointMissing,
    NotFound,
    PermissionDenied,
    Throttled,
    messages,
)
from podium_worker.protocol import TERMINAL
from tests.bundles import test_s3_storage
from tests.client.conftest import finish, results_zip, token_for, verified
from tests.factories import make_competition, make_user

s3 = test_s3_storage.s3
UPLOAD_PART = 5 * 1024 * 1024  # S3's smallest part: the file takes two


def test_a_list_is_read_page_after_page(server, organizer, monkeypatch):
    for title in ("First", "Second", "Third"):
        make_competition(owner=organizer, title=title)
    monkeypatch.setattr(client_module, "PAGE_SIZE", 1)

    with Client(server) as podium:
        titles = [row["title"] for row in podium.competitions()]

    assert titles == ["Third", "Second", "First"]


def test_the_upload_progress_follows_the_file_to_its_end(server, contest, entrant, tmp_path):
    upload = tmp_path / "big.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        archive.writestr("predictions.csv", "id,label\n1,setosa\n")
        archive.writestr("noise.bin", os.urandom(5 * CHUNK + 1000))  # incompressible
    seen: list[tuple[int, int]] = []

    with Client(server, token_for(entrant)) as podium:
        created = podium.submit(
            phase=contest.phase,
            path=upload,
            progress=lambda done, total: seen.append((done, total)),
        )

    size = upload.stat().st_size
    assert created["status"] == "submitted"
    assert Submission.objects.get(pk=created["id"]).data.size == size
    assert seen[-1] == (size, size)
    assert {total for _, total in seen} == {size}
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) >= 5  # read in chunks, never whole


def test_a_refused_submission_leaves_no_upload_behind(server, contest, applicant, tmp_path):
    with Client(server, token_for(applicant)) as podium, pytest.raises(PermissionDenied):
        podium.submit(phase=contest.phase, path=results_zip(tmp_path / "upload"))

    assert not Submission.objects.exists()
    assert not Upload.objects.exists()


def test_on_s3_the_client_sends_parts_to_signed_urls(server, contest, entrant, s3, tmp_path):
    upload = tmp_path / "big.zip"
    with zipfile.ZipFile(upload, "w") as archive:
        archive.writestr("predictions.csv", "id,label\n1,setosa\n")
        archive.writestr("noise.bin", os.urandom(UPLOAD_PART + 1000))
    seen: list[int] = []

    with Client(server, token_for(entrant)) as podium:
        created = podium.submit(
            phase=contest.phase, path=upload, progress=lambda done, total: seen.append(done)
        )

    stored = Submission.objects.get(pk=created["id"]).data
    assert stored.size == upload.stat().st_size
    assert seen[-1] == upload.stat().st_size
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket="podium-test")["Contents"]]
    assert f"instance/{stored.file.name}" in keys
    assert not s3.list_multipart_uploads(Bucket="podium-test").get("Uploads")


def test_errors_carry_the_status_and_the_servers_own_words(
    server, contest, entrant, applicant, tmp_path, jobs
):
    with Client(server, "pdt_unknown") as stranger, pytest.raises(AuthenticationFailed) as unknown:
        stranger.competitions()
    with Client(server, token_for(entrant)) as podium:
        with pytest.raises(NotFound) as missing:
            podium.competition(999)
        with pytest.raises(BadRequest) as invalid:
            podium.request("POST", "/api/participants/", json={"competition": "x"})
        created = podium.submit(phase=contest.phase, path=results_zip(tmp_path / "upload"))
        finish(jobs[0], tmp_path / "outputs", scores={"score": 0.5})
        with pytest.raises(Conflict) as conflict:
            podium.cancel(created["id"])
    with Client(server, token_for(applicant)) as pending, pytest.raises(PermissionDenied) as denied:
        pending.submit(phase=contest.phase, path=results_zip(tmp_path / "again"))

    assert (unknown.value.status, str(unknown.value)) == (401, "Invalid token.")
    assert (missing.value.status, missing.value.errors) == (
        404,
        ["No Competition matches the given query."],
    )
    assert invalid.value.status == 400
    assert invalid.value.errors == ["competition: Incorrect type. Expected pk value, received str."]
    assert invalid.value.body == {
        "competition": ["Incorrect type. Expected pk value, received str."]
    }
    assert conflict.value.status == 409
    assert (denied.value.status, denied.value.method, denied.value.path) == (
        403,
        "POST",
        "/api/submissions/",
    )
    assert str(denied.value) == "your registration is pending"


def test_an_endpoint_the_server_lacks_is_told_apart_from_an_object_it_lacks(server):
    with Client(server) as podium, pytest.raises(EndpointMissing) as caught:
        podium.request("GET", "/api/no-such-thing/")

    assert caught.value.status == 404
    assert str(caught.value) == (
        f"{server} has no endpoint GET /api/no-such-thing/ (an older Podium, or not a Podium "
        "server)"
    )


def test_obtaining_a_token_signs_the_client_in(server):
    verified(make_user("lena"))

    with Client(server) as podium:
        created = podium.obtain_token("lena", "pw", name="notebook")
        me = podium.me()

    assert podium.token == created["token"]
    assert created["name"] == "notebook"
    assert me["username"] == "lena"


def test_too_many_sign_in_attempts_say_when_to_try_again(server):
    verified(make_user("lena"))
    seen: list[tuple[int, int | None, str]] = []

    with Client(server) as podium:
        for _ in range(12):
            try:
                podium.obtain_token("lena", "wrong")
            except (BadRequest, Throttled) as refused:
                retry = refused.retry_after if isinstance(refused, Throttled) else None
                seen.append((refused.status, retry, str(refused)))

    wrong = (400, None, "the username or password is not correct")
    account_limit = (
        429,
        None,
        "too many failed sign-in attempts (for this account or from this address); try again "
        "in a few minutes",
    )
    address_limit = (429, 60, "Request was throttled. Expected available in 60 seconds.")
    # Five failures per account in five minutes, then ten attempts per address a minute.
    assert seen == [wrong] * 5 + [account_limit] * 5 + [address_limit] * 2


def test_wait_answers_the_details_once_the_submission_has_ended(
    server, contest, entrant, tmp_path, jobs
):
    looks: list[str] = []
    with Client(server, token_for(entrant)) as podium:
        created = podium.submit(phase=contest.phase, path=results_zip(tmp_path / "upload"))
        finish(jobs[0], tmp_path / "outputs", scores={"score": 0.25})
        details = podium.wait(
            created["id"], poll=0.05, on_details=lambda d: looks.append(d["status"])
        )

    assert (details["status"], details["scores"]) == ("finished", {"score": 0.25})
    assert looks == ["finished"]


def test_messages_reads_every_shape_of_drf_error():
    assert messages({"detail": "Not found."}) == ["Not found."]
    assert messages({"phase": ["Invalid pk."], "file": ["Required.", "Too big."]}) == [
        "phase: Invalid pk.",
        "file: Required.",
        "file: Too big.",
    ]
    assert messages({"non_field_errors": ["Send a file or an upload."]}) == [
        "Send a file or an upload."
    ]
    assert messages({"answers": {"team": ["Required."]}}) == ["answers.team: Required."]
    assert messages({"questions": [{}, {"label": ["Too long."]}]}) == [
        "questions[1].label: Too long."
    ]
    assert messages({"errors": ["title: required"], "warnings": ["x: unknown key"]}) == [
        "title: required"
    ]
    assert messages("plain text") == ["plain text"]
    assert messages(None) == []


def test_the_server_address_is_read_as_people_write_it():
    assert server_url("podium.example.org") == "https://podium.example.org"
    assert server_url("https://podium.example.org/api/") == "https://podium.example.org"
    assert server_url(" http://127.0.0.1:8000/ ") == "http://127.0.0.1:8000"
    assert server_url("localhost:8000") == "http://localhost:8000"


def test_the_ended_statuses_are_the_workers_terminal_ones():
    assert frozenset(status.value for status in TERMINAL) == ENDED
