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
from pathlib import Path
from typing import Any

from podium_worker import archive
from podium_worker.protocol import SECRET_HEADER, FileRef, Job, Status

CHUNK = 1024 * 1024
TIMEOUT = 60


class TransferError(RuntimeError):
    """The server or the storage could not be reached, or sent something else than asked."""


class HttpTransfer:
    """Downloads a job's files once per content hash into `cache`, then unpacks them."""

    def __init__(self, cache: Path, budget_bytes: int, budget_entries: int = 100_000) -> None:
        self.cache = cache
        self.cache.mkdir(parents=True, exist_ok=True)
        self.budget_bytes = budget_bytes
        self.budget_entries = budget_entries

    def fetch(self, ref: FileRef, destination: Path) -> None:
        cached = self.cache / ref.sha256
        if not cached.is_file():
            self._download(ref, cached)
        budget = archive.Budget(max_bytes=self.budget_bytes, max_entries=self.budget_entries)
        archive.extract(cached, destination, budget, where=ref.name or "file")

    def _download(self, ref: FileRef, cached: Path) -> None:
        digest = hashlib.sha256()
        handle, partial = tempfile.mkstemp(dir=self.cache, prefix=".partial-")
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
    """Posts heartbeats and the final report for one job, with its secret."""

    def __init__(self, job: Job, *, attempts: int = 5, backoff: float = 1.0) -> None:
        self.job = job
        self.attempts = attempts
        self.backoff = backoff

    def heartbeat(self, status: Status, log_tail: str) -> None:
        # A lost heartbeat is not fatal: the next one, or the final report, follows.
        with contextlib.suppress(TransferError):
            self._post("heartbeat/", {"status": status.value, "log_tail": log_tail}, attempts=1)

    def report(
        self, status: Status, detail: str, scores: dict[str, float], metrics: dict[str, Any]
    ) -> None:
        body = {"status": status.value, "detail": detail, "scores": scores, "metrics": metrics}
        self._post("report/", body, attempts=self.attempts)

    def _post(self, path: str, body: dict[str, Any], *, attempts: int) -> None:
        payload = json.dumps({"attempt": self.job.attempt, **body}).encode()
        request = urllib.request.Request(  # noqa: S310 - the server's URL from the job message
            self.job.report_url.rstrip("/") + "/" + path,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", SECRET_HEADER: self.job.secret},
        )
        for attempt in range(attempts):
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT):  # noqa: S310
                    return
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise TransferError(f"the server refused the report ({exc.code})") from None
            except (urllib.error.URLError, OSError):
                pass
            if attempt + 1 < attempts:
                time.sleep(self.backoff * 2**attempt)
        raise TransferError("the server could not be reached")
