import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from podium.competitions.models import Task
from podium.datasets.models import Data
from tests.factories import make_data, make_task

pytestmark = pytest.mark.django_db

CONTENT = b"id,label\n1,ripe\n2,unripe\n"
SHA256 = hashlib.sha256(CONTENT).hexdigest()


def upload(client, content=CONTENT, **fields):
    body = {"file": SimpleUploadedFile("labels.csv", content), "kind": "reference_data"}
    return client.post("/api/datasets/", {"name": "Labels", **body, **fields}, format="multipart")


def test_an_upload_is_stored_with_its_hash_and_size(api, organizer, storage):
    response = upload(api(organizer), description="Hidden labels", is_public="false")

    assert response.status_code == 201
    data = Data.objects.get()
    body = response.json()
    assert body == {
        "id": data.pk,
        "key": str(data.key),
        "kind": "reference_data",
        "name": "Labels",
        "description": "Hidden labels",
        "owner": "olivia",
        "is_public": False,
        "sha256": SHA256,
        "size": len(CONTENT),
        "file": f"blobs/{SHA256[:2]}/{SHA256}",
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert (data.owner, data.sha256, data.size) == (organizer, SHA256, len(CONTENT))
    assert (storage / "blobs" / SHA256[:2] / SHA256).read_bytes() == CONTENT


def test_an_upload_over_the_quota_is_refused_and_leaves_nothing(api, organizer, storage):
    organizer.quota_bytes = 10
    organizer.save()

    response = upload(api(organizer), content=b"12345678901")

    assert response.status_code == 400
    assert response.json() == {
        "file": [
            "storage quota exceeded: 0 bytes used + 11 bytes uploaded = 11 bytes, quota is 10 bytes"
        ]
    }
    assert Data.objects.count() == 0
    assert not storage.exists() or list(storage.rglob("*.*")) == []
    assert [path for path in storage.rglob("*") if path.is_file()] == []


def test_only_the_files_people_upload_are_accepted(api, organizer):
    response = upload(api(organizer), kind="log")

    assert response.status_code == 400
    assert response.json() == {"kind": ['"log" is not a valid choice.']}


def test_the_storage_path_is_shown_to_the_owner_only(api, organizer, outsider, admin):
    data = make_data(owner=organizer, content=b"public bytes", is_public=True)
    path = f"/api/datasets/{data.pk}/"

    assert api(organizer).get(path).json()["file"] == data.file.name
    assert api(admin).get(path).json()["file"] == data.file.name
    assert api(outsider).get(path).json()["file"] is None
    assert api(None).get(path).json()["file"] is None


def test_the_list_holds_public_files_and_ones_own(api, organizer, outsider):
    mine = make_data(owner=outsider, name="mine.csv")
    public = make_data(owner=organizer, name="public.csv", is_public=True)
    make_data(owner=organizer, name="private.csv")

    rows = api(outsider).get("/api/datasets/").json()["results"]

    assert [(row["id"], row["name"]) for row in rows] == [
        (mine.pk, "mine.csv"),
        (public.pk, "public.csv"),
    ]


def test_an_update_changes_name_description_and_visibility_only(api, organizer, outsider):
    data = make_data(owner=organizer, kind=Data.Kind.INPUT_DATA, content=b"abc", name="a.csv")

    response = api(organizer).patch(
        f"/api/datasets/{data.pk}/",
        {
            "name": "b.csv",
            "description": "Training set",
            "is_public": True,
            "kind": "reference_data",
            "sha256": "0" * 64,
            "size": 1,
            "owner": outsider.pk,
            "file": "elsewhere",
        },
        format="json",
    )

    assert response.status_code == 200
    data.refresh_from_db()
    assert (data.name, data.description, data.is_public) == ("b.csv", "Training set", True)
    assert (data.kind, data.sha256, data.size, data.owner, data.file.name) == (
        "input_data",
        hashlib.sha256(b"abc").hexdigest(),
        3,
        organizer,
        f"blobs/{data.sha256[:2]}/{data.sha256}",
    )


def test_deleting_a_file_frees_its_blob(api, organizer, storage):
    data = make_data(owner=organizer, content=b"bytes")
    blob = storage / data.file.name

    response = api(organizer).delete(f"/api/datasets/{data.pk}/")

    assert response.status_code == 204
    assert (Data.objects.count(), blob.exists()) == (0, False)


def test_a_file_in_use_cannot_be_deleted(api, organizer, storage):
    program = make_data(owner=organizer, kind=Data.Kind.SCORING_PROGRAM)
    make_task(owner=organizer, scoring_program=program)

    response = api(organizer).delete(f"/api/datasets/{program.pk}/")

    assert response.status_code == 409
    assert response.json() == {"detail": "this file is still used by: task"}
    assert (Data.objects.count(), Task.objects.count()) == (1, 1)
    assert (storage / program.file.name).exists()
