"""The job runner one step at a time, with a scripted sandbox that runs nothing: each
"program" is a Python function standing in for what a real program would write."""

from __future__ import annotations

import io
import os
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from podium_worker import archive
from podium_worker.protocol import FileRef, Job, Output, Status
from podium_worker.runner import live_tail, run_job
from podium_worker.sandbox.base import LimitHit, Limits, StepResult, StepSpec

Program = Callable[[dict[str, Path]], StepResult]
OK = StepResult(exit_code=0, limit_hit=None, wall_time=1.5, cpu_time=1.25, peak_memory_bytes=2048)


class ScriptedSandbox:
    name = "scripted"

    def __init__(self, programs: dict[str, Program]) -> None:
        self.programs = programs
        self.specs: list[StepSpec] = []

    def run(self, spec: StepSpec) -> StepResult:
        self.specs.append(spec)
        mounts = {mount.target: mount.source for mount in spec.mounts}
        return self.programs[spec.command](mounts)


class LocalTransfer:
    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files

    def fetch(self, ref: FileRef, destination: Path) -> None:
        source = destination.parent / f"{destination.name}.zip"
        source.write_bytes(self.files[ref.url])
        budget = archive.Budget(max_bytes=10**8, max_entries=1000)
        archive.extract(source, destination, budget, where=ref.name)
        source.unlink()


class Recorder:
    def __init__(self, *, cancel_after: int | None = None) -> None:
        self.heartbeats: list[Status] = []
        self.uploads: dict[Output, bytes] = {}
        self.reports: list[tuple[Status, str, dict[str, float], dict[str, Any]]] = []
        self.cancel_after = cancel_after

    def heartbeat(self, status: Status, log_tail: str) -> bool:
        self.heartbeats.append(status)
        return self.cancel_after is not None and len(self.heartbeats) > self.cancel_after

    def upload(self, kind: Output, path: Path) -> None:
        assert kind not in self.uploads, f"{kind} uploaded twice"
        self.uploads[kind] = path.read_bytes()

    def report(self, status, detail, scores, metrics) -> None:
        self.reports.append((status, detail, scores, metrics))


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, content in files.items():
            out.writestr(name, content)
    return buffer.getvalue()


def ref(name: str) -> FileRef:
    return FileRef(url=name, sha256="0" * 64, name=name)


def job(**overrides: Any) -> Job:
    values: dict[str, Any] = {
        "submission": 7,
        "attempt": 0,
        "secret": "s",
        "report_url": "http://127.0.0.1:1/",
        "execution_time_limit": 30,
        "docker_image": "python:3.12",
        "network": False,
        "submission_file": ref("submission"),
        "scoring_program": ref("scoring"),
        "reference_data": ref("reference"),
    }
    return Job(**(values | overrides))


FILES = {
    "submission": zipped({"predictions.csv": b"1\n"}),
    "code": zipped({"model.py": b"class Model: ...\n"}),
    "scoring": zipped({"metadata.yaml": b"command: python3 /app/program/score.py\n"}),
    "ingestion": zipped({"metadata.yaml": b"command: python3 $ingestion_program/ingest.py\n"}),
    "reference": zipped({"truth.csv": b"1\n"}),
    "input": zipped({"test.csv": b"x\n"}),
}


def scorer(scores: str = '{"accuracy": 0.75}') -> Program:
    def run(mounts: dict[str, Path]) -> StepResult:
        assert (mounts["/app/input/ref"] / "truth.csv").read_bytes() == b"1\n"
        (mounts["/app/output"] / "scores.json").write_text(scores)
        return OK

    return run


def run(tmp_path: Path, sandbox: ScriptedSandbox, **job_overrides: Any):
    reporter = Recorder()
    outcome = run_job(
        job(**job_overrides),
        sandbox=sandbox,
        transfer=LocalTransfer(FILES),
        reporter=reporter,
        workdir=tmp_path,
        limits=Limits(),
    )
    return outcome, reporter


