"""Reserved column keys: what `podium:` means in a column key. Pure, so that the bundle parser
may use it on the server and in the client alike (podium.leaderboards.keys is the server's
name for the same rules).

- `podium:<step>.<measure>` (podium_worker.protocol.METRIC_KEYS): the worker's own
  measurement of a step, e.g. `podium:prediction.wall_time`; stored when the job finishes.
- `podium:custom.<name>`: a complexity metric the organizers post for a submission through
  the API (FLOPs, parameters, energy...); no program writes it, and a job that finishes
  without it is not failed for that.

Any other `podium:` key is refused, so that a typo is caught rather than left empty.
"""

from __future__ import annotations

import re

from podium_worker.protocol import METRIC_KEYS

RESERVED_PREFIX = "podium:"
CUSTOM_PREFIX = "podium:custom."
CUSTOM_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")


def is_measurement(key: str) -> bool:
    return key in METRIC_KEYS


def is_custom(key: str) -> bool:
    return key.startswith(CUSTOM_PREFIX)


def written_by_the_scoring_program(key: str) -> bool:
    """Whether a finished job must bring a score for this key."""
    return not key.startswith(RESERVED_PREFIX)


def problem(key: str) -> str:
    """Why a column key is not acceptable, or ''."""
    if not key.startswith(RESERVED_PREFIX) or is_measurement(key):
        return ""
    if is_custom(key):
        if CUSTOM_NAME.fullmatch(key.removeprefix(CUSTOM_PREFIX)):
            return ""
        return (
            "a custom metric is podium:custom.NAME, NAME made of letters, digits, '_', '.' "
            "and '-' (at most 64)"
        )
    known = ", ".join(sorted(METRIC_KEYS))
    return f"unknown measurement; known: {known}, or podium:custom.NAME"
