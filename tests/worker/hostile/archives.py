"""Submission archives, honest and hostile, built in memory.

The hostile ones carry the tricks of HOSTILE.md A1-A3 that a zip writer would not produce on
its own (a NUL byte in a name, sizes that lie, overlapping entries, an encrypted flag); those
are made by writing an honest archive and patching its central directory.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile

import yaml

# A central directory entry, as APPNOTE 4.3.12 lays it out (46 bytes before the name).
CENTRAL = struct.Struct("<4s6H3L5H2L")
CENTRAL_SIGNATURE = b"PK\x01\x02"
_FLAGS, _COMPRESSED, _SIZE, _OFFSET = 3, 8, 9, 16  # field positions in CENTRAL


def zipped(files: dict[str, bytes | str], *, method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=method) as out:
        for name, content in files.items():
            out.writestr(name, content.encode() if isinstance(content, str) else content)
    return buffer.getvalue()


def metadata(command: str) -> str:
    """A program's `metadata` file; dumped, so that any shell text is quoted for YAML."""
    return yaml.safe_dump({"command": command}, default_flow_style=False, width=10_000)


def code(source: str, *, command: str = "python3 /app/program/main.py", **files: str) -> bytes:
    """A code submission: its own `metadata` command, runs `main.py` by default."""
    return zipped({"metadata": metadata(command), "main.py": source, **files})


def shell(command: str) -> bytes:
    """A code submission that is one shell command."""
    return zipped({"metadata": metadata(command)})


def model(source: str) -> bytes:
    """A submission for an ingestion program: the module it imports, no command."""
    return zipped({"model.py": source})


def program(source: str, *, command: str) -> bytes:
    """An organizer's program (scoring or ingestion): one Python file and its command."""
    return zipped({"metadata": metadata(command), source_name(command): source})


def source_name(command: str) -> str:
    return next(word for word in command.split() if word.endswith(".py")).rsplit("/", 1)[-1]


def with_member(name: str, content: bytes, *, mode: int) -> bytes:
    """An archive holding one member whose Unix mode says what it is (a link, a FIFO)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        out.writestr("predictions.txt", "6\n2\n8\n")
        info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
        info.create_system = 3
        info.external_attr = mode << 16
        out.writestr(info, content)
    return buffer.getvalue()


def symlink_member(name: str, target: str) -> bytes:
    return with_member(name, target.encode(), mode=stat.S_IFLNK | 0o777)


def fifo_member(name: str) -> bytes:
    return with_member(name, b"", mode=stat.S_IFIFO | 0o644)


def patch_central(data: bytes, name: str, **fields: int) -> bytes:
    """`data` with the central directory entry of `name` changed: `flags`, `compressed`,
    `size` (uncompressed) or `offset` (of the local header)."""
    positions = {"flags": _FLAGS, "compressed": _COMPRESSED, "size": _SIZE, "offset": _OFFSET}
    patched = bytearray(data)
    at = patched.find(CENTRAL_SIGNATURE)
    while at >= 0:
        values = list(CENTRAL.unpack_from(patched, at))
        name_length = values[10]
        stored = bytes(patched[at + CENTRAL.size : at + CENTRAL.size + name_length])
        if stored == name.encode():
            for field, value in fields.items():
                values[positions[field]] = value
            CENTRAL.pack_into(patched, at, *values)
            return bytes(patched)
        at = patched.find(CENTRAL_SIGNATURE, at + CENTRAL.size)
    raise AssertionError(f"no member {name!r}")


def renamed(data: bytes, old: str, new: str) -> bytes:
    """`data` with every stored copy of a member's name replaced by another of the same
    length (a name with a NUL byte, which zipfile would cut when writing)."""
    assert len(old.encode()) == len(new.encode())
    assert data.count(old.encode()) == 2  # the local header and the central directory
    return data.replace(old.encode(), new.encode())


def many_members(count: int) -> bytes:
    return zipped({f"f{number}.txt": "" for number in range(count)}, method=zipfile.ZIP_STORED)
