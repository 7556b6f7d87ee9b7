"""The pure parser on folders: no database, no storage."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from podium_bundle import parser
from podium_bundle.problems import BundleInvalid
from podium_worker import archive
from tests.bundles.builders import minimal_document, write_bundle, zip_folder

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def parse(folder: Path, workspace: Path):
    budget = archive.Budget(max_bytes=10**9, max_entries=10_000)
    with parser.unpacked(folder, workspace, budget) as root:
        return parser.parse(root, workspace, budget)


def errors_of(folder: Path, workspace: Path) -> list[str]:
    with pytest.raises(BundleInvalid) as raised:
        parse(folder, workspace)
    return raised.value.errors


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


@pytest.mark.parametrize("name", ["iris-results", "code-submission", "multi-task", "efficiency"])
def test_every_example_bundle_parses_without_warnings(name, workspace):
    spec = parse(EXAMPLES / name, workspace)
    assert spec.warnings == []
    assert spec.version == "2"
    assert len(spec.phases) >= 1
    assert len(spec.tasks) >= 1
    assert len(spec.leaderboards) >= 1


def test_it_reads_a_minimal_bundle_with_codabench_defaults(tmp_path, workspace):
    spec = parse(write_bundle(tmp_path / "b", minimal_document()), workspace)
    assert spec.title == "Minimal"
    assert spec.terms == "# Terms\n\nBe fair.\n"
    assert spec.docker_image == "codalab/codalab-legacy:py37"
    phase = spec.phases[0]
    assert (phase.start, phase.end) == (datetime(2024, 1, 1, tzinfo=UTC), None)
    assert (phase.max_submissions, phase.max_submissions_per_day) == (100, 5)
    assert phase.execution_time_limit == 600
    board = spec.leaderboards[0]
    assert (board.submission_rule, board.primary_index, board.hidden) == ("Add", 0, False)
    assert (board.columns[0].sorting, board.columns[0].precision) == ("desc", 2)


def test_zero_submission_limits_mean_unlimited(tmp_path, workspace):
    document = minimal_document()
    document["phases"][0].update(max_submissions=0, max_submissions_per_day=0)
    spec = parse(write_bundle(tmp_path / "b", document), workspace)
    assert (spec.phases[0].max_submissions, spec.phases[0].max_submissions_per_day) == (None, None)


def test_version_2_0_is_accepted(tmp_path, workspace):
    document = minimal_document() | {"version": "2.0"}
    assert parse(write_bundle(tmp_path / "b", document), workspace).version == "2"


def test_it_lists_every_problem_at_once_with_key_paths(tmp_path, workspace):
    document = minimal_document()
    document["phases"] = [
        {"name": "One", "start": "2024-02-01", "end": "2024-01-01", "tasks": [0]},
        {"name": "Two", "start": "2024-03-01", "tasks": [7]},
    ]
    document["leaderboards"][0]["submission_rule"] = "Force_Worst"
    document["leaderboards"][0]["columns"].append({"title": "Again", "key": "score", "index": 0})
    document["tasks"][0]["reference_data"] = "missing/"
    assert errors_of(write_bundle(tmp_path / "b", document), workspace) == [
        "tasks[0].reference_data: 'missing/' is not in the bundle",
        "leaderboards[0].columns[1].index: another column already has index 0",
        "leaderboards[0].columns[1].key: another column already has key 'score'",
        "leaderboards[0].submission_rule: must be one of Add, Add_And_Delete, "
        "Add_And_Delete_Multiple, Force_Last, Force_Latest_Multiple, Force_Best; "
        "got text ('Force_Worst')",
        "phases[0].end: before start (2024-01-01 00:00 UTC is not after 2024-02-01 00:00 UTC)",
        "phases[1].tasks[0]: no task has index 7",
    ]


def test_unknown_keys_are_warnings_with_a_suggestion(tmp_path, workspace):
    document = minimal_document()
    document["phases"][0]["execution_time_limt"] = 60
    document["colour"] = "blue"
    spec = parse(write_bundle(tmp_path / "b", document), workspace)
    assert spec.warnings == [
        "colour: unknown key, ignored",
        "phases[0].execution_time_limt: unknown key, ignored; did you mean 'execution_time_limit'?",
    ]


def test_only_the_last_phase_may_be_open_ended(tmp_path, workspace):
    document = minimal_document()
    document["phases"] = [
        {"name": "One", "start": "2024-01-01", "tasks": [0]},
        {"name": "Two", "start": "2024-03-01", "tasks": [0]},
    ]
    assert errors_of(write_bundle(tmp_path / "b", document), workspace) == [
        "phases[0].end: required: only the last phase may be open-ended"
    ]


def test_phases_are_ordered_by_their_index(tmp_path, workspace):
    document = minimal_document()
    document["phases"] = [
        {"index": 1, "name": "Final", "start": "2024-03-01", "tasks": [0]},
        {"index": 0, "name": "Dev", "start": "2024-01-01", "end": "2024-03-01", "tasks": [0]},
    ]
    spec = parse(write_bundle(tmp_path / "b", document), workspace)
    assert [(phase.index, phase.name) for phase in spec.phases] == [(0, "Dev"), (1, "Final")]


def test_a_phase_may_name_its_leaderboard(tmp_path, workspace):
    document = minimal_document()
    document["leaderboards"].append(
        {"title": "Final", "key": "final", "columns": [{"title": "F", "key": "f", "index": 0}]}
    )
    document["phases"][0]["leaderboard"] = "final"
    spec = parse(write_bundle(tmp_path / "b", document), workspace)
    assert spec.phases[0].leaderboard == "final"
    document["phases"][0]["leaderboard"] = "nope"
    assert errors_of(write_bundle(tmp_path / "c", document), workspace) == [
        "phases[0].leaderboard: no leaderboard has key 'nope'"
    ]


def test_a_scoring_program_needs_a_metadata_command(tmp_path, workspace):
    folder = write_bundle(tmp_path / "b", minimal_document())
    (folder / "scoring" / "metadata.yaml").write_text("description: no command here\n")
    assert errors_of(folder, workspace) == [
        "tasks[0].scoring_program (metadata.yaml): needs a 'command:' line"
    ]


def test_a_program_may_be_a_zip_wrapping_one_folder(tmp_path, workspace):
    document = minimal_document()
    document["tasks"][0]["scoring_program"] = "scoring.zip"
    folder = write_bundle(tmp_path / "b", document)
    zip_folder(folder / "scoring", folder / "scoring.zip", prefix="scoring_program/")
    spec = parse(folder, workspace)
    assert spec.warnings == [
        "tasks[0].scoring_program: program wrapped in the folder 'scoring_program/'; using it"
    ]
    program = spec.tasks[0].scoring_program
    assert program is not None
    assert program.folder is not None
    assert sorted(path.name for path in program.folder.iterdir()) == ["metadata.yaml", "score.py"]


def test_a_bundle_zip_wrapped_in_one_folder_is_accepted_with_a_note(tmp_path, workspace):
    folder = write_bundle(tmp_path / "b", minimal_document())
    bundle = zip_folder(folder, tmp_path / "bundle.zip", prefix="my-competition/")
    spec = parse(bundle, workspace)
    assert spec.warnings == [
        "competition.yaml found inside the folder 'my-competition/'; that folder is used as the "
        "bundle's root"
    ]


def test_computed_columns_need_both_keys_and_known_indexes(tmp_path, workspace):
    document = minimal_document()
    document["leaderboards"][0]["columns"] += [
        {"title": "Avg", "key": "avg", "index": 1, "computation": "avg"},
        {
            "title": "Sum",
            "key": "sum",
            "index": 2,
            "computation": "sum",
            "computation_indexes": [0, 9],
        },
        {
            "title": "Max",
            "key": "max",
            "index": 3,
            "computation": None,
            "computation_indexes": None,
        },
    ]
    assert errors_of(write_bundle(tmp_path / "b", document), workspace) == [
        "leaderboards[0].columns[1].computation: computation and computation_indexes go "
        "together: give both or neither",
        "leaderboards[0].columns[2].computation_indexes: no column has index 9",
    ]


def test_measurement_columns_must_be_known(tmp_path, workspace):
    document = minimal_document()
    document["leaderboards"][0]["columns"].append(
        {"title": "Time", "key": "podium:prediction.wall_time", "index": 1, "sorting": "asc"}
    )
    assert parse(write_bundle(tmp_path / "b", document), workspace).warnings == []
    document["leaderboards"][0]["columns"][1]["key"] = "podium:prediction.speed"
    (error,) = errors_of(write_bundle(tmp_path / "c", document), workspace)
    assert error.startswith("leaderboards[0].columns[1].key: unknown measurement; known: ")


def test_fact_sheet_questions_are_checked_and_booleans_may_be_strings(tmp_path, workspace):
    document = minimal_document()
    document["fact_sheet"] = {
        "method": {"key": "method", "type": "text", "title": "Method", "is_required": "true"},
        "gpu": {
            "key": "gpu",
            "type": "select",
            "title": "GPU",
            "selection": ["none", "A100"],
            "is_on_leaderboard": "false",
        },
    }
    spec = parse(write_bundle(tmp_path / "b", document), workspace)
    assert spec.fact_sheet == {
        "method": {
            "key": "method",
            "type": "text",
            "title": "Method",
            "selection": None,
            "is_required": True,
            "is_on_leaderboard": False,
        },
        "gpu": {
            "key": "gpu",
            "type": "select",
            "title": "GPU",
            "selection": ["none", "A100"],
            "is_required": False,
            "is_on_leaderboard": False,
        },
    }
    document["fact_sheet"] = {"a": {"key": "b", "type": "select", "title": "A"}}
    assert errors_of(write_bundle(tmp_path / "c", document), workspace) == [
        "fact_sheet.a.key: must equal its mapping key 'a'",
        "fact_sheet.a.selection: a select question needs a list of options",
    ]


def test_a_task_may_reuse_an_existing_task_by_key(tmp_path, workspace):
    document = minimal_document()
    document["tasks"] = [{"index": 0, "key": "9f1c2a3b-0000-4000-8000-000000000001"}]
    spec = parse(write_bundle(tmp_path / "b", document), workspace)
    assert spec.tasks[0].key == "9f1c2a3b-0000-4000-8000-000000000001"
    assert spec.tasks[0].scoring_program is None


LEGACY = """\
title: Old CodaLab competition
description: From 2016
image: logo.png
has_registration: True
competition_docker_image: codalab/legacy:py2
end_date: 2017-06-01
html:
  overview: overview.html
  evaluation: evaluation.html
  terms: terms.md
