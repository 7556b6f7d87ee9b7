"""CodaLab's older bundle format (1.5, and 1.8's parallel parent phases), best effort.

The document is rewritten into the shape of a version 2 document, which the main parser
then validates; problems found here use the legacy key paths.
"""

from __future__ import annotations

import itertools
from typing import Any

from podium_bundle import dates
from podium_bundle.fields import describe
from podium_bundle.problems import Problems

TASK_FIELDS = (
    ("scoring_program", "scoring_program"),
    ("ingestion_program", "ingestion_program"),
    ("input_data", "input_data"),
    ("reference_data", "reference_data"),
)
COMPUTATIONS = {"average": "avg", "avg": "avg", "sum": "sum", "min": "min", "max": "max"}


def to_v2(document: dict[str, Any], problems: Problems) -> dict[str, Any]:
    converted: dict[str, Any] = {
        key: document[key]
        for key in ("title", "description", "image", "contact_email", "reward")
        if key in document
    }
    if "has_registration" in document:
        converted["registration_auto_approve"] = not _truthy(document["has_registration"])
    if "competition_docker_image" in document:
        converted["docker_image"] = document["competition_docker_image"]
    _pages(document, converted, problems)
    _phases(document, converted, problems)
    _leaderboards(document, converted, problems)
    return converted


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _pages(document: dict[str, Any], converted: dict[str, Any], problems: Problems) -> None:
    html = document.get("html")
    if not isinstance(html, dict):
        problems.error("html", "required: a mapping of page names to files, including terms")
        return
    if "terms" not in html:
        problems.error("html.terms", "required")
    converted["terms"] = html.get("terms")
    converted["pages"] = [
        {"title": str(name).replace("_", " ").title(), "file": file}
        for name, file in html.items()
        if name != "terms"
    ]


def _phases(document: dict[str, Any], converted: dict[str, Any], problems: Problems) -> None:
    raw = document.get("phases")
    if not isinstance(raw, dict) or not raw:
        problems.error("phases", f"expected a mapping of phases, got {describe(raw)}")
        return
    entries = []
    for name, phase in raw.items():
        if not isinstance(phase, dict):
            problems.error(f"phases.{name}", f"expected a mapping, got {describe(phase)}")
            continue
        if _truthy(phase.get("is_parallel_parent", False)):
            problems.warn(f"phases.{name}", "parallel parent phase dropped; its children are kept")
            continue
        number = phase.get("phasenumber", name)
        entries.append((number if isinstance(number, int) else 0, str(name), phase))
    entries.sort(key=lambda entry: entry[0])
    tasks: list[dict[str, Any]] = []
    task_of: dict[tuple[Any, ...], int] = {}
    phases = []
    for position, (_, name, phase) in enumerate(entries):
        signature = (
            *(phase.get(legacy) for legacy, _ in TASK_FIELDS),
            phase.get("ingestion_program_only_during_scoring"),
        )
        if signature not in task_of:
            task_of[signature] = len(tasks)
            task: dict[str, Any] = {"index": len(tasks), "name": f"{phase.get('label', name)} task"}
            for legacy, current in TASK_FIELDS:
                if phase.get(legacy) is not None:
                    task[current] = phase[legacy]
            if phase.get("ingestion_program_only_during_scoring") is not None:
                task["ingestion_only_during_scoring"] = phase[
                    "ingestion_program_only_during_scoring"
                ]
            tasks.append(task)
        converted_phase: dict[str, Any] = {
            "name": phase.get("label", name),
            "description": phase.get("description"),
            "start": phase.get("start_date"),
            "tasks": [task_of[signature]],
        }
        for key in (
            "max_submissions",
            "max_submissions_per_day",
            "execution_time_limit",
            "starting_kit",
            "public_data",
        ):
            if phase.get(key) is not None:
                converted_phase[key] = phase[key]
        if position > 0 and phase.get("auto_migration") is not None:
            converted_phase["auto_migrate_to_this_phase"] = phase["auto_migration"]
        phases.append(converted_phase)
    # A phase ends when the next one starts; the last one at the competition's end_date.
    for earlier, later in itertools.pairwise(phases):
        earlier["end"] = later["start"]
    if phases and document.get("end_date") is not None:
        try:
            dates.parse(document["end_date"])
            phases[-1]["end"] = document["end_date"]
        except dates.DateError as exc:
            problems.error("end_date", str(exc))
    converted["tasks"] = tasks
    converted["phases"] = phases


def _leaderboards(document: dict[str, Any], converted: dict[str, Any], problems: Problems) -> None:
    raw = document.get("leaderboard")
    if not isinstance(raw, dict):
        problems.error("leaderboard", "required: a mapping with leaderboards and columns")
        return
    boards = raw.get("leaderboards")
    columns = raw.get("columns")
    if not isinstance(boards, dict) or not boards:
        problems.error("leaderboard.leaderboards", "required: a mapping of leaderboards")
        return
    if not isinstance(columns, dict):
        problems.error("leaderboard.columns", "required: a mapping of columns")
        return
    ordered = sorted(boards.items(), key=lambda item: _rank(item[1]))
    converted_boards: list[dict[str, Any]] = []
    for key, board in ordered:
        label = board.get("label", key) if isinstance(board, dict) else key
        converted_boards.append({"title": label, "key": str(key), "columns": []})
    by_identity = {id(board): position for position, (_, board) in enumerate(ordered)}
    by_label = {
        (board.get("label") if isinstance(board, dict) else None): position
        for position, (_, board) in enumerate(ordered)
    }
    ranked_columns = sorted(columns.items(), key=lambda item: _rank(item[1]))
    column_index: dict[str, int] = {}
    for position, (key, column) in enumerate(ranked_columns):
        path = f"leaderboard.columns.{key}"
        if not isinstance(column, dict):
            problems.error(path, f"expected a mapping, got {describe(column)}")
            continue
        target = column.get("leaderboard")
        board_position = by_identity.get(id(target))
        if board_position is None and isinstance(target, dict):
            board_position = by_label.get(target.get("label"))
        if board_position is None and len(ordered) == 1:
            board_position = 0
        if board_position is None:
            problems.error(
                f"{path}.leaderboard", "names no leaderboard of leaderboard.leaderboards"
            )
            continue
        column_index[str(key)] = position
        converted_column: dict[str, Any] = {
            "title": column.get("label", key),
            "key": str(key),
            "index": position,
            "sorting": column.get("sort", "desc"),
        }
        if column.get("numeric_format") is not None:
            converted_column["precision"] = column["numeric_format"]
        if column.get("hidden") is not None:
            converted_column["hidden"] = column["hidden"]
        computed = column.get("computed")
        if isinstance(computed, dict):
            operation = str(computed.get("operation", "")).strip().lower()
            converted_column["computation"] = COMPUTATIONS.get(operation, operation)
            converted_column["computation_indexes"] = computed.get("fields")
        converted_boards[board_position]["columns"].append(converted_column)
    # Computed columns name their sources by key in CodaLab; version 2 uses indexes.
    for board in converted_boards:
        for column in board["columns"]:
            sources = column.get("computation_indexes")
            if isinstance(sources, list):
                column["computation_indexes"] = [
                    column_index.get(str(source), -1) for source in sources
                ]
        if board["columns"]:
            board["primary_index"] = board["columns"][0]["index"]
    converted["leaderboards"] = converted_boards


def _rank(value: object) -> int:
    if isinstance(value, dict) and isinstance(value.get("rank"), int):
        return int(value["rank"])
    return 0
