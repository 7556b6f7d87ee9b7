"""How a score or a measurement reads on a page. Display only: ranking compares the values
as stored, and the exact value stays in the cell's title."""

from __future__ import annotations

from podium.leaderboards.keys import is_measurement
from podium.leaderboards.ranking import format_value

MEBIBYTE = 2**20


def unit(key: str) -> str:
    """The unit a column's values are shown in: the worker's times in seconds, its memory
    peaks in MiB (stored in bytes); scores and custom metrics have none."""
    if not is_measurement(key):
        return ""
    return "MiB" if key.endswith("peak_memory") else "s"


def scaled(key: str, value: float) -> float:
    """`value` in the column's display unit."""
    return value / MEBIBYTE if unit(key) == "MiB" else value


def shown(key: str, value: float | None, precision: int) -> str:
    """`value` as a cell shows it: rounded to the column's precision (memory to one decimal
    of a MiB at least), empty when missing."""
    if value is None:
        return ""
    if unit(key) == "MiB":
        return format_value(scaled(key, value), max(precision, 1))
    return format_value(value, precision)


def exact(key: str, value: float | None) -> str:
    """The stored value in full, for a cell's title (memory in bytes, as stored)."""
    if value is None:
        return ""
    return f"{value:.0f} bytes" if unit(key) == "MiB" else repr(value)
