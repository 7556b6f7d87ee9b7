"""HTTP between the worker and the server: signed downloads (cached by content hash) and
reports (retried, since the server treats a repeated report as a no-op)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from podium_worker import archive
from podium_worker.protocol import ATTEMPT_HEADER, SECRET_HEADER, FileRef, Job, Output, Status
from podium_worker.sandbox.cgroups import alive

CHUNK = 1024 * 1024
TIMEOUT = 60


class TransferError(RuntimeError):
    """The server or the storage could not be reached, or sent something else than asked."""


class HttpTransfer:
    """Downloads a job's files once per content hash into `cache`, then unpacks them.

    The cache keeps at most `cache_bytes` of downloads (the one just fetched always stays):
    the least recently used go first. Several workers of a machine may share the folder: an
    entry is used through a private hard link, so another worker's eviction cannot pull it
    away halfway through an unpacking. What a killed worker left (a partial download, such
    a link, each named with the worker's pid) is removed once that worker is gone."""

    STALE = 24 * 3600.0

    def __init__(
        self,
        cache: Path,
        budget_bytes: int,
        budget_entries: int = 100_000,
        *,
        cache_bytes: int = 20 * 1024**3,
    ) -> None:
        self.cache = cache
        self.cache.mkdir(parents=True, exist_ok=True)
        self.budget_bytes = budget_bytes
        self.budget_entries = budget_entries
        self.cache_bytes = cache_bytes

    def fetch(self, ref: FileRef, destination: Path) -> None:
        cached = self.cache / ref.sha256
        using = self.cache / f".using-{os.getpid()}-{uuid.uuid4().hex}"
        try:
            for _ in range(3):  # another worker may evict it between download and link
                if not cached.is_file():
                    self._download(ref, cached)
                    self.evict(keep=cached)
                try:
                    os.link(cached, using)
                    break
                except FileNotFoundError:
                    continue  # evicted meanwhile: fetched again
                except OSError:  # a file system without hard links: read the entry itself
                    using = cached
                    break
            else:
                raise TransferError(f"{ref.name}: evicted from the download cache as it came")
            with contextlib.suppress(FileNotFoundError):
                os.utime(cached)  # used now: among the last to be evicted
            budget = archive.Budget(max_bytes=self.budget_bytes, max_entries=self.budget_entries)
            archive.extract(using, destination, budget, where=ref.name or "file")
        finally:
            if using != cached:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(using)

    def evict(self, keep: Path | None = None) -> list[str]:
        """Removes the least recently used downloads past `cache_bytes`, and what killed
        workers left; returns the names removed."""
        entries = []
        removed = []
        now = time.time()
        for path in self.cache.iterdir():
            try:
                info = path.stat()
            except FileNotFoundError:
                continue  # another worker's, gone meanwhile
            if path.name.startswith((".partial-", ".using-")) and self._left_behind(
                path.name, info.st_mtime, now
            ):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path.name)
            elif not path.name.startswith("."):
                entries.append((info.st_mtime, info.st_size, path))
        total = sum(size for _, size, _ in entries)
        for _, size, path in sorted(entries, key=lambda entry: entry[0]):
            if total <= self.cache_bytes:
                break
            if path == keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed.append(path.name)
            total -= size
        return removed

    def _left_behind(self, name: str, modified: float, now: float) -> bool:
        """A partial download or a private link whose worker is gone (its pid is in the
        name), or, named otherwise, untouched for a day."""
        owner = name.split("-")[1]
        if owner.isdigit():
            return not alive(int(owner))
        return now - modified > self.STALE

    def _download(self, ref: FileRef, cached: Path) -> None:
        digest = hashlib.sha256()
        handle, partial = tempfile.mkstemp(dir=self.cache, prefix=f".partial-{os.getpid()}-")
        try:
            with (
                os.fdopen(handle, "wb") as out,
                urllib.request.urlopen(  # noqa: S310 - the server's signed URL
                    ref.url, timeout=TIMEOUT
                ) as response,
            ):
                for chunk in iter(lambda: response.read(CHUNK), b""):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != ref.sha256:
                raise TransferError(f"{ref.name}: the download does not match its sha256")
            os.replace(partial, cached)
        except (urllib.error.URLError, OSError) as exc:
            raise TransferError(f"{ref.name}: download failed ({exc})") from None
        finally:
            if os.path.exists(partial):
                os.unlink(partial)


class HttpReporter:
    """Posts heartbeats, uploads outputs and posts the final report for one job, with its
    secret. The final report and uploads are retried; a lost heartbeat is not fatal."""

    def __init__(self, job: Job, *, attempts: int = 5, backoff: float = 1.0) -> None:
        self.job = job
        self.attempts = attempts
        self.backoff = backoff
        # This execution's id: a broker that delivers a job twice gets one run told to stop.
        self.run = uuid.uuid4().hex

    def heartbeat(self, status: Status, log_tail: str) -> bool:
        body = {"status": status.value, "log_tail": log_tail}
        try:
            reply = self._send("heartbeat/", self._json(body), "application/json", attempts=1)
        except TransferError:
            return False  # the next heartbeat, or the final report, follows
        return reply.get("stop") is True or reply.get("cancelled") is True

    def upload(self, kind: Output, path: Path) -> None:
        content_type = "text/html" if kind is Output.DETAILED_RESULTS else "application/zip"
        self._send(f"outputs/{kind.value}/", path, content_type, attempts=self.attempts)

    def report(
        self, status: Status, detail: str, scores: dict[str, float], metrics: dict[str, Any]
    ) -> None:
        body = {"status": status.value, "detail": detail, "scores": scores, "metrics": metrics}
        self._send("report/", self._json(body), "application/json", attempts=self.attempts)

    def _json(self, body: dict[str, Any]) -> bytes:
        return json.dumps({"attempt": self.job.attempt, "run": self.run, **body}).encode()

    def _send(
        self, path: str, body: bytes | Path, content_type: str, *, attempts: int
    ) -> dict[str, Any]:
        url = self.job.report_url.rstrip("/") + "/" + path
        headers = {
            "Content-Type": content_type,
            SECRET_HEADER: self.job.secret,
            ATTEMPT_HEADER: str(self.job.attempt),
        }
        method = "PUT" if isinstance(body, Path) else "POST"
        for attempt in range(attempts):
            try:
                with contextlib.ExitStack() as stack:
                    data: bytes | BinaryIO = body if isinstance(body, bytes) else b""
                    if isinstance(body, Path):
                        data = stack.enter_context(body.open("rb"))
                        headers["Content-Length"] = str(body.stat().st_size)
                    request = urllib.request.Request(  # noqa: S310 - the job message's URL
                        url, data=data, method=method, headers=headers
                    )
                    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
                        return _reply(response.read(MAX_REPLY))
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise TransferError(f"the server refused {path} ({exc.code})") from None
            except (urllib.error.URLError, OSError):
                pass
            if attempt + 1 < attempts:
                time.sleep(self.backoff * 2**attempt)
        raise TransferError("the server could not be reached")


MAX_REPLY = 64 * 1024


def _reply(raw: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
