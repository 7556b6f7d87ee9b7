"""The docker (or podman) backend: the competition's own image, where an engine is available.

The same promises as bwrap, given by the engine: no network (`--network none`) unless the
spec allows it, a read-only image (`--read-only`, with a memory-backed /tmp), uid/gid
65534, no capabilities and no privilege gain, memory (swap included), process and file-size
limits, `--init` as pid 1 so that orphans are reaped and die with the container, the spec's
mounts read-only unless writable, and only HOME, LANG and the spec's variables added to the
image's environment (passed through the engine client's environment, never its command line).

`docker_run_command` is a pure function and is unit-tested. `DockerSandbox.run` executes it;
no engine runs on the machines where Podium's tests run, so `run` has not been exercised by
the test suite. What it reports differs from bwrap's:
- the time limit, output and file-size limits are enforced as in bwrap (the engine is told
  to kill the container; the writable mounts are host folders measured during the run);
- "memory limit exceeded" comes from the engine's OOMKilled flag;
- a fork refused at the process limit fails inside the container, and is not reported as
  "process limit exceeded" (the engine keeps no count of refusals);
- CPU time and peak memory are not measured yet (reported as 0).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid

from podium_worker.sandbox.base import LimitHit, SandboxError, StepResult, StepSpec
from podium_worker.sandbox.checks import (
    NOBODY,
    check_sources,
    check_spec,
    hand_over_writable,
    reclaim_writable,
)
from podium_worker.sandbox.logs import CappedLog
from podium_worker.sandbox.usage import measure_output
from podium_worker.sandbox.watch import pipes_of, pump

# Codabench's default image for competitions that name none.
DEFAULT_IMAGE = "codalab/codalab-legacy:py39"
SCRATCH = "/tmp"  # noqa: S108 (the container's own memory-backed folder)
ENGINE_FAILED = 125  # docker's and podman's exit code when the container could not start


def docker_run_command(
    spec: StepSpec, *, engine: str, image: str, name: str, user: int = NOBODY
) -> tuple[list[str], dict[str, str]]:
    """The engine's command line for `spec`, and the variables to give the engine client's
    environment (their names only are on the command line: `--env NAME` copies the value
    from there, so values never show in a process list)."""
    check_spec(spec)
    limits = spec.limits
    command = [
        engine, "run", "--name", name, "--init",
        "--read-only", "--user", f"{user}:{user}", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges", "--ipc", "private", "--hostname", "podium",
        "--memory", f"{limits.memory_bytes}b", "--memory-swap", f"{limits.memory_bytes}b",
        "--pids-limit", str(limits.processes),
        "--ulimit", f"fsize={limits.file_size_bytes}:{limits.file_size_bytes}",
        "--ulimit", "core=0:0",
        "--tmpfs", f"{SCRATCH}:rw,nosuid,nodev,size={limits.memory_bytes},mode=1777",
        "--shm-size", f"{limits.memory_bytes}b",
        "--log-driver", "none",  # the worker captures the output; nothing piles up on disk
        "--workdir", spec.workdir,
    ]  # fmt: skip
    if not spec.network:
        command += ["--network", "none"]
    for mount in spec.mounts:
        source = str(mount.source)
        if "," in source or "," in mount.target or "=" in mount.target:
            raise SandboxError(f"mount {source} -> {mount.target}: no ',' or '=' allowed")
        option = f"type=bind,source={source},target={mount.target}"
        command += ["--mount", option if mount.writable else option + ",readonly"]
    env = {"HOME": SCRATCH, "LANG": "C.UTF-8", **dict(spec.env)}
    for variable in env:
        command += ["--env", variable]
    command += ["--entrypoint", "/bin/sh", image, "-c", spec.command]
    return command, env


class DockerSandbox:
    """Runs steps in containers with `engine` (`docker` or `podman`, on PATH or a path).

    `images` maps a competition's image to the one to run (a local mirror, a pinned
    digest); an image not in it runs as named, and no image at all runs `default_image`.
    """

    name = "docker"

    GRACE = 10.0  # seconds the engine has to remove a killed container

    def __init__(
        self,
        *,
        engine: str = "docker",
        images: dict[str, str] | None = None,
        default_image: str = DEFAULT_IMAGE,
        poll_interval: float = 0.1,
    ) -> None:
        found = shutil.which(engine)
        if found is None:
            raise SandboxError(f"container engine {engine!r} not found")
        self.engine = found
        self.images = dict(images or {})
        self.default_image = default_image
        self.poll_interval = poll_interval

    def image_for(self, image: str) -> str:
        return self.images.get(image, image) or self.default_image

    def run(self, spec: StepSpec) -> StepResult:
        """Runs `spec` in a container. Not exercised by Podium's test suite (no engine where
        it runs): see the module's docstring for what is and is not measured."""
        check_sources(spec)
        if os.geteuid() == 0:
            hand_over_writable(spec, NOBODY)
        name = f"podium-step-{uuid.uuid4().hex[:16]}"
        command, env = docker_run_command(
            spec, engine=self.engine, image=self.image_for(spec.image), name=name
        )
        try:
            return self._run(spec, command, env, name)
        finally:
            self._engine("rm", "--force", name)
            reclaim_writable(spec)

    def _run(
        self, spec: StepSpec, command: list[str], env: dict[str, str], name: str
    ) -> StepResult:
        limits = spec.limits
        stdout = CappedLog(spec.stdout_path, limits.log_bytes)
        stderr = CappedLog(spec.stderr_path, limits.log_bytes)
        watch = _Watch(self, name, spec)
        process = subprocess.Popen(  # noqa: S603 (the engine, arguments built above, no shell)
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env},
        )
        out, err = pipes_of(process)
        try:
            readers = {out.fileno(): stdout.write, err.fileno(): stderr.write}
            pump(readers, tick=watch.tick, interval=self.poll_interval, give_up=watch.give_up)
            exit_code: int | None = process.wait(timeout=self.GRACE)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            out.close()
            err.close()
            stdout.close()
            stderr.close()
        ended = time.monotonic()
        hit = None if watch.cancelled else watch.hit or self._final_verdict(name, spec)
        if watch.cancelled:
            exit_code = None
        elif hit is None and exit_code == ENGINE_FAILED:
            tail = stderr.tail(2000).decode(errors="replace").strip()
            raise SandboxError(f"{self.engine} could not start the step: {tail or 'no message'}")
        return StepResult(
            exit_code=exit_code if hit in (None, LimitHit.FILE_SIZE) else None,
            limit_hit=hit,
            wall_time=ended - watch.started,
            cpu_time=0.0,
            peak_memory_bytes=0,
            stdout_truncated=stdout.truncated,
            stderr_truncated=stderr.truncated,
            cancelled=watch.cancelled,
        )

    def _final_verdict(self, name: str, spec: StepSpec) -> LimitHit | None:
        if self._oom_killed(name):
            return LimitHit.MEMORY
        return output_verdict(spec)

    def _oom_killed(self, name: str) -> bool:
        result = self._engine("inspect", "--format", "{{.State.OOMKilled}}", name)
        return result.strip() == "true"

    def _engine(self, *args: str) -> str:
        completed = subprocess.run(  # noqa: S603 (the engine, fixed arguments, no shell)
            [self.engine, *args], capture_output=True, text=True, timeout=60, check=False
        )
        return completed.stdout


