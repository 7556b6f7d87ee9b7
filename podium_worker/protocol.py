"""The contract between server and worker, defined once and imported by both.

Submission statuses and the transitions between them live here because the worker reports
them; the server's state machine (podium.submissions.services.transition) enforces them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import StrEnum
from typing import Any


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


# The Celery task name a worker consumes; the server publishes by name, never by import.
JOB_TASK = "podium.run_job"


class MessageError(ValueError):
    """A job message that does not match this protocol version."""


@dataclass(frozen=True)
class FileRef:
    """A file the worker downloads: a signed URL, and the content hash it caches by."""

    url: str
    sha256: str
    name: str = ""


@dataclass(frozen=True)
class Job:
    """One (submission, task) to run: everything the worker needs, nothing of the server."""

    submission: int
    attempt: int
    secret: str  # authenticates the worker's reports for this submission only
    report_url: str  # the server's endpoint for this job's heartbeats and final report
    execution_time_limit: int
    docker_image: str
    network: bool
    submission_file: FileRef
    scoring_program: FileRef
    ingestion_program: FileRef | None = None
    input_data: FileRef | None = None
    reference_data: FileRef | None = None
    ingestion_only_during_scoring: bool = False
    # How often the worker says the job is alive: the server sets it well inside its lease.
    heartbeat_seconds: float = 5.0
    # From an exclusive queue: no other job runs on the worker's machine at the same time,
    # so that timings are comparable (the seed's "sequential execution").
    exclusive: bool = False
    version: int = 1

    def to_message(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_message(cls, message: object) -> Job:
        if not isinstance(message, dict):
            raise MessageError("a job message must be an object")
        if message.get("version") != 1:
            raise MessageError(f"unsupported job message version {message.get('version')!r}")
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(message) - known)
        if unknown:
            raise MessageError(f"unknown job message fields: {', '.join(unknown)}")
        values = dict(message)
        try:
            for name in (
                "submission_file",
                "scoring_program",
                "ingestion_program",
                "input_data",
                "reference_data",
            ):
                if values.get(name) is not None:
                    values[name] = FileRef(**values[name])
            return cls(**values)
        except TypeError as exc:
            raise MessageError(f"malformed job message: {exc}") from None


# The header a worker's reports carry the job's secret in.
SECRET_HEADER = "X-Podium-Job-Secret"  # noqa: S105 - a header name, not a secret
# The header an output upload names its attempt in (reports carry it in their body).
ATTEMPT_HEADER = "X-Podium-Job-Attempt"


class Output(StrEnum):
    """What a worker uploads after running a job, before its final report.

    Each is one `PUT` of the raw body to `report_url + "outputs/<kind>/"` with the secret and
    attempt headers. `detailed_results` is the scoring program's `detailed_results.html`, sent
    as that one HTML file; the others are zip archives of a folder. An upload for an older
    attempt, or for a job already finished, is answered `{"accepted": false}` and stored
    nowhere; a second upload of the same kind for the same attempt replaces the first, so a
    worker that died after uploading and is followed by another attempt leaves no duplicate.
    """

    PREDICTIONS = "predictions"  # the prediction step's output (or a results submission)
    SCORING_OUTPUT = "scoring_output"  # the scoring step's output, scores file included
    DETAILED_RESULTS = "detailed_results"  # detailed_results.html of the scoring output
    LOGS = "logs"  # stdout and stderr of each step, as capped by the sandbox


DETAILED_RESULTS_FILE = "detailed_results.html"

# The heartbeat's reply holds `{"accepted": bool, "cancelled": bool}`: when `cancelled` is
# true the submission was cancelled on the server, and the worker stops the running step,
# reports `cancelled` and takes the next job.
