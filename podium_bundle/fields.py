"""Strict readers of YAML values: each reports a per-field problem and returns a safe value.

YAML 1.1 traps are named in the messages: `no` read as false, `12:30:00` read as a
number, `.nan` read as a float.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from podium_bundle.problems import Problems, join

# The largest integer every database column takes (PostgreSQL's integer).
INT_MAX = 2**31 - 1


def describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ({value[:40]!r})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class Reader:
    """Reads the keys of one YAML mapping, recording problems under its key path."""

    def __init__(self, data: Mapping[str, Any], path: str, problems: Problems) -> None:
        self.data = data
        self.path = path
        self.problems = problems

    def at(self, key: str) -> str:
        return join(self.path, key)

    def warn_unknown(self, known: Iterable[str]) -> None:
        known = list(known)
        for key in self.data:
            if key not in known:
                guess = difflib.get_close_matches(str(key), known, n=1)
                hint = f"; did you mean '{guess[0]}'?" if guess else ""
                self.problems.warn(self.at(str(key)), f"unknown key, ignored{hint}")

    def has(self, key: str) -> bool:
        return self.data.get(key) is not None

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def text(self, key: str, *, required: bool = False, default: str = "", limit: int = 0) -> str:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.error(self.at(key), "required")
            return default
        if isinstance(value, bool):
            self.problems.error(
                self.at(key),
                f"expected text, got {describe(value)}; YAML reads unquoted yes/no/on/off "
                "as a boolean, so put the text in quotes",
            )
            return default
        if isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            self.problems.error(self.at(key), f"expected text, got {describe(value)}")
            return default
        if required and not value.strip():
            self.problems.error(self.at(key), "must not be empty")
        if limit and len(value) > limit:
            self.problems.error(self.at(key), f"longer than {limit} characters")
            return value[:limit]
        return value

    def boolean(self, key: str, default: bool) -> bool:
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        self.problems.error(self.at(key), f"expected true or false, got {describe(value)}")
        return default

    def integer(
        self,
        key: str,
        default: int | None,
        *,
        minimum: int = 0,
        maximum: int = INT_MAX,
        required: bool = False,
    ) -> int | None:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.error(self.at(key), "required")
            return default
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip())
        if isinstance(value, bool) or not isinstance(value, int):
            self.problems.error(self.at(key), f"expected a whole number, got {describe(value)}")
            return default
        if not minimum <= value <= maximum:
            self.problems.error(
                self.at(key), f"must be at least {minimum} and at most {maximum}, not {value}"
            )
            return default
        return value

    def choice(self, key: str, choices: Iterable[str], default: str) -> str:
        options = list(choices)
        value = self.data.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            for option in options:
                if option.lower() == value.strip().lower():
                    return option
        self.problems.error(
            self.at(key), f"must be one of {', '.join(options)}; got {describe(value)}"
        )
        return default

    def items(self, key: str, *, required: bool = False) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            if required:
                self.problems.error(self.at(key), "required")
            return []
        if not isinstance(value, list):
            self.problems.error(self.at(key), f"expected a list, got {describe(value)}")
            return []
        return value

    def mapping_items(self, key: str) -> list[tuple[int, Reader]]:
        """The entries of a list of mappings, each as a Reader; others are problems."""
        readers = []
        for position, item in enumerate(self.items(key, required=True)):
            path = join(self.at(key), position)
            if not isinstance(item, dict):
                self.problems.error(path, f"expected a mapping, got {describe(item)}")
                continue
            readers.append((position, Reader(item, path, self.problems)))
        return readers
