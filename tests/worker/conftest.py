"""Fixtures for the sandbox tests: a job folder the sandbox's host user can reach, and a way
to run one step in it and read back what it printed.

Job folders live in the system's temporary folder rather than in pytest's `tmp_path`: the
sandbox runs as uid 65534 on the host, and pytest's base folder is open to its owner only.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from podium_worker.sandbox.base import MIB, Limits, Mount, StepResult, StepSpec
from podium_worker.sandbox.bwrap import BwrapSandbox

# Short and small, so that each test is quick and each limit is reached quickly.
TEST_LIMITS = Limits(
    wall_time=10.0,
    memory_bytes=256 * MIB,
    processes=64,
    file_size_bytes=64 * MIB,
    output_bytes=64 * MIB,
    log_bytes=64 * 1024,
)


@dataclass(frozen=True)
class Ran:
    result: StepResult
    stdout: str
    stderr: str


@dataclass
class Workspace:
    """One job's folders, filled as the job runner fills them, and a step runner."""

    root: Path
    sandbox: BwrapSandbox

    def folder(self, name: str) -> Path:
        return self.root / name

    def prediction_mounts(self) -> tuple[Mount, ...]:
        return (
            Mount(self.folder("ingestion_program"), "/app/program"),
            Mount(self.folder("submission"), "/app/ingested_program"),
            Mount(self.folder("input_data"), "/app/input_data"),
            Mount(self.folder("predictions"), "/app/output", writable=True),
            Mount(self.folder("shared"), "/app/shared", writable=True),
        )

    def scoring_mounts(self) -> tuple[Mount, ...]:
        return (
            Mount(self.folder("scoring_program"), "/app/program"),
            Mount(self.folder("reference_data"), "/app/input/ref"),
            Mount(self.folder("predictions"), "/app/input/res"),
            Mount(self.folder("scoring_output"), "/app/output", writable=True),
        )

    def run(
        self,
        command: str,
        *,
        scoring: bool = False,
        network: bool = False,
        image: str = "",
        env: tuple[tuple[str, str], ...] = (),
        sandbox: BwrapSandbox | None = None,
        **limits: float,
    ) -> Ran:
        logs = self.root / "logs"
        spec = StepSpec(
            command=command,
            mounts=self.scoring_mounts() if scoring else self.prediction_mounts(),
            limits=replace(TEST_LIMITS, **limits),  # type: ignore[arg-type]
            env=env,
            network=network,
            image=image,
            stdout_path=logs / "stdout.txt",
            stderr_path=logs / "stderr.txt",
        )
        result = (sandbox or self.sandbox).run(spec)
        stdout = (logs / "stdout.txt").read_text(errors="replace")
        stderr = (logs / "stderr.txt").read_text(errors="replace")
        return Ran(result, stdout, stderr)


FILES = {
    "ingestion_program/ingestion.py": "print('ingesting')\n",
    "submission/model.py": "def predict(x):\n    return x\n",
    "input_data/test.csv": "id,x\n1,2\n",
    "scoring_program/score.py": "print('scoring')\n",
    "reference_data/truth.csv": "id,y\n1,2\n",
}


@pytest.fixture(scope="session")
def sandbox() -> BwrapSandbox:
    return BwrapSandbox()


@pytest.fixture
def workspace(sandbox: BwrapSandbox) -> Iterator[Workspace]:
    root = Path(tempfile.mkdtemp(prefix="podium-sandbox-test-"))
    # Searchable by the sandbox's host user (not listable); the folders readable, as the job
    # runner leaves them.
    os.chmod(root, 0o711)  # noqa: S103
    folders = ("ingestion_program", "submission", "input_data", "predictions", "shared",
               "scoring_program", "reference_data", "scoring_output", "logs")  # fmt: skip
    for name in folders:
        (root / name).mkdir()
        os.chmod(root / name, 0o755)  # noqa: S103
    for name, content in FILES.items():
        (root / name).write_text(content)
    yield Workspace(root, sandbox)
    # Not shutil.rmtree: it holds a descriptor per level, and a hostile step nests deeper
    # than the descriptor limit.
    subprocess.run(["rm", "-rf", "--one-file-system", str(root)], check=True)


@pytest.fixture
def marker() -> str:
    """A word no other process on the host has in its command line."""
    return f"podium-marker-{uuid.uuid4().hex}"


def processes_with(marker: str) -> list[int]:
    """Host pids whose command line holds `marker` (this test's own process excepted)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == os.getpid():
            continue
        try:
            cmdline = Path(f"/proc/{name}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in cmdline:
            found.append(int(name))
    return found
