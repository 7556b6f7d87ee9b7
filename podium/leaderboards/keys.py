"""Reserved column keys (`podium:<step>.<measure>`, `podium:custom.<name>`): the rules live
in `podium_bundle.leaderboard_keys`, pure, where the bundle parser and the client's
`podium bundle check` use them too; the server reads them under this name."""

from podium_bundle.leaderboard_keys import (
    CUSTOM_NAME,
    CUSTOM_PREFIX,
    RESERVED_PREFIX,
    is_custom,
    is_measurement,
    problem,
    written_by_the_scoring_program,
)

__all__ = [
    "CUSTOM_NAME",
    "CUSTOM_PREFIX",
    "RESERVED_PREFIX",
    "is_custom",
    "is_measurement",
    "problem",
    "written_by_the_scoring_program",
]
