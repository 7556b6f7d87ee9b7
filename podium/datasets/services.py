"""Storing files: content-addressed blobs, one row per owner and use, quotas counted;
data groups; the quota cleanup that deletes the files nothing uses."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import BinaryIO

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.datasets.models import Data, DataGroup, DataGroupEntry, DataQuerySet

CHUNK = 1024 * 1024


class QuotaExceeded(Exception):
    def __init__(self, *, used: int, size: int, quota: int) -> None:
        self.used, self.size, self.quota = used, size, quota
        super().__init__(
            f"storage quota exceeded: {used} bytes used + {size} bytes uploaded = "
            f"{used + size} bytes, quota is {quota} bytes"
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
    """Saves one file for `owner`. The bytes go to storage once per distinct content.

    With `check_quota`, a file that does not fit the owner's quota is refused before its
    bytes are written, and checked again with the owner's row locked while its row is
    created, so that parallel uploads cannot together pass the quota that each fits alone.
    """
    sha256, size = sha256_of(stream)
    if check_quota:
        check_room(owner, size)
    path = blob_name(sha256)
    written = False
    if not default_storage.exists(path):
        saved = default_storage.save(path, File(stream, name=path))
        written = saved == path
        if not written:  # a concurrent writer stored the same bytes first
            default_storage.delete(saved)
    try:
        with transaction.atomic():
            if check_quota:
                check_room(owner, size, lock=True)
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
    except BaseException:
        if written:
            remove_orphan_blobs([path])
        raise
    return data


def check_room(owner: User, size: int, *, lock: bool = False) -> None:
    """Raises QuotaExceeded, naming the bytes used and the quota, when `size` more bytes do
    not fit `owner`'s quota. With `lock` (inside a transaction) the owner's row stays locked
    until the transaction ends: uploads of one user are counted one after the other."""
    users = User.objects.select_for_update() if lock else User.objects.all()
    quota = users.only("quota_bytes").get(pk=owner.pk).storage_quota()
    used = Data.objects.counted_for(owner).bytes_used()
    if used + size > quota:
        raise QuotaExceeded(used=used, size=size, quota=quota)


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


class FileInUse(Exception):
    def __init__(self, users: list[str]) -> None:
        self.users = users
        super().__init__(f"this file is still used by: {', '.join(users)}")


def delete_file(data: Data) -> None:
    """Deletes a file that nothing but data groups uses (it leaves them), row and blob; one
    in use is refused with what uses it, whether or not that reference would stop the
    delete in the database: a phase whose starting kit vanished would silently offer none.

    The row is locked, then checked with a fresh look: a reference committed before is
    seen; a transaction adding one meanwhile needs the row for its foreign key check, waits
    for the lock, and then fails on the missing row. Called outside a transaction: the
    blob goes once the row is gone for good, and only if no other row shares it.
    """
    with transaction.atomic():
        locked = Data.objects.select_for_update().get(pk=data.pk)
        users = locked.used_by(ignoring=(DataGroupEntry,))
        if users:
            raise FileInUse(users)
        path = str(locked.file.name)
        locked.delete()
    remove_orphan_blobs([path] if path else [])


def remove_orphan_blobs(paths: list[str]) -> None:
    """After a rolled-back transaction: drops blobs written for it that no row references."""
    for path in paths:
        sha256 = path.rsplit("/", 1)[-1]
        if not Data.objects.filter(sha256=sha256).exists():
            default_storage.delete(path)


class UnknownData(Exception):
    """Data files a group's owner may not see, or that do not exist: told apart from
    neither, so that ids of other users' private files do not leak."""

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        super().__init__(f"no data files with ids {', '.join(map(str, ids))} that you may use")


