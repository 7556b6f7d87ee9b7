import tempfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from podium.competitions.api import upload_name
from podium.competitions.models import Competition, Task
from podium.datasets.models import Data
from tests.bundles.builders import minimal_document, write_bundle, zip_folder

pytestmark = pytest.mark.django_db


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """The temporary folder the upload and the importer use; empty again afterwards."""
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def bundle(tmp_path, document, name="tiny.zip"):
    folder = write_bundle(tmp_path / "bundle", document)
    zipped = zip_folder(folder, tmp_path / "bundle.zip")
    return SimpleUploadedFile(name, zipped.read_bytes(), "application/zip")


def post(client, file):
    return client.post("/api/competitions/upload_bundle/", {"file": file}, format="multipart")


def test_a_valid_bundle_becomes_an_unpublished_competition_of_the_uploader(
    api, organizer, tmp_path, scratch
):
    response = post(api(organizer), bundle(tmp_path, minimal_document()))

    assert response.status_code == 201, response.content
    competition = Competition.objects.get()
    phase = competition.phases.get()
    task = Task.objects.get()
    assert (competition.title, competition.created_by, competition.published) == (
        "Minimal",
        organizer,
        False,
    )
    assert response.json() == {
        "competition": competition.pk,
        "title": "Minimal",
        "phases": [{"id": phase.pk, "name": "Phase", "tasks": [task.pk]}],
        "tasks": [{"id": task.pk, "name": "Task"}],
        "leaderboards": [{"key": "main", "columns": ["score"]}],
        "solutions": 0,
        "warnings": [],
    }
    assert (competition.bundle.kind, competition.bundle.name) == (Data.Kind.BUNDLE, "tiny.zip")
    assert list(scratch.iterdir()) == []


def test_a_broken_bundle_lists_its_problems_by_key_path_and_saves_nothing(
    api, organizer, tmp_path, scratch
):
    document = minimal_document()
    document["phases"][0]["tasks"] = [3]

    response = post(api(organizer), bundle(tmp_path, document))

    assert response.status_code == 400
    assert response.json() == {
        "errors": ["phases[0].tasks[0]: no task has index 3"],
        "warnings": [],
    }
    assert (Competition.objects.count(), Task.objects.count(), Data.objects.count()) == (0, 0, 0)
    assert list(scratch.iterdir()) == []


def test_a_file_that_is_not_a_zip_is_refused(api, organizer, scratch):
    response = post(api(organizer), SimpleUploadedFile("bundle.zip", b"not a zip"))

    assert (response.status_code, response.json()) == (
        400,
        {"errors": ["bundle.zip is not a zip archive or a folder"], "warnings": []},
    )
    assert Competition.objects.count() == 0
    assert list(scratch.iterdir()) == []


def test_an_upload_without_a_file_is_refused(api, organizer):
    response = api(organizer).post("/api/competitions/upload_bundle/", {}, format="multipart")

    assert (response.status_code, response.json()) == (
        400,
        {"errors": ["file: No file was submitted."], "warnings": []},
    )


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("fruit v2.zip", "fruit v2.zip"),
        ("../../etc/cron.d/x.zip", "x.zip"),
        ("C:\\Users\\me\\b.zip", "b.zip"),
        ("..", "bundle.zip"),
        (".hidden.zip", "bundle.zip"),
        ("", "bundle.zip"),
        (None, "bundle.zip"),
    ],
)
def test_an_uploaded_file_name_is_kept_only_when_plain(sent, kept):
    assert upload_name(sent) == kept