def test_a_results_submission_is_scored_and_reported_once(tmp_path):
    def score(mounts):
        assert (mounts["/app/input/res"] / "predictions.csv").read_bytes() == b"1\n"
        return scorer()(mounts)

    sandbox = ScriptedSandbox({"python3 /app/program/score.py": score})
    outcome, reporter = run(tmp_path, sandbox)
    assert (outcome.status, outcome.detail, outcome.scores) == (
        Status.FINISHED,
        "",
        {"accuracy": 0.75},
    )
    assert len(sandbox.specs) == 1
    assert sandbox.specs[0].limits.wall_time == 30.0
    assert reporter.heartbeats[0] == Status.PREPARING
    assert set(reporter.heartbeats[1:]) == {Status.SCORING}
    ((status, detail, scores, metrics),) = reporter.reports
    assert (status, detail, scores) == (Status.FINISHED, "", {"accuracy": 0.75})
    assert metrics["scoring"] == {
        "wall_time": 1.5,
        "cpu_time": 1.25,
        "peak_memory": 2048,
        "exit_code": 0,
        "limit_hit": None,
    }
    assert set(metrics["hardware"]) == {"cpu", "cores", "memory", "gpus"}
    assert os.listdir(tmp_path) == []


def test_an_ingestion_program_imports_the_code_without_seeing_the_reference_data(tmp_path):
    def ingest(mounts):
        assert set(mounts) == {
            "/app/program",
            "/app/ingested_program",
            "/app/input_data",
            "/app/output",
        }
        assert (mounts["/app/ingested_program"] / "model.py").is_file()
        (mounts["/app/output"] / "predictions.csv").write_text("1\n")
        return OK

    sandbox = ScriptedSandbox(
        {"python3 /app/program/ingest.py": ingest, "python3 /app/program/score.py": scorer()}
    )
    outcome, _ = run(
        tmp_path,
        sandbox,
        submission_file=ref("code"),
        ingestion_program=ref("ingestion"),
        input_data=ref("input"),
    )
    assert outcome.status == Status.FINISHED
    assert [spec.command for spec in sandbox.specs] == [
        "python3 /app/program/ingest.py",
        "python3 /app/program/score.py",
    ]
    assert outcome.metrics["prediction"]["exit_code"] == 0


def test_a_step_stopped_by_a_limit_fails_the_job_naming_the_limit(tmp_path):
    def slow(mounts):
        return StepResult(
            exit_code=None,
            limit_hit=LimitHit.TIME,
            wall_time=30.0,
            cpu_time=29.0,
            peak_memory_bytes=100,
        )

    sandbox = ScriptedSandbox({"python3 /app/program/ingest.py": slow})
    outcome, reporter = run(
        tmp_path, sandbox, submission_file=ref("code"), ingestion_program=ref("ingestion")
    )
    assert (outcome.status, outcome.detail) == (Status.FAILED, "prediction: time limit exceeded")
    assert reporter.reports[0][:2] == (Status.FAILED, "prediction: time limit exceeded")
    assert outcome.metrics["prediction"]["limit_hit"] == "time limit exceeded"


def test_a_crashing_scorer_fails_with_the_end_of_its_errors(tmp_path):
    def crash(mounts):
        return StepResult(
            exit_code=1, limit_hit=None, wall_time=0.1, cpu_time=0.1, peak_memory_bytes=1
        )

    sandbox = ScriptedSandbox({"python3 /app/program/score.py": crash})
    original = sandbox.run

    def run_and_log(spec):
        assert spec.stderr_path is not None
        spec.stderr_path.write_text("Traceback ...\nKeyError: 'label'\n")
        return original(spec)

    sandbox.run = run_and_log  # type: ignore[method-assign]
    outcome, _ = run(tmp_path, sandbox)
    assert (outcome.status, outcome.detail) == (
        Status.FAILED,
        "scoring failed with exit code 1:\nTraceback ...\nKeyError: 'label'",
    )


def test_invalid_scores_fail_the_job_naming_the_key(tmp_path):
    sandbox = ScriptedSandbox({"python3 /app/program/score.py": scorer('{"accuracy": "high"}')})
    outcome, _ = run(tmp_path, sandbox)
    assert (outcome.status, outcome.detail) == (
        Status.FAILED,
        "invalid scores: 'accuracy' is not a number (got text 'high')",
    )


def test_predictions_holding_a_link_never_reach_the_scorer(tmp_path):
    def sneaky(mounts):
        (mounts["/app/output"] / "labels.csv").symlink_to("/etc/hostname")
        return OK

    sandbox = ScriptedSandbox({"python3 /app/program/ingest.py": sneaky})
    outcome, _ = run(
        tmp_path, sandbox, submission_file=ref("code"), ingestion_program=ref("ingestion")
    )
    assert outcome.status == Status.FAILED
    assert outcome.detail == "predictions refused: output holds a symbolic link: 'labels.csv'"
    assert len(sandbox.specs) == 1


