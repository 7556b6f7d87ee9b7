"""Sandbox backends behind one interface: `bwrap` (bubblewrap, the default) and `docker`."""

from __future__ import annotations

from typing import Any

from podium_worker.sandbox.base import Sandbox, SandboxError

BACKENDS = ("bwrap", "docker")


def make_sandbox(name: str, **options: Any) -> Sandbox:
    """The backend called `name`, built with its own options (see BwrapSandbox and
    DockerSandbox). Imported on demand: nothing is probed until a backend is asked for."""
    if name == "bwrap":
        from podium_worker.sandbox.bwrap import BwrapSandbox

        return BwrapSandbox(**options)
    if name == "docker":
        from podium_worker.sandbox.docker import DockerSandbox

        return DockerSandbox(**options)
    raise SandboxError(f"unknown sandbox backend {name!r}: choose one of {', '.join(BACKENDS)}")
