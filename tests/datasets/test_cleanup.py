"""The quota cleanup: a user's data files that nothing uses are listed, then deleted with
their bytes; a file anything still uses is never deleted.

Codabench's cleanup once deleted starting kits that phases still offered, because its
idea of "in use" forgot phases (issue 2277). Here every kind of reference is set up at
once, and only the files nothing points at may go.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import IntegrityError, connection, transaction

from podium.audit.models import AuditEntry
from podium.competitions.models import Phase, Solution
from podium.datasets import services
from podium.datasets.models import Data, references
from podium.submissions.services import start_submission
from tests.factories import make_competition, make_data, make_phase, make_task

pytestmark = pytest.mark.django_db

CLEANUP = "/api/user_quota_cleanup/"


@pytest.fixture
def uses(organizer, participant, competition):
    """One of the organizer's files in every place a file can be used, and two unused ones;
    the participant's submission file and its outputs."""
    files = {
        name: make_data(owner=organizer, name=f"{name}.zip", content=name.encode())
        for name in (
            "logo",
            "bundle",
            "starting_kit",
            "public_data",
            "scoring_program",
            "ingestion_program",
            "input_data",
            "reference_data",
            "solution",
            "grouped",
            "old_kit",
            "old_data",
        )
    }
    competition.logo, competition.bundle = files["logo"], files["bundle"]
    competition.save()
    task = make_task(owner=organizer, scoring_program=files["scoring_program"])
    for name in ("ingestion_program", "input_data", "reference_data"):
        setattr(task, name, files[name])
    task.save()
    phase = make_phase(competition=competition, tasks=[task])
    phase.starting_kit, phase.public_data = files["starting_kit"], files["public_data"]
    phase.save()
    solution = Solution.objects.create(
        name="Baseline", data=files["solution"], created_by=organizer
    )
    solution.tasks.add(task)
    services.create_group(by=organizer, name="Kept together", data=[files["grouped"]])
    submission = start_submission(
        owner=participant,
        participant=None,
        phase=phase,
        tasks=[task],
        data=make_data(owner=participant, kind=Data.Kind.SUBMISSION, content=b"predictions"),
        publish=False,
    )
    for field in ("prediction_result", "scoring_result", "detailed_result", "logs"):
        setattr(submission, field, make_data(owner=participant, kind=Data.Kind.OUTPUT))
    submission.save()
    return {**files, "phase": phase, "submission": submission}


def ids(files):
    return [data["id"] for data in files]


def test_only_files_nothing_uses_are_listed(api, organizer, participant, uses):
    response = api(organizer).get(CLEANUP)

    assert response.status_code == 200
    old_kit, old_data = uses["old_kit"], uses["old_data"]
    assert response.json() == {
        "quota_bytes": organizer.storage_quota(),
        "used_bytes": Data.objects.counted_for(organizer).bytes_used(),
        "reclaimable_bytes": old_kit.size + old_data.size,
        "files": [
            {
                "id": data.pk,
                "key": str(data.key),
                "kind": "input_data",
                "name": data.name,
                "size": data.size,
                "created_at": data.created_at.isoformat().replace("+00:00", "Z"),
            }
            for data in (old_kit, old_data)
        ],
    }
    # The participant's submission file and its outputs are all used by the submission.
    assert api(participant).get(CLEANUP).json()["files"] == []