def test_a_hostile_submission_archive_fails_before_anything_runs(tmp_path):
    FILES["evil"] = zipped({"../escape.txt": b"x"})
    sandbox = ScriptedSandbox({})
    outcome, _ = run(tmp_path, sandbox, submission_file=ref("evil"))
    assert outcome.status == Status.FAILED
    assert (
        outcome.detail
        == "submission: evil: member '../escape.txt' points outside the archive ('..')"
    )
    assert sandbox.specs == []
    assert not (tmp_path.parent / "escape.txt").exists()


def test_outputs_detailed_results_and_logs_are_uploaded_before_the_final_report(tmp_path):
    def score(mounts):
        (mounts["/app/output"] / "scores.json").write_text('{"accuracy": 0.75}')
        (mounts["/app/output"] / "detailed_results.html").write_text("<p>per class</p>")
        return OK

    class LoggingSandbox(ScriptedSandbox):
        def run(self, spec):
            spec.stderr_path.write_text("scoring went fine\n")
            return super().run(spec)

    outcome, reporter = run(tmp_path, LoggingSandbox({"python3 /app/program/score.py": score}))
    assert outcome.status is Status.FINISHED
    assert set(reporter.uploads) == set(Output)
    assert reporter.uploads[Output.DETAILED_RESULTS] == b"<p>per class</p>"
    with zipfile.ZipFile(io.BytesIO(reporter.uploads[Output.PREDICTIONS])) as archive:
        assert archive.read("predictions.csv") == b"1\n"
    with zipfile.ZipFile(io.BytesIO(reporter.uploads[Output.SCORING_OUTPUT])) as archive:
        assert sorted(archive.namelist()) == ["detailed_results.html", "scores.json"]
    with zipfile.ZipFile(io.BytesIO(reporter.uploads[Output.LOGS])) as archive:
        assert archive.read("scoring.stderr") == b"scoring went fine\n"


def test_a_failed_job_still_uploads_its_logs(tmp_path):
    class CrashingSandbox(ScriptedSandbox):
        def run(self, spec):
            spec.stderr_path.write_text("Traceback: boom\n")
            return StepResult(exit_code=1, limit_hit=None, wall_time=0.1, cpu_time=0.1,
                              peak_memory_bytes=1)  # fmt: skip

    outcome, reporter = run(tmp_path, CrashingSandbox({}))
    assert outcome.status is Status.FAILED
    assert "Traceback: boom" in outcome.detail
    with zipfile.ZipFile(io.BytesIO(reporter.uploads[Output.LOGS])) as archive:
        assert archive.read("scoring.stderr") == b"Traceback: boom\n"
    assert Output.SCORING_OUTPUT not in reporter.uploads  # the scorer wrote nothing


def test_a_submission_cancelled_before_the_job_starts_runs_nothing(tmp_path):
    sandbox = ScriptedSandbox({})
    reporter = Recorder(cancel_after=0)
    outcome = run_job(job(), sandbox=sandbox, transfer=LocalTransfer(FILES), reporter=reporter,
                      workdir=tmp_path, limits=Limits())  # fmt: skip
    assert outcome.status is Status.CANCELLED
    assert sandbox.specs == []
    assert reporter.uploads == {}
    assert [report[0] for report in reporter.reports] == [Status.CANCELLED]
    assert os.listdir(tmp_path) == []


def test_a_cancel_during_a_step_stops_it_and_reports_cancelled(tmp_path):
    class WaitingSandbox(ScriptedSandbox):
        def run(self, spec):
            self.specs.append(spec)
            # The heartbeat that answers "cancelled" sets the step's event.
            assert spec.cancel.wait(10)
            return StepResult(exit_code=None, limit_hit=None, wall_time=0.2, cpu_time=0.0,
                              peak_memory_bytes=0, cancelled=True)  # fmt: skip

    sandbox = WaitingSandbox({})
    reporter = Recorder(cancel_after=1)
    outcome = run_job(job(), sandbox=sandbox, transfer=LocalTransfer(FILES), reporter=reporter,
                      workdir=tmp_path, limits=Limits())  # fmt: skip
    assert (outcome.status, outcome.scores) == (Status.CANCELLED, {})
    assert len(sandbox.specs) == 1
    assert [report[0] for report in reporter.reports] == [Status.CANCELLED]


