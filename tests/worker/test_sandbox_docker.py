"""The docker backend's command line, built by a pure function.

No container engine runs where these tests run, so `DockerSandbox.run` is not executed
here; what is tested is the exact command it would run, and the refusal without an engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from podium_worker.sandbox import make_sandbox
from podium_worker.sandbox.base import MIB, Limits, Mount, SandboxError, StepSpec
from podium_worker.sandbox.docker import docker_run_command

SPEC = StepSpec(
    command="python3 score.py /app/input /app/output",
    mounts=(
        Mount(Path("/jobs/7/scoring_program"), "/app/program"),
        Mount(Path("/jobs/7/reference_data"), "/app/input/ref"),
        Mount(Path("/jobs/7/scoring_output"), "/app/output", writable=True),
    ),
    limits=Limits(
        wall_time=60,
        memory_bytes=512 * MIB,
        processes=100,
        file_size_bytes=64 * MIB,
        output_bytes=128 * MIB,
    ),
    env=(("PODIUM_STEP", "scoring"), ("TOKEN", "not-on-the-command-line")),
)


def test_the_command_gives_every_promise_of_the_sandbox():
    command, env = docker_run_command(
        SPEC, engine="/usr/bin/docker", image="codalab/codalab-legacy:py39", name="step-1"
    )

    assert command == [
        "/usr/bin/docker", "run", "--name", "step-1", "--init",
        "--read-only", "--user", "65534:65534", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges", "--ipc", "private", "--hostname", "podium",
        "--memory", "536870912b", "--memory-swap", "536870912b",
        "--pids-limit", "100",
        "--ulimit", "fsize=67108864:67108864",
        "--ulimit", "core=0:0",
        "--tmpfs", "/tmp:rw,nosuid,nodev,size=536870912,mode=1777",  # noqa: S108
        "--shm-size", "536870912b",
        "--log-driver", "none",
        "--workdir", "/app/program",
        "--network", "none",
        "--mount", "type=bind,source=/jobs/7/scoring_program,target=/app/program,readonly",
        "--mount", "type=bind,source=/jobs/7/reference_data,target=/app/input/ref,readonly",
        "--mount", "type=bind,source=/jobs/7/scoring_output,target=/app/output",
        "--env", "HOME", "--env", "LANG", "--env", "PODIUM_STEP", "--env", "TOKEN",
        "--entrypoint", "/bin/sh", "codalab/codalab-legacy:py39",
        "-c", "python3 score.py /app/input /app/output",
    ]  # fmt: skip
    assert env == {
        "HOME": "/tmp",  # noqa: S108 (the container's own)
        "LANG": "C.UTF-8",
        "PODIUM_STEP": "scoring",
        "TOKEN": "not-on-the-command-line",
    }
    assert not any("not-on-the-command-line" in argument for argument in command)


def test_network_is_left_on_only_when_the_competition_allows_it():
    allowed = StepSpec(command="true", mounts=(), network=True)

    command, _ = docker_run_command(allowed, engine="podman", image="python:3.12", name="s")

    assert "--network" not in command


@pytest.mark.parametrize(("source", "target"), [
    ("/jobs/a,b/output", "/app/output"),
    ("/jobs/7/output", "/app/out,readonly=false"),
])  # fmt: skip
def test_a_mount_that_would_change_the_mount_option_is_refused(source, target):
    spec = StepSpec(command="true", mounts=(Mount(Path(source), target),))

    with pytest.raises(SandboxError, match="no ',' or '=' allowed"):
        docker_run_command(spec, engine="docker", image="python:3.12", name="s")


def test_a_mount_over_the_system_is_refused_as_in_bwrap():
    spec = StepSpec(command="true", mounts=(Mount(Path("/jobs/7/x"), "/etc/cron.d"),))

    with pytest.raises(SandboxError, match=r"/etc/cron\.d is a system path of the sandbox"):
        docker_run_command(spec, engine="docker", image="python:3.12", name="s")


def test_without_an_engine_the_backend_refuses_to_start():
    with pytest.raises(SandboxError, match="container engine 'podium-no-such-engine' not found"):
        make_sandbox("docker", engine="podium-no-such-engine")
