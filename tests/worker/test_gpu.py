"""GPU measurements through NVML. This machine has no GPU: NVML is replaced by a stand-in
that reports host processes as GPU contexts, and the real sandbox runs real steps, so the
step's processes are told apart from the others exactly as on a GPU machine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pynvml
import pytest

from podium_worker.runner import hardware
from podium_worker.sandbox import gpu
from podium_worker.sandbox.base import Limits, SandboxError, StepSpec
from podium_worker.sandbox.bwrap import BwrapSandbox, bwrap_args

GIB = 1024**3


@dataclass
class Context:
    pid: int
    usedGpuMemory: int | None


class FakeNvml:
    """The few NVML calls the worker makes. `contexts` decides, at each call, which host
    processes hold a context on GPU 0."""

    NVMLError = pynvml.NVMLError

    def __init__(self, contexts=None) -> None:
        self.contexts = contexts or (lambda: [])

    def nvmlDeviceGetCount(self) -> int:
        return 2

    def nvmlDeviceGetHandleByIndex(self, index: int) -> int:
        return index

    def nvmlDeviceGetName(self, handle: int) -> bytes:
        return b"NVIDIA H200"

    def nvmlDeviceGetMemoryInfo(self, handle: int):
        return type("Memory", (), {"total": 141 * GIB})()

    def nvmlDeviceGetComputeRunningProcesses(self, handle: int) -> list[Context]:
        return self.contexts() if handle == 0 else []

    def nvmlDeviceGetGraphicsRunningProcesses(self, handle: int) -> list[Context]:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_NOT_SUPPORTED)


def test_the_sampler_counts_only_the_steps_processes_tick_to_tick():
    samples = iter(
        [[(10, GIB), (99, 5 * GIB)], [(10, GIB), (11, 2 * GIB)], [(99, GIB)], [(10, GIB)]]
    )
    gpus = gpu.Gpus(FakeNvml())
    gpus.processes = lambda: next(samples)  # type: ignore[method-assign]
    sampler = gpu.GpuSampler(gpus, in_step=lambda pid: pid in (10, 11))

    for now in (1.0, 1.5, 2.0, 3.0):
        sampler.sample(now)

    # Held at 1.0 and 1.5 (0.5 s), not at 2.0, again from 3.0 on (nothing yet to count).
    assert sampler.busy == pytest.approx(0.5)
    assert sampler.peak_memory == 3 * GIB  # 1 + 2 GiB at 1.5; process 99 is not the step's


def test_the_gpus_are_described_with_the_hardware():
    described = hardware(gpu.Gpus(FakeNvml()))["gpus"]
    assert described == [{"name": "NVIDIA H200", "memory": 141 * GIB}] * 2
    assert hardware()["gpus"] == []


def test_a_sandbox_with_gpus_measures_its_steps_gpu_time_and_memory(workspace):
    def every_host_process() -> list[Context]:
        return [Context(int(name), GIB) for name in os.listdir("/proc") if name.isdigit()]

    sandbox = BwrapSandbox(gpus=True, nvml=FakeNvml(every_host_process))
    spec = StepSpec(
        "sleep 1.5",
        workspace.prediction_mounts(),
        limits=Limits(wall_time=30),
        stdout_path=workspace.root / "logs" / "out",
        stderr_path=workspace.root / "logs" / "err",
    )

    result = sandbox.run(spec)

    assert result.succeeded
    # Every process of the step's namespace "held" 1 GiB; none of the host's others counted.
    assert result.gpu_peak_memory_bytes is not None
    assert 1 <= result.gpu_peak_memory_bytes // GIB <= 3
    assert result.gpu_peak_memory_bytes % GIB == 0
    assert result.gpu_time is not None
    assert 1.0 <= result.gpu_time <= result.wall_time


def test_a_step_of_a_sandbox_without_gpus_has_no_gpu_figures(workspace):
    ran = workspace.run("true")
    assert ran.result.succeeded
    assert (ran.result.gpu_time, ran.result.gpu_peak_memory_bytes) == (None, None)


def test_gpus_asked_for_without_nvml_are_refused_with_a_reason(monkeypatch):
    def no_library() -> None:
        raise pynvml.NVMLError(pynvml.NVML_ERROR_LIBRARY_NOT_FOUND)

    monkeypatch.setattr(pynvml, "nvmlInit", no_library)
    assert gpu.load_nvml() is None
    with pytest.raises(SandboxError, match="NVML finds no NVIDIA GPU or driver"):
        BwrapSandbox(gpus=True)


def test_the_nvidia_devices_are_bound_into_a_gpu_step_and_only_then():
    spec = StepSpec("true", ())
    with_gpus = bwrap_args(spec, Path("/usr"), [], {}, ["/dev/nvidiactl", "/dev/nvidia0"])
    without = bwrap_args(spec, Path("/usr"), [], {})

    assert "--dev-bind" not in without
    assert with_gpus[with_gpus.index("/dev/nvidia0") - 1 : with_gpus.index("/dev/nvidia0") + 2] == [
        "--dev-bind",
        "/dev/nvidia0",
        "/dev/nvidia0",
    ]