def test_the_live_tail_shows_the_end_of_stdout_and_stderr(tmp_path):
    out, err = tmp_path / "scoring.stdout", tmp_path / "scoring.stderr"
    out.write_text("epoch 1\nepoch 2\n")
    err.write_text("")
    assert live_tail(out, err) == "epoch 1\nepoch 2"
    err.write_text("warning: slow\n")
    assert live_tail(out, err) == "--- stdout ---\nepoch 1\nepoch 2\n--- stderr ---\nwarning: slow"
    out.write_text("x" * 10_000)
    assert live_tail(out, err).startswith("--- stdout ---\n" + "x" * 2000 + "\n")


class GatedSandbox(ScriptedSandbox):
    """Records when each job's scoring starts, and holds it until its gate opens."""

    def __init__(self, name: str, order: list[str], gate: threading.Event | None = None):
        super().__init__({"python3 /app/program/score.py": scorer()})
        self.label, self.order, self.gate = name, order, gate
        self.started = threading.Event()

    def run(self, spec):
        self.order.append(self.label)
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        return super().run(spec)


def run_in_thread(tmp_path, sandbox, lock, **overrides):
    reporter = Recorder()
    workdir = tmp_path / sandbox.label
    workdir.mkdir()
    thread = threading.Thread(target=run_job, args=(job(heartbeat_seconds=0.05, **overrides),),
                              kwargs={"sandbox": sandbox, "transfer": LocalTransfer(FILES),
                                      "reporter": reporter, "workdir": workdir,
                                      "limits": Limits(), "machine_lock": lock})  # fmt: skip
    thread.start()
    return thread, reporter


def test_a_job_of_an_exclusive_queue_runs_alone_on_the_machine(tmp_path):
    lock, order = tmp_path / "machine.lock", []
    release_shared = threading.Event()
    shared = GatedSandbox("shared", order, release_shared)
    exclusive = GatedSandbox("exclusive", order)
    late = GatedSandbox("late", order)

    first, _ = run_in_thread(tmp_path, shared, lock)
    assert shared.started.wait(10)
    second, waiting = run_in_thread(tmp_path, exclusive, lock, exclusive=True)
    time.sleep(0.5)
    # A shared job that comes after the exclusive one waits behind it (no starvation).
    third, _ = run_in_thread(tmp_path, late, lock)
    time.sleep(0.5)

    assert order == ["shared"]
    assert waiting.heartbeats.count(Status.PREPARING) > 3  # alive while it waits
    release_shared.set()
    for thread in (first, second, third):
        thread.join(10)
    assert order == ["shared", "exclusive", "late"]
    assert waiting.reports[0][0] is Status.FINISHED
    assert waiting.reports[0][3]["exclusive"] is True


def test_jobs_of_ordinary_queues_run_side_by_side(tmp_path):
    lock, order = tmp_path / "machine.lock", []
    gate = threading.Event()
    one, two = GatedSandbox("one", order, gate), GatedSandbox("two", order, gate)

    threads = [run_in_thread(tmp_path, sandbox, lock)[0] for sandbox in (one, two)]
    assert one.started.wait(10)
    assert two.started.wait(10)  # both run at once
    gate.set()
    for thread in threads:
        thread.join(10)


def test_a_job_told_to_stop_while_it_waits_for_the_machine_is_cancelled(tmp_path):
    lock, order = tmp_path / "machine.lock", []
    gate = threading.Event()
    blocker = GatedSandbox("blocker", order, gate)
    first, _ = run_in_thread(tmp_path, blocker, lock, exclusive=True)
    assert blocker.started.wait(10)

    reporter = Recorder(cancel_after=3)
    outcome = run_job(job(heartbeat_seconds=0.05), sandbox=ScriptedSandbox({}),
                      transfer=LocalTransfer(FILES), reporter=reporter, workdir=tmp_path,
                      limits=Limits(), machine_lock=lock)  # fmt: skip

    assert outcome.status is Status.CANCELLED
    gate.set()
    first.join(10)
