"""`podium bundle upload`, `export` and `check`. `check` runs the server's own parser on the
organizer's machine: the tests compare its verdicts with the server's import of the same
bundle."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from podium.bundles.services import import_bundle
from podium.competitions.models import Competition
from podium_bundle.problems import BundleInvalid
from podium_client import cli
from tests.bundles.builders import write_bundle, zip_folder
from tests.client.conftest import Ran, contest_document, token_for


def offline(*args: str) -> Ran:
    """`podium` with no server configured and no account: what `bundle check` needs."""
    out, err = io.StringIO(), io.StringIO()
    code = cli.run(list(args), stdout=out, stderr=err, stdin=io.StringIO(), environ={})
    return Ran(code, out.getvalue(), err.getvalue())


def broken_document() -> dict:
    """Four problems at once: no title, an unknown task, an unknown column index, an unknown
    submission rule; and one unknown key, a warning."""
    document = contest_document(colour="blue")
    del document["title"]
    document["phases"][0]["tasks"] = [0, 7]
    document["leaderboards"][0]["primary_index"] = 3
    document["leaderboards"][0]["submission_rule"] = "Best_Of_Both"
    return document


def test_bundle_upload_creates_an_unpublished_competition_of_the_caller(
    podium, organizer, tmp_path
):
    folder = write_bundle(tmp_path / "cup", contest_document(colour="blue"))

    ran = podium("bundle", "upload", str(folder), "--json", token=token_for(organizer))

    competition = Competition.objects.get()
    assert ran.code == 0, ran.stderr
    assert (competition.title, competition.created_by, competition.published) == (
        "Client Cup",
        organizer,
        False,
    )
    created = ran.json()
    assert (created["competition"], created["title"]) == (competition.pk, "Client Cup")
    assert [phase["name"] for phase in created["phases"]] == ["Phase"]
    assert created["warnings"] == ["colour: unknown key, ignored"]
    assert ran.stderr.splitlines()[-2:] == [
        "warning: colour: unknown key, ignored",
        f"The competition is not published yet: `podium publish {competition.pk}` when it is "
        "ready.",
    ]


def test_bundle_upload_takes_a_zip_too(podium, organizer, tmp_path):
    folder = write_bundle(tmp_path / "cup", contest_document())
    archive = zip_folder(folder, tmp_path / "cup.zip")

    ran = podium("bundle", "upload", str(archive), token=token_for(organizer))

    competition = Competition.objects.get()
    assert ran.code == 0, ran.stderr
    assert ran.stdout.splitlines()[:2] == [
        f"Competition:   {competition.pk}",
        "Title:         Client Cup",
    ]
    assert competition.bundle is not None
    assert competition.bundle.name == "cup.zip"


def test_a_refused_bundle_lists_every_problem_and_creates_nothing(podium, organizer, tmp_path):
    folder = write_bundle(tmp_path / "broken", broken_document())
    with pytest.raises(BundleInvalid) as server_side:
        import_bundle(source=folder, owner=organizer)

    ran = podium("bundle", "upload", str(folder), token=token_for(organizer))

    assert len(server_side.value.errors) == 4
    assert ran.code == 4
    assert ran.stderr.splitlines()[1:] == [
        "error: POST /api/competitions/upload_bundle/ was refused (400):",
        *(f"  {error}" for error in server_side.value.errors),
    ]
    assert Competition.objects.count() == 0


def test_bundle_upload_needs_an_account(podium, server, tmp_path):
    folder = write_bundle(tmp_path / "cup", contest_document())

    ran = podium("bundle", "upload", str(folder))

    assert ran.code == 3
    assert ran.stderr == (
        f"error: not signed in to {server}: run `podium login`, or pass --token or set "
        "PODIUM_TOKEN\n"
    )


def test_bundle_export_saves_a_bundle_that_imports_as_the_same_competition(
    podium, server, contest, organizer, tmp_path
):
    target = tmp_path / "exported"
    target.mkdir()

    ran = podium("bundle", "export", str(contest.id), "-o", str(target), "--json",
                 token=token_for(organizer))  # fmt: skip

    assert ran.code == 0, ran.stderr
    assert ran.stderr.splitlines()[-1].startswith("Downloading the bundle: ")
    saved = Path(ran.json()["path"])
    assert saved.name == f"competition-{contest.id}.zip"
    assert saved.parent == target
    assert ran.json()["size"] == saved.stat().st_size
    assert [path.name for path in target.iterdir()] == [saved.name]
    checked = offline("bundle", "check", str(saved), "--json")
    assert (checked.code, checked.json()["errors"]) == (0, [])
    again = import_bundle(source=saved, owner=organizer).competition
    original = Competition.objects.get(pk=contest.id)
    assert again.pk != original.pk
    assert again.title == original.title
    assert list(again.phases.values_list("name", flat=True)) == list(
        original.phases.values_list("name", flat=True)
    )


def test_bundle_export_is_for_organizers_only(podium, server, contest, entrant, tmp_path):
    target = tmp_path / "exported"
    target.mkdir()

    ran = podium("bundle", "export", str(contest.id), "-o", str(target),
                 token=token_for(entrant))  # fmt: skip

    assert ran.code == 4
    assert "only organizers may do this to a competition" in ran.stderr
    assert list(target.iterdir()) == []


def test_bundle_check_reads_a_valid_bundle_without_a_server(tmp_path):
    folder = write_bundle(tmp_path / "cup", contest_document())

    ran = offline("bundle", "check", str(folder))
    as_json = offline("bundle", "check", str(folder), "--json")

    assert (ran.code, ran.stderr) == (0, "")
    assert ran.stdout == (
        f"{folder}: a valid bundle (version 2): 'Client Cup', 1 task(s), 1 phase(s), "
        "1 leaderboard(s).\n"
    )
    assert as_json.json() == {
        "valid": True,
        "errors": [],
        "warnings": [],
        "version": "2",
        "title": "Client Cup",
        "tasks": 1,
        "phases": ["Phase"],
        "leaderboards": ["main"],
        "solutions": 0,
    }


def test_bundle_check_reads_a_zip_wrapped_in_a_folder_and_says_so(tmp_path):
    folder = write_bundle(tmp_path / "cup", contest_document())
    archive = zip_folder(folder, tmp_path / "cup.zip", prefix="cup/")

    ran = offline("bundle", "check", str(archive), "--json")

    assert ran.code == 0
    assert ran.json()["warnings"] == [
        "competition.yaml found inside the folder 'cup/'; that folder is used as the bundle's root"
    ]
    assert ran.stderr == (
        "warning: competition.yaml found inside the folder 'cup/'; that folder is used as the "
        "bundle's root\n"
    )


@pytest.mark.django_db
def test_bundle_check_finds_exactly_the_problems_the_server_import_finds(organizer, tmp_path):
    folder = write_bundle(tmp_path / "broken", broken_document())
    with pytest.raises(BundleInvalid) as server_side:
        import_bundle(source=folder, owner=organizer)

    ran = offline("bundle", "check", str(folder))
    as_json = offline("bundle", "check", str(folder), "--json")

    assert ran.code == 1
    assert ran.stdout.splitlines() == [
        f"{folder}: 4 problem(s)",
        *(f"  {error}" for error in server_side.value.errors),
    ]
    assert ran.stderr == "warning: colour: unknown key, ignored\n"
    assert as_json.code == 1
    assert as_json.json() == {
        "valid": False,
        "errors": server_side.value.errors,
        "warnings": server_side.value.warnings,
    }


def test_bundle_check_keeps_within_the_limits_given(tmp_path):
    folder = write_bundle(tmp_path / "cup", contest_document())

    ran = offline("bundle", "check", str(folder), "--max-entries", "3", "--json")

    assert ran.code == 1
    assert json.loads(ran.stdout)["errors"] == [
        f"{folder.name}: too many files (4; the limit is 3)"
    ]


def test_bundle_check_of_nothing_is_a_usage_error(tmp_path):
    ran = offline("bundle", "check", str(tmp_path / "none"))

    assert (ran.code, ran.stderr) == (2, f"error: {tmp_path / 'none'}: no such file or folder\n")


def test_a_link_in_a_bundle_folder_is_refused_before_uploading(podium, organizer, tmp_path):
    folder = write_bundle(tmp_path / "cup", contest_document())
    (folder / "escape.txt").symlink_to(Path("/etc/hostname"))

    ran = podium("bundle", "upload", str(folder), token=token_for(organizer))

    assert ran.code == 1
    assert ran.stderr.splitlines()[-1] == (
        f"error: {folder / 'escape.txt'} is a link; a bundle may not hold links"
    )
    assert Competition.objects.count() == 0
