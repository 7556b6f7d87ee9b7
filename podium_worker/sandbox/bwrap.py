"""The bubblewrap backend: no daemon, no image, the default on Linux.

What the step sees: a read-only system (the host's /usr and the few /etc files a runtime
needs; a passwd, group and hosts written here, so no host account names), the runtime for
its image, a fresh /tmp and /dev/shm (memory-backed, counted in its memory), its own /proc,
a minimal /dev, and exactly the spec's mounts (read-only unless writable). Every namespace
is new (the network too, unless the spec allows it; then only the network is shared), user
namespaces cannot be nested, the environment holds only PATH, HOME, LANG and the spec's
variables, and the command runs as uid/gid 65534 in a session of its own.

Who the step is on the host: when the worker runs as root, bwrap is started as an
unprivileged host user (`sandbox_uid`, 65534 by default), so the step's processes own
nothing of the host (mapping them to root, as a root-run bwrap would, also makes the kernel
skip the process rlimit). That user must be able to reach the mounted folders: every folder
above a mount must be searchable by it (`chmod o+x`), and what it reads must be readable by
it. Writable mounts are handed to it (chown) before the step. A worker that is not root
runs bwrap as itself.

How the limits hold on the whole process tree (see cgroups.py and _launcher.py). Each step
gets its own cgroups where the cgroup v1 hierarchies are writable (this project's machines,
as root); otherwise rlimits and sampling stand in:

| limit     | with cgroups                                 | without                           |
|-----------|----------------------------------------------|-----------------------------------|
| time      | the worker's clock; at the limit the launcher SIGKILLs every process of the  |
|           | sandbox's pid namespace (pid 1 last, which makes the kernel end the rest)    |
| memory    | memory cgroup (swap included); the tree is   | RLIMIT_AS per process; verdict    |
|           | killed at the first OOM kill                 | when sampling sees the limit      |
| processes | pids cgroup (processes and threads, the      | RLIMIT_NPROC, which counts every  |
|           | step's shell included; bwrap's two on top);  | process of the host user: give    |
|           | the tree is killed at the first refused fork | concurrent sandboxes their own    |
| file size | RLIMIT_FSIZE; the verdict when a file in a writable mount reached the limit  |
| output    | the writable mounts measured while the step runs (usage.py); killed past it  |

When the command exits, whatever it left running is killed: the step is over.

Measurements: wall time by the worker's clock; CPU time (user + system) of every process
that ran, from the cpuacct cgroup, else from the rusage the launcher (a subreaper) collects
(without cpuacct, processes still running when the command exits are not counted: the
kernel reaps them without accounting when the namespace ends); peak memory from the memory
cgroup's high-water mark (everything the tree charged, page cache it caused included), else
the largest of the sampled tree's resident memory and the largest single process's peak.
Sampling (every `poll_interval`) can miss what lives shorter than that: the fallback's
verdicts on memory and processes are best effort.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from podium_worker.sandbox import cgroups, gpu
from podium_worker.sandbox.base import LimitHit, Limits, SandboxError, StepResult, StepSpec
from podium_worker.sandbox.checks import (
    NOBODY,
    check_reachable,
    check_sources,
    check_spec,
    hand_over_writable,
    reclaim_writable,
)
from podium_worker.sandbox.logs import CappedLog
from podium_worker.sandbox.usage import measure_output, sample_namespace
from podium_worker.sandbox.watch import pipes_of, pump

LAUNCHER = Path(__file__).with_name("_launcher.py")
MIN_VERSION = (0, 8)
SANDBOX_UID = NOBODY  # the step's own user inside the sandbox
SCRATCH = ("/tmp", "/dev/shm")  # noqa: S108 (the sandbox's own memory-backed folders)
BWRAP_PROCESSES = 2  # bwrap's own processes in the step's pids group: outside and pid 1
HOST_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives", "localtime",
            "ssl/certs", "ssl/openssl.cnf", "ca-certificates", "mime.types")  # fmt: skip
NETWORK_ETC = ("resolv.conf", "gai.conf")
# Account names for the sandbox (no secret in them, and none of the host's).
PASSWD = "root:x:0:0::/:/usr/sbin/nologin\nnobody:x:65534:65534::/tmp:/usr/sbin/nologin\n"  # noqa: S105
GROUP = "root:x:0:\nnogroup:x:65534:\n"
NSSWITCH = "passwd: files\ngroup: files\nhosts: files dns\n"
HOSTS = "127.0.0.1 localhost podium\n::1 localhost\n"


class BwrapSandbox:
    """Runs steps with bubblewrap (`bwrap` 0.8 or later on PATH, or given).

    `runtimes` maps a competition's docker image to a runtime root: a folder with a Python 3
    under `bin/` (a prefix such as `/usr`, or a virtual environment), mounted read-only at
    the same path and put first on PATH. An image not in the map gets `default_runtime`.
    The default is the host's `/usr` (its `python3`) until `make install` provides one.

    `use_cgroups=False` forces the rlimit fallback (for tests, and hosts where cgroup v1 is
    writable but should not be used).
    """

    name = "bwrap"

    def __init__(
        self,
        *,
        runtimes: Mapping[str, Path] | None = None,
        default_runtime: Path = Path("/usr"),
        bwrap: str = "bwrap",
        sandbox_uid: int = NOBODY,
        use_cgroups: bool = True,
        poll_interval: float = 0.05,
        gpus: bool = False,
        nvml: Any | None = None,
    ) -> None:
        found = shutil.which(bwrap)
        if found is None:
            raise SandboxError(f"bubblewrap not found ({bwrap}): install the bubblewrap package")
        self.bwrap = found
        check_version(found)
        self.runtimes = {image: Path(root) for image, root in (runtimes or {}).items()}
        self.default_runtime = Path(default_runtime)
        for root in [self.default_runtime, *self.runtimes.values()]:
            check_runtime(root)
        # bwrap runs as this host user when the worker is root, as the worker otherwise.
        self.host_user: int | None = sandbox_uid if os.geteuid() == 0 else None
        self.poll_interval = poll_interval
        self.hierarchies = cgroups.find_hierarchies() if use_cgroups else {}
        cgroups.remove_stale(self.hierarchies)
        # With `gpus`, steps see the host's NVIDIA devices and their GPU use is measured.
        self.gpus: gpu.Gpus | None = None
        self.devices: list[str] = []
        if gpus:
            nvml = nvml or gpu.load_nvml()
            if nvml is None:
                raise SandboxError("GPUs were asked for, but NVML finds no NVIDIA GPU or driver")
            self.gpus = gpu.Gpus(nvml)
            self.devices = gpu.device_files()

    def runtime_for(self, image: str) -> Path:
        return self.runtimes.get(image, self.default_runtime)

    def run(self, spec: StepSpec) -> StepResult:
        check_spec(spec)
        runtime = self.runtime_for(spec.image)
        binds = runtime_binds(runtime)
        self._prepare_mounts(spec, binds)
        groups = cgroups.StepGroups.create(
            self.hierarchies,
            memory_bytes=spec.limits.memory_bytes,
            processes=spec.limits.processes + BWRAP_PROCESSES,
        )
        try:
            return _Step(self, spec, runtime, binds, groups).run()
        finally:
            groups.remove()
            # The step owned its writable folders and may have locked them (chmod 0): the
            # next step and the worker must still reach them.
            reclaim_writable(spec)

    def _prepare_mounts(self, spec: StepSpec, binds: list[Path]) -> None:
        uid = self.host_user
        check_sources(spec)
        if uid is None and any(mount.nosymfollow for mount in spec.mounts):
            raise SandboxError(
                "this step needs folders whose links are never followed (ingestion during "
                "scoring), which takes a mount only a worker run as root can make"
            )
        if uid is not None:
            hand_over_writable(spec, uid)
            for folder in [*binds, *(mount.source for mount in spec.mounts)]:
                check_reachable(folder, uid)

    def launcher_config(self, spec: StepSpec, groups: cgroups.StepGroups) -> dict[str, Any]:
        limits = spec.limits
        rlimits: list[tuple[str, int]] = [
            ("RLIMIT_FSIZE", limits.file_size_bytes),
            ("RLIMIT_CORE", 0),
        ]
        if not groups.has("memory"):
            rlimits.append(("RLIMIT_AS", limits.memory_bytes))
        if not groups.has("pids"):
            rlimits.append(("RLIMIT_NPROC", limits.processes + BWRAP_PROCESSES))
        return {
            # Made in a mount namespace of the launcher's own before bwrap starts (see
            # _launcher.no_symlinks), each with the flags bwrap will find there already.
            "nosymfollow": [
                (str(mount.source), not mount.writable)
                for mount in spec.mounts
                if mount.nosymfollow
            ],
            "worker_pid": os.getpid(),
            "join": groups.procs_files,
            "rlimits": rlimits,
            "uid": self.host_user,
            "gid": self.host_user,
            "bwrap": self.bwrap,
            "command": ["/bin/sh", "-c", spec.command],
        }


def check_version(bwrap: str) -> None:
    """bwrap 0.8 (Debian 12, Ubuntu 24.04) is the first with --disable-userns."""
    output = subprocess.run(  # noqa: S603 (bwrap itself, a fixed argument)
        [bwrap, "--version"], capture_output=True, text=True, check=False, timeout=10
    ).stdout
    match = re.search(r"(\d+)\.(\d+)", output)
    if match is None or (int(match[1]), int(match[2])) < MIN_VERSION:
        found = output.strip() or "no version"
        raise SandboxError(f"bubblewrap 0.8 or later is needed ({bwrap}: {found})")


def check_runtime(root: Path) -> None:
    """A runtime root is an absolute folder with `bin/python3`."""
    if not root.is_absolute() or not (root / "bin" / "python3").exists():
        raise SandboxError(f"runtime {root} is not an absolute folder holding bin/python3")


def runtime_binds(runtime: Path) -> list[Path]:
    """The folders outside /usr a runtime needs: itself, and the base interpreter's prefix
    when it is a virtual environment (its `bin/python` links there)."""
    binds: list[Path] = []
    for folder in (runtime, _venv_base(runtime)):
        if folder is not None and not _under(folder, Path("/usr")) and folder not in binds:
            binds.append(folder)
    return binds


def _venv_base(runtime: Path) -> Path | None:
    try:
        config = (runtime / "pyvenv.cfg").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in config.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "home" and value.strip():
            return Path(value.strip()).parent
    return None


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def etc_files(spec: StepSpec) -> dict[str, str]:
    """The /etc files written for the sandbox rather than taken from the host."""
    files = {"/etc/passwd": PASSWD, "/etc/group": GROUP, "/etc/nsswitch.conf": NSSWITCH}
    if not spec.network:
        files["/etc/hosts"] = HOSTS
    return files


def bwrap_args(
    spec: StepSpec,
    runtime: Path,
    binds: list[Path],
    data_fds: Mapping[str, int],
    devices: list[str] | None = None,
) -> list[str]:
    """bwrap's options for `spec` (everything before the command). `data_fds` holds the
    `etc_files`, each in a descriptor that bwrap reads (--ro-bind-data)."""
    limits = spec.limits
    args = ["--unshare-all", "--unshare-user", "--disable-userns", "--die-with-parent",
            "--new-session", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID),
            "--hostname", "podium"]  # fmt: skip
    if spec.network:
        args.append("--share-net")
    args += _system_args()
    host_etc = (*HOST_ETC, *NETWORK_ETC, "hosts") if spec.network else HOST_ETC
    for name in host_etc:
        args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
    for path, fd in data_fds.items():
        args += ["--perms", "0644", "--ro-bind-data", str(fd), path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for device in devices or []:  # GPUs, where the worker was started with them
        args += ["--dev-bind", device, device]
    # Memory-backed: their pages count in the step's memory; the size is a second bound.
    for scratch in SCRATCH:
        args += ["--size", str(limits.memory_bytes), "--perms", "1777", "--tmpfs", scratch]
    for folder in binds:  # after the scratch folders, so that no tmpfs hides a runtime
        args += ["--ro-bind", str(folder), str(folder)]
    for mount in sorted(spec.mounts, key=lambda mount: mount.target.count("/")):
        kind = "--bind" if mount.writable else "--ro-bind"
        args += [kind, str(mount.source), mount.target]
    if not any(_under(Path(spec.workdir), Path(mount.target)) for mount in spec.mounts):
        args += ["--dir", spec.workdir]
    args += ["--remount-ro", "/", "--chdir", spec.workdir, "--clearenv"]
    env = {"PATH": _path_for(runtime), "HOME": SCRATCH[0], "LANG": "C.UTF-8", **dict(spec.env)}
    for name, value in env.items():
        args += ["--setenv", name, value]
    return args


def _system_args() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    return args


def _path_for(runtime: Path) -> str:
    entries = [str(runtime / "bin"), "/usr/local/bin", "/usr/bin", "/bin"]
    return ":".join(dict.fromkeys(entries))


@dataclass
class _Watch:
    """What the worker learns about a running step, tick by tick."""

    started: float
    deadline: float
    hit: LimitHit | None = None
    cancelled: bool = False
    killed_at: float | None = None
    file_size_reached: bool = False
    pid_namespace: int | None = None
    sampled_resident: int = 0
    sampled_virtual: int = 0
    next_scan: float = 0.0
    report: bytearray = field(default_factory=bytearray)


class _Step:
    """One run of one step: the launcher, the pipes, the checks, the result."""

    GRACE = 5.0  # seconds a killed step has to go before the worker stops waiting for it

    def __init__(
        self,
        sandbox: BwrapSandbox,
        spec: StepSpec,
        runtime: Path,
        binds: list[Path],
        groups: cgroups.StepGroups,
    ) -> None:
        self.sandbox = sandbox
        self.spec = spec
        self.limits: Limits = spec.limits
        self.runtime = runtime
        self.binds = binds
        self.groups = groups
        self.writable = [mount.source for mount in spec.mounts if mount.writable]
        self.stdout = CappedLog(spec.stdout_path, self.limits.log_bytes)
        self.stderr = CappedLog(spec.stderr_path, self.limits.log_bytes)
        self.finished: dict[str, Any] = {}  # the launcher's last report
        self.gpu: gpu.GpuSampler | None = None

    def run(self) -> StepResult:
        try:
            with self._launched() as (launcher, report_fd):
                now = time.monotonic()
                self.watch = _Watch(started=now, deadline=now + self.limits.wall_time)
                self.launcher = launcher
                out, err = pipes_of(launcher)
                readers = {
                    out.fileno(): self.stdout.write,
                    err.fileno(): self.stderr.write,
                    report_fd: self.watch.report.extend,
                }
                pump(readers, tick=self._tick, interval=self.sandbox.poll_interval,
                     give_up=self._give_up)  # fmt: skip
                ended = time.monotonic()
                self._wait_launcher(launcher)
        finally:
            self.stdout.close()
            self.stderr.close()
        return self._result(ended)

    @contextlib.contextmanager
    def _launched(self) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
        report_read, report_write = os.pipe()
        try:
            launcher = self._start_launcher(report_write)
        except BaseException:
            os.close(report_read)
            raise
        try:
            yield launcher, report_read
        finally:
            if launcher.returncode is None:
                self._kill_hard(launcher)
            for stream in (launcher.stdout, launcher.stderr):
                if stream is not None:
                    stream.close()
            os.close(report_read)

    def _start_launcher(self, report_write: int) -> subprocess.Popen[bytes]:
        """Starts the launcher with its configuration, bwrap's arguments and the /etc files
        in descriptors of their own (nothing on a command line that `ps` shows but the
        step's command); closes the worker's copies."""
        fds = [report_write]
        try:
            etc = {path: _memfd(content.encode()) for path, content in etc_files(self.spec).items()}
            fds += etc.values()
            args = bwrap_args(self.spec, self.runtime, self.binds, etc, self.sandbox.devices)
            fds.append(args_fd := _memfd(b"\0".join(arg.encode() for arg in args) + b"\0"))
            config = self.sandbox.launcher_config(self.spec, self.groups)
            config.update(report_fd=report_write, args_fd=args_fd, data_fds=list(etc.values()))
            fds.append(config_fd := _memfd(json.dumps(config).encode()))
            return subprocess.Popen(  # noqa: S603 (our own launcher, no shell)
                [sys.executable, "-I", "-S", str(LAUNCHER), str(config_fd)],
                env={},  # nothing of the worker's environment goes near the sandbox
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                pass_fds=fds,
                start_new_session=True,
            )
        finally:
            for fd in fds:
                os.close(fd)

    def _tick(self) -> None:
        watch = self.watch
        self._read_report()
        if watch.hit is not None or watch.cancelled:
            return
        if self.spec.cancel is not None and self.spec.cancel.is_set():
            watch.cancelled = True
            self._stop()
            return
        now = time.monotonic()
        self._sample_gpus(now)
        hit = self._limit_hit(now)
        if hit is not None:
            watch.hit = hit
            self._stop()

    def _limit_hit(self, now: float) -> LimitHit | None:
        if now >= self.watch.deadline:
            return LimitHit.TIME
        hit = self._kernel_verdict()
        if hit is None and not (self.groups.has("memory") and self.groups.has("pids")):
            hit = self._sampled_verdict()
        if hit is None and now >= self.watch.next_scan:
            hit = self._scan_output()
            self.watch.next_scan = time.monotonic() + max(0.2, 20 * (time.monotonic() - now))
        return hit

    def _sample_gpus(self, now: float) -> None:
        gpus, namespace = self.sandbox.gpus, self.watch.pid_namespace
        if gpus is None or namespace is None:
            return
        if self.gpu is None:
            self.gpu = gpu.GpuSampler(gpus, gpu.in_namespace(namespace))
        self.gpu.sample(now)

    def _kernel_verdict(self) -> LimitHit | None:
        if self.groups.has("pids") and self.groups.refused_forks() > 0:
            return LimitHit.PROCESSES
        if self.groups.has("memory") and self.groups.oom_kills() > 0:
            return LimitHit.MEMORY
        return None

    def _sampled_verdict(self) -> LimitHit | None:
        watch = self.watch
        if watch.pid_namespace is None:
            return None
        sample = sample_namespace(watch.pid_namespace)
        watch.sampled_resident = max(watch.sampled_resident, sample.resident_bytes)
        watch.sampled_virtual = max(watch.sampled_virtual, sample.largest_virtual_peak)
        if not self.groups.has("pids") and sample.processes >= self.limits.processes:
            return LimitHit.PROCESSES
        if not self.groups.has("memory") and sample.resident_bytes >= self.limits.memory_bytes:
            return LimitHit.MEMORY
        return None

    def _scan_output(self) -> LimitHit | None:
        usage = measure_output(self.writable, stop_after=self.limits.output_bytes)
        if usage.largest_file >= self.limits.file_size_bytes:
            self.watch.file_size_reached = True
        return LimitHit.OUTPUT if usage.bytes > self.limits.output_bytes else None

    def _read_report(self) -> None:
        *lines, rest = bytes(self.watch.report).split(b"\n")
        self.watch.report[:] = rest
        for line in lines:
            with contextlib.suppress(ValueError):
                event = json.loads(line)
                if event.get("event") == "started" and event.get("pid_namespace"):
                    self.watch.pid_namespace = int(event["pid_namespace"])
                elif event.get("event") == "finished":
                    self.finished = event

    def _stop(self) -> None:
        """Asks the launcher to kill the sandbox (see _launcher.Launcher.stop); if it does
        not end within GRACE, `_kill_hard` does."""
        if self.watch.killed_at is None:
            self.watch.killed_at = time.monotonic()
        with contextlib.suppress(ProcessLookupError):
            self.launcher.send_signal(signal.SIGTERM)

    def _give_up(self) -> bool:
        killed_at = self.watch.killed_at
        return killed_at is not None and time.monotonic() > killed_at + self.GRACE

    def _wait_launcher(self, launcher: subprocess.Popen[bytes]) -> None:
        try:
            launcher.wait(timeout=self.GRACE)
        except subprocess.TimeoutExpired:
            self._kill_hard(launcher)
        self._read_report()

    def _kill_hard(self, launcher: subprocess.Popen[bytes]) -> None:
        launcher.kill()
        launcher.wait()
        self.groups.kill_all()

    def _result(self, ended: float) -> StepResult:
        watch, finished = self.watch, self.finished
        hit = None if watch.cancelled else watch.hit or self._final_verdict(finished)
        exit_code = None if watch.cancelled else finished.get("exit_code")
        if exit_code is None and hit is None and not watch.cancelled:
            tail = self.stderr.tail(2000).decode(errors="replace").strip()
            raise SandboxError(f"bubblewrap could not start the step: {tail or 'no message'}")
        if hit is not None and hit is not LimitHit.FILE_SIZE:
            exit_code = None
        return StepResult(
            exit_code=exit_code,
            limit_hit=hit,
            wall_time=ended - watch.started,
            cpu_time=self._cpu_time(finished),
            peak_memory_bytes=self._peak_memory(finished),
            stdout_truncated=self.stdout.truncated,
            stderr_truncated=self.stderr.truncated,
            cancelled=watch.cancelled,
            gpu_time=None if self.sandbox.gpus is None else self.gpu.busy if self.gpu else 0.0,
            gpu_peak_memory_bytes=None
            if self.sandbox.gpus is None
            else self.gpu.peak_memory
            if self.gpu
            else 0,
        )

    def _final_verdict(self, finished: dict[str, Any]) -> LimitHit | None:
        """A limit the step met in its last moments, after the last tick."""
        hit = self._kernel_verdict() or self._scan_output()
        if hit is not None:
            return hit
        failed = finished.get("exit_code") != 0
        near_limit = self.watch.sampled_virtual >= 0.9 * self.limits.memory_bytes
        if failed and not self.groups.has("memory") and near_limit:
            return LimitHit.MEMORY
        return LimitHit.FILE_SIZE if self.watch.file_size_reached else None

    def _cpu_time(self, finished: dict[str, Any]) -> float:
        if self.groups.has("cpuacct"):
            return self.groups.cpu_time()
        return float(finished.get("user", 0.0)) + float(finished.get("system", 0.0))

    def _peak_memory(self, finished: dict[str, Any]) -> int:
        if self.groups.has("memory"):
            return self.groups.peak_memory()
        return max(self.watch.sampled_resident, int(finished.get("max_rss", 0)))


def _memfd(content: bytes) -> int:
    fd = os.memfd_create("podium-sandbox", os.MFD_CLOEXEC)
    os.write(fd, content)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
