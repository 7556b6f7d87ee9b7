"""The worker process's set-up: its folder, the removal of what killed workers left, its
options."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from podium_worker.app import make_workdir, parser, sandbox_options
from podium_worker.sandbox.base import SandboxError


def test_the_workdir_is_per_process_searchable_and_shares_a_private_cache(tmp_path):
    workdir = make_workdir(str(tmp_path / "workers"))

    assert workdir == tmp_path / "workers" / f"w-{os.getpid()}"
    assert stat.S_IMODE(workdir.stat().st_mode) == 0o711
    assert stat.S_IMODE(workdir.parent.stat().st_mode) == 0o711
    assert stat.S_IMODE((workdir.parent / "cache").stat().st_mode) == 0o700


def test_folders_of_dead_workers_are_removed_and_live_ones_kept(tmp_path):
    base = tmp_path / "workers"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = base / f"w-{gone.stdout.strip()}" / "job-x" / "reference_data"
    dead.mkdir(parents=True)
    (dead / "truth.csv").write_text("secret")
    alive = base / f"w-{os.getppid()}"
    alive.mkdir()

    make_workdir(str(base))

    assert not dead.parents[1].exists()
    assert alive.is_dir()


def test_runtime_mappings_and_gpus_become_the_backends_options():
    args = parser().parse_args(
        ["--broker", "filesystem://", "--runtime", "python:3.12=/srv/py312", "--gpus"]
    )
    assert sandbox_options(args)["runtimes"] == {"python:3.12": Path("/srv/py312")}
    assert sandbox_options(args)["gpus"] is True
    docker = parser().parse_args(["--broker", "x", "--sandbox", "docker", "--gpus"])
    with pytest.raises(SandboxError, match="--gpus is for the bwrap backend"):
        sandbox_options(docker)


def test_a_runtime_mapping_without_an_equals_sign_is_refused(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--broker", "x", "--runtime", "python:3.12"])
    assert "expected IMAGE=RUNTIME" in capsys.readouterr().err
