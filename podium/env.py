"""Strict little readers of PODIUM_* environment variables.

Every reader takes an embedded default so that a missing variable never crashes the
server; a variable that is set but malformed is an error that names it.
"""

from __future__ import annotations

import os
from pathlib import Path

PREFIX = "PODIUM_"

# Every variable the settings read, with its documentation and default. The settings
# reference page is generated from this table (`podium-server settings-docs`), and a test
# fails when the committed page differs.
DOCUMENTED: dict[str, tuple[str, str]] = {}


class SettingError(ValueError):
    """A PODIUM_* variable holds a value Podium cannot use."""


def _raw(name: str, doc: str, default: object = None) -> str | None:
    DOCUMENTED[PREFIX + name] = (doc, "" if default is None else str(default))
    return os.environ.get(PREFIX + name)


def string(name: str, default: str, doc: str, *, shown: str | None = None) -> str:
    """`shown` replaces a default that depends on the machine in the documentation."""
    value = _raw(name, doc, default if shown is None else shown)
    return default if value is None else value


def secret(name: str, default: str, doc: str) -> str:
    """A secret given directly, or read from the file named by NAME_FILE."""
    DOCUMENTED[PREFIX + name] = (doc, "(insecure, for development)" if default else "")
    file_name = _raw(name + "_FILE", f"a file holding {PREFIX}{name} (instead of the value)")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingError(f"{PREFIX}{name}_FILE: cannot read {file_name}: {exc}") from exc
    value = os.environ.get(PREFIX + name)
    return default if value is None else value


def boolean(name: str, default: bool, doc: str) -> bool:
    value = _raw(name, doc, str(default).lower())
    if value is None:
        return default
    if value == "true":
        return True
    if value == "false":
        return False
    raise SettingError(f"{PREFIX}{name} must be 'true' or 'false', not {value!r}")


def integer(name: str, default: int, doc: str, *, minimum: int = 0) -> int:
    value = _raw(name, doc, default)
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
    value = _raw(name, doc, ",".join(default))
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]
