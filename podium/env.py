"""Strict little readers of PODIUM_* environment variables.

Every reader takes an embedded default so that a missing variable never crashes the
server; a variable that is set but malformed is an error that names it.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "PODIUM_"

# Every variable the settings read, with its one-line documentation. The settings
# reference page is generated from this table and a test fails when a variable read in
# settings.py is missing here.
DOCUMENTED: dict[str, str] = {}


class SettingError(ValueError):
    """A PODIUM_* variable holds a value Podium cannot use."""


def _raw(name: str, doc: str) -> str | None:
    DOCUMENTED[PREFIX + name] = doc
    return os.environ.get(PREFIX + name)


def string(name: str, default: str, doc: str) -> str:
    value = _raw(name, doc)
    return default if value is None else value


def secret(name: str, default: str, doc: str) -> str:
    """A secret given directly, or read from the file named by NAME_FILE."""
    file_name = _raw(name + "_FILE", f"a file holding {PREFIX}{name}")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingError(f"{PREFIX}{name}_FILE: cannot read {file_name}: {exc}") from exc
    return string(name, default, doc)


def boolean(name: str, default: bool, doc: str) -> bool:
    value = _raw(name, doc)
    if value is None:
        return default
    if value == "true":
        return True
    if value == "false":
        return False
    raise SettingError(f"{PREFIX}{name} must be 'true' or 'false', not {value!r}")


def integer(name: str, default: int, doc: str, *, minimum: int = 0) -> int:
    value = _raw(name, doc)
    if value is None:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SettingError(f"{PREFIX}{name} must be an integer, not {value!r}") from None
    if number < minimum:
        raise SettingError(f"{PREFIX}{name} must be at least {minimum}, not {number}")
    return number


def string_list(name: str, default: list[str], doc: str) -> list[str]:
    value = _raw(name, doc)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
