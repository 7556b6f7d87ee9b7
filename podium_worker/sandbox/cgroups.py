"""A cgroup (v1) per step, for the memory and process limits and their accounting.

Each step gets a fresh group in the `memory`, `pids` and `cpuacct` hierarchies, made under
the worker's own group (so the worker's own limits still bound its steps). The kernel then
enforces the limits on the whole process tree and keeps exact counters: the memory
high-water mark, the number of processes the OOM killer ended, the number of forks refused
at the process limit, the CPU time of every process that ran in the group (even those
killed with the namespace, whose rusage nobody collects).

A controller whose hierarchy is missing or not writable (a non-root worker, a cgroup v2-only
host) is left out, and the sandbox falls back to rlimits for what it would have done.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

PREFIX = "podium-step-"


@dataclass(frozen=True)
class Hierarchy:
    controller: str
    base: Path  # the worker's own group in this hierarchy, where step groups are made


def find_hierarchies(
    controllers: tuple[str, ...] = ("memory", "pids", "cpuacct"),
    mountinfo: Path = Path("/proc/self/mountinfo"),
    own_groups: Path = Path("/proc/self/cgroup"),
) -> dict[str, Hierarchy]:
    """The v1 hierarchies of `controllers` that this process can make groups in."""
    mounts = _v1_mounts(mountinfo.read_text())
    found: dict[str, Hierarchy] = {}
    for line in own_groups.read_text().splitlines():
        _, names, path = line.split(":", 2)
        for controller in names.split(","):
            if controller not in controllers or controller not in mounts:
                continue
            mount_point, mount_root = mounts[controller]
            relative = path[len(mount_root) :] if path.startswith(mount_root) else path
            base = mount_point / relative.lstrip("/")
            if _can_make_groups(base):
                found[controller] = Hierarchy(controller, base)
    return found


def _v1_mounts(mountinfo: str) -> dict[str, tuple[Path, str]]:
    mounts: dict[str, tuple[Path, str]] = {}
    for line in mountinfo.splitlines():
        before, _, after = line.partition(" - ")
        fields, extra = before.split(), after.split()
        if len(fields) < 5 or len(extra) < 3 or extra[0] != "cgroup":
            continue
        for option in extra[2].split(","):
            mounts.setdefault(option, (Path(fields[4]), fields[3]))
    return mounts


def _can_make_groups(base: Path) -> bool:
    probe = base / f"{PREFIX}probe-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    try:
        probe.mkdir()
    except OSError:
        return False
    probe.rmdir()
    return True


class StepGroups:
    """The groups of one step. `procs_files` are what the launcher joins before bwrap starts."""

    def __init__(self, groups: dict[str, Path]) -> None:
        self.groups = groups

    @classmethod
    def create(
        cls, hierarchies: dict[str, Hierarchy], *, memory_bytes: int, processes: int
    ) -> StepGroups:
        name = f"{PREFIX}{os.getpid()}-{uuid.uuid4().hex[:12]}"
        made = cls({})
        try:
            for controller, hierarchy in hierarchies.items():
                path = hierarchy.base / name
                path.mkdir()
                made.groups[controller] = path
            if "memory" in made.groups:
                made._set_memory_limit(memory_bytes)
            if "pids" in made.groups:
                (made.groups["pids"] / "pids.max").write_text(str(processes))
        except BaseException:
            made.remove()
            raise
        return made

    def _set_memory_limit(self, memory_bytes: int) -> None:
        group = self.groups["memory"]
        (group / "memory.limit_in_bytes").write_text(str(memory_bytes))
        # Where swap is accounted, memory+swap gets the same limit: the step cannot use
        # swap to go past its memory limit (the write fails where swap accounting is off).
        with contextlib.suppress(OSError):
            (group / "memory.memsw.limit_in_bytes").write_text(str(memory_bytes))

    @property
    def procs_files(self) -> list[str]:
        return [str(path / "cgroup.procs") for path in self.groups.values()]

    def has(self, controller: str) -> bool:
        return controller in self.groups

    def oom_kills(self) -> int:
        return _keyed(self.groups["memory"] / "memory.oom_control").get("oom_kill", 0)

    def refused_forks(self) -> int:
        return _keyed(self.groups["pids"] / "pids.events").get("max", 0)

    def cpu_time(self) -> float:
        """Seconds of CPU (user + system) used by every process that was in the group."""
        return int((self.groups["cpuacct"] / "cpuacct.usage").read_text()) / 1e9

    def peak_memory(self) -> int:
        return int((self.groups["memory"] / "memory.max_usage_in_bytes").read_text())

    def pids(self) -> set[int]:
        found: set[int] = set()
        for group in self.groups.values():
            with contextlib.suppress(OSError):
                found.update(int(pid) for pid in (group / "cgroup.procs").read_text().split())
        return found

    def kill_all(self, *, patience: float = 5.0) -> bool:
        """SIGKILLs every process in the groups until none is left; False if some remain
        after `patience` seconds (a process stuck in the kernel)."""
        deadline = time.monotonic() + patience
        while pids := self.pids():
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def remove(self) -> None:
        """Removes the groups once empty (the kernel refuses to remove a group in use)."""
        for controller, path in list(self.groups.items()):
            for _ in range(100):
                try:
                    path.rmdir()
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)  # the last exited processes are still being released
                    continue
                break
            del self.groups[controller]


def remove_stale(hierarchies: dict[str, Hierarchy]) -> None:
    """Removes the step groups of workers that are gone (killed before cleaning up), killing
    first whatever still runs in them: a worker killed at the instant its sandbox started
    can leave a step behind that nothing else would stop."""
    for hierarchy in hierarchies.values():
        with contextlib.suppress(OSError):
            for entry in hierarchy.base.iterdir():
                owner = _owner_pid(entry.name)
                if owner is not None and not alive(owner):
                    stale = StepGroups({"stale": entry})
                    stale.kill_all(patience=2.0)
                    stale.remove()


def _owner_pid(name: str) -> int | None:
    if not name.startswith(PREFIX):
        return None
    owner = name[len(PREFIX) :].partition("-")[0]
    return int(owner) if owner.isdigit() else None


def alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _keyed(path: Path) -> dict[str, int]:
    values: dict[str, int] = {}
    for line in path.read_text().splitlines():
        key, _, value = line.partition(" ")
        if value.strip().isdigit():
            values[key] = int(value)
    return values
