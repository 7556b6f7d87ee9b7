"""Leaderboards, their columns and the fact sheet: the parts of a bundle about results."""

from __future__ import annotations

from typing import Any

from podium_bundle import dates
from podium_bundle import leaderboard_definition as definition
from podium_bundle import leaderboard_keys as reserved
from podium_bundle.fields import Reader, describe
from podium_bundle.problems import Problems, join
from podium_bundle.spec import ColumnSpec, LeaderboardSpec

SUBMISSION_RULES = (
    "Add",
    "Add_And_Delete",
    "Add_And_Delete_Multiple",
    "Force_Last",
    "Force_Latest_Multiple",
    "Force_Best",
)
LEADERBOARD_KEYS = (
    "title",
    "key",
    "columns",
    "hidden",
    "submission_rule",
    "primary_index",
    "index",
    # Podium's own, all optional (see docs/reference/bundle-format.md).
    "release_date",
    "anonymous",
    "frontier",
)
COLUMN_KEYS = (
    "title",
    "key",
    "index",
    "sorting",
    "computation",
    "computation_indexes",
    "hidden",
    "precision",
)
FACT_SHEET_KEYS = ("key", "type", "title", "selection", "is_required", "is_on_leaderboard")
# avg_rank: the mean of a row's ranks in the named columns (Codabench's Mini-AutoML uses it).
COMPUTATIONS = ("avg", "sum", "min", "max", "avg_rank")


def leaderboards(top: Reader, problems: Problems) -> list[LeaderboardSpec]:
    """The leaderboards and their columns, every problem recorded under its key path."""
    boards: list[LeaderboardSpec] = []
    keys: set[str] = set()
    entries = top.mapping_items("leaderboards")
    if top.has("leaderboards") and not entries and isinstance(top.raw("leaderboards"), list):
        problems.error("leaderboards", "must hold at least one leaderboard")
    for _, board in entries:
        board.warn_unknown(LEADERBOARD_KEYS)
        key = board.text("key", required=True, limit=100)
        if key in keys:
            problems.error(board.at("key"), f"another leaderboard already has key {key!r}")
        keys.add(key)
        columns = _columns(board, problems)
        primary = board.integer("primary_index", 0)
        column_indexes = {column.index for column in columns}
        if columns and primary not in column_indexes:
            problems.error(board.at("primary_index"), f"no column has index {primary}")
        boards.append(
            LeaderboardSpec(
                title=board.text("title", required=True, limit=256),
                key=key,
                columns=columns,
                hidden=board.boolean("hidden", False),
                submission_rule=board.choice("submission_rule", SUBMISSION_RULES, "Add"),
                primary_index=primary or 0,
                release_date=_release_date(board, problems),
                anonymous=board.boolean("anonymous", False),
                frontier=_frontier(board, [column.key for column in columns], problems),
            )
        )
    return boards


def _release_date(board: Reader, problems: Problems) -> Any:
    value = board.raw("release_date")
    if value is None:
        return None
    try:
        return dates.parse(value)
    except dates.DateError as exc:
        problems.error(board.at("release_date"), str(exc))
        return None


def _frontier(board: Reader, column_keys: list[str], problems: Problems) -> tuple[str, str] | None:
    """`frontier: {score: KEY, cost: KEY}`, two columns of the leaderboard."""
    raw = board.raw("frontier")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.error(
            board.at("frontier"), f"expected a mapping of score and cost, got {describe(raw)}"
        )
        return None
    unknown = sorted(str(name) for name in raw if name not in ("score", "cost"))
    if unknown:
        problems.error(
            board.at("frontier"), f"unknown keys {', '.join(unknown)}: expected score and cost"
        )
    found = definition.frontier_problems(raw, column_keys)
    for part, message in found:
        problems.error(join(board.at("frontier"), part), message)
    return None if found or unknown else (str(raw["score"]), str(raw["cost"]))


