"""A step's stdout or stderr, capped: the head and the tail are kept, the middle is cut.

Whatever the step prints (a gigabyte, with or without newlines) costs the worker at most the
tail's size in memory: the head goes straight to the log file as it comes, the tail waits in
a fixed ring buffer, and the file is cut and finished when the stream ends.
"""

from __future__ import annotations

import os
from pathlib import Path

MARKER = "\n[... {cut} bytes cut by Podium ...]\n"


class TailRing:
    """The last `size` bytes written, in a buffer allocated once."""

    def __init__(self, size: int) -> None:
        self._buffer = bytearray(size)
        self._size = size
        self._end = 0  # where the next byte goes
        self._filled = 0

    def write(self, data: bytes | memoryview) -> None:
        size = self._size
        if size == 0:
            return
        view = memoryview(data)
        if len(view) >= size:
            self._buffer[:] = view[-size:]
            self._end, self._filled = 0, size
            return
        first = min(len(view), size - self._end)
        self._buffer[self._end : self._end + first] = view[:first]
        rest = len(view) - first
        self._buffer[:rest] = view[first:]
        self._end = (self._end + len(view)) % size
        self._filled = min(size, self._filled + len(view))

    def getvalue(self) -> bytes:
        if self._filled < self._size:
            return bytes(self._buffer[: self._filled])
        return bytes(self._buffer[self._end :] + self._buffer[: self._end])


class CappedLog:
    """Writes a stream to `path` (or nowhere), keeping at most about `limit` bytes.

    Up to `limit` bytes the file holds the stream exactly. Beyond, it holds the first half of
    `limit`, the marker line with the number of bytes cut, and the last half.
    """

    def __init__(self, path: Path | None, limit: int) -> None:
        self.limit = max(limit, 0)
        self.head_size = self.limit // 2
        self.total = 0
        self._tail = TailRing(self.limit - self.head_size)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC
        self._fd = os.open(path, flags, 0o644) if path is not None else None

    @property
    def truncated(self) -> bool:
        return self.total > self.limit

    def write(self, data: bytes) -> None:
        if self._fd is not None and self.total < self.limit:
            _write_all(self._fd, memoryview(data)[: self.limit - self.total])
        self._tail.write(data)
        self.total += len(data)

    def tail(self, size: int) -> bytes:
        """The last `size` bytes of the stream (at most the kept tail)."""
        return self._tail.getvalue()[-size:] if size > 0 else b""

    def close(self) -> None:
        """Finishes the file: when the stream was longer than the limit, the part past the head
        is replaced by the marker and the tail."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if self.truncated:
                tail = self._tail.getvalue()
                cut = self.total - self.head_size - len(tail)
                os.ftruncate(fd, self.head_size)
                os.lseek(fd, self.head_size, os.SEEK_SET)
                _write_all(fd, memoryview(MARKER.format(cut=cut).encode()))
                _write_all(fd, memoryview(tail))
        finally:
            os.close(fd)


def _write_all(fd: int, data: memoryview) -> None:
    while data:
        written = os.write(fd, data)
        data = data[written:]
