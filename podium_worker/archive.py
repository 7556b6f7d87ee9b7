"""Unpacking untrusted zips: every check of HOSTILE.md part A1-A3, before and while writing.

The server unpacks bundles and submissions with it, the worker a job's files; it lives
in the worker package because the worker may import nothing of the server.

Declared sizes are checked first: the entry count and the central directory's size from the
end record, before zipfile builds its index, then the total size, compression ratios and
overlapping entries. Then the bytes actually written are counted and checksummed, because
a zip can lie about its sizes. Only regular files and folders are created, always inside
the destination.
"""

from __future__ import annotations

import copy
import itertools
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

CHUNK = 1024 * 1024
# A ratio check on tiny entries only catches honest, highly compressible text.
RATIO_MIN_BYTES = 1024 * 1024
# A central directory entry is 46 bytes and the member's name, extra fields and comment;
# honest archives stay far below this on average, and it bounds what zipfile reads into
# memory for an archive whose end record understates its entry count.
DIRECTORY_BYTES_PER_ENTRY = 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
_END = struct.Struct("<4s4H2LH")
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")
_ENCRYPTED = 0x1


class ArchiveError(ValueError):
    pass


@dataclass
class Budget:
    """What one upload may unpack in all, shared by the bundle and the zips inside it."""

    max_bytes: int
    max_entries: int
    max_ratio: int = 200
    bytes_used: int = 0
    entries_used: int = 0

    def check_entries(self, count: int, where: str) -> None:
        if self.entries_used + count > self.max_entries:
            raise ArchiveError(
                f"{where}: too many files ({self.entries_used + count}; "
                f"the limit is {self.max_entries})"
            )

    def take_entries(self, count: int, where: str) -> None:
        self.check_entries(count, where)
        self.entries_used += count

    def take_bytes(self, count: int, where: str) -> None:
        self.bytes_used += count
        if self.bytes_used > self.max_bytes:
            raise ArchiveError(f"{where}: unpacks to more than {self.max_bytes} bytes (zip bomb?)")


def safe_member_path(name: str) -> PurePosixPath:
    """The relative path an archive member may be written to, or ArchiveError."""
    if "\x00" in name:
        raise ArchiveError(f"member {name!r} has a NUL byte in its name")
    if "\\" in name:
        raise ArchiveError(f"member {name!r} uses backslashes; archives must use '/'")
    if name.startswith("/") or _DRIVE.match(name):
        raise ArchiveError(f"member {name!r} has an absolute path")
    path = PurePosixPath(name)
    if any(part == ".." for part in path.parts):
        raise ArchiveError(f"member {name!r} points outside the archive ('..')")
    if not path.parts or path.parts == (".",):
        raise ArchiveError(f"member {name!r} has an empty name")
    return path


def _kind(info: zipfile.ZipInfo) -> str:
    mode = info.external_attr >> 16
    # Unix archivers keep st_mode in the high bits; Python's writestr() leaves the file
    # type bits at zero, which means a plain entry.
    if info.create_system == 3 and stat.S_IFMT(mode):
        if stat.S_ISLNK(mode):
            return "symlink"
        if stat.S_ISDIR(mode):
            return "dir"
        if not stat.S_ISREG(mode):
            return "special"
    return "dir" if info.is_dir() else "file"


def _end_record(stream: BinaryIO) -> tuple[int, int] | None:
    """(entries, central directory bytes) as the end record declares them, or None when
    there is no end record (zipfile then says what is wrong)."""
    size = stream.seek(0, 2)
    tail_start = max(0, size - _END.size - 0xFFFF)
    stream.seek(tail_start)
    tail = stream.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _END.size > len(tail):
        return None
    fields = _END.unpack_from(tail, at)
    entries, directory = int(fields[4]), int(fields[5])
    # A ZIP64 archive keeps the true counts in a record just before its locator.
    locator_at = tail_start + at - _END64_LOCATOR.size
    if locator_at - _END64.size >= 0:
        stream.seek(locator_at - _END64.size)
        record = stream.read(_END64.size + _END64_LOCATOR.size)
        if record[:4] == b"PK\x06\x06" and record[_END64.size :][:4] == b"PK\x06\x07":
            values = _END64.unpack_from(record)
            entries, directory = int(values[7]), int(values[8])
    return entries, directory


def _check_end_record(source: Path, budget: Budget, where: str) -> None:
    with source.open("rb") as stream:
        declared = _end_record(stream)
    if declared is None:
        return
    entries, directory = declared
    budget.check_entries(entries, where)
    room = (budget.max_entries - budget.entries_used) * DIRECTORY_BYTES_PER_ENTRY
    if directory > room:
        raise ArchiveError(
            f"{where}: its central directory is {directory} bytes, too large for "
            f"{budget.max_entries - budget.entries_used} files at most (zip bomb?)"
        )


