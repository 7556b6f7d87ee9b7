"""Running one job: fetch its files, run prediction then scoring in the sandbox, report.

`run_job` is a plain function of (job, sandbox, transfer, reporter), so that each part can
be replaced in tests and each step tested on its own. It never raises for anything a
submission or a program did: every such problem ends in a final report that says why.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from podium_worker import archive
from podium_worker.layout import (
    JobFolders,
    LayoutError,
    Step,
    read_command,
    rewrite_legacy,
    write_step_metadata,
)
from podium_worker.outputs import OutputError, collect, zip_outputs
from podium_worker.protocol import DETAILED_RESULTS_FILE, FileRef, Job, Output, Status
from podium_worker.sandbox.base import (
    Limits,
    Mount,
    Sandbox,
    SandboxError,
    StepResult,
    StepSpec,
)
from podium_worker.sandbox.gpu import Gpus
from podium_worker.scores import ScoresError, parse_scores
from podium_worker.transfer import TransferError

DETAIL_TAIL = 2000
LOCK_POLL = 0.1  # seconds between two tries for the machine's lock
WAITING = "waiting for the machine: a job of an exclusive queue runs alone"


class Transfer(Protocol):
    def fetch(self, ref: FileRef, destination: Path) -> None:
        """Puts the unpacked content of `ref` into the existing folder `destination`."""


class Reporter(Protocol):
    def heartbeat(self, status: Status, log_tail: str) -> bool:
        """Tells the server where the job is; True when the server says to stop (the
        submission was cancelled, or this run of the job is no longer the one wanted)."""

    def upload(self, kind: Output, path: Path) -> None:
        """Sends one output file (see protocol.Output) before the final report."""

    def report(
        self, status: Status, detail: str, scores: dict[str, float], metrics: dict[str, Any]
    ) -> None: ...


@dataclass
class Outcome:
    status: Status
    detail: str = ""
    scores: dict[str, float] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)


class JobFailed(Exception):
    """A problem of the submission or its programs; the message is what participants see."""


class JobCancelled(Exception):
    """The submission was cancelled on the server while the job ran."""


def run_job(
    job: Job,
    *,
    sandbox: Sandbox,
    transfer: Transfer,
    reporter: Reporter,
    workdir: Path,
    limits: Limits,
    machine_lock: Path | None = None,
) -> Outcome:
    """Runs `job` and reports its outcome. `machine_lock` is a file every worker process of
    the machine shares: each job holds it shared, a job of an exclusive queue holds it alone
    (see `_machine_turn`)."""
    folders = JobFolders.create(workdir)
    metrics: dict[str, Any] = {
        "hardware": hardware(getattr(sandbox, "gpus", None)),
        "sandbox": sandbox.name,
    }
    cancel = threading.Event()
    try:
        try:
            if reporter.heartbeat(Status.PREPARING, ""):
                raise JobCancelled
            with _machine_turn(machine_lock, job, reporter):
                if job.exclusive:
                    metrics["exclusive"] = True
                _fetch_all(job, folders, transfer)
                step_limits = replace(limits, wall_time=float(job.execution_time_limit))
                scores = _run_steps(job, folders, sandbox, step_limits, reporter, metrics, cancel)
            outcome = Outcome(Status.FINISHED, "", scores, metrics)
        except JobFailed as exc:
            outcome = Outcome(Status.FAILED, str(exc), {}, metrics)
        except SandboxError as exc:
            # The worker's problem, not the submission's; said so rather than lost.
            outcome = Outcome(
                Status.FAILED, f"the worker could not run this job: {exc}", {}, metrics
            )
        except JobCancelled:
            outcome = Outcome(Status.CANCELLED, "cancelled while it ran", {}, metrics)
        if outcome.status is not Status.CANCELLED:
            outcome = _upload_outputs(folders, reporter, limits, outcome)
    finally:
        folders.remove()
    reporter.report(outcome.status, outcome.detail, outcome.scores, outcome.metrics)
    return outcome


@contextmanager
def _machine_turn(lock: Path | None, job: Job, reporter: Reporter) -> Iterator[None]:
    """Waits for this job's turn on the machine: a job of an exclusive queue runs alone (an
    exclusive lock of the machine's lock file), any other beside other such jobs (a shared
    lock). A turnstile (a second lock file, held while waiting) keeps a stream of shared
    jobs from starving an exclusive one. While it waits the job keeps telling the server it
    is alive, and stops waiting if told to stop."""
    if lock is None:
        yield
        return
    flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC
    turnstile = os.open(lock.with_name(lock.name + ".turnstile"), flags, 0o600)
    main = os.open(lock, flags, 0o600)
    try:
        waiting = _Waiting(job, reporter)
        waiting.acquire(turnstile, fcntl.LOCK_EX)
        waiting.acquire(main, fcntl.LOCK_EX if job.exclusive else fcntl.LOCK_SH)
        if not job.exclusive:
            fcntl.flock(turnstile, fcntl.LOCK_UN)  # the next job may come in beside this one
        yield
    finally:
        os.close(main)  # closing releases the locks
        os.close(turnstile)


class _Waiting:
    def __init__(self, job: Job, reporter: Reporter) -> None:
        self.every = job.heartbeat_seconds
        self.reporter = reporter
        self.next_beat = time.monotonic() + self.every

    def acquire(self, fd: int, mode: int) -> None:
        while True:
            try:
                fcntl.flock(fd, mode | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            if time.monotonic() >= self.next_beat:
                self.next_beat = time.monotonic() + self.every
                if self.reporter.heartbeat(Status.PREPARING, WAITING):
                    raise JobCancelled
            time.sleep(LOCK_POLL)


def _upload_outputs(
    folders: JobFolders, reporter: Reporter, limits: Limits, outcome: Outcome
) -> Outcome:
    """Archives and uploads what the steps wrote, and the logs, whatever the outcome (a
    failed job's logs are what its participant needs most). Outputs that cannot be archived
    are skipped, and a finished job whose scoring output cannot be kept fails saying why."""
    staging = folders.uploads
    uploads: list[tuple[Output, Path]] = []
    problems: list[str] = []
    for kind, folder in (
        (Output.PREDICTIONS, folders.predictions),
        (Output.SCORING_OUTPUT, folders.scoring_output),
        (Output.LOGS, folders.logs),
    ):
        if not any(folder.iterdir()):
            continue
        target = staging / f"{kind.value}.zip"
        try:
            zip_outputs(folder, target, max_bytes=limits.output_bytes + 4 * limits.log_bytes)
        except OutputError as exc:
            problems.append(f"{kind.value.replace('_', ' ')} not kept: {exc}")
            continue
        uploads.append((kind, target))
        if kind is Output.SCORING_OUTPUT:
            detailed = _copy_detailed_results(folder, staging)
            if detailed is not None:
                uploads.append((Output.DETAILED_RESULTS, detailed))
    if problems and outcome.status is Status.FINISHED:
        outcome = Outcome(Status.FAILED, "; ".join(problems), {}, outcome.metrics)
    # An output the server cannot take costs that output, never the job's report.
    lost = []
    for kind, path in uploads:
        try:
            reporter.upload(kind, path)
        except TransferError as exc:
            lost.append(f"{kind.value}: {exc}")
    if lost:
        outcome.metrics["outputs_not_kept"] = lost
    return outcome


def _copy_detailed_results(folder: Path, staging: Path) -> Path | None:
    """A copy of the scorer's detailed_results.html (already walked: a plain file, no link)."""
    source = folder / DETAILED_RESULTS_FILE
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(source, flags)
    except OSError:
        return None
    target = staging / DETAILED_RESULTS_FILE
    with os.fdopen(fd, "rb") as stream, target.open("wb") as out:
        shutil.copyfileobj(stream, out)
    return target


def _fetch_all(job: Job, folders: JobFolders, transfer: Transfer) -> None:
    wanted = [
        ("submission", job.submission_file, folders.submission),
        ("scoring program", job.scoring_program, folders.scoring_program),
        ("ingestion program", job.ingestion_program, folders.ingestion_program),
        ("input data", job.input_data, folders.input_data),
        ("reference data", job.reference_data, folders.reference_data),
    ]
    for what, ref, destination in wanted:
        if ref is None:
            continue
        try:
            transfer.fetch(ref, destination)
        except archive.ArchiveError as exc:
            raise JobFailed(f"{what}: {exc}") from None


def _run_steps(
    job: Job,
    folders: JobFolders,
    sandbox: Sandbox,
    limits: Limits,
    reporter: Reporter,
    metrics: dict[str, Any],
    cancel: threading.Event,
) -> dict[str, float]:
    every = job.heartbeat_seconds
    try:
        own_command = read_command(folders.submission)
        ingestion_command = (
            read_command(folders.ingestion_program) if job.ingestion_program else None
        )
        scoring_command = read_command(folders.scoring_program)
    except LayoutError as exc:
        raise JobFailed(str(exc)) from None
    if scoring_command is None:
        raise JobFailed("the scoring program has no metadata command")
    if job.ingestion_program is not None and ingestion_command is None:
        raise JobFailed("the ingestion program has no metadata command")
    prediction = ingestion_command or own_command
    scoring = _spec(
        job,
        scoring_command,
        folders.scoring_mounts(shared=job.ingestion_only_during_scoring),
        Step.SCORING,
        limits,
        folders,
        "scoring",
        cancel,
    )
    if prediction is None:
        # A results submission: its files are the predictions.
        shutil.copytree(folders.submission, folders.predictions, dirs_exist_ok=True)
    else:
        predict = _spec(
            job,
            prediction,
            folders.prediction_mounts(
                ingestion=ingestion_command is not None,
                shared=job.ingestion_only_during_scoring,
            ),
            Step.PREDICTION,
            limits,
            folders,
            "prediction",
            cancel,
        )
        if job.ingestion_only_during_scoring:
            return _run_together(
                predict, scoring, folders, sandbox, reporter, metrics, cancel, every
            )
        with _heartbeats(
            reporter, Status.RUNNING, folders.logs / "prediction.stderr", cancel, every
        ):
            result = sandbox.run(predict)
        _record(metrics, "prediction", result)
        _check(result, "prediction", folders.logs / "prediction.stderr")
        try:
            write_step_metadata(folders.predictions, result.exit_code, result.wall_time)
        except LayoutError as exc:
            raise JobFailed(f"predictions refused: {exc}") from None
    try:
        collect(folders.predictions)
    except OutputError as exc:
        raise JobFailed(f"predictions refused: {exc}") from None
    with _heartbeats(reporter, Status.SCORING, folders.logs / "scoring.stderr", cancel, every):
        result = sandbox.run(scoring)
    _record(metrics, "scoring", result)
    _check(result, "scoring", folders.logs / "scoring.stderr")
    return _scores(folders)


def _run_together(
    predict: StepSpec,
    scoring: StepSpec,
    folders: JobFolders,
    sandbox: Sandbox,
    reporter: Reporter,
    metrics: dict[str, Any],
    cancel: threading.Event,
    every: float,
) -> dict[str, float]:
    """Ingestion during scoring: both steps at once, talking through /app/shared."""
    results: dict[str, StepResult] = {}

    def predict_in_background() -> None:
        results["prediction"] = sandbox.run(predict)

    thread = threading.Thread(target=predict_in_background, name="ingestion")
    with _heartbeats(reporter, Status.SCORING, folders.logs / "scoring.stderr", cancel, every):
        thread.start()
        results["scoring"] = sandbox.run(scoring)
        thread.join()
    for step in ("prediction", "scoring"):
        _record(metrics, step, results[step])
    _check(results["prediction"], "prediction", folders.logs / "prediction.stderr")
    _check(results["scoring"], "scoring", folders.logs / "scoring.stderr")
    return _scores(folders)


def _spec(
    job: Job,
    command: str,
    mounts: tuple[Mount, ...],
    step: Step,
    limits: Limits,
    folders: JobFolders,
    name: str,
    cancel: threading.Event,
) -> StepSpec:
    return StepSpec(
        command=rewrite_legacy(command, step),
        mounts=mounts,
        limits=limits,
        network=job.network,
        image=job.docker_image,
        stdout_path=folders.logs / f"{name}.stdout",
        stderr_path=folders.logs / f"{name}.stderr",
        cancel=cancel,
    )


def _record(metrics: dict[str, Any], step: str, result: StepResult) -> None:
    metrics[step] = {
        "wall_time": round(result.wall_time, 6),
        "cpu_time": round(result.cpu_time, 6),
        "peak_memory": result.peak_memory_bytes,
        "exit_code": result.exit_code,
        "limit_hit": result.limit_hit.value if result.limit_hit else None,
    }
    if result.gpu_time is not None:  # only where the step could use GPUs
        metrics[step]["gpu_time"] = round(result.gpu_time, 6)
        metrics[step]["gpu_peak_memory"] = result.gpu_peak_memory_bytes


def _check(result: StepResult, step: str, stderr: Path) -> None:
    if result.cancelled:
        raise JobCancelled
    if result.limit_hit is not None:
        extra = ""
        if result.limit_hit.name == "MEMORY":
            extra = f" (peak {result.peak_memory_bytes // (1024 * 1024)} MiB)"
        raise JobFailed(f"{step}: {result.limit_hit.value}{extra}")
    if result.exit_code != 0:
        tail = _tail(stderr)
        raise JobFailed(
            f"{step} failed with exit code {result.exit_code}" + (f":\n{tail}" if tail else "")
        )


def _scores(folders: JobFolders) -> dict[str, float]:
    try:
        return parse_scores(folders.scoring_output)
    except ScoresError as exc:
        raise JobFailed(str(exc)) from None


def _tail(path: Path) -> str:
    if not path.is_file() or path.is_symlink():
        return ""
    with path.open("rb") as stream:
        stream.seek(max(0, path.stat().st_size - DETAIL_TAIL))
        return stream.read().decode("utf-8", "replace").strip()


def live_tail(stdout: Path, stderr: Path) -> str:
    """The end of a running step's stdout and stderr, each labelled where both have text."""
    parts = [(name, _tail(path)) for name, path in (("stdout", stdout), ("stderr", stderr))]
    present = [(name, text) for name, text in parts if text]
    if len(present) == 1:
        return present[0][1]
    return "\n".join(f"--- {name} ---\n{text}" for name, text in present)


@contextmanager
def _heartbeats(
    reporter: Reporter, status: Status, log: Path, cancel: threading.Event, every: float
) -> Iterator[None]:
    """Tells the server the job is alive every few seconds while a step runs, with the end
    of its logs (`log` names its stderr; its stdout is beside it); sets `cancel` when the
    server answers that the submission was cancelled.

    The logs are read from their files, which hold the stream exactly up to half the log
    limit (2 MiB by default): past that, until the step ends, the end shown is the head's.
    """
    stop = threading.Event()
    stdout = log.with_suffix(".stdout")

    def beat() -> None:
        while True:
            if reporter.heartbeat(status, live_tail(stdout, log)):
                cancel.set()
            if stop.wait(every):
                return

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def hardware(gpus: Gpus | None = None) -> dict[str, Any]:
    """What the measurements were taken on, so rows from different machines can say so: the
    CPU model, its cores, the memory, and the GPUs the steps could use."""
    model = ""
    memory = 0
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    described = gpus.describe() if gpus is not None else []
    return {
        "cpu": model,
        "cores": os.cpu_count() or 0,
        "memory": memory,
        "gpus": [{"name": info.name, "memory": info.memory_bytes} for info in described],
    }