phases:
  1:
    phasenumber: 1
    label: Development
    start_date: 2016-01-01
    max_submissions: 50
    scoring_program: scoring/
    reference_data: scoring/
  2:
    phasenumber: 2
    label: Final
    start_date: 2016-06-01
    auto_migration: True
    scoring_program: scoring/
    reference_data: scoring/
  3:
    phasenumber: 3
    label: Parent
    start_date: 2016-06-01
    is_parallel_parent: True
leaderboard:
  leaderboards:
    RESULTS: &RESULTS
      label: Results
      rank: 1
  columns:
    accuracy:
      leaderboard: *RESULTS
      label: Accuracy
      rank: 1
      numeric_format: 4
      sort: desc
    time:
      leaderboard: *RESULTS
      label: Time
      rank: 2
      sort: asc
"""


def test_it_reads_codalab_1_5_bundles_as_best_effort(tmp_path, workspace):
    folder = write_bundle(
        tmp_path / "b",
        LEGACY,
        extra={"overview.html": b"<p>Hello</p>", "evaluation.html": b"<p>Scored</p>"},
    )
    spec = parse(folder, workspace)
    assert spec.version == "1.5"
    assert spec.warnings == [
        "version: missing; read as a CodaLab 1.5 bundle",
        "phases.3: parallel parent phase dropped; its children are kept",
    ]
    assert spec.flags["registration_auto_approve"] is False
    assert spec.docker_image == "codalab/legacy:py2"
    assert [(page.title, page.content) for page in spec.pages] == [
        ("Overview", "<p>Hello</p>"),
        ("Evaluation", "<p>Scored</p>"),
    ]
    assert [(p.name, p.start, p.end, p.tasks, p.max_submissions) for p in spec.phases] == [
        (
            "Development",
            datetime(2016, 1, 1, tzinfo=UTC),
            datetime(2016, 6, 1, tzinfo=UTC),
            [0],
            50,
        ),
        ("Final", datetime(2016, 6, 1, tzinfo=UTC), datetime(2017, 6, 1, tzinfo=UTC), [0], 100),
    ]
    assert spec.phases[1].auto_migrate_to_this_phase is True
    (board,) = spec.leaderboards
    assert (board.key, board.title, board.primary_index) == ("RESULTS", "Results", 0)
    assert [(c.key, c.title, c.index, c.sorting, c.precision) for c in board.columns] == [
        ("accuracy", "Accuracy", 0, "desc", 4),
        ("time", "Time", 1, "asc", 2),
    ]


CODABENCH_SHAPED = """\
# Written the way Codabench's public example bundles are: comments, month-first dates,
# explicit nulls, empty solution lists on phases, leaderboard indexes, string booleans.
version: 2
title: Shaped like Codabench
description: Every habit of real bundles at once.
image: logo.png
registration_auto_approve: True
docker_image: 'codalab/codalab-legacy:py39'
enable_detailed_results: True
terms: terms.md
pages:
  - title: Overview
    file: terms.md
