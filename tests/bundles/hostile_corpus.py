"""The hostile inputs of HOSTILE.md part A, built byte by byte inside a test's folder.

Nothing binary is committed. Each builder starts from a small valid bundle and changes one
thing the way a hostile or careless organizer would; the zip patchers edit the archive's
own records (names, declared sizes, flags, the central directory) after zipfile wrote it.
"""

from __future__ import annotations

import io
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MB = 1024 * 1024
END = struct.Struct("<4s4H2LH")
CENTRAL = struct.Struct("<4s6H3L5H2L")
# Offsets of fields inside a central directory entry and a local file header.
CENTRAL_FLAGS, CENTRAL_METHOD, CENTRAL_FILE_SIZE = 8, 10, 24
LOCAL_FLAGS, LOCAL_METHOD = 6, 8


def png(width: int, height: int, *, rows: int | None = None) -> bytes:
    """An RGB PNG whose header declares `width` x `height`.

    `rows` limits the image data actually stored: a pixel flood declares a huge canvas and
    carries almost nothing, so the file stays tiny.
    """

    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    stored = height if rows is None else rows
    data = b"".join(b"\x00" + b"\x20\x60\xa0" * width for _ in range(stored))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(data))
        + chunk(b"IEND", b"")
    )


def document(**changes: Any) -> dict[str, Any]:
    """The smallest valid competition.yaml, with top-level keys replaced or added."""
    base: dict[str, Any] = {
        "version": 2,
        "title": "Hostile",
        "image": "logo.png",
        "terms": "terms.md",
        "tasks": [{"index": 0, "name": "T", "scoring_program": "scoring/"}],
        "phases": [{"name": "P", "start": "2024-01-01", "tasks": [0]}],
        "leaderboards": [
            {
                "title": "L",
                "key": "main",
                "columns": [{"title": "Score", "key": "score", "index": 0}],
            }
        ],
    }
    return {**base, **changes}


def phase(**changes: Any) -> dict[str, Any]:
    return {"name": "P", "start": "2024-01-01", "tasks": [0], **changes}


def with_phases(phases_yaml: str) -> bytes:
    """competition.yaml with its phases written by hand, as an organizer types them: the
    YAML type traps live in the text, not in the values a dumper would quote."""
    rest = {key: value for key, value in document().items() if key != "phases"}
    return (yaml.safe_dump(rest, sort_keys=False) + "phases:\n" + phases_yaml).encode()


def bundle_files(
    competition: Mapping[str, Any] | str | bytes | None = None, **extra: bytes
) -> dict[str, bytes]:
    """Every file of a bundle by its path: competition.yaml, logo, terms, scoring program."""
    if competition is None:
        competition = document()
    if isinstance(competition, Mapping):
        competition = yaml.safe_dump(dict(competition), sort_keys=False)
    if isinstance(competition, str):
        competition = competition.encode()
    files = {
        "competition.yaml": competition,
        "logo.png": png(2, 2),
        "terms.md": b"# Terms\n\nPlay fair.\n",
        "scoring/metadata.yaml": b"command: python3 score.py\n",
        "scoring/score.py": b"print('score: 1')\n",
    }
    files.update({name.replace("__", "/"): content for name, content in extra.items()})
    return files


def write_folder(folder: Path, files: Mapping[str, bytes]) -> Path:
    for name, content in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    return folder


@dataclass(frozen=True)
class Member:
    """One zip entry as written: any name, any file type bits, or `zeros` bytes of zeros."""

    name: str
    data: bytes = b""
    mode: int = stat.S_IFREG | 0o644
    zeros: int = 0
    method: int = zipfile.ZIP_DEFLATED


def members(files: Mapping[str, bytes]) -> list[Member]:
    return [Member(name, content) for name, content in files.items()]


def write_zip(target: Path, entries: Mapping[str, bytes] | Iterable[Member]) -> Path:
    if isinstance(entries, Mapping):
        entries = members(entries)
    with zipfile.ZipFile(target, "w") as archive:
        for entry in entries:
            info = zipfile.ZipInfo(entry.name, date_time=(2024, 1, 1, 0, 0, 0))
            info.create_system = 3
            info.external_attr = entry.mode << 16
            info.compress_type = entry.method
            with archive.open(info, "w") as out:
                out.write(entry.data)
                left = entry.zeros
                while left:
                    out.write(bytes(min(left, MB)))
                    left -= min(left, MB)
    return target


