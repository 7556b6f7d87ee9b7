"""Running a whole job as the worker does: the real `run_job`, the real bubblewrap sandbox,
inputs unpacked from zips with the archive checks and a realistic budget, and a reporter
that keeps everything the server would receive.

Every run is checked for what must never happen, whatever the case:
- exactly one final report, the outcome `run_job` returned;
- the job folder removed afterwards (the work folder holds only another job's folder);
- what a step sees read-only (programs, submission, data; the predictions when scored)
  unchanged by the step;
- nothing of the host in anything the server receives: no worker environment variable, no
  job secret, no file of another job, no reference data.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import threading
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium_worker import archive
from podium_worker.protocol import FileRef, Job, Output, Status
from podium_worker.runner import Outcome, run_job
from podium_worker.sandbox.base import MIB, Limits, Sandbox, StepResult, StepSpec
from tests.worker.hostile.archives import model, program, zipped

LIMITS = Limits(
    wall_time=10.0,  # replaced by each job's execution_time_limit
    memory_bytes=256 * MIB,
    processes=64,
    file_size_bytes=64 * MIB,
    output_bytes=64 * MIB,
    log_bytes=64 * 1024,
)
# What one input may unpack to: the real worker's budget (HttpTransfer), scaled to LIMITS.
BUDGET_BYTES = 64 * MIB
BUDGET_ENTRIES = 10_000

# Strings that must never reach anything the server receives.
ENV_CANARY = f"podium-env-canary-{uuid.uuid4().hex}"  # in the worker's environment
HOST_CANARY = f"podium-host-canary-{uuid.uuid4().hex}"  # in another job's folder on the host
REFERENCE_CANARY = f"podium-reference-canary-{uuid.uuid4().hex}"  # in the reference data
JOB_SECRET = f"podium-job-secret-{uuid.uuid4().hex}"  # the job's own report secret
CANARIES = (ENV_CANARY, HOST_CANARY, REFERENCE_CANARY, JOB_SECRET)
OTHER_JOB = "job-of-another-submission"  # beside the job folders, as open as they can be

# The task: double each number. The reference data starts with a comment line.
INPUT_DATA = zipped({"test.txt": "3\n1\n4\n"})
REFERENCE_DATA = zipped({"truth.txt": f"# {REFERENCE_CANARY}\n6\n2\n8\n"})

SCORE = """
import json, os, time
from pathlib import Path

def lines(path):
    try:
        text = Path(path).read_text()
    except FileNotFoundError:
        return []
    return [line for line in text.split("\\n") if line and not line.startswith("#")]

if os.path.isdir("/app/shared"):  # the ingestion runs beside this scorer: wait for it
    deadline = time.monotonic() + 8
    while not os.path.exists("/app/shared/done") and time.monotonic() < deadline:
        time.sleep(0.05)
truth = lines("/app/input/ref/truth.txt")
guesses = lines("/app/input/res/predictions.txt")
right = sum(1 for answer, guess in zip(truth, guesses) if answer == guess)
Path("/app/output/scores.json").write_text(json.dumps({"accuracy": right / len(truth)}))
"""
SCORING = program(SCORE, command="python3 $program/score.py $input $output")

INGEST = """
import os, sys
from pathlib import Path
input_dir, output_dir, hidden, submission = sys.argv[1:5]
sys.path.insert(0, submission)
import model
numbers = Path(input_dir, "test.txt").read_text().split()
lines = "".join(f"{model.predict(int(number))}\\n" for number in numbers)
Path(output_dir, "predictions.txt").write_text(lines)
if os.path.isdir("/app/shared"):  # running beside the scorer: tell it the predictions are there
    Path("/app/shared/done").touch()
