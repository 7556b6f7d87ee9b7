"""The loop that watches a running step: it drains the step's pipes into their readers, and
calls the backend's checks (time, limits) between reads, in one thread."""

from __future__ import annotations

import contextlib
import fcntl
import os
import selectors
import subprocess
import time
from collections.abc import Callable, Mapping
from typing import IO

CHUNK = 1024 * 1024
F_SETPIPE_SZ = 1031  # Linux; not in the fcntl module before Python 3.10 on every platform

Reader = Callable[[bytes], None]


def widen_pipe(fd: int) -> None:
    """Asks for a 1 MiB pipe buffer: fewer wake-ups when a step prints a lot (best effort)."""
    with contextlib.suppress(OSError):
        fcntl.fcntl(fd, F_SETPIPE_SZ, CHUNK)


def pipes_of(process: subprocess.Popen[bytes]) -> tuple[IO[bytes], IO[bytes]]:
    """The process's stdout and stderr pipes, each widened (see `widen_pipe`)."""
    if process.stdout is None or process.stderr is None:
        raise ValueError("the process was started without stdout and stderr pipes")
    widen_pipe(process.stdout.fileno())
    widen_pipe(process.stderr.fileno())
    return process.stdout, process.stderr


def pump(
    readers: Mapping[int, Reader],
    *,
    tick: Callable[[], None],
    interval: float,
    give_up: Callable[[], bool],
) -> None:
    """Reads every fd of `readers` until each reaches its end, handing each chunk to its reader;
    calls `tick` at least every `interval` seconds. Stops early, leaving fds open, when
    `give_up` says so (a step that keeps a pipe open after it was killed). The fds stay the
    caller's to close."""
    with selectors.DefaultSelector() as selector:
        for fd in readers:
            os.set_blocking(fd, False)
            selector.register(fd, selectors.EVENT_READ)
        next_tick = time.monotonic()
        while selector.get_map():
            for key, _ in selector.select(timeout=max(0.0, next_tick - time.monotonic())):
                fd = key.fd
                try:
                    data = os.read(fd, CHUNK)
                except BlockingIOError:
                    continue
                if data:
                    readers[fd](data)
                else:
                    selector.unregister(fd)
            if time.monotonic() >= next_tick:
                tick()
                next_tick = time.monotonic() + interval
                if give_up():
                    return
