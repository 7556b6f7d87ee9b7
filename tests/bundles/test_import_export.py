"""Saving parsed bundles, exporting competitions, and the server commands around them."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.core.management import CommandError, call_command

from podium.accounts.models import User
from podium.bundles.export import export_bundle
from podium.bundles.services import import_bundle
from podium.competitions.models import Competition, Phase, Solution, Task
from podium.datasets.models import Data
from podium_bundle.problems import BundleInvalid
from tests.bundles.builders import minimal_document, write_bundle, zip_folder

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "storage")},
        },
    }
    return tmp_path / "storage"


@pytest.fixture
def alice(db) -> User:
    return User.objects.create_user("alice", "alice@example.org", "pw")


@pytest.fixture
def bob(db) -> User:
    return User.objects.create_user("bob", "bob@example.org", "pw")


def blob_sha(data: Data | None) -> str | None:
    if data is None:
        return None
    with default_storage.open(str(data.file.name), "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def snapshot(competition: Competition) -> dict:
    """Everything a competition is, without ids, keys or timestamps."""
    own = {
        field.name: getattr(competition, field.name)
        for field in Competition._meta.concrete_fields
        if field.name
        not in (
            "id",
            "key",
            "created_at",
            "updated_at",
            "created_by",
            "logo",
            "bundle",
            "published",
        )
    }
    phases = []
    task_order: list[int] = []
    for phase in competition.phases.order_by("index"):
        ids = [link.task_id for link in phase.phase_tasks.order_by("index")]
        task_order += [task for task in ids if task not in task_order]
        phases.append(
            {
                **{
                    field.name: getattr(phase, field.name)
                    for field in Phase._meta.concrete_fields
                    if field.name
                    not in ("id", "competition", "starting_kit", "public_data", "leaderboard")
                },
                "tasks": [task_order.index(task) for task in ids],
                "starting_kit": blob_sha(phase.starting_kit),
                "public_data": blob_sha(phase.public_data),
                "leaderboard": phase.leaderboard.key if phase.leaderboard else None,
            }
        )
    tasks = [Task.objects.get(pk=pk) for pk in task_order]
    return {
        "competition": own,
        "logo": blob_sha(competition.logo),
        "pages": list(competition.pages.order_by("index").values_list("index", "title", "content")),
        "phases": phases,
        "tasks": [
            (
                task.name,
                task.description,
                task.ingestion_only_during_scoring,
                blob_sha(task.scoring_program),
                blob_sha(task.ingestion_program),
                blob_sha(task.input_data),
                blob_sha(task.reference_data),
            )
            for task in tasks
        ],
        "solutions": sorted(
            (
                solution.name,
                solution.description,
                blob_sha(solution.data),
                sorted(task_order.index(task.pk) for task in solution.tasks.all()),
            )
            for solution in Solution.objects.filter(tasks__in=tasks).distinct()
        ),
        "leaderboards": [
            (
                board.index,
                board.title,
                board.key,
                board.hidden,
                board.submission_rule,
                board.primary_index,
                list(
                    board.columns.order_by("index").values_list(
                        "index",
                        "title",
                        "key",
                        "sorting",
                        "computation",
                        "computation_indexes",
                        "hidden",
                        "precision",
                    )
                ),
            )
            for board in competition.leaderboards.order_by("index")
        ],
    }


@pytest.mark.parametrize("name", ["iris-results", "code-submission", "multi-task", "efficiency"])
def test_export_then_import_gives_an_equal_competition(name, alice, tmp_path):
    first = import_bundle(source=EXAMPLES / name, owner=alice).competition
    exported = tmp_path / "export.zip"
    export_bundle(first, exported)
    second = import_bundle(source=exported, owner=alice)
    assert second.warnings == []
    assert second.competition.pk != first.pk
    assert snapshot(second.competition) == snapshot(first)


def test_an_import_saves_every_part_of_the_bundle(alice):
    result = import_bundle(source=EXAMPLES / "iris-results", owner=alice)
    competition = result.competition
    assert competition.created_by == alice
    assert competition.published is False
    assert competition.logo is not None
    assert competition.logo.kind == "logo"
    assert [phase.name for phase in competition.phases.order_by("index")] == [
        "Development",
        "Final",
    ]
    assert competition.phases.get(index=1).auto_migrate_to_this_phase is True
    board = competition.leaderboards.get()
    assert [phase.leaderboard_id for phase in competition.phases.all()] == [board.pk, board.pk]
    payload = result.as_json()
    assert payload["competition"] == competition.pk
    assert payload["title"] == competition.title
    assert payload["solutions"] == Solution.objects.filter(created_by=alice).count()
    assert payload["leaderboards"] == [
        {"key": board.key, "columns": [column.key for column in board.columns.order_by("index")]}
    ]


def test_identical_files_are_stored_once(alice, tmp_path, storage):
    document = minimal_document()
    document["tasks"].append({"index": 1, "name": "Twin", "scoring_program": "scoring_copy/"})
    document["phases"][0]["tasks"] = [0, 1]
    folder = write_bundle(
        tmp_path / "b",
        document,
        extra={
            "scoring_copy/metadata.yaml": b"command: python3 score.py\n",
            "scoring_copy/score.py": b"print('scoring')\n",
        },
    )
    import_bundle(source=folder, owner=alice)
    programs = Data.objects.filter(kind="scoring_program")
    assert programs.count() == 2
    assert len({data.sha256 for data in programs}) == 1
    blobs = [path for path in (storage / "blobs").rglob("*") if path.is_file()]
    assert len(blobs) == 2  # the logo and the one program


def test_a_broken_bundle_saves_nothing(alice, tmp_path, storage):
    document = minimal_document()
    document["phases"][0]["tasks"] = [3]
    with pytest.raises(BundleInvalid) as raised:
        import_bundle(source=write_bundle(tmp_path / "b", document), owner=alice)
    assert raised.value.errors == ["phases[0].tasks[0]: no task has index 3"]
    assert (Competition.objects.count(), Task.objects.count(), Data.objects.count()) == (0, 0, 0)
    assert not storage.exists() or not any(path.is_file() for path in storage.rglob("*"))


def test_a_quota_too_small_for_the_bundle_saves_nothing(alice, tmp_path, storage):
    alice.quota_bytes = 100
    alice.save()
    with pytest.raises(BundleInvalid) as raised:
        import_bundle(source=write_bundle(tmp_path / "b", minimal_document()), owner=alice)
    (error,) = raised.value.errors
    assert error.startswith("storage quota exceeded: ")
    assert error.endswith("quota is 100 bytes")
    assert (Competition.objects.count(), Data.objects.count()) == (0, 0)
    assert not any(path.is_file() for path in storage.rglob("*"))


def test_reusing_another_users_private_task_is_refused_like_a_missing_one(alice, bob, tmp_path):
    theirs = import_bundle(source=write_bundle(tmp_path / "a", minimal_document()), owner=bob)
    task = Task.objects.get(phases__competition=theirs.competition)
    document = minimal_document()
    document["tasks"] = [{"index": 0, "key": str(task.key)}]
    with pytest.raises(BundleInvalid) as raised:
        import_bundle(source=write_bundle(tmp_path / "b", document), owner=alice)
    assert raised.value.errors == [f"tasks[0].key: no task '{task.key}' that you may use"]
    task.is_public = True
    task.save()
    mine = import_bundle(source=write_bundle(tmp_path / "c", document), owner=alice).competition
    assert list(Task.objects.filter(phases__competition=mine)) == [task]


def test_a_zip_bundle_is_kept_as_the_competitions_bundle_file(alice, tmp_path):
    bundle = zip_folder(write_bundle(tmp_path / "b", minimal_document()), tmp_path / "b.zip")
    competition = import_bundle(source=bundle, owner=alice).competition
    assert competition.bundle is not None
    assert competition.bundle.kind == "bundle"
    assert competition.bundle.sha256 == hashlib.sha256(bundle.read_bytes()).hexdigest()


def test_phase_offsets_are_converted_to_utc_when_saved(alice, tmp_path):
    document = minimal_document()
    document["phases"][0]["start"] = "2024-01-01T10:00:00+02:00"
    competition = import_bundle(
        source=write_bundle(tmp_path / "b", document), owner=alice
    ).competition
    assert competition.phases.get().start.isoformat() == "2024-01-01T08:00:00+00:00"


def test_the_import_command_prints_the_documented_json(alice):
    out = io.StringIO()
    call_command(
        "import_bundle", str(EXAMPLES / "multi-task"), owner="alice", json=True, stdout=out
    )
    payload = json.loads(out.getvalue())
    competition = Competition.objects.get(pk=payload["competition"])
    assert list(payload) == [
        "competition",
        "title",
        "phases",
        "tasks",
        "leaderboards",
        "solutions",
        "warnings",
    ]
    assert payload["title"] == competition.title
    assert payload["phases"] == [
        {
            "id": phase.pk,
            "name": phase.name,
            "tasks": [link.task_id for link in phase.phase_tasks.order_by("index")],
        }
        for phase in competition.phases.order_by("index")
    ]
    assert len(payload["phases"][0]["tasks"]) == 2
    assert payload["warnings"] == []


def test_the_import_command_prints_every_error_and_fails(alice, tmp_path):
    document = minimal_document()
    document["phases"][0]["start"] = "2019-02-30"
    document["title"] = False
    err = io.StringIO()
    folder = write_bundle(tmp_path / "b", document)
    with pytest.raises(CommandError) as raised:
        call_command("import_bundle", str(folder), owner="alice", stderr=err)
    assert err.getvalue().splitlines() == [
        "error: title: expected text, got a boolean (false); YAML reads unquoted yes/no/on/off "
        "as a boolean, so put the text in quotes",
        "error: phases[0].start: '2019-02-30' is not a real date or time (day is out of range "
        "for month)",
    ]
    assert str(raised.value) == f"{folder}: 2 problem(s); nothing was imported"
    assert Competition.objects.count() == 0


def test_the_export_command_writes_a_bundle_zip(alice, tmp_path):
    competition = import_bundle(source=EXAMPLES / "code-submission", owner=alice).competition
    target = tmp_path / "out.zip"
    call_command("export_bundle", str(competition.pk), str(target), stdout=io.StringIO())
    with zipfile.ZipFile(target) as archive:
        assert "competition.yaml" in archive.namelist()
    assert not target.with_name("out.zip.partial").exists()