"""


def ingestion(tag: str = "") -> bytes:
    """The organizer's ingestion program, CodaLab style: it imports the participant's
    `model` and calls `predict`. `tag` is an extra argument it ignores (a marker to find its
    processes by)."""
    command = "python3 $ingestion_program/ingest.py $input $output $hidden $submission_program"
    return program(INGEST, command=f"{command} {tag}".strip())


INGESTION = ingestion()

PREDICT = """
from pathlib import Path
numbers = Path("/app/input_data/test.txt").read_text().split()
Path("/app/output/predictions.txt").write_text("".join(f"{2 * int(n)}\\n" for n in numbers))
"""
NORMAL_MODEL = model("def predict(x):\n    return 2 * x\n")


def ref(name: str) -> FileRef:
    return FileRef(url=name, sha256="0" * 64, name=name)


class ZipTransfer:
    """Unpacks each input from a dict of zips, with the worker's archive checks."""

    def __init__(self, archives: dict[str, bytes]) -> None:
        self.archives = archives

    def fetch(self, ref: FileRef, destination: Path) -> None:
        source = destination.parent / f".{destination.name}.zip"
        source.write_bytes(self.archives[ref.url])
        budget = archive.Budget(max_bytes=BUDGET_BYTES, max_entries=BUDGET_ENTRIES)
        try:
            archive.extract(source, destination, budget, where=ref.name)
        finally:
            source.unlink()


@dataclass(frozen=True)
class Report:
    status: Status
    detail: str
    scores: dict[str, float]
    metrics: dict[str, Any]


class RecordingReporter:
    """The server's side of the Reporter protocol: keeps every heartbeat, upload and report."""

    def __init__(self) -> None:
        self.heartbeats: list[tuple[Status, str]] = []
        self.uploads: dict[Output, bytes] = {}
        self.reports: list[Report] = []
        self.lock = threading.Lock()

    def heartbeat(self, status: Status, log_tail: str) -> bool:
        with self.lock:
            self.heartbeats.append((status, log_tail))
        return False

    def upload(self, kind: Output, path: Path) -> None:
        assert kind not in self.uploads, f"{kind} uploaded twice"
        self.uploads[kind] = path.read_bytes()

    def report(
        self, status: Status, detail: str, scores: dict[str, float], metrics: dict[str, Any]
    ) -> None:
        self.reports.append(Report(status, detail, scores, metrics))

    def files(self, kind: Output) -> dict[str, bytes]:
        """The files of one uploaded archive, by name."""
        with zipfile.ZipFile(io.BytesIO(self.uploads[kind])) as uploaded:
            return {name: uploaded.read(name) for name in uploaded.namelist()}

    def everything(self) -> bytes:
        """All the server received, archives unpacked, as one blob to search."""
        parts = [tail.encode() for _, tail in self.heartbeats]
        for report in self.reports:
            parts += [report.detail.encode(), json.dumps([report.scores, report.metrics]).encode()]
        for kind, data in self.uploads.items():
            if kind is Output.DETAILED_RESULTS:
                parts.append(data)
                continue
            for name, content in self.files(kind).items():
                parts += [name.encode(), content]
        return b"\n".join(parts)


def tree(folder: Path) -> dict[str, str]:
    """Every entry under `folder` with its kind, mode and (for files) content hash; links
    are never followed."""
    entries = {}
    for parent, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(parent, name)
            info = os.lstat(path)
            described = f"{stat.filemode(info.st_mode)} {info.st_uid}"
            if stat.S_ISREG(info.st_mode):
                described += " " + hashlib.sha256(path.read_bytes()).hexdigest()
            entries[path.relative_to(folder).as_posix()] = described
    return entries


@dataclass
class SeenStep:
    spec: StepSpec
    result: StepResult
    before: dict[str, dict[str, str]]  # read-only mount target -> tree before the step
    after: dict[str, dict[str, str]]


class WatchedSandbox:
    """The real sandbox, with what each step sees read-only looked at before and after."""

    def __init__(self, inner: Sandbox) -> None:
        self.inner = inner
        self.name = inner.name
        self.gpus = getattr(inner, "gpus", None)  # what run_job records with the hardware
        self.steps: list[SeenStep] = []

    def run(self, spec: StepSpec) -> StepResult:
        def look() -> dict[str, dict[str, str]]:
            return {mount.target: tree(mount.source) for mount in spec.mounts if not mount.writable}

        before = look()
        result = self.inner.run(spec)
        self.steps.append(SeenStep(spec, result, before, look()))
        return result


