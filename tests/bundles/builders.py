"""Small bundles written on the fly for parser and import tests."""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import yaml


def tiny_png(width: int = 2, height: int = 2) -> bytes:
    def chunk(kind: bytes, payload: bytes) -> bytes:
        body = kind + payload
        return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def minimal_document() -> dict:
    return {
        "version": 2,
        "title": "Minimal",
        "image": "logo.png",
        "terms": "terms.md",
        "tasks": [{"index": 0, "name": "Task", "scoring_program": "scoring/"}],
        "phases": [{"name": "Phase", "start": "2024-01-01", "tasks": [0]}],
        "leaderboards": [
            {
                "title": "Results",
                "key": "main",
                "columns": [{"title": "Score", "key": "score", "index": 0}],
            }
        ],
    }


def write_bundle(
    folder: Path, document: dict | str, *, extra: dict[str, bytes] | None = None
) -> Path:
    """Writes a bundle folder: competition.yaml, a logo, terms and a scoring program."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "logo.png": tiny_png(),
        "terms.md": b"# Terms\n\nBe fair.\n",
        "scoring/metadata.yaml": b"command: python3 score.py\n",
        "scoring/score.py": b"print('scoring')\n",
        **(extra or {}),
    }
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
    (folder / "competition.yaml").write_text(text, encoding="utf-8")
    return folder


def zip_folder(folder: Path, target: Path, *, prefix: str = "") -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return target