def data_for_group(*, owner: User, ids: Collection[int]) -> list[Data]:
    """The files with these ids, each of which the group's owner must be able to see."""
    wanted = set(ids)
    found = list(
        Data.objects.visible_to(owner).filter(pk__in=wanted, upload_completed=True).order_by("pk")
    )
    missing = sorted(wanted - {data.pk for data in found})
    if missing:
        raise UnknownData(missing)
    return found


def _group_details(group: DataGroup) -> dict[str, object]:
    data = sorted(group.entries.values_list("data_id", flat=True))
    return {"name": group.name, "data": data}


def create_group(*, by: User, name: str, description: str = "", data: list[Data]) -> DataGroup:
    """A new group of `by`'s; `data` comes from `data_for_group`."""
    with transaction.atomic():
        group = DataGroup.objects.create(owner=by, name=name, description=description)
        DataGroupEntry.objects.bulk_create(DataGroupEntry(group=group, data=d) for d in data)
        audit.record(
            actor=by, action=Action.DATA_GROUP_CREATE, target=group, details=_group_details(group)
        )
    return group


def update_group(
    *,
    group: DataGroup,
    by: User,
    name: str | None = None,
    description: str | None = None,
    data: list[Data] | None = None,
) -> DataGroup:
    """Changes the given fields; `data` replaces the group's files. An entry in the audit
    log says what changed; a change that changes nothing writes none."""
    with transaction.atomic():
        before = _group_details(group)
        changed = False
        for field, value in (("name", name), ("description", description)):
            if value is not None and value != getattr(group, field):
                setattr(group, field, value)
                changed = True
        if changed:
            group.save()
        if data is not None:
            wanted = {d.pk for d in data}
            group.entries.exclude(data_id__in=wanted).delete()
            kept = set(group.entries.values_list("data_id", flat=True))
            DataGroupEntry.objects.bulk_create(
                DataGroupEntry(group=group, data=d) for d in data if d.pk not in kept
            )
        after = _group_details(group)
        if changed or after != before:
            audit.record(
                actor=by,
                action=Action.DATA_GROUP_UPDATE,
                target=group,
                details={"before": before, "after": after},
            )
    return group


def delete_group(*, group: DataGroup, by: User) -> None:
    """Deletes the group; its files stay."""
    with transaction.atomic():
        audit.record(
            actor=by, action=Action.DATA_GROUP_DELETE, target=group, details=_group_details(group)
        )
        group.delete()


def unused_files(owner: User) -> DataQuerySet:
    """`owner`'s files that nothing uses (see `DataQuerySet.unused`), oldest first: what a
    cleanup deletes. Uploads still in progress are not files yet and are left alone."""
    return Data.objects.filter(owner=owner, upload_completed=True).unused().order_by("pk")


def clean_up(
    *, owner: User, ids: Collection[int] | None = None, by: User | None = None
) -> list[Data]:
    """Deletes `owner`'s unused files (only those among `ids`, when given), rows and blobs,
    and returns them. A file something uses is never deleted, even one that was unused
    when the caller listed it. Called outside a transaction.

    The candidates are locked, then looked for again: a reference committed while the
    locks were awaited is seen by the second look; a transaction adding one later needs
    the row for its foreign key check, waits for the lock, and then fails on the missing
    row. Blobs go once the rows are committed, and only when no other row shares them.
    """
    with transaction.atomic():
        candidates = unused_files(owner)
        if ids is not None:
            candidates = candidates.filter(pk__in=set(ids))
        locked = list(candidates.select_for_update().values_list("pk", flat=True))
        doomed = list(unused_files(owner).filter(pk__in=locked))
        if not doomed:
            return []
        Data.objects.filter(pk__in=[data.pk for data in doomed]).delete()
        audit.record(
            actor=by or owner,
            action=Action.DATA_CLEANUP,
            target=owner,
            details={
                "files": [data.pk for data in doomed],
                "bytes": sum(data.size for data in doomed),
            },
        )
    remove_orphan_blobs(sorted({str(data.file.name) for data in doomed if data.file.name}))
    return doomed