@dataclass
class Run:
    outcome: Outcome
    reporter: RecordingReporter
    steps: list[SeenStep]

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def detail(self) -> str:
        return self.outcome.detail

    @property
    def scores(self) -> dict[str, float]:
        return self.outcome.scores

    def verdict(self) -> tuple[Status, str, dict[str, float]]:
        return self.status, self.detail, self.scores

    def uploaded(self, kind: Output) -> dict[str, bytes]:
        return self.reporter.files(kind)

    def log(self, name: str) -> bytes:
        """One of the uploaded logs: prediction.stdout, scoring.stderr..."""
        return self.uploaded(Output.LOGS)[name]

    def commands(self) -> list[str]:
        return [step.spec.command for step in self.steps]


def make_job(
    *,
    ingestion: bool = False,
    time_limit: int = 10,
    network: bool = False,
    together: bool = False,
    attempt: int = 0,
) -> Job:
    return Job(
        submission=1,
        attempt=attempt,
        secret=JOB_SECRET,
        report_url="http://127.0.0.1:9/jobs/1/",
        execution_time_limit=time_limit,
        docker_image="",
        network=network,
        submission_file=ref("submission.zip"),
        scoring_program=ref("scoring_program.zip"),
        ingestion_program=ref("ingestion_program.zip") if ingestion else None,
        input_data=ref("input_data.zip"),
        reference_data=ref("reference_data.zip"),
        ingestion_only_during_scoring=together,
    )


@dataclass
class Worker:
    """One worker: one sandbox object and one work folder for every job of a test."""

    sandbox: Sandbox
    workdir: Path
    runs: list[Run] = field(default_factory=list)

    def run(
        self,
        submission: bytes,
        *,
        scoring: bytes = SCORING,
        ingestion: bytes | None = None,
        time_limit: int = 10,
        network: bool = False,
        together: bool = False,
    ) -> Run:
        archives = {
            "submission.zip": submission,
            "scoring_program.zip": scoring,
            "input_data.zip": INPUT_DATA,
            "reference_data.zip": REFERENCE_DATA,
        }
        if ingestion is not None:
            archives["ingestion_program.zip"] = ingestion
        job = make_job(
            ingestion=ingestion is not None,
            time_limit=time_limit,
            network=network,
            together=together,
        )
        sandbox = WatchedSandbox(self.sandbox)
        reporter = RecordingReporter()
        outcome = run_job(
            job,
            sandbox=sandbox,
            transfer=ZipTransfer(archives),
            reporter=reporter,
            workdir=self.workdir,
            limits=LIMITS,
        )
        run = Run(outcome, reporter, sandbox.steps)
        self.check(run, together=together)
        self.runs.append(run)
        return run

    def check(self, run: Run, *, together: bool) -> None:
        """What must hold after any job, hostile or not (see the module's docstring)."""
        outcome = run.outcome
        expected = Report(outcome.status, outcome.detail, outcome.scores, outcome.metrics)
        assert run.reporter.reports == [expected]
        assert os.listdir(self.workdir) == [OTHER_JOB]
        for step in run.steps:
            if together:
                # Beside a running ingestion the predictions are live, not read-only data.
                step.before.pop("/app/input/res", None), step.after.pop("/app/input/res", None)
            assert step.after == step.before, f"{step.spec.command} changed what it reads"
        everything = run.reporter.everything()
        for canary in CANARIES:
            assert canary.encode() not in everything, f"{canary} reached the server"

    def assert_next_submission_finishes(self, *, ingestion: bool = False) -> None:
        """The worker is alive: a normal submission on the same sandbox gets its score."""
        if ingestion:
            run = self.run(NORMAL_MODEL, ingestion=INGESTION)
        else:
            run = self.run(zipped({"metadata": "command: python3 /app/program/main.py\n",
                                   "main.py": PREDICT}))  # fmt: skip
        assert run.verdict() == (Status.FINISHED, "", {"accuracy": 1.0})