def _check_declared(archive: zipfile.ZipFile, budget: Budget, where: str) -> list[zipfile.ZipInfo]:
    members = archive.infolist()
    budget.take_entries(len(members), where)
    declared = sum(info.file_size for info in members)
    if budget.bytes_used + declared > budget.max_bytes:
        raise ArchiveError(
            f"{where}: declares {declared} bytes uncompressed; the limit is {budget.max_bytes}"
        )
    seen: set[str] = set()
    for info in members:
        # zipfile cuts a name at its first NUL byte; the name as stored is what is checked.
        try:
            path = safe_member_path(info.orig_filename)
        except ArchiveError as exc:
            raise ArchiveError(f"{where}: {exc}") from None
        kind = _kind(info)
        if info.flag_bits & _ENCRYPTED:
            raise ArchiveError(f"{where}: member {info.filename!r} is encrypted")
        if kind == "symlink":
            raise ArchiveError(f"{where}: member {info.filename!r} is a symbolic link")
        if kind == "special":
            raise ArchiveError(f"{where}: member {info.filename!r} is not a regular file")
        key = str(path).lower()
        if key in seen:
            raise ArchiveError(f"{where}: member {info.filename!r} appears twice")
        seen.add(key)
        if info.file_size > RATIO_MIN_BYTES and info.file_size > budget.max_ratio * max(
            info.compress_size, 1
        ):
            raise ArchiveError(
                f"{where}: member {info.filename!r} compresses more than "
                f"{budget.max_ratio}:1 (zip bomb?)"
            )
    # Entries whose data overlap reuse the same compressed bytes many times over. The
    # smallest possible local header (30 bytes and the name, no extra field) makes this a
    # lower bound on each entry's span, so an honest archive never trips it. The name is
    # counted in characters: its stored bytes (UTF-8 or cp437) are never fewer.
    spans = sorted(((info.header_offset, info) for info in members), key=lambda pair: pair[0])
    for (offset, info), (next_offset, next_info) in itertools.pairwise(spans):
        minimum_end = offset + 30 + len(info.orig_filename) + info.compress_size
        if minimum_end > next_offset:
            raise ArchiveError(
                f"{where}: members {info.filename!r} and {next_info.filename!r} overlap (zip bomb?)"
            )
    return members


def extract(source: Path, destination: Path, budget: Budget, *, where: str = "") -> None:
    """Extracts the zip at `source` into the existing folder `destination`."""
    where = where or source.name
    try:
        _check_end_record(source, budget, where)
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{where}: not a readable zip archive ({exc})") from None
    with archive:
        members = _check_declared(archive, budget, where)
        root = destination.resolve()
        for info in members:
            target = root.joinpath(*safe_member_path(info.filename).parts)
            try:
                if _kind(info) == "dir":
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
            except (FileExistsError, NotADirectoryError):
                raise ArchiveError(
                    f"{where}: member {info.filename!r} is both a file and a folder"
                ) from None
            try:
                _write_member(archive, info, target, budget, where)
            except FileExistsError:
                raise ArchiveError(f"{where}: member {info.filename!r} appears twice") from None
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError) as exc:
                raise ArchiveError(
                    f"{where}: member {info.filename!r} cannot be unpacked ({exc})"
                ) from None
            except RuntimeError as exc:  # unsupported compression methods
                raise ArchiveError(f"{where}: member {info.filename!r}: {exc}") from None
            mode = (info.external_attr >> 16) & 0o777
            target.chmod(0o755 if mode & 0o100 else 0o644)


def _write_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: Budget, where: str
) -> None:
    # zipfile stops reading at the declared size and then fails on the checksum, which hides
    # an entry that holds more than it declares. Reading one byte more with zipfile's own
    # check off shows it; the checksum is then verified here.
    probe = copy.copy(info)
    probe.file_size = info.file_size + 1
    del probe.CRC
    written = 0
    checksum = 0
    with archive.open(probe) as stream, target.open("xb") as out:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            written += len(chunk)
            if written > info.file_size:
                raise ArchiveError(f"{where}: member {info.filename!r} is larger than it declares")
            budget.take_bytes(len(chunk), where)
            checksum = zlib.crc32(chunk, checksum)
            out.write(chunk)
    if written != info.file_size or checksum != info.CRC:
        raise ArchiveError(f"{where}: member {info.filename!r} is damaged (checksum mismatch)")


def check_tree(root: Path, budget: Budget, *, where: str) -> None:
    """For a bundle given as a folder: only regular files and folders, within the budget."""
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_symlink():
            raise ArchiveError(f"{where}: {relative} is a symbolic link")
        if path.is_dir():
            budget.take_entries(1, where)
            continue
        if not path.is_file():
            raise ArchiveError(f"{where}: {relative} is not a regular file")
        budget.take_entries(1, where)
        if path.stat().st_nlink > 1:
            raise ArchiveError(f"{where}: {relative} is a hard link")
        budget.take_bytes(path.stat().st_size, where)


def write_zip(folder: Path, target: Path) -> None:
    """Zips `folder` deterministically: sorted names, fixed times, so equal trees hash equal."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            executable = path.is_file() and bool(path.stat().st_mode & stat.S_IXUSR)
            if path.is_dir():
                info = zipfile.ZipInfo(name + "/", date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = (stat.S_IFDIR | 0o755) << 16
                archive.writestr(info, b"")
                continue
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | (0o755 if executable else 0o644)) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with path.open("rb") as source, archive.open(info, "w") as out:
                for chunk in iter(lambda: source.read(CHUNK), b""):
                    out.write(chunk)
