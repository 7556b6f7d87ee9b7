"""Checks and preparations every backend makes before a step: a spec it can honour exactly,
mount sources that are plain folders, and writable folders handed to the step's host user."""

from __future__ import annotations

import os
import posixpath
import re
import stat
from pathlib import Path

from podium_worker.sandbox.base import SandboxError, StepSpec

NOBODY = 65534
# Paths of the sandbox's own system, which no mount may cover.
RESERVED = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/proc",
            "/dev", "/tmp", "/sys", "/run")  # fmt: skip  # noqa: S108 (paths inside the sandbox)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def check_spec(spec: StepSpec) -> None:
    """Refuses a spec the sandbox cannot honour exactly (a worker bug, never the step's)."""
    targets = [mount.target for mount in spec.mounts]
    for target in [*targets, spec.workdir]:
        if not target.startswith("/") or posixpath.normpath(target) != target or target == "/":
            raise SandboxError(f"sandbox path {target!r} must be absolute and normalized")
    for target in targets:
        if any(target == root or target.startswith(root + "/") for root in RESERVED):
            raise SandboxError(f"mount target {target} is a system path of the sandbox")
    if len(set(targets)) != len(targets):
        raise SandboxError("two mounts have the same target")
    for name, value in spec.env:
        if not _ENV_NAME.fullmatch(name) or "\0" in value:
            raise SandboxError(f"environment variable {name!r} is not a valid name and value")
    if "\0" in spec.command:
        raise SandboxError("the command holds a NUL character")
    if spec.limits.wall_time <= 0:
        raise SandboxError("the wall time limit must be positive")


def check_sources(spec: StepSpec) -> None:
    """Each mount source must be a folder itself, not a link to one: a link left by an
    earlier step would be followed by the mount."""
    for mount in spec.mounts:
        try:
            info = os.lstat(mount.source)
        except FileNotFoundError:
            raise SandboxError(f"mount source {mount.source} does not exist") from None
        if not stat.S_ISDIR(info.st_mode):
            raise SandboxError(f"mount source {mount.source} is not a folder (or is a link)")


def hand_over_writable(spec: StepSpec, uid: int) -> None:
    """Gives each writable mount's folder to `uid` (the step's host user) alone: the step
    writes there, the worker (root) reads what it wrote, nobody else looks."""
    for mount in spec.mounts:
        if mount.writable:
            os.chown(mount.source, uid, uid, follow_symlinks=False)
            os.chmod(mount.source, stat.S_IRWXU, follow_symlinks=False)


def reclaim_writable(spec: StepSpec) -> None:
    """After a step: its writable folders back to 0700, whatever mode it left them in (the
    step owned them, and `chmod 0` of its own output would make the next step's mount fail).
    What it did inside them is the output walk's business."""
    for mount in spec.mounts:
        if mount.writable:
            os.chmod(mount.source, stat.S_IRWXU, follow_symlinks=False)


def check_reachable(folder: Path, uid: int) -> None:
    """Raises unless `uid` (not the worker) can search every folder down to `folder` and
    list `folder`: bwrap resolves mount sources as that user."""
    folder = Path(os.path.abspath(folder))
    for parent in [*reversed(folder.parents), folder]:
        info = os.stat(parent)
        wanted = 0o5 if parent == folder else 0o1
        if info.st_uid == uid:
            granted = (info.st_mode >> 6) & 0o7
        elif info.st_gid == uid:
            granted = (info.st_mode >> 3) & 0o7
        else:
            granted = info.st_mode & 0o7
        if granted & wanted != wanted:
            raise SandboxError(
                f"the sandbox's host user (uid {uid}) cannot reach {folder}: {parent} is not "
                "open to it (make the folders above the job folders searchable: chmod o+x)"
            )
