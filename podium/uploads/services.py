"""Large uploads: declared, streamed or sent in parts straight to storage, completed once.

The server never holds a whole file: on local storage the body of one PUT is written to
disk as it arrives; on S3-compatible storage the client sends parts to signed URLs and the
server only signs, completes and measures. A completed upload becomes one `Data` row in the
content-addressed layout of podium.datasets, counted against the owner's quota by its
measured size; pending uploads reserve their declared size so parallel uploads cannot pass
the quota together.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from podium.accounts.models import User
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.uploads.models import Upload

logger = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# S3 parts: at least 5 MiB each but the last, at most 10,000 parts.
MIN_PART = 8 * 1024**2
MAX_PARTS = 10_000
LIFETIME = timedelta(hours=24)


class UploadError(Exception):
    """A request about an upload that its state or its bytes do not allow; the message
    says what is wrong."""


class UploadTooLarge(UploadError):
    pass


def on_s3() -> bool:
    return hasattr(default_storage, "bucket_name")


def _s3_client() -> Any:
    return default_storage.connection.meta.client  # type: ignore[attr-defined]


def _s3_key(name: str) -> str:
    location = str(getattr(default_storage, "location", "") or "").strip("/")
    return f"{location}/{name}" if location else name


def _bucket() -> str:
    return str(default_storage.bucket_name)  # type: ignore[attr-defined]


def reserved_bytes(owner: User) -> int:
    """Bytes the owner's pending uploads may still bring."""
    pending = Upload.objects.filter(owner=owner, status=Upload.Status.PENDING)
    return int(pending.aggregate(total=Sum("size"))["total"] or 0)


def _check_quota(owner: User, size: int, *, reserved: int) -> None:
    used = Data.objects.counted_for(owner).bytes_used() + reserved
    quota = owner.storage_quota()
    if used + size > quota:
        raise datasets.QuotaExceeded(used=used, size=size, quota=quota)


def part_size_for(size: int) -> int:
    part = MIN_PART
    while part * MAX_PARTS < size:
        part *= 2
    return part


def start(*, owner: User, name: str, size: int) -> Upload:
    """Declares an upload of `size` bytes; refused beyond the size limit or the quota."""
    if size < 1:
        raise UploadError("an upload needs a size of at least one byte")
    if size > settings.SUBMISSION_MAX_BYTES:
        raise UploadTooLarge(
            f"{size} bytes is more than the largest upload, {settings.SUBMISSION_MAX_BYTES} bytes"
        )
    with transaction.atomic():
        # One owner's declarations are counted one at a time, so that two parallel
        # uploads cannot both fit in the room left for one.
        User.objects.select_for_update().filter(pk=owner.pk).first()
        _check_quota(owner, size, reserved=reserved_bytes(owner))
        upload = Upload.objects.create(
            owner=owner,
            name=name[:255] or "upload",
            size=size,
            expires_at=timezone.now() + LIFETIME,
        )
    if on_s3():
        upload.part_size = part_size_for(size)
        answer = _s3_client().create_multipart_upload(
            Bucket=_bucket(), Key=_s3_key(upload.object_name)
        )
        upload.multipart_id = answer["UploadId"]
        upload.save(update_fields=["part_size", "multipart_id"])
    return upload


@dataclass(frozen=True)
class Part:
    number: int
    url: str


