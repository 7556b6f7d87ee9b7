"""Walking and archiving what a step left in its writable folders, as hostile data.

A step's output is written by code the worker does not trust. It may hold a symbolic link to
`/proc/self/environ` or to a host file, a hard link, a named pipe that would block whoever
opens it, a device node or a socket (HOSTILE.md B18). None of these is ever followed or
opened: the walk goes through directory file descriptors with `O_NOFOLLOW`, classifies each
entry by `lstat`, and refuses the whole output at the first entry that is not a regular file
or a folder, naming it. Files are opened with `O_NOFOLLOW | O_NONBLOCK` and checked again
with `fstat`, so an entry swapped after the walk is still caught.

The same walk guards the scoring step: the prediction step's output becomes the scoring
program's `/app/input/res`, and a link in it pointing at `/app/input/ref/...` would hand the
scorer the reference data as predictions. The job runner calls `collect` on the predictions
before scoring them.
"""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

MAX_FILES = 100_000
MAX_DEPTH = 64
# Archives are byte-for-byte reproducible: sandbox timestamps mean nothing to the reader.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
CHUNK = 1024 * 1024

REGULAR = "a regular file"
FOLDER = "a folder"
SYMLINK = "a symbolic link"
FIFO = "a named pipe (FIFO)"
DEVICE = "a device"
SOCKET = "a socket"

_DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


class OutputError(ValueError):
    pass


@dataclass(frozen=True)
class OutputFile:
    name: str  # relative to the walked folder, "/"-separated
    size: int  # bytes


def kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return REGULAR
    if stat.S_ISDIR(mode):
        return FOLDER
    if stat.S_ISLNK(mode):
        return SYMLINK
    if stat.S_ISFIFO(mode):
        return FIFO
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return DEVICE
    if stat.S_ISSOCK(mode):
        return SOCKET
    return "an unknown kind of file"


def collect(folder: Path, *, max_files: int = MAX_FILES) -> list[OutputFile]:
    """Every regular file under `folder`, sorted by name; raises OutputError on anything else."""
    return [OutputFile(name, info.st_size) for name, _, _, info in _walk(folder, max_files)]


def zip_outputs(
    folder: Path, target: Path, max_bytes: int, *, max_files: int = MAX_FILES
) -> list[OutputFile]:
    """Archives the regular files under `folder` into `target`, in name order.

    The whole folder is checked before anything is written, so a refused output costs no
    compression; `max_bytes` caps the sum of the files' sizes, counted again while reading.
    On any error `target` is removed.
    """
    if target.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"the archive {target} must not be written inside {folder}")
    files = collect(folder, max_files=max_files)
    total = sum(file.size for file in files)
    if total > max_bytes:
        raise OutputError(f"output too large: {total} bytes; the limit is {max_bytes} bytes")
    written: list[OutputFile] = []
    try:
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            budget = max_bytes
            for name, directory_fd, entry, info in _walk(folder, max_files):
                size = _add(archive, name, directory_fd, entry, info, budget)
                budget -= size
                written.append(OutputFile(name, size))
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return written


def _add(
    archive: zipfile.ZipFile,
    name: str,
    directory_fd: int,
    entry: str,
    listed: os.stat_result,
    budget: int,
) -> int:
    try:
        fd = os.open(entry, _FILE_FLAGS, dir_fd=directory_fd)
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a link since the walk
            raise OutputError(f"output holds {SYMLINK}: {name!r}") from None
        raise OutputError(f"output file {name!r} cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        _check_regular(name, info)
        if (info.st_dev, info.st_ino) != (listed.st_dev, listed.st_ino):
            raise OutputError(f"output changed while it was archived: {name!r}")
        member = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        member.compress_type = zipfile.ZIP_DEFLATED
        executable = info.st_mode & 0o111
        member.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
        member.file_size = info.st_size
        copied = 0
        with archive.open(member, "w", force_zip64=info.st_size > zipfile.ZIP64_LIMIT) as out:
            while chunk := os.read(fd, CHUNK):
                copied += len(chunk)
                if copied > budget:
                    raise OutputError(f"output too large: {name!r} grew past the limit")
                out.write(chunk)
        return copied
    finally:
        os.close(fd)


def _walk(folder: Path, max_files: int) -> Iterator[tuple[str, int, str, os.stat_result]]:
    """(relative name, directory fd, entry name, lstat) of each regular file, in name order.

    The directory fd is open only until the next item is asked for.
    """
    try:
        root_fd = os.open(folder, _DIRECTORY_FLAGS)
    except OSError as exc:
        if os.path.islink(folder):  # O_DIRECTORY reports a link as "not a directory"
            raise OutputError(f"the output folder is {SYMLINK}") from None
        raise OutputError(f"the output folder cannot be read ({exc.strerror})") from None
    count = 0
    try:
        for item in _walk_directory(root_fd, "", 0, max_files):
            count += 1
            if count > max_files:
                raise OutputError(f"output holds more than {max_files} files")
            yield item
    finally:
        os.close(root_fd)


def _walk_directory(
    directory_fd: int, prefix: str, depth: int, max_files: int
) -> Iterator[tuple[str, int, str, os.stat_result]]:
    if depth > MAX_DEPTH:
        raise OutputError(f"output is nested more than {MAX_DEPTH} folders deep: {prefix!r}")
    try:
        # scandir works on its own duplicate of the descriptor and leaves ours open.
        with os.scandir(directory_fd) as entries:
            names: list[str] = []
            for listed in entries:
                names.append(listed.name)
                if len(names) > max_files:  # before sorting a million names
                    raise OutputError(f"output holds more than {max_files} files")
            names.sort()
    except OSError as exc:
        shown = prefix.rstrip("/") or "."
        raise OutputError(f"output folder {shown!r} cannot be read ({exc.strerror})") from None
    for entry in names:
        name = f"{prefix}{entry}"
        _check_name(name)
        try:
            info = os.stat(entry, dir_fd=directory_fd, follow_symlinks=False)
        except OSError as exc:
            raise OutputError(f"output entry {name!r} cannot be read ({exc.strerror})") from None
        if stat.S_ISDIR(info.st_mode):
            yield from _walk_subdirectory(directory_fd, entry, name, info, depth, max_files)
        else:
            _check_regular(name, info)
            yield name, directory_fd, entry, info


def _walk_subdirectory(
    parent_fd: int, entry: str, name: str, listed: os.stat_result, depth: int, max_files: int
) -> Iterator[tuple[str, int, str, os.stat_result]]:
    try:
        fd = os.open(entry, _DIRECTORY_FLAGS, dir_fd=parent_fd)
    except OSError as exc:
        raise OutputError(f"output folder {name!r} cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != (listed.st_dev, listed.st_ino):
            raise OutputError(f"output changed while it was read: {name!r}")
        yield from _walk_directory(fd, f"{name}/", depth + 1, max_files)
    finally:
        os.close(fd)


def _check_regular(name: str, info: os.stat_result) -> None:
    kind = kind_of(info.st_mode)
    if kind != REGULAR:
        raise OutputError(f"output holds {kind}: {name!r}")
    if info.st_nlink > 1:
        # A second name for a file may point at something the step should not hand back;
        # outputs have no use for one.
        raise OutputError(f"output holds a hard link: {name!r}")


def _check_name(name: str) -> None:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise OutputError(f"output holds a file name that is not UTF-8: '{shown}'") from None
