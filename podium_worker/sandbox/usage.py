"""Measuring what a step uses from the outside: its writable folders, and (where no cgroup
accounts for it) its processes, found by their pid namespace in /proc."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Every file, folder or link costs at least a block, so a million empty files count as
# about 4 GB: creating them is stopped by the output limit like writing that much.
ENTRY_COST = 4096
# Folders nested so deep that a path passes this many characters count as too much output:
# no result needs them, and past PATH_MAX (4,096) they cannot even be walked by name.
MAX_PATH = 2048


@dataclass(frozen=True)
class OutputUsage:
    bytes: int  # counted as described in `measure_output`; may stop early past `stop_after`
    largest_file: int  # the size of the largest regular file seen


def measure_output(folders: Iterable[Path], *, stop_after: int) -> OutputUsage:
    """What the step has written into `folders`, walked without following links.

    Each entry counts its size, its allocated blocks or ENTRY_COST, whichever is largest (a
    sparse file counts its full size: that is what an upload of it would cost). The walk
    stops once the count passes `stop_after`, so that measuring a million files costs no more
    than the limit allows. An entry that vanishes or cannot be read while the step runs
    counts ENTRY_COST; a folder whose path is longer than MAX_PATH makes the whole count
    `stop_after + 1`.
    """
    total = 0
    largest = 0
    pending = [os.fspath(folder) for folder in folders]
    while pending and total <= stop_after:
        directory = pending.pop()
        try:
            entries = os.scandir(directory)
        except OSError:
            total += ENTRY_COST
            continue
        with entries:
            for entry in entries:
                total += _entry_cost(entry)
                if entry.is_file(follow_symlinks=False):
                    largest = max(largest, _size(entry))
                elif entry.is_dir(follow_symlinks=False):
                    if len(entry.path) > MAX_PATH:
                        return OutputUsage(max(total, stop_after + 1), largest)
                    pending.append(entry.path)
                if total > stop_after:
                    break
    return OutputUsage(total, largest)


def _entry_cost(entry: os.DirEntry[str]) -> int:
    try:
        info = entry.stat(follow_symlinks=False)
    except OSError:
        return ENTRY_COST
    return max(info.st_size, info.st_blocks * 512, ENTRY_COST)


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat(follow_symlinks=False).st_size
    except OSError:
        return 0


@dataclass(frozen=True)
class TreeSample:
    processes: int  # processes (not threads) in the namespace
    resident_bytes: int  # their resident memory, summed
    largest_virtual_peak: int  # the largest VmPeak among them


def sample_namespace(pid_namespace: int, proc: Path = Path("/proc")) -> TreeSample:
    """The processes whose pid namespace has the inode `pid_namespace`, seen from the host.

    Used only where no cgroup counts the step's processes and memory: one scan of /proc
    costs a few milliseconds on a host with a few hundred processes. Processes that come and
    go between two scans are missed, which is why cgroups are preferred.
    """
    wanted = f"pid:[{pid_namespace}]"
    count = resident = peak = 0
    for name in os.listdir(proc):
        if not name.isdigit():
            continue
        try:
            if os.readlink(proc / name / "ns" / "pid") != wanted:
                continue
            status = (proc / name / "status").read_bytes()
        except OSError:
            continue  # gone, or not ours to read
        count += 1
        fields = _status_fields(status)
        resident += fields.get(b"VmRSS", 0)
        peak = max(peak, fields.get(b"VmPeak", 0))
    return TreeSample(count, resident, peak)


def _status_fields(status: bytes) -> dict[bytes, int]:
    fields: dict[bytes, int] = {}
    for line in status.splitlines():
        key, _, value = line.partition(b":")
        if key in (b"VmRSS", b"VmPeak"):
            number, _, unit = value.strip().partition(b" ")
            fields[key] = int(number) * (1024 if unit == b"kB" else 1)
    return fields
