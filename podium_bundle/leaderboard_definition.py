"""Whether a leaderboard's definition holds together: pure checks on plain values, shared by
the API (as podium.leaderboards.definition) and the bundle parser, each problem with the path
of the part it is about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from podium_bundle import leaderboard_keys as keys

COMPUTATIONS = ("avg", "sum", "min", "max", "avg_rank")


def frontier_problems(
    frontier: Mapping[str, Any] | None, column_keys: Sequence[str]
) -> list[tuple[str, str]]:
    """A frontier names two different columns of the leaderboard: a score and a cost."""
    if frontier is None:
        return []
    found = []
    for part in ("score", "cost"):
        value = frontier.get(part)
        if not isinstance(value, str) or not value:
            found.append((part, "required: a column key"))
        elif value not in column_keys:
            found.append((part, f"no column has key {value!r}"))
    if not found and frontier["score"] == frontier["cost"]:
        found.append(("cost", "must be another column than the score"))
    return found


def problems(
    columns: Sequence[Mapping[str, Any]],
    primary_index: int,
    frontier: Mapping[str, Any] | None = None,
) -> list[tuple[str, str]]:
    """Every problem of a leaderboard's columns, primary index and frontier, as
    (path, message) pairs; none means the definition is sound."""
    found: list[tuple[str, str]] = []
    if not columns:
        return [("columns", "a leaderboard needs at least one column")]
    indexes: set[Any] = set()
    column_keys: list[str] = []
    for position, column in enumerate(columns):
        path = f"columns[{position}]"
        index, key = column.get("index"), column.get("key", "")
        if index in indexes:
            found.append((f"{path}.index", f"another column already has index {index}"))
        if key in column_keys:
            found.append((f"{path}.key", f"another column already has key {key!r}"))
        if trouble := keys.problem(key):
            found.append((f"{path}.key", trouble))
        indexes.add(index)
        column_keys.append(key)
    for position, column in enumerate(columns):
        path = f"columns[{position}]"
        computation, sources = column.get("computation") or "", column.get("computation_indexes")
        if bool(computation) != bool(sources):
            found.append(
                (
                    f"{path}.computation",
                    "computation and computation_indexes go together: give both or neither",
                )
            )
        for source in sources or []:
            if source not in indexes:
                found.append((f"{path}.computation_indexes", f"no column has index {source}"))
            elif source == column.get("index"):
                found.append(
                    (f"{path}.computation_indexes", "a column cannot be computed from itself")
                )
    if primary_index not in indexes:
        found.append(("primary_index", f"no column has index {primary_index}"))
    found.extend(
        (f"frontier.{part}", message) for part, message in frontier_problems(frontier, column_keys)
    )
    return found
