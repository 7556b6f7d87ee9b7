"""What the platform adds to a job: end to end through a running instance, over the same
programs run bare in the same sandbox, in one run.

    .venv/bin/python bench/overhead.py [--repeat N]

It starts a whole instance in a temporary home (`podium-server up` with one worker, the
embedded broker, SQLite), imports the example bundles, and measures two submissions:

- "few seconds": a code submission of the code-submission example whose model spends three
  seconds of CPU in `fit`; the target is an end-to-end time at most 1.10 times the bare one;
- "trivial": the iris results submission (scoring only, a fraction of a second); the target
  is less than half a second added to the bare time.

End to end is from the moment the submission is created (the upload is done) to the moment
its final status is in the database, as a participant polling it would see it. Bare is the
prediction step then the scoring step, run by the same sandbox backend on the same
runtime from folders already unpacked: no queue, no download, no upload, no report. Each
figure is the median of `--repeat` runs, after one warm-up submission of each kind.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RUNTIME = ROOT / "runtimes" / "default"
BUSY_MODEL = (EXAMPLES / "code-submission" / "sample_submission" / "model.py").read_text() + (
    "\n\nimport time as _time\n_fit = Model.fit\n\n\n"
    "def _busy_fit(self, X, y):\n"
    "    started = _time.perf_counter()\n"
    "    while _time.perf_counter() - started < 3.0:\n"
    "        pass\n"
    "    _fit(self, X, y)\n\n\n"
    "Model.fit = _busy_fit\n"
)


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def folder_files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def setup_instance(home: Path, port: int) -> None:
    os.environ.update(
        PODIUM_HOME=str(home),
        PODIUM_SITE_URL=f"http://127.0.0.1:{port}",
        DJANGO_SETTINGS_MODULE="podium.settings",
    )
    os.environ.pop("PODIUM_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("demo", stdout=io.StringIO())
    from podium.participation.models import Participant
    from podium.participation.services import approve

    for participant in Participant.objects.filter(status="pending"):
        approve(participant, by=participant.competition.created_by)


def start_instance(port: int) -> subprocess.Popen[bytes]:
    up = subprocess.Popen(  # noqa: S603 (our own command)
        [sys.executable, "-m", "podium.cli", "up", "--port", str(port), "--workers", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                time.sleep(3)  # the worker and the scheduler start beside the server
                return up
        time.sleep(0.2)
    raise SystemExit("the instance did not start")


def end_to_end(title: str, phase_name: str, content: bytes, answers: object) -> float:
    from podium.accounts.models import User
    from podium.competitions.models import Phase
    from podium.submissions.models import Submission
    from podium.submissions.services import create_submission
    from podium_worker.protocol import TERMINAL

    phase = Phase.objects.get(competition__title=title, name=phase_name)
    user = User.objects.get(username="participant")
    started = time.perf_counter()
    submission = create_submission(
        user=user, phase=phase, stream=io.BytesIO(content), fact_sheet_answers=answers
    )
    while True:
        status = Submission.objects.filter(pk=submission.pk).values_list("status", flat=True)[0]
        if status in TERMINAL:
            elapsed = time.perf_counter() - started
            break
        time.sleep(0.01)
    if status != "finished":
        detail = Submission.objects.get(pk=submission.pk).status_detail
        raise SystemExit(f"the {title} submission ended {status}: {detail}")
    return elapsed


def bare(programs: dict[str, dict[str, bytes]], wall_time: float) -> float:
    """Prediction (when there is an ingestion program) then scoring, in the same sandbox."""
    from podium_worker.layout import JobFolders, Step, read_command, rewrite_legacy
    from podium_worker.sandbox.base import Limits, StepSpec
    from podium_worker.sandbox.bwrap import BwrapSandbox

    sandbox = BwrapSandbox(default_runtime=RUNTIME if RUNTIME.exists() else Path("/usr"))
    workdir = Path(tempfile.mkdtemp(prefix="podium-bench-"))
    os.chmod(workdir, 0o711)  # noqa: S103 (the sandbox's user searches it)
    folders = JobFolders.create(workdir)
    try:
        for name, files in programs.items():
            for member, content in files.items():
                target = getattr(folders, name) / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        limits = Limits(wall_time=wall_time)
        logs = folders.logs
        started = time.perf_counter()
        if "ingestion_program" in programs:
            command = read_command(folders.ingestion_program)
            assert command is not None
            result = sandbox.run(StepSpec(
                rewrite_legacy(command, Step.PREDICTION),
                folders.prediction_mounts(ingestion=True), limits=limits,
                stdout_path=logs / "p.out", stderr_path=logs / "p.err",
            ))  # fmt: skip
            assert result.succeeded, (logs / "p.err").read_text()
        else:
            shutil.copytree(folders.submission, folders.predictions, dirs_exist_ok=True)
        command = read_command(folders.scoring_program)
        assert command is not None
        result = sandbox.run(StepSpec(
            rewrite_legacy(command, Step.SCORING), folders.scoring_mounts(), limits=limits,
            stdout_path=logs / "s.out", stderr_path=logs / "s.err",
        ))  # fmt: skip
        assert result.succeeded, (logs / "s.err").read_text()
        return time.perf_counter() - started
    finally:
        folders.remove()
        os.rmdir(workdir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="measured runs per case (3)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="podium-bench-home-"))
    port = free_port()
    setup_instance(home, port)
    up = start_instance(port)
    code = EXAMPLES / "code-submission"
    iris = EXAMPLES / "iris-results"
    cases = [
        (
            "few seconds (code, ~3 s of CPU)",
            ("Fruit Ripeness — Code Submission", "Main", {"model.py": BUSY_MODEL.encode()}, None),
            {
                "ingestion_program": folder_files(code / "ingestion_program"),
                "input_data": folder_files(code / "input_data"),
                "submission": {"model.py": BUSY_MODEL.encode()},
                "scoring_program": folder_files(code / "scoring_program"),
                "reference_data": folder_files(code / "reference_data"),
            },
            ("ratio", 1.10),
        ),
        (
            "trivial (results, scoring only)",
            (
                "Iris Species Classification",
                "Development",
                folder_files(iris / "sample_submission"),
                {"method_name": "bench"},
            ),
            {
                "submission": folder_files(iris / "sample_submission"),
                "scoring_program": folder_files(iris / "scoring_program"),
                "reference_data": folder_files(iris / "reference_data" / "public"),
            },
            ("added", 0.5),
        ),
    ]
    try:
        print(f"{'case':34} {'bare s':>8} {'end to end s':>13} {'ratio':>7} {'added s':>8}  target")
        for name, (title, phase, files, answers), programs, (kind, target) in cases:
            content = zip_bytes(files)
            end_to_end(title, phase, content, answers)  # warm-up: caches, imports
            bare(programs, 300)
            e2e = statistics.median(
                end_to_end(title, phase, content, answers) for _ in range(args.repeat)
            )
            alone = statistics.median(bare(programs, 300) for _ in range(args.repeat))
            ratio, added = e2e / alone, e2e - alone
            met = ratio <= target if kind == "ratio" else added < target
            goal = f"ratio <= {target}" if kind == "ratio" else f"added < {target} s"
            print(f"{name:34} {alone:8.3f} {e2e:13.3f} {ratio:7.3f} {added:8.3f}  {goal}: "
                  f"{'met' if met else 'NOT met'}")  # fmt: skip
    finally:
        os.killpg(up.pid, signal.SIGTERM)
        up.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