def part_urls(upload: Upload) -> list[Part]:
    """Signed URLs, one per part, for a client to PUT the parts to (S3 storage only)."""
    if not upload.multipart_id:
        return []
    count = max(1, -(-upload.size // upload.part_size))
    seconds = int((upload.expires_at - timezone.now()).total_seconds())
    client = _s3_client()
    return [
        Part(
            number,
            client.generate_presigned_url(
                "upload_part",
                Params={
                    "Bucket": _bucket(),
                    "Key": _s3_key(upload.object_name),
                    "UploadId": upload.multipart_id,
                    "PartNumber": number,
                },
                ExpiresIn=max(60, seconds),
            ),
        )
        for number in range(1, count + 1)
    ]


def _check_open(upload: Upload) -> None:
    if upload.status != Upload.Status.PENDING:
        raise UploadError(f"this upload is {upload.status}; start a new one to send bytes")
    if upload.expires_at <= timezone.now():
        raise UploadError("this upload has expired; start a new one")


def receive(upload: Upload, read: Callable[[int], bytes]) -> Upload:
    """Writes a PUT's body to storage as it arrives (local storage), on disk before it
    returns. Sending again starts over; more bytes than declared are refused and nothing of
    them is kept."""
    _check_open(upload)
    if on_s3():
        raise UploadError("on this platform's storage, send the parts to their signed URLs")
    path = Path(default_storage.path(upload.object_name))
    path.parent.mkdir(parents=True, exist_ok=True)
    received = 0
    digest = hashlib.sha256()
    with path.open("wb") as out:
        while chunk := read(CHUNK):
            received += len(chunk)
            if received > upload.size:
                out.close()
                path.unlink(missing_ok=True)
                Upload.objects.filter(pk=upload.pk).update(received=0, sha256="")
                raise UploadTooLarge(
                    f"more bytes arrived than the {upload.size} declared; nothing was kept"
                )
            out.write(chunk)
            digest.update(chunk)
        # On disk before the upload says so: once completed, the file is the owner's
        # submission, and a crash must not leave a row pointing at a file cut short.
        out.flush()
        os.fsync(out.fileno())
    _sync_folder(path.parent)
    upload.received = received
    upload.sha256 = digest.hexdigest()
    upload.save(update_fields=["received", "sha256"])
    return upload


def _sha256_of_object(name: str) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    if on_s3():
        body = _s3_client().get_object(Bucket=_bucket(), Key=_s3_key(name))["Body"]
        for chunk in body.iter_chunks(CHUNK):
            digest.update(chunk)
            size += len(chunk)
        return digest.hexdigest(), size
    with default_storage.open(name, "rb") as stream:
        for chunk in iter(lambda: stream.read(CHUNK), b""):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _move(source: str, target: str) -> None:
    """Puts the upload's bytes at their content address, or drops them when the same
    bytes are already stored."""
    if default_storage.exists(target):
        default_storage.delete(source)
        return
    if on_s3():
        client = _s3_client()
        client.copy({"Bucket": _bucket(), "Key": _s3_key(source)}, _bucket(), _s3_key(target))
        client.delete_object(Bucket=_bucket(), Key=_s3_key(source))
        return
    destination = Path(default_storage.path(target))
    destination.parent.mkdir(parents=True, exist_ok=True)
    os.replace(default_storage.path(source), destination)
    _sync_folder(destination.parent)  # the file's new name, on disk before its row commits


def _sync_folder(folder: Path) -> None:
    """Puts a folder's entries (a file created or renamed in it) on disk."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def complete(upload: Upload, parts: list[dict[str, Any]] | None = None) -> Upload:
    """Ends the upload: the stored bytes are measured and become the owner's file.

    On S3 storage `parts` lists each part's number and ETag as S3 answered them.
    Refused, with the upload left as it was, when bytes are missing; refused and removed
    when the measured file does not fit the quota.
    """
    _check_open(upload)
    if upload.multipart_id:
        if not parts:
            raise UploadError("list the parts sent, each with its number and ETag")
        try:
            listed = [
                {"PartNumber": int(part["number"]), "ETag": str(part["etag"])}
                for part in sorted(parts, key=lambda part: int(part["number"]))
            ]
        except (KeyError, TypeError, ValueError):
            raise UploadError("each part needs a number and an etag") from None
        try:
            _s3_client().complete_multipart_upload(
                Bucket=_bucket(),
                Key=_s3_key(upload.object_name),
                UploadId=upload.multipart_id,
                MultipartUpload={"Parts": listed},
            )
        except Exception as exc:  # botocore's ClientError: S3 names what is wrong
            raise UploadError(f"the storage refused to complete the upload: {exc}") from None
    elif upload.received != upload.size:
        raise UploadError(
            f"{upload.received} of the {upload.size} bytes declared have arrived; "
            "send the whole file again"
        )
    if upload.sha256:
        # Streamed through the server, which hashed the bytes on their way to disk.
        sha256, measured = upload.sha256, default_storage.size(upload.object_name)
    else:
        sha256, measured = _sha256_of_object(upload.object_name)
    if measured != upload.size:
        _discard(upload)
        raise UploadError(
            f"the stored file has {measured} bytes, not the {upload.size} declared; "
            "start a new upload"
        )
    with transaction.atomic():
        locked = Upload.objects.select_for_update().get(pk=upload.pk)
        _check_open(locked)
        others = reserved_bytes(upload.owner) - upload.size
        try:
            _check_quota(upload.owner, measured, reserved=others)
        except datasets.QuotaExceeded:
            _discard(upload)
            raise
        _move(upload.object_name, datasets.blob_name(sha256))
        data = Data.objects.create(
            owner=upload.owner,
            kind=Data.Kind.SUBMISSION,
            name=upload.name,
            file=datasets.blob_name(sha256),
            sha256=sha256,
            size=measured,
        )
        locked.status = Upload.Status.COMPLETE
        locked.received = measured
        locked.data = data
        locked.save(update_fields=["status", "received", "data"])
    return locked


def _discard(upload: Upload) -> None:
    """Removes an unfinished upload's bytes and its row."""
    if upload.multipart_id and upload.status == Upload.Status.PENDING:
        try:
            _s3_client().abort_multipart_upload(
                Bucket=_bucket(), Key=_s3_key(upload.object_name), UploadId=upload.multipart_id
            )
        except Exception as exc:  # already completed or aborted: the object goes below
            logger.info("upload %s: the multipart upload was not aborted: %s", upload.pk, exc)
    default_storage.delete(upload.object_name)
    Upload.objects.filter(pk=upload.pk).delete()


def abort(upload: Upload) -> None:
    """The owner gives up an upload that no submission took: its bytes and file go."""
    if upload.status == Upload.Status.USED:
        raise UploadError("a submission uses this upload's file; delete the submission instead")
    data = upload.data
    _discard(upload)
    if data is not None:
        datasets.delete(data)


def take(upload: Upload) -> Data:
    """The completed file, for a submission; the upload is then used."""
    if upload.status != Upload.Status.COMPLETE or upload.data is None:
        raise UploadError(f"this upload is {upload.status}; complete it first")
    taken = Upload.objects.filter(pk=upload.pk, status=Upload.Status.COMPLETE).update(
        status=Upload.Status.USED
    )
    if not taken:
        raise UploadError("this upload's file was already taken")
    return upload.data


def expire_uploads(now: Any = None) -> int:
    """Removes uploads past their time that no submission took, bytes included."""
    now = now or timezone.now()
    gone = 0
    for upload in Upload.objects.filter(expires_at__lte=now).exclude(status=Upload.Status.USED):
        abort(upload)
        gone += 1
    return gone
