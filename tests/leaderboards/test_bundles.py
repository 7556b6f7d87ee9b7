"""A bundle's leaderboards: Podium's optional keys (release date, anonymity, frontier),
custom metric columns, per-phase leaderboards, and the round trip through an export."""

from __future__ import annotations

from pathlib import Path

import pytest

from podium.bundles import parser
from podium.bundles.export import export_bundle
from podium.bundles.problems import BundleInvalid
from podium.bundles.services import import_bundle
from podium_worker import archive
from tests.bundles.builders import minimal_document, write_bundle

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def parse(folder: Path, tmp_path: Path):
    workspace = tmp_path / "workspace"
    workspace.mkdir(exist_ok=True)
    budget = archive.Budget(max_bytes=10**9, max_entries=10_000)
    with parser.unpacked(folder, workspace, budget) as root:
        return parser.parse(root, workspace, budget)


def errors(document: dict, tmp_path: Path) -> list[str]:
    with pytest.raises(BundleInvalid) as raised:
        parse(write_bundle(tmp_path / "bundle", document), tmp_path)
    return raised.value.errors


def efficiency_document() -> dict:
    document = minimal_document()
    document["phases"] = [
        {"name": "Development", "start": "2024-01-01", "end": "2024-06-01", "tasks": [0]},
        {"name": "Final", "start": "2024-06-01", "tasks": [0], "leaderboard": "final"},
    ]
    document["leaderboards"] = [
        {
            "title": "Results",
            "key": "main",
            "columns": [{"title": "Score", "key": "score", "index": 0}],
        },
        {
            "title": "Final",
            "key": "final",
            "submission_rule": "Force_Best",
            "release_date": "2030-06-01 12:00",
            "anonymous": True,
            "frontier": {"score": "score", "cost": "podium:prediction.wall_time"},
            "columns": [
                {"title": "Score", "key": "score", "index": 0},
                {
                    "title": "Time",
                    "key": "podium:prediction.wall_time",
                    "index": 1,
                    "sorting": "asc",
                },
                {"title": "FLOPs", "key": "podium:custom.flops", "index": 2, "sorting": "asc"},
            ],
        },
    ]
    return document


def test_podiums_leaderboard_keys_are_read(tmp_path):
    spec = parse(write_bundle(tmp_path / "bundle", efficiency_document()), tmp_path)

    main, final = spec.leaderboards
    assert (main.release_date, main.anonymous, main.frontier) == (None, False, None)
    assert final.release_date.isoformat() == "2030-06-01T12:00:00+00:00"
    assert final.anonymous is True
    assert final.frontier == ("score", "podium:prediction.wall_time")
    assert [phase.leaderboard for phase in spec.phases] == [None, "final"]
    assert spec.warnings == []


@pytest.mark.parametrize(
    ("frontier", "expected"),
    [
        (
            "score",
            ["leaderboards[1].frontier: expected a mapping of score and cost, got text ('score')"],
        ),
        ({"score": "score"}, ["leaderboards[1].frontier.cost: required: a column key"]),
        (
            {"score": "score", "cost": "time"},
            ["leaderboards[1].frontier.cost: no column has key 'time'"],
        ),
        (
            {"score": "score", "cost": "score"},
            ["leaderboards[1].frontier.cost: must be another column than the score"],
        ),
        (
            {"score": "score", "cost": "podium:custom.flops", "x": 1},
            ["leaderboards[1].frontier: unknown keys x: expected score and cost"],
        ),
    ],
)
def test_a_frontier_names_two_columns_of_its_leaderboard(frontier, expected, tmp_path):
    document = efficiency_document()
    document["leaderboards"][1]["frontier"] = frontier

    assert errors(document, tmp_path) == expected


def test_a_release_date_must_be_a_date(tmp_path):
    document = efficiency_document()
    document["leaderboards"][1]["release_date"] = "next spring"

    (error,) = errors(document, tmp_path)

    assert error.startswith("leaderboards[1].release_date: ")


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("podium:custom.energy_kWh", None),
        ("podium:custom.", "a custom metric is podium:custom.NAME"),
        ("podium:custom.a b", "a custom metric is podium:custom.NAME"),
        ("podium:speed", "unknown measurement; known: "),
    ],
)
def test_reserved_keys_are_measurements_or_custom_metrics(key, problem, tmp_path):
    document = minimal_document()
    document["leaderboards"][0]["columns"].append({"title": "X", "key": key, "index": 1})

    if problem is None:
        assert parse(write_bundle(tmp_path / "bundle", document), tmp_path).warnings == []
    else:
        (error,) = errors(document, tmp_path)
        assert error.startswith(f"leaderboards[0].columns[1].key: {problem}")


@pytest.mark.django_db
def test_the_keys_are_saved_and_survive_an_export(tmp_path, organizer):
    source = write_bundle(tmp_path / "bundle", efficiency_document())
    first = import_bundle(source=source, owner=organizer).competition
    exported = tmp_path / "export.zip"
    export_bundle(first, exported)
    second = import_bundle(source=exported, owner=organizer).competition

    def boards(competition):
        return [
            (
                board.key,
                board.submission_rule,
                board.release_date,
                board.anonymous,
                board.frontier,
                list(board.columns.values_list("key", flat=True)),
                [phase.name for phase in board.phases.order_by("index")],
            )
            for board in competition.leaderboards.order_by("index")
        ]

    assert boards(second) == boards(first)
    assert boards(first)[1][2:5] == (
        first.leaderboards.get(key="final").release_date,
        True,
        ("score", "podium:prediction.wall_time"),
    )
    assert [phase.leaderboard.key for phase in first.phases.order_by("index")] == ["main", "final"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["iris-results", "code-submission", "multi-task", "interactive"])
def test_codabench_style_bundles_export_without_podiums_keys(name, tmp_path, organizer):
    import zipfile

    import yaml

    competition = import_bundle(source=EXAMPLES / name, owner=organizer).competition
    exported = tmp_path / "export.zip"
    export_bundle(competition, exported)

    with zipfile.ZipFile(exported) as archive_file:
        document = yaml.safe_load(archive_file.read("competition.yaml"))
    for board in document["leaderboards"]:
        assert not {"release_date", "anonymous", "frontier"} & set(board)


@pytest.mark.django_db
def test_the_efficiency_example_keeps_its_frontier_through_export(tmp_path, organizer):
    import zipfile

    import yaml

    competition = import_bundle(source=EXAMPLES / "efficiency", owner=organizer).competition
    exported = tmp_path / "export.zip"
    export_bundle(competition, exported)

    with zipfile.ZipFile(exported) as archive_file:
        document = yaml.safe_load(archive_file.read("competition.yaml"))
    ((board,),) = [document["leaderboards"]]
    assert board["frontier"] == {"score": "score", "cost": "podium:prediction.wall_time"}
    assert not {"release_date", "anonymous"} & set(board)
