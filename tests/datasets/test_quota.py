"""Storage quotas: every upload path refuses a file that does not fit with an error that
names the bytes used, the bytes uploaded and the quota, and stores nothing; parallel
uploads cannot together pass a quota."""

from __future__ import annotations

import io
import zipfile
from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from podium.competitions.models import Competition
from podium.datasets import services
from podium.datasets.models import Data
from podium.submissions.models import Submission
from tests.bundles.builders import minimal_document, tiny_png, write_bundle, zip_folder
from tests.concurrency import race
from tests.factories import make_data, make_phase, make_task

pytestmark = pytest.mark.django_db


def refusal(used: int, size: int, quota: int) -> str:
    return (
        f"storage quota exceeded: {used} bytes used + {size} bytes uploaded = {used + size} "
        f"bytes, quota is {quota} bytes"
    )


def stored_files(storage):
    return sorted(path.name for path in storage.rglob("*") if path.is_file())


def results_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", "1\n")
    return buffer.getvalue()


def test_the_datasets_api_names_the_bytes_used_and_the_quota(api, organizer, storage):
    make_data(owner=organizer, content=b"123456")
    organizer.quota_bytes = 10
    organizer.save()
    before = stored_files(storage)

    response = api(organizer).post(
        "/api/datasets/",
        {"file": SimpleUploadedFile("x.csv", b"12345"), "kind": "input_data", "name": "X"},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"file": [refusal(6, 5, 10)]}
    assert (Data.objects.count(), stored_files(storage)) == (1, before)


def test_a_bundle_upload_names_the_bytes_used_and_the_quota(api, organizer, tmp_path, storage):
    organizer.quota_bytes = 10
    organizer.save()
    bundle = zip_folder(write_bundle(tmp_path / "bundle", minimal_document()), tmp_path / "b.zip")

    response = api(organizer).post(
        "/api/competitions/upload_bundle/",
        {"file": SimpleUploadedFile("b.zip", bundle.read_bytes(), "application/zip")},
        format="multipart",
    )

    # The logo is the first file the import stores.
    assert response.status_code == 400
    assert response.json() == {"errors": [refusal(0, len(tiny_png()), 10)], "warnings": []}
    assert (Competition.objects.count(), Data.objects.count(), stored_files(storage)) == (0, 0, [])


def test_a_submission_names_the_bytes_used_and_the_quota(
    api, participant, competition, organizer, storage
):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    make_data(owner=participant, content=b"123456")
    participant.quota_bytes = 10
    participant.save()
    archive = results_zip()
    files_before = Data.objects.count()

    response = api(participant).post(
        "/api/submissions/",
        {"file": SimpleUploadedFile("results.zip", archive), "phase": phase.pk},
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": refusal(6, len(archive), 10)}
    assert (Submission.objects.count(), Data.objects.count()) == (0, files_before)


def test_the_quota_is_read_from_the_owners_row_as_it_is_now(organizer):
    services.store_bytes(owner=organizer, kind="input_data", name="a", content=b"12345")
    type(organizer).objects.filter(pk=organizer.pk).update(quota_bytes=7)

    # `organizer` in memory still has no quota of its own (the platform default).
    with pytest.raises(services.QuotaExceeded) as raised:
        services.store_bytes(owner=organizer, kind="input_data", name="b", content=b"123")

    assert str(raised.value) == refusal(5, 3, 7)


def test_a_file_exactly_filling_the_quota_fits(organizer):
    organizer.quota_bytes = 8
    organizer.save()
    services.store_bytes(owner=organizer, kind="input_data", name="a", content=b"12345")
    services.store_bytes(owner=organizer, kind="input_data", name="b", content=b"123")

    assert Data.objects.counted_for(organizer).bytes_used() == 8


@pytest.mark.django_db(transaction=True)
def test_parallel_uploads_cannot_together_pass_the_quota(organizer):
    organizer.quota_bytes = 10
    organizer.save()

    def upload(index: int) -> object:
        return services.store_bytes(
            owner=organizer, kind="input_data", name=f"{index}", content=f"abc{index}".encode()
        )

    outcomes = race(
        [partial(upload, index) for index in range(6)],
        refused=services.QuotaExceeded,
        done="stored",
        describe=lambda exc: f"refused with {exc.used} used",
    )

    assert sorted(outcomes) == ["refused with 8 used"] * 4 + ["stored"] * 2
    assert Data.objects.counted_for(organizer).bytes_used() == 8