tasks:
- index: 0
  name: Development Task
  description: 'Feedback on the validation set.'
  is_public: false
  input_data: scoring/
  reference_data: reference.zip
  scoring_program: scoring/
  ingestion_program: scoring/
- index: 1
  name: Final Task
  is_public: false
  reference_data: reference.zip
  scoring_program: scoring/
solutions: []
phases:
- index: 0
  name: Development
  start: 1-1-2026 # Month/Day/Year
  end: 12-31-2026
  max_submissions_per_day: 5
  max_submissions: 100
  execution_time_limit: 500
  tasks:
  - 0
  solutions: []
  starting_kit: scoring
- index: 1
  name: Final
  start: 1-1-2027 # never ends
  max_submissions_per_day: 0
  tasks:
  - 1
fact_sheet: {
    "method_name": {
        "key": "method_name", "type": "text", "title": "Method name", "selection": "",
        "is_required": "false", "is_on_leaderboard": "true"
    }
}
leaderboards:
- index: 0
  title: Results
  key: Results
  submission_rule: "Force_Last"
  columns:
  - title: Average Rank
    key: avg_rank
    index: 0
    sorting: asc
    computation: avg_rank
    computation_indexes: [1, 2]
  - title: Prediction score
    key: set1_score
    index: 1
    sorting: desc
    computation: null
    computation_indexes: null
  - title: Duration
    key: Duration
    index: 2
    sorting: asc
