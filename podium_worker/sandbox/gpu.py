"""GPU measurements through NVML, NVIDIA's management library, where a GPU and its driver are.

NVML tells, for each GPU, which host processes hold a context on it and how much GPU memory
each uses. At every tick of a step the worker asks, keeps the processes of the step (those
in its pid namespace), and derives two figures:

- `gpu_peak_memory`: the largest total GPU memory the step's processes held at one tick;
- `gpu_time`: the wall time during which at least one of them held a GPU context, counted
  tick to tick. It is the time the step occupied a GPU, not a utilization: NVML's
  per-process utilization needs accounting mode, which a worker cannot assume is on.

Both are sampled: a context that lives shorter than a tick can be missed. Without NVML (no
driver, no GPU, or the library missing) nothing is measured and the figures are absent.
"""

from __future__ import annotations

import contextlib
import glob
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# The device files a CUDA program opens; every /dev/nvidia<N> GPU node is added to these.
CONTROL_DEVICES = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools",
                   "/dev/nvidia-modeset")  # fmt: skip


def load_nvml() -> Any | None:
    """The initialised `pynvml` module, or None where there is no NVML to talk to."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError:
        return None
    return pynvml


@dataclass(frozen=True)
class GpuInfo:
    name: str
    memory_bytes: int


class Gpus:
    """The host's GPUs as NVML sees them; `nvml` is the pynvml module (or a stand-in)."""

    def __init__(self, nvml: Any) -> None:
        self.nvml = nvml
        self.handles = [
            nvml.nvmlDeviceGetHandleByIndex(index) for index in range(nvml.nvmlDeviceGetCount())
        ]

    def describe(self) -> list[GpuInfo]:
        infos = []
        for handle in self.handles:
            name = self.nvml.nvmlDeviceGetName(handle)
            if isinstance(name, bytes):
                name = name.decode(errors="replace")
            infos.append(GpuInfo(name, int(self.nvml.nvmlDeviceGetMemoryInfo(handle).total)))
        return infos

    def processes(self) -> list[tuple[int, int]]:
        """(host pid, GPU memory in bytes) of every context on every GPU."""
        found: list[tuple[int, int]] = []
        for handle in self.handles:
            for query in (
                self.nvml.nvmlDeviceGetComputeRunningProcesses,
                self.nvml.nvmlDeviceGetGraphicsRunningProcesses,
            ):
                with contextlib.suppress(self.nvml.NVMLError):
                    found += [(int(p.pid), int(p.usedGpuMemory or 0)) for p in query(handle)]
        return found


class GpuSampler:
    """The GPU figures of one step, fed one sample per tick."""

    def __init__(self, gpus: Gpus, in_step: Callable[[int], bool]) -> None:
        self.gpus = gpus
        self.in_step = in_step
        self.peak_memory = 0
        self.busy = 0.0
        self.last: float | None = None

    def sample(self, now: float) -> None:
        ours = [memory for pid, memory in self.gpus.processes() if self.in_step(pid)]
        if ours:
            if self.last is not None:
                self.busy += now - self.last
            self.last = now
            self.peak_memory = max(self.peak_memory, sum(ours))
        else:
            self.last = None


def in_namespace(pid_namespace: int) -> Callable[[int], bool]:
    """Whether a host pid belongs to the pid namespace with inode `pid_namespace`."""
    wanted = f"pid:[{pid_namespace}]"

    def check(pid: int) -> bool:
        try:
            return os.readlink(f"/proc/{pid}/ns/pid") == wanted
        except OSError:
            return False

    return check


def device_files() -> list[str]:
    """The NVIDIA device files present on this host, to show a GPU step."""
    gpus = sorted(path for path in glob.glob("/dev/nvidia[0-9]*") if path[11:].isdigit())
    return [path for path in (*CONTROL_DEVICES, *gpus) if os.path.exists(path)]
