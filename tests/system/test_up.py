"""`podium-server up`, the one command behind `make run`: everything starts, Ctrl-C (SIGTERM)
stops everything, and a part that dies takes the rest down with a message naming it."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.system.conftest import Instance, instance_running

pytestmark = pytest.mark.system


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def commands(pids: list[int]) -> list[str]:
    return sorted(
        Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[3].decode() for pid in pids
    )


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def started(instance: Instance) -> tuple[subprocess.Popen[bytes], list[int]]:
    instance.start(workers=2)
    assert instance.up is not None
    children = children_of(instance.up.pid)
    assert commands(children) == ["scheduler", "serve", "worker", "worker"]
    return instance.up, children


def test_sigterm_stops_the_server_the_workers_and_the_scheduler():
    with instance_running() as instance:
        up, children = started(instance)

        up.send_signal(signal.SIGTERM)

        assert up.wait(timeout=30) == 0
        assert [pid for pid in children if alive(pid)] == []


def test_a_part_that_dies_stops_the_others_and_is_named():
    with instance_running() as instance:
        up, children = started(instance)
        server = next(pid for pid in children if commands([pid]) == ["serve"])

        os.kill(server, signal.SIGKILL)

        assert up.wait(timeout=30) == 1
        assert [pid for pid in children if alive(pid)] == []
        assert "the server stopped (exit code -9); everything was stopped" in instance.log()