"""


def test_it_accepts_bundles_written_the_way_codabench_users_write_them(tmp_path, workspace):
    folder = write_bundle(tmp_path / "b", CODABENCH_SHAPED)
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "truth.csv").write_text("id,label\n1,a\n")
    zip_folder(reference, folder / "reference.zip")
    spec = parse(folder, workspace)
    assert spec.warnings == []
    assert [(p.name, p.start, p.end, p.max_submissions_per_day) for p in spec.phases] == [
        ("Development", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 12, 31, tzinfo=UTC), 5),
        ("Final", datetime(2027, 1, 1, tzinfo=UTC), None, None),
    ]
    assert [task.is_public for task in spec.tasks] == [False, False]
    assert spec.fact_sheet == {
        "method_name": {
            "key": "method_name",
            "type": "text",
            "title": "Method name",
            "selection": None,
            "is_required": False,
            "is_on_leaderboard": True,
        }
    }
    columns = spec.leaderboards[0].columns
    assert [(c.key, c.computation, c.computation_indexes) for c in columns] == [
        ("avg_rank", "avg_rank", [1, 2]),
        ("set1_score", "", None),
        ("Duration", "", None),
    ]
    reference_data = spec.tasks[0].reference_data
    assert reference_data is not None
    assert reference_data.folder is not None
    assert (reference_data.folder / "truth.csv").read_text() == "id,label\n1,a\n"


def test_a_flood_of_problems_is_cut_to_the_first_hundred(tmp_path, workspace):
    document = minimal_document()
    document["phases"][0]["tasks"] = list(range(1, 151))
    errors = errors_of(write_bundle(tmp_path / "b", document), workspace)
    assert len(errors) == 101
    assert errors[0] == "phases[0].tasks[0]: no task has index 1"
    assert errors[-1] == "... and 50 more problems"
