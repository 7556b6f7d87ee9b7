"""Reading the scores a scoring program wrote, as hostile data.

The scoring step's own output folder holds `scores.json` (a flat object of column key to
number) or, the way CodaLab's scorers write it, `scores.txt` (`key: value` lines). Nothing in
either file is ever executed or resolved: JSON goes through the standard parser with hooks
that keep every number's text, and `scores.txt` through a line parser of our own. Codabench
reads `scores.txt` with PyYAML's full loader; that is what HOSTILE.md B21 forbids.

Only the scoring step's output folder is ever passed here, never the predictions: a
submission that drops its own `scores.json` among its predictions is not read (B19).

Every refusal is a `ScoresError` whose message starts with "invalid scores: " and names the
key or the file, so that the submission fails with a message the organizer can act on.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import Any

from podium_worker.outputs import REGULAR, kind_of

MAX_BYTES = 1024 * 1024
MAX_KEYS = 1000
MAX_KEY_LENGTH = 100
# Leaderboard columns with this prefix are filled from the worker's own measurements; a
# scoring program may not report them (nor its own run time under their name).
RESERVED_PREFIX = "podium:"

JSON_NAME = "scores.json"
TEXT_NAME = "scores.txt"
# YAML spellings of the non-finite numbers, which CodaLab-era scorers sometimes print.
_YAML_NON_FINITE = frozenset({".nan", ".inf", "+.inf", "-.inf"})
_SEPARATOR = re.compile(r":\s")


class ScoresError(ValueError):
    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid scores: {problem}")


def parse_scores(output_dir: Path) -> dict[str, float]:
    """The scores in `output_dir`: `scores.json` if that name exists at all, else `scores.txt`.

    A `scores.json` that exists but is refused (a link, a folder, invalid) is an error even
    when a `scores.txt` sits next to it: falling back would let the wrong file decide.
    """
    name = JSON_NAME if _entry_exists(output_dir, JSON_NAME) else TEXT_NAME
    if name == TEXT_NAME and not _entry_exists(output_dir, TEXT_NAME):
        raise ScoresError(f"the scoring program wrote no {JSON_NAME} or {TEXT_NAME}")
    text = _read_text(output_dir, name)
    scores = _from_json(text) if name == JSON_NAME else _from_text(text)
    if not scores:
        raise ScoresError(f"{name} holds no scores")
    return scores


def _entry_exists(folder: Path, name: str) -> bool:
    try:
        os.lstat(folder / name)
    except FileNotFoundError:
        return False
    return True


def _read_text(folder: Path, name: str) -> str:
    """The file's text, read without following a link, opening a pipe or reading past the limit."""
    kind = kind_of(os.lstat(folder / name).st_mode)
    if kind != REGULAR:
        raise ScoresError(f"{name} is {kind}; only a regular file is read")
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(folder / name, flags)
    except OSError as exc:
        raise ScoresError(f"{name} cannot be read ({exc.strerror})") from None
    try:
        # The entry may have been swapped since lstat: the open file is what counts.
        info = os.fstat(fd)
        kind = kind_of(info.st_mode)
        if kind != REGULAR:
            raise ScoresError(f"{name} is {kind}; only a regular file is read")
        if info.st_nlink > 1:
            raise ScoresError(f"{name} is a hard link; only a file of its own is read")
        if info.st_size > MAX_BYTES:
            raise ScoresError(f"{name} is {info.st_size} bytes; the limit is {MAX_BYTES} bytes")
        raw = _read_at_most(fd, MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:
        raise ScoresError(f"{name} is larger than {MAX_BYTES} bytes")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScoresError(f"{name} is not UTF-8 text (bad byte at offset {exc.start})") from None


def _read_at_most(fd: int, limit: int) -> bytes:
    chunks: list[bytes] = []
    left = limit
    while left > 0:
        chunk = os.read(fd, min(left, 64 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class _NonFinite:
    """A number JSON can spell but a score cannot be: NaN, Infinity, or one that overflows."""

    def __init__(self, text: str) -> None:
        self.text = text


class _Pairs(list[tuple[str, Any]]):
    """A JSON object as written, pairs in order, so that a repeated key can be named."""


def _json_number(text: str) -> float | _NonFinite:
    value = float(text)
    return value if math.isfinite(value) else _NonFinite(text)


def _from_json(text: str) -> dict[str, float]:
    try:
        document = json.loads(
            text,
            parse_float=_json_number,
            # Integers become floats here too: int() of a 5,000-digit number raises, and a
            # whole number that does not fit a float is refused like any other overflow.
            parse_int=_json_number,
            parse_constant=_NonFinite,
            object_pairs_hook=_Pairs,
        )
    except json.JSONDecodeError as exc:
        raise ScoresError(
            f"{JSON_NAME} is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})"
        ) from None
    except RecursionError:
        raise ScoresError(f"{JSON_NAME} is nested too deeply") from None
    if not isinstance(document, _Pairs):
        raise ScoresError(
            f"{JSON_NAME} must hold one object of key to number (got {_describe(document)})"
        )
    scores: dict[str, float] = {}
    for key, value in document:
        _check_key(key, scores)
        scores[key] = _json_value(key, value)
    return scores


def _json_value(key: str, value: object) -> float:
    if isinstance(value, _NonFinite):
        raise ScoresError(f"{key!r} is not a finite number (got {_shorten(value.text)})")
    if isinstance(value, float):
        return value
    raise ScoresError(f"{key!r} is not a number (got {_describe(value)})")


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"text {_shorten(value)!r}"
    if isinstance(value, _Pairs):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, _NonFinite):
        return value.text
    return repr(value)


def _from_text(text: str) -> dict[str, float]:
    """`key: value` lines; `key:value`, blank lines and `#` comment lines are tolerated."""
    scores: dict[str, float] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        split = _split(stripped)
        if split is None:
            raise ScoresError(
                f"{TEXT_NAME} line {number} is not 'key: value' (got {_shorten(stripped)!r})"
            )
        key, value = split
        _check_key(key, scores)
        scores[key] = _text_value(key, value)
    return scores


def _split(line: str) -> tuple[str, str] | None:
    """`key: value` splits at the first colon followed by a space, as YAML reads it, so that a
    key may hold colons; `key:value` at the last colon, since a number holds none."""
    match = _SEPARATOR.search(line)
    if match is not None:
        return line[: match.start()].strip(), line[match.end() :].strip()
    key, colon, value = line.rpartition(":")
    return (key.strip(), value.strip()) if colon else None


def _text_value(key: str, text: str) -> float:
    if text.lower() in _YAML_NON_FINITE:
        raise ScoresError(f"{key!r} is not a finite number (got {text})")
    try:
        value = float(text)
    except ValueError:
        raise ScoresError(f"{key!r} is not a number (got text {_shorten(text)!r})") from None
    if not math.isfinite(value):
        raise ScoresError(f"{key!r} is not a finite number (got {_shorten(text)})")
    return value


def _check_key(key: str, seen: dict[str, float]) -> None:
    if not key:
        raise ScoresError("a score has an empty key")
    if len(key) > MAX_KEY_LENGTH:
        raise ScoresError(
            f"the key {_shorten(key)!r} is {len(key)} characters long; "
            f"the limit is {MAX_KEY_LENGTH}"
        )
    if not key.isprintable():
        raise ScoresError(f"the key {key!r} holds unprintable characters")
    if key.startswith(RESERVED_PREFIX):
        raise ScoresError(f"{key!r} is reserved for the worker's own measurements")
    if key in seen:
        raise ScoresError(f"{key!r} appears twice")
    if len(seen) >= MAX_KEYS:
        raise ScoresError(f"more than {MAX_KEYS} keys")


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."
