"""Storing files: content-addressed blobs, one row per owner and use, quotas counted."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage

from podium.accounts.models import User
from podium.datasets.models import Data

CHUNK = 1024 * 1024


class QuotaExceeded(Exception):
    def __init__(self, *, used: int, size: int, quota: int) -> None:
        super().__init__(
            f"storage quota exceeded: {used + size} bytes needed, quota is {quota} bytes"
        )


def blob_name(sha256: str) -> str:
    return f"blobs/{sha256[:2]}/{sha256}"


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: stream.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return digest.hexdigest(), size


def store(
    *,
    owner: User,
    kind: str,
    name: str,
    stream: BinaryIO,
    is_public: bool = False,
    description: str = "",
    check_quota: bool = True,
) -> Data:
    """Saves one file for `owner`. The bytes go to storage once per distinct content."""
    sha256, size = sha256_of(stream)
    quota = owner.storage_quota()
    used = Data.objects.counted_for(owner).bytes_used()
    if check_quota and used + size > quota:
        raise QuotaExceeded(used=used, size=size, quota=quota)
    path = blob_name(sha256)
    if not default_storage.exists(path):
        saved = default_storage.save(path, File(stream, name=path))
        if saved != path:  # a concurrent writer stored the same bytes first
            default_storage.delete(saved)
    data = Data.objects.create(
        owner=owner,
        kind=kind,
        name=name[:255],
        description=description,
        file=path,
        sha256=sha256,
        size=size,
        is_public=is_public,
    )
    return data


def store_path(*, owner: User, kind: str, path: Path, name: str | None = None) -> Data:
    with path.open("rb") as stream:
        return store(owner=owner, kind=kind, name=name or path.name, stream=stream)


def store_bytes(*, owner: User, kind: str, name: str, content: bytes) -> Data:
    return store(owner=owner, kind=kind, name=name, stream=io.BytesIO(content))


def read_chunks(data: Data) -> Iterator[bytes]:
    with default_storage.open(str(data.file.name), "rb") as stream:
        yield from iter(lambda: stream.read(CHUNK), b"")


def read_bytes(data: Data) -> bytes:
    return b"".join(read_chunks(data))


def delete(data: Data) -> None:
    """Deletes the row, and the blob once no other row shares it."""
    sha256, path = data.sha256, data.file.name
    data.delete()
    if path and not Data.objects.filter(sha256=sha256).exists():
        default_storage.delete(path)


def remove_orphan_blobs(paths: list[str]) -> None:
    """After a rolled-back transaction: drops blobs written for it that no row references."""
    for path in paths:
        sha256 = path.rsplit("/", 1)[-1]
        if not Data.objects.filter(sha256=sha256).exists():
            default_storage.delete(path)