def test_codabench_2277_a_starting_kit_a_phase_still_offers_survives_the_cleanup(
    api, organizer, uses, storage
):
    kit, old_kit, old_data = uses["starting_kit"], uses["old_kit"], uses["old_data"]
    before = set(Data.objects.values_list("pk", flat=True))

    response = api(organizer).post(CLEANUP, {}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (ids(body["files"]), body["reclaimable_bytes"]) == (
        [old_kit.pk, old_data.pk],
        old_kit.size + old_data.size,
    )
    assert body["used_bytes"] == Data.objects.counted_for(organizer).bytes_used()
    assert set(Data.objects.values_list("pk", flat=True)) == before - {old_kit.pk, old_data.pk}
    assert Phase.objects.get(pk=uses["phase"].pk).starting_kit == kit
    assert (storage / kit.file.name).read_bytes() == b"starting_kit"
    assert not (storage / old_kit.file.name).exists()
    assert not (storage / old_data.file.name).exists()
    # Nothing is left to clean, and nothing that is used was touched.
    assert api(organizer).get(CLEANUP).json()["files"] == []


def test_listing_deletes_nothing(api, organizer, uses):
    before = list(Data.objects.order_by("pk").values())

    api(organizer).get(CLEANUP)

    assert list(Data.objects.order_by("pk").values()) == before


def test_given_ids_only_the_callers_unused_files_among_them_go(api, organizer, outsider, uses):
    theirs = make_data(owner=outsider, name="theirs.csv")
    chosen = [uses["old_kit"].pk, uses["starting_kit"].pk, theirs.pk, 999999]

    response = api(organizer).post(CLEANUP, {"ids": chosen}, format="json")

    assert response.status_code == 200
    assert ids(response.json()["files"]) == [uses["old_kit"].pk]
    assert set(Data.objects.filter(pk__in=chosen).values_list("pk", flat=True)) == {
        uses["starting_kit"].pk,
        theirs.pk,
    }


def test_a_file_used_since_it_was_listed_is_kept(api, organizer, competition, uses):
    listed = ids(api(organizer).get(CLEANUP).json()["files"])
    late = make_phase(competition=competition, name="Late")
    late.public_data = uses["old_data"]
    late.save()

    response = api(organizer).post(CLEANUP, {"ids": listed}, format="json")

    assert ids(response.json()["files"]) == [uses["old_kit"].pk]
    late.refresh_from_db()
    assert late.public_data == uses["old_data"]


def test_a_blob_another_row_shares_stays(organizer, outsider, storage):
    unused = make_data(owner=organizer, content=b"same bytes")
    kept = make_data(owner=outsider, content=b"same bytes")

    deleted = services.clean_up(owner=organizer)

    assert [data.pk for data in deleted] == [unused.pk]
    assert list(Data.objects.all()) == [kept]
    assert (storage / kept.file.name).read_bytes() == b"same bytes"


def test_uploads_still_in_progress_are_left_alone(organizer):
    partial = make_data(owner=organizer)
    Data.objects.filter(pk=partial.pk).update(upload_completed=False)

    assert list(services.unused_files(organizer)) == []
    assert services.clean_up(owner=organizer) == []
    assert Data.objects.filter(pk=partial.pk).exists()


def test_a_cleanup_is_audited_and_one_that_deletes_nothing_is_not(api, organizer, uses):
    api(organizer).post(CLEANUP, {}, format="json")
    api(organizer).post(CLEANUP, {}, format="json")

    assert list(
        AuditEntry.objects.filter(action="data.cleanup").values_list(
            "actor_name", "action", "target_type", "target_id", "details"
        )
    ) == [
        (
            "olivia",
            "data.cleanup",
            "user",
            organizer.pk,
            {
                "files": [uses["old_kit"].pk, uses["old_data"].pk],
                "bytes": uses["old_kit"].size + uses["old_data"].size,
            },
        )
    ]


def test_every_reference_to_a_data_file_counts_as_a_use():
    found = {(holder._meta.label, field) for holder, field, _ in references()}

    assert found >= {
        ("competitions.Competition", "logo"),
        ("competitions.Competition", "bundle"),
        ("competitions.Phase", "starting_kit"),
        ("competitions.Phase", "public_data"),
        ("competitions.Task", "scoring_program"),
        ("competitions.Task", "ingestion_program"),
        ("competitions.Task", "input_data"),
        ("competitions.Task", "reference_data"),
        ("competitions.Solution", "data"),
        ("submissions.Submission", "data"),
        ("submissions.Submission", "prediction_result"),
        ("submissions.Submission", "scoring_result"),
        ("submissions.Submission", "detailed_result"),
        ("submissions.Submission", "logs"),
        ("datasets.DataGroupEntry", "data"),
    }
    # The group's many-to-many goes through its entries, counted once.
    assert ("datasets.DataGroup", "data") not in found


def test_deleting_a_starting_kit_a_phase_offers_is_refused(api, organizer, uses, storage):
    kit = uses["starting_kit"]

    response = api(organizer).delete(f"/api/datasets/{kit.pk}/")

    assert response.status_code == 409
    assert response.json() == {"detail": "this file is still used by: phase"}
    assert Phase.objects.get(pk=uses["phase"].pk).starting_kit == kit
    assert (storage / kit.file.name).exists()


def test_deleting_a_submissions_file_names_the_submission(api, participant, uses):
    response = api(participant).delete(f"/api/datasets/{uses['submission'].logs_id}/")

    assert response.status_code == 409
    assert response.json() == {"detail": "this file is still used by: submission"}


@pytest.mark.django_db(transaction=True)
def test_a_starting_kit_given_to_a_phase_during_the_cleanup_is_never_silently_dropped(organizer):
    """The organizer gives a phase the file while the cleanup runs. Either the cleanup waits
    and sees the phase's reference (SQLite: one writer at a time), or it deletes the file
    and the organizer's change is refused when it commits (PostgreSQL: the foreign key
    check). Never both committed with the phase's reference quietly set to nothing."""
    competition = make_competition(owner=organizer)
    phase = make_phase(competition=competition)
    kit = make_data(owner=organizer, kind=Data.Kind.STARTING_KIT)
    referenced = threading.Event()
    edit: list[str] = []
    deleted: list[list[int]] = []

    def organizer_edits_the_phase() -> None:
        try:
            with transaction.atomic():
                Phase.objects.filter(pk=phase.pk).update(starting_kit=kit)
                referenced.set()
                time.sleep(0.5)  # the cleanup runs meanwhile
            edit.append("committed")
        except IntegrityError:
            edit.append("refused")
        finally:
            referenced.set()
            connection.close()

    def cleanup() -> None:
        referenced.wait()
        try:
            deleted.append([data.pk for data in services.clean_up(owner=organizer)])
        finally:
            connection.close()

    threads = [threading.Thread(target=organizer_edits_the_phase), threading.Thread(target=cleanup)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    phase.refresh_from_db()
    outcome = (edit, deleted, phase.starting_kit_id, Data.objects.filter(pk=kit.pk).exists())
    if connection.vendor == "postgresql":
        assert outcome == (["refused"], [[kit.pk]], None, False)
    else:
        assert outcome == (["committed"], [[]], kit.pk, True)


def test_a_cleanup_never_touches_another_users_files(organizer, outsider):
    spare = make_data(owner=organizer)

    assert services.clean_up(owner=outsider) == []
    assert list(Data.objects.all()) == [spare]