def _columns(board: Reader, problems: Problems) -> list[ColumnSpec]:
    columns: list[ColumnSpec] = []
    entries = board.mapping_items("columns")
    if board.has("columns") and not entries and isinstance(board.raw("columns"), list):
        problems.error(board.at("columns"), "must hold at least one column")
    indexes: set[int] = set()
    keys: set[str] = set()
    for _, column in entries:
        column.warn_unknown(COLUMN_KEYS)
        index = column.integer("index", None, required=True)
        if index is not None and index in indexes:
            problems.error(column.at("index"), f"another column already has index {index}")
        key = column.text("key", required=True, limit=100)
        if key in keys:
            problems.error(column.at("key"), f"another column already has key {key!r}")
        if trouble := reserved.problem(key):
            problems.error(column.at("key"), trouble)
        keys.add(key)
        indexes.add(index or 0)
        computation = column.choice("computation", COMPUTATIONS, "")
        computed_from = column.raw("computation_indexes")
        computation_indexes: list[int] | None = None
        if computed_from is not None:
            if not isinstance(computed_from, list) or not all(
                isinstance(value, int) and not isinstance(value, bool) for value in computed_from
            ):
                problems.error(
                    column.at("computation_indexes"), "expected a list of column indexes"
                )
            else:
                computation_indexes = list(computed_from)
        if bool(computation) != bool(computation_indexes):
            problems.error(
                column.at("computation"),
                "computation and computation_indexes go together: give both or neither",
            )
        columns.append(
            ColumnSpec(
                index=index or 0,
                title=column.text("title", required=True, limit=256),
                key=key,
                sorting=column.choice("sorting", ("desc", "asc"), "desc"),
                computation=computation,
                computation_indexes=computation_indexes,
                hidden=column.boolean("hidden", False),
                precision=column.integer("precision", 2, maximum=20) or 0,
            )
        )
    for position, parsed in enumerate(columns):
        path = join(join(board.at("columns"), position), "computation_indexes")
        for value in parsed.computation_indexes or []:
            if value not in indexes:
                problems.error(path, f"no column has index {value}")
            elif value == parsed.index:
                problems.error(path, "a column cannot be computed from itself")
    return columns


def fact_sheet(top: Reader, problems: Problems) -> dict[str, dict[str, Any]] | None:
    """The questions asked at each submission, keyed by question key."""
    raw = top.raw("fact_sheet")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.error("fact_sheet", f"expected a mapping of questions, got {describe(raw)}")
        return None
    questions: dict[str, dict[str, Any]] = {}
    for name, item in raw.items():
        path = join("fact_sheet", str(name))
        if not isinstance(item, dict):
            problems.error(path, f"expected a mapping, got {describe(item)}")
            continue
        question = Reader(item, path, problems)
        question.warn_unknown(FACT_SHEET_KEYS)
        key = question.text("key", required=True, limit=100)
        if key and key != str(name):
            problems.error(question.at("key"), f"must equal its mapping key {name!r}")
        kind = question.choice("type", ("checkbox", "text", "select"), "text")
        if not question.has("type"):
            problems.error(question.at("type"), "required (checkbox, text or select)")
        selection = question.raw("selection")
        if kind == "select":
            if (
                not isinstance(selection, list)
                or not selection
                or not all(
                    isinstance(option, str | int | float) and not isinstance(option, bool)
                    for option in selection
                )
            ):
                problems.error(
                    question.at("selection"), "a select question needs a list of options"
                )
                selection = []
            selection = [str(option) for option in selection]
        elif isinstance(selection, list):
            selection = [str(option) for option in selection]
        else:
            selection = None
        questions[str(name)] = {
            "key": str(name),
            "type": kind,
            "title": question.text("title", required=True, limit=256),
            "selection": selection,
            "is_required": question.boolean("is_required", False),
            "is_on_leaderboard": question.boolean("is_on_leaderboard", False),
        }
    return questions