def output_verdict(spec: StepSpec) -> LimitHit | None:
    """OUTPUT when the writable mounts hold more than the limit, FILE_SIZE when a file there
    reached the file size limit (writes past it failed)."""
    limits = spec.limits
    writable = [mount.source for mount in spec.mounts if mount.writable]
    usage = measure_output(writable, stop_after=limits.output_bytes)
    if usage.bytes > limits.output_bytes:
        return LimitHit.OUTPUT
    return LimitHit.FILE_SIZE if usage.largest_file >= limits.file_size_bytes else None


class _Watch:
    """The checks between reads: the time limit and the output limit."""

    def __init__(self, sandbox: DockerSandbox, name: str, spec: StepSpec) -> None:
        self.sandbox, self.name, self.spec = sandbox, name, spec
        self.started = time.monotonic()
        self.deadline = self.started + spec.limits.wall_time
        self.hit: LimitHit | None = None
        self.cancelled = False
        self.killed_at: float | None = None

    def tick(self) -> None:
        if self.hit is not None or self.cancelled:
            return
        if self.spec.cancel is not None and self.spec.cancel.is_set():
            self.cancelled = True
            self.killed_at = time.monotonic()
            self.sandbox._engine("kill", self.name)
            return
        if time.monotonic() >= self.deadline:
            self.hit = LimitHit.TIME
        elif output_verdict(self.spec) is LimitHit.OUTPUT:
            self.hit = LimitHit.OUTPUT
        if self.hit is not None:
            self.killed_at = time.monotonic()
            self.sandbox._engine("kill", self.name)

    def give_up(self) -> bool:
        return self.killed_at is not None and time.monotonic() > self.killed_at + self.sandbox.GRACE
