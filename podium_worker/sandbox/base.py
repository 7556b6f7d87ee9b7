"""The sandbox interface every backend implements, and the values that cross it.

A step is one command (prediction or scoring) run with the `/app` layout of DESIGN.md:
the backend makes exactly the given mounts visible, applies the limits to the whole process
tree, captures capped logs, and measures what the step used.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol

GIB = 1024**3
MIB = 1024**2


class SandboxError(Exception):
    """The sandbox could not run the step as asked (missing tool, bad spec, setup failure):
    the worker's or the host's problem, never a verdict on the step."""


class LimitHit(StrEnum):
    TIME = "time limit exceeded"
    MEMORY = "memory limit exceeded"
    PROCESSES = "process limit exceeded"
    OUTPUT = "output too large"
    FILE_SIZE = "file size limit exceeded"


@dataclass(frozen=True)
class Limits:
    """What one step may use. The defaults protect a small machine."""

    wall_time: float = 600.0  # seconds; the phase's execution_time_limit
    memory_bytes: int = 4 * GIB
    processes: int = 256
    file_size_bytes: int = 1 * GIB  # largest single file the step may write
    output_bytes: int = 1 * GIB  # all that the step writes into its writable mounts
    log_bytes: int = 4 * MIB  # kept per stream: the head and the tail, with a marker


@dataclass(frozen=True)
class Mount:
    source: Path  # a folder on the host, inside the job folder
    target: str  # its path inside the sandbox, e.g. "/app/input/ref"
    writable: bool = False
    # Symbolic links in it are never followed inside the sandbox: for folders that untrusted
    # code writes to while the step reads them (ingestion during scoring), where a link
    # planted there would resolve in the reader's own layout (to its reference data).
    nosymfollow: bool = False


@dataclass(frozen=True)
class StepSpec:
    command: str  # run by /bin/sh -c inside the sandbox, working directory `workdir`
    mounts: tuple[Mount, ...]
    limits: Limits = field(default_factory=Limits)
    workdir: str = "/app/program"
    env: tuple[tuple[str, str], ...] = ()  # the only variables the step sees (besides PATH, HOME)
    network: bool = False
    image: str = ""  # the competition's docker_image; bwrap maps it to a local runtime
    stdout_path: Path | None = None  # where the capped stdout log goes
    stderr_path: Path | None = None
    # Set by the worker when the submission is cancelled: the backend stops the step as it
    # would at a limit, and the result says `cancelled`.
    cancel: threading.Event | None = field(default=None, compare=False)


@dataclass(frozen=True)
class StepResult:
    exit_code: int | None  # None when the step was killed
    limit_hit: LimitHit | None
    wall_time: float  # seconds
    cpu_time: float  # seconds, user + system, whole process tree
    peak_memory_bytes: int  # whole process tree where the backend can tell, else largest process
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    cancelled: bool = False  # stopped because the submission was cancelled
    # Where the step could use GPUs (see sandbox/gpu.py); None where nothing was measured.
    gpu_time: float | None = None  # seconds during which it held a GPU context
    gpu_peak_memory_bytes: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.limit_hit is None and self.exit_code == 0 and not self.cancelled


class Sandbox(Protocol):
    name: str

    def run(self, spec: StepSpec) -> StepResult:
        """Runs one step to its end (or its limit) and returns what happened."""
        ...
