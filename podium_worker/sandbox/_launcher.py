"""The small process between the worker and bwrap: `python -I -S _launcher.py CONFIG_FD`.

Run as a script (standard library only, nothing of Podium imported), so that what must
happen between fork and exec happens in a fresh single-threaded process rather than in the
worker's `preexec_fn`:

- it dies with the worker (parent-death signal), and bwrap dies with it in turn;
- it is a child subreaper: when bwrap exits (its command is done), bwrap's pid-1 process
  inside the sandbox, killed with the namespace, is reparented here and reaped, so the CPU
  time of every process of the step, orphans included, adds up in the rusage it reports;
- its child joins the step's cgroups, takes the rlimits and drops to the sandbox's host
  user before exec'ing bwrap;
- SIGTERM from the worker means "stop the step": every process of the sandbox's pid
  namespace is SIGKILLed, pid 1 last (see `stop`), and pid 1's death makes the kernel kill
  whatever is left of the namespace at once.

It reports to the worker on a pipe, one JSON object per line: `{"event": "started",
"pid_namespace": N}` once bwrap has made the namespaces, then `{"event": "finished",
"exit_code": N or null, "status": ..., "user": s, "system": s, "max_rss": bytes}`.
`exit_code` is null when the command never ran (bwrap could not set the sandbox up) or was
stopped by the worker before bwrap reported it.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import resource
import signal
import sys
import time
from typing import Any

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
# mount(2) flags
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_REMOUNT = 32
MS_NOSYMFOLLOW = 256
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
KILL_PATIENCE = 2.0  # seconds spent killing the tree gently before pid 1 takes the rest


class Launcher:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.report_fd: int = config["report_fd"]
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.bwrap_pid = 0
        self.init_pidfd: int | None = None
        self.pid_namespace: int | None = None
        self.stopping = False

    def prctl(self, option: int, value: int) -> None:
        if self.libc.prctl(option, value, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), f"prctl({option})")

    def report(self, **event: Any) -> None:
        data = (json.dumps(event) + "\n").encode()
        with contextlib.suppress(OSError):
            os.write(self.report_fd, data)

    def stop(self, signum: int = 0, frame: object = None) -> None:
        """Kills the sandbox so that every process is still reaped by a parent that counts
        its CPU time: the others first, then the command (pid 2), then pid 1. Killing pid 1
        first would make the kernel reap the rest silently (a dying pid 1 ignores SIGCHLD)."""
        self.stopping = True
        if self.pid_namespace is not None:
            deadline = time.monotonic() + KILL_PATIENCE
            # Zombies wait for their parent: the command reaps its own, pid 1 the orphans.
            while self.kill_members(spare=(1, 2), zombies=False) and time.monotonic() < deadline:
                time.sleep(0.005)
            while self.kill_members(spare=(1,), zombies=True) and time.monotonic() < deadline:
                time.sleep(0.005)
        if self.init_pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self.init_pidfd, signal.SIGKILL)
        if self.bwrap_pid:
            with contextlib.suppress(OSError):
                os.kill(self.bwrap_pid, signal.SIGKILL)

    def kill_members(self, spare: tuple[int, ...], *, zombies: bool) -> int:
        """SIGKILLs the live processes of the sandbox's pid namespace but those whose pid
        there is in `spare`; returns how many it found (with the zombies if `zombies`)."""
        found = 0
        for pid, inner_pid, zombie in namespace_members(self.pid_namespace):
            if inner_pid in spare or (zombie and not zombies):
                continue
            found += 1
            if zombie:
                continue
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                continue
            try:
                # Checked again now that the pidfd holds the process: the pid may be reused.
                if namespace_members(self.pid_namespace, only=pid):
                    signal.pidfd_send_signal(pidfd, signal.SIGKILL)
            except OSError:
                pass
            finally:
                os.close(pidfd)
        return found

    def run(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        self.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != self.config["worker_pid"]:
            os._exit(1)  # the worker died before the line above
        self.prctl(PR_SET_CHILD_SUBREAPER, 1)
        status_read, status_write = os.pipe()
        self.launcher_pid = os.getpid()
        self.bwrap_pid = os.fork()
        if self.bwrap_pid == 0:
            self.exec_bwrap(status_write)
        os.close(status_write)
        with os.fdopen(status_read, "rb") as status:
            started = _json_line(status.readline())
            if "child-pid" in started:
                self.track_init(started)
            bwrap_status, usage = self.reap_all()
            finished = _json_line(status.read(65536))
        self.report(
            event="finished",
            exit_code=finished.get("exit-code"),
            status=bwrap_status,
            user=usage[0],
            system=usage[1],
            max_rss=usage[2] * 1024,
        )

    def track_init(self, started: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self.init_pidfd = os.pidfd_open(int(started["child-pid"]))
        with contextlib.suppress(TypeError, ValueError):
            self.pid_namespace = int(started["pid-namespace"])
        self.report(event="started", pid_namespace=self.pid_namespace)
        if self.stopping:
            self.stop()

    def reap_all(self) -> tuple[int | None, tuple[float, float, int]]:
        """Waits for every descendant (bwrap, then the orphans reparented here) and adds up
        their resource usage."""
        bwrap_status = None
        user = system = 0.0
        max_rss = 0
        while True:
            try:
                pid, status, usage = os.wait4(-1, 0)
            except ChildProcessError:
                break
            user += usage.ru_utime
            system += usage.ru_stime
            max_rss = max(max_rss, usage.ru_maxrss)
            if pid == self.bwrap_pid:
                bwrap_status = status
                self.bwrap_pid = 0
                self.stop()  # the command is done: whatever it left running goes too
        return bwrap_status, (user, system, max_rss)

    def mount(self, source: str | None, target: str, flags: int) -> None:
        encoded = source.encode() if source is not None else None
        if self.libc.mount(encoded, target.encode(), None, flags, None) != 0:
            errno = ctypes.get_errno()
            raise OSError(errno, f"mount {target}: {os.strerror(errno)}")

    def no_symlinks(self, folders: list[tuple[str, bool]]) -> None:
        """Makes each folder a mount whose links are never followed (nosymfollow, Linux 5.10),
        in a mount namespace of this process's own, so nothing outlives the step. Each gets
        nosuid and nodev (and ro where it is mounted read-only), the flags bwrap sets on a
        bind: finding them already there, bwrap leaves the mount as it is, nosymfollow too."""
        os.unshare(os.CLONE_NEWNS)
        self.mount(None, "/", MS_REC | MS_PRIVATE)
        for folder, readonly in folders:
            self.mount(folder, folder, MS_BIND)
            flags = MS_REMOUNT | MS_BIND | MS_NOSYMFOLLOW | MS_NOSUID | MS_NODEV
            self.mount(None, folder, flags | (MS_RDONLY if readonly else 0))

    def exec_bwrap(self, status_write: int) -> None:
        try:
            config = self.config
            if config["nosymfollow"]:
                self.no_symlinks([(folder, bool(ro)) for folder, ro in config["nosymfollow"]])
            for procs in config["join"]:
                with open(procs, "w") as handle:
                    handle.write(str(os.getpid()))
            for name, value in config["rlimits"]:
                resource.setrlimit(getattr(resource, name), (value, value))
            if config["gid"] is not None:
                os.setgroups([])
                os.setresgid(config["gid"], config["gid"], config["gid"])
            if config["uid"] is not None:
                os.setresuid(config["uid"], config["uid"], config["uid"])
            # Python ignores these at startup; the step gets the defaults (`yes | head` ends).
            for number in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGTERM):
                signal.signal(number, signal.SIG_DFL)
            # Cleared by the credential change above, so set again; and checked again.
            self.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            # Gone already? Its orphan is adopted by init or by whatever subreaper is above
            # (not always pid 1), so the test is "still the launcher's child".
            if os.getppid() != self.launcher_pid:
                os._exit(1)
            for fd in (status_write, config["args_fd"], *config["data_fds"]):
                os.set_inheritable(fd, True)
            argv = [
                config["bwrap"],
                "--json-status-fd",
                str(status_write),
                "--args",
                str(config["args_fd"]),
                "--",
                *config["command"],
            ]
            # An empty environment: bwrap's own pid 1 inside the sandbox keeps the one it is
            # started with, and the step can read it in /proc/1/environ (--clearenv only
            # clears the command's).
            os.execve(config["bwrap"], argv, {})  # noqa: S606 (bwrap, no shell)
        except BaseException as exc:  # whatever it was, the forked child must not return
            os.write(2, f"podium sandbox launcher: {exc}\n".encode())
        os._exit(127)


def namespace_members(
    namespace: int | None, only: int | None = None
) -> list[tuple[int, int, bool]]:
    """(host pid, pid inside, is a zombie) of each process in the pid namespace whose inode
    is `namespace`."""
    wanted = f"pid:[{namespace}]"
    members = []
    for name in [str(only)] if only is not None else os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{name}/ns/pid") != wanted:
                continue
            with open(f"/proc/{name}/status", "rb") as handle:
                status = dict(line.split(b":", 1) for line in handle.read().splitlines())
            inner = int(status[b"NSpid"].split()[-1])
        except (OSError, KeyError, ValueError):
            continue
        members.append((int(name), inner, status.get(b"State", b"").strip().startswith(b"Z")))
    return members


def _json_line(data: bytes) -> dict[str, Any]:
    # bwrap's status documents are one per line; the last complete one is what counts.
    for line in reversed(data.decode(errors="replace").strip().splitlines()):
        with contextlib.suppress(ValueError):
            document = json.loads(line)
            if isinstance(document, dict):
                return document
    return {}


def main() -> None:
    config_fd = int(sys.argv[1])
    with os.fdopen(config_fd, "rb") as handle:
        config = json.loads(handle.read())
    os.set_inheritable(config["report_fd"], False)
    for fd in (config["args_fd"], *config["data_fds"]):
        os.set_inheritable(fd, False)  # only bwrap's own child gets them, and closes them
    Launcher(config).run()


if __name__ == "__main__":
    main()