def zip_bytes(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def rename(raw: bytes, placeholder: str, name: bytes) -> bytes:
    """Renames a member in its local header and central directory entry (same length):
    the only way to store a name zipfile itself refuses to write, such as one with a NUL."""
    assert len(placeholder.encode()) == len(name)
    assert raw.count(placeholder.encode()) == 2
    return raw.replace(placeholder.encode(), name)


def _directory(raw: bytes) -> tuple[int, int, int, int]:
    """(end record offset, entries, central directory size, central directory offset)."""
    at = raw.rfind(b"PK\x05\x06")
    fields = END.unpack_from(raw, at)
    return at, fields[4], fields[5], fields[6]


def _central_entry(raw: bytes, name: str) -> tuple[int, int]:
    """(offset, length) of the central directory entry of `name`."""
    _, entries, _, offset = _directory(raw)
    for _ in range(entries):
        fields = CENTRAL.unpack_from(raw, offset)
        name_length, extra_length, comment_length = fields[10], fields[11], fields[12]
        length = CENTRAL.size + name_length + extra_length + comment_length
        if raw[offset + CENTRAL.size : offset + CENTRAL.size + name_length] == name.encode():
            return offset, length
        offset += length
    raise KeyError(name)


def patch_member(
    raw: bytes,
    name: str,
    *,
    file_size: int | None = None,
    flags: int | None = None,
    method: int | None = None,
) -> bytes:
    """Changes what the archive declares about one member, leaving its data as it is.

    The declared size is changed in the central directory only: that is the one zipfile
    reads. Flags and method are changed in both records, which zipfile compares.
    """
    patched = bytearray(raw)
    entry, _ = _central_entry(raw, name)
    local = struct.unpack_from("<L", raw, entry + 42)[0]
    if file_size is not None:
        struct.pack_into("<L", patched, entry + CENTRAL_FILE_SIZE, file_size)
    if flags is not None:
        struct.pack_into("<H", patched, entry + CENTRAL_FLAGS, flags)
        struct.pack_into("<H", patched, local + LOCAL_FLAGS, flags)
    if method is not None:
        struct.pack_into("<H", patched, entry + CENTRAL_METHOD, method)
        struct.pack_into("<H", patched, local + LOCAL_METHOD, method)
    return bytes(patched)


def overlap(raw: bytes, name: str, alias: str) -> bytes:
    """Adds a central directory entry `alias` pointing at the data of `name`: the trick of
    overlapping zip bombs, where every entry reuses the same compressed bytes."""
    assert len(alias) == len(name)
    entry, length = _central_entry(raw, name)
    end, entries, size, _ = _directory(raw)
    copy = raw[entry : entry + length].replace(name.encode(), alias.encode())
    record = bytearray(raw[end:])
    struct.pack_into("<HHL", record, 8, entries + 1, entries + 1, size + len(copy))
    return raw[:end] + copy + bytes(record)


def understate_entries(raw: bytes, entries: int) -> bytes:
    """Makes the end record claim `entries` members; the central directory keeps them all."""
    end, _, _, _ = _directory(raw)
    patched = bytearray(raw)
    struct.pack_into("<HH", patched, end + 8, entries, entries)
    return bytes(patched)


def billion_laughs(levels: int = 9, width: int = 10) -> bytes:
    """Ten aliases of ten aliases of ... 'lol': 10**9 strings once expanded."""
    lines = ['lol0: &lol0 "lol"']
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*lol{level - 1}"] * width)
        lines.append(f"lol{level}: &lol{level} [{aliases}]")
    return "\n".join(lines).encode() + b"\n"


def merge_bomb(levels: int = 7, width: int = 12) -> bytes:
    """The same growth through merge keys: each mapping merges `width` copies of the last."""
    lines = ["m0: &m0 {a: 1, b: 2, c: 3, d: 4}"]
    for level in range(1, levels + 1):
        aliases = ", ".join([f"*m{level - 1}"] * width)
        lines.append(f"m{level}: &m{level} {{<<: [{aliases}], level: {level}}}")
    return "\n".join(lines).encode() + b"\n"
