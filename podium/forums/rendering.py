"""Posts rendered to safe HTML by the project's one renderer, in a child process with a
time limit.

Python-Markdown takes time quadratic (or worse) in some inputs that fit easily in a post:
20,000 `[` render in minutes, a fence followed by 20,000 spaces in tens of seconds
(Python-Markdown issues 798 and 1130). Participants write forum posts, so a post is
rendered once, when it is written, by a child process that is killed at the time limit,
and the post is refused with a clear error. A thread is never rendered while it is read.

Each server process keeps one rendering child and sends it one post at a time; a child
killed at the limit is replaced on the next post. Children come from multiprocessing's
fork server, which imported this module once with Markdown's extensions loaded (forking
the server process itself could copy a lock held by one of its threads).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from podium.core import markup

RENDER_SECONDS = 2.0
# A child's own start (a fork, and importing the server's main module) is not the post's.
START_SECONDS = 60.0

# Loads Markdown's extensions here, once: in the fork server, for every child it forks.
markup.render("*forum*")

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload([__name__])


class TooComplex(ValueError):
    """Markdown that could not be rendered within the time limit, or at all."""


def _serve(connection: Connection) -> None:
    """The child: renders each text it receives until its parent closes the pipe."""
    connection.send("ready")
    while True:
        try:
            text = connection.recv()
        except EOFError:
            return
        try:
            connection.send((True, markup.render(text)))
        except Exception as error:  # any failure of the renderer is the post's problem
            connection.send((False, type(error).__name__))


class _Renderer:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._child: BaseProcess | None = None
        self._connection: Connection | None = None
        self._pid = 0  # the process that started the child: a fork of it starts its own

    def _running(self) -> Connection:
        if (
            self._child is None
            or self._connection is None
            or self._pid != os.getpid()
            or not self._child.is_alive()
        ):
            self._stop()
            ours, theirs = _context.Pipe()
            # a daemon: it ends with this process, whichever way this process ends
            self._child = _context.Process(target=_serve, args=(theirs,), daemon=True)
            self._child.start()
            theirs.close()
            self._connection, self._pid = ours, os.getpid()
            if not ours.poll(START_SECONDS) or ours.recv() != "ready":
                self._stop()
                raise RuntimeError(f"the forum's renderer did not start in {START_SECONDS:g} s")
        return self._connection

    def _stop(self) -> None:
        if self._child is not None and self._pid == os.getpid():
            self._child.kill()
            self._child.join()
            self._child.close()
        if self._connection is not None and self._pid == os.getpid():
            self._connection.close()
        self._child, self._connection = None, None

    def render(self, text: str, limit: float) -> str:
        with self._lock:
            connection = self._running()
            try:
                connection.send(text)
                done = connection.poll(limit)
                if done:
                    rendered, value = connection.recv()
            except (EOFError, OSError):  # the child died: out of memory, killed
                self._stop()
                raise TooComplex("this post could not be rendered") from None
            if not done:
                self._stop()
                raise TooComplex(
                    f"this post is too complex to render within {limit:g} seconds: "
                    "simplify its Markdown (unclosed brackets, long runs of spaces)"
                )
        if not rendered:
            raise TooComplex(f"this post could not be rendered ({value})")
        result: str = value
        return result


_renderer = _Renderer()


def render(text: str, *, seconds: float | None = None) -> str:
    """The safe HTML of `text`; TooComplex if rendering takes longer than `seconds`
    (RENDER_SECONDS by default) or fails. One post at a time per server process: the time
    waited for another post's rendering does not count."""
    return _renderer.render(text, RENDER_SECONDS if seconds is None else seconds)
