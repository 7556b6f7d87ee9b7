"""The contract between server and worker, defined once and imported by both.

Submission statuses and the transitions between them live here because the worker reports
them; the server's state machine (podium.submissions.services.transition) enforces them.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    SUBMITTING = "submitting"  # the upload has not completed yet
    SUBMITTED = "submitted"  # queued, waiting for a worker
    PREPARING = "preparing"  # a worker took it and is fetching inputs
    RUNNING = "running"  # the prediction step runs
    SCORING = "scoring"  # the scoring step runs
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


TERMINAL: frozenset[Status] = frozenset({Status.FINISHED, Status.FAILED, Status.CANCELLED})

# Forward moves only. A results submission goes from preparing straight to scoring.
TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.SUBMITTING: frozenset({Status.SUBMITTED, Status.FAILED, Status.CANCELLED}),
    Status.SUBMITTED: frozenset({Status.PREPARING, Status.FAILED, Status.CANCELLED}),
    Status.PREPARING: frozenset({Status.RUNNING, Status.SCORING, Status.FAILED, Status.CANCELLED}),
    Status.RUNNING: frozenset({Status.SCORING, Status.FAILED, Status.CANCELLED}),
    Status.SCORING: frozenset({Status.FINISHED, Status.FAILED, Status.CANCELLED}),
    Status.FINISHED: frozenset(),
    Status.FAILED: frozenset(),
    Status.CANCELLED: frozenset(),
}

# A job whose worker was lost goes back to the queue for another attempt; this is the only
# backward move, and only the server's lease check makes it (never a worker report).
REQUEUE_FROM: frozenset[Status] = frozenset({Status.PREPARING, Status.RUNNING, Status.SCORING})


def order(status: Status) -> int:
    """Position in the forward path, for ignoring a report that would move a job backwards."""
    path = [Status.SUBMITTING, Status.SUBMITTED, Status.PREPARING, Status.RUNNING, Status.SCORING]
    return len(path) if status in TERMINAL else path.index(status)


# Measurements the worker takes of each step. A leaderboard column with one of these keys
# is filled from the measurements instead of the scoring program's output.
METRIC_KEYS: frozenset[str] = frozenset(
    f"podium:{step}.{measure}"
    for step in ("prediction", "scoring")
    for measure in ("wall_time", "cpu_time", "peak_memory", "gpu_time", "gpu_peak_memory")
)
