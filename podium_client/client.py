"""`Client`: Podium's REST API from Python, over HTTP and nothing else.

    from podium_client import Client

    with Client("https://podium.example.org", token="...") as podium:
        for competition in podium.competitions():
            print(competition["id"], competition["title"])
        created = podium.submit(phase=3, path=Path("submission.zip"))
        print(podium.wait(created["id"])["scores"])

Methods answer the server's JSON as plain dicts and lists. A refusal raises an `ApiError`
subclass (`BadRequest`, `NotFound`, ...) whose message is the server's; a server that cannot
be reached raises `ConnectionFailed`. Files go up and come down in chunks, never whole in
memory, and a `progress(done, total)` callback follows each chunk.
"""

from __future__ import annotations

import io
import json as jsonlib
import os
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx

from podium_client.errors import (
    BY_STATUS,
    ApiError,
    ConnectionFailed,
    EndpointMissing,
    PodiumError,
    ServerError,
    Throttled,
    UnexpectedResponse,
    messages,
)

VERSION = "0.1.0"
JSON = dict[str, Any]
Progress = Callable[[int, int], None]

# The statuses after which a submission changes no more. The worker's protocol defines them
# (podium_worker.protocol.TERMINAL), which the client may not import; a test checks that the
# two agree.
ENDED = frozenset({"finished", "failed", "cancelled"})
# What a submission's details link to, as `files` names them.
OUTPUTS = ("predictions", "scoring_output", "detailed_results", "logs", "submission")
PAGE_SIZE = 200
CHUNK = 1024 * 1024
# A large upload is copied and checked by the server before it answers: reads wait longer.
TIMEOUT = httpx.Timeout(30.0, read=600.0)


class StillRunning(PodiumError):
    """`wait` gave up: the submission had not ended in time. `details` is the last look."""

    def __init__(self, message: str, details: JSON) -> None:
        super().__init__(message)
        self.details = details


def server_url(url: str) -> str:
    """The server's base address as people write it: `podium.example.org`, with or without
    a scheme, a trailing slash or `/api`."""
    url = url.strip()
    if not url:
        raise PodiumError("the server's address is empty")
    if "://" not in url:
        local = url.startswith(("localhost", "127.0.0.1", "[::1]"))
        url = ("http://" if local else "https://") + url
    url = url.rstrip("/")
    return url.removesuffix("/api")


class _Reading(io.FileIO):
    """A file being uploaded, telling `progress` how far the upload has read it."""

    def __init__(self, path: Path, progress: Progress | None) -> None:
        super().__init__(path, "rb")
        self.total = os.fstat(self.fileno()).st_size
        self._progress = progress

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size) or b""
        if self._progress is not None:
            self._progress(self.tell(), self.total)
        return chunk


class Client:
    """One Podium server, as one user (its API token), or anonymously without one."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        timeout: httpx.Timeout | float = TIMEOUT,
    ) -> None:
        self.base_url = server_url(base_url)
        self.token = token or None
        self._timeout = timeout
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"User-Agent": f"podium-client/{VERSION}", "Accept": "application/json"},
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # Plumbing

    def _auth(self) -> dict[str, str]:
        # Only in the header: a key in a URL ends up in logs (the server ignores it there).
        return {"Authorization": f"Token {self.token}"} if self.token else {}

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        data: dict[str, str] | None = None,
        files: dict[str, Any] | None = None,
    ) -> Any:
        """One call to the API: `path` is relative to the server (`/api/...`). Answers the
        decoded JSON (None for 204), or raises the ApiError matching the status."""
        with self._calling(method, path):
            response = self._http.request(
                method,
                path,
                params=_clean(params),
                json=json,
                data=data,
                files=files,
                headers=self._auth(),
            )
        return self._decode(response, method, path)

    @contextmanager
    def _calling(self, method: str, path: str) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException:
            raise ConnectionFailed(
                f"{self.base_url} did not answer in time ({method} {path})"
            ) from None
        except httpx.TransportError as exc:
            raise ConnectionFailed(f"cannot reach {self.base_url}: {exc}") from None

    def _decode(self, response: httpx.Response, method: str, path: str) -> Any:
        if response.status_code == 204:
            return None
        body, is_json = _body(response)
        if response.is_success:
            if not is_json:
                raise UnexpectedResponse(
                    f"{method} {path} answered {_kind(response)}, not JSON: is {self.base_url} "
                    "a Podium server?"
                )
            return body
        raise self._error(response, method, path, body if is_json else None, is_json)

    def _error(
        self, response: httpx.Response, method: str, path: str, body: Any, is_json: bool
    ) -> ApiError:
        status = response.status_code
        if status == 404 and not is_json:
            # DRF answers every 404 of its own in JSON; an HTML one comes from the URL router.
            return EndpointMissing(
                status=status,
                method=method,
                path=path,
                errors=[
                    f"{self.base_url} has no endpoint {method} {path} (an older Podium, or not "
                    "a Podium server)"
                ],
            )
        errors = messages(body) or [f"{status} {response.reason_phrase}".strip()]
        kind = BY_STATUS.get(status, ServerError if status >= 500 else ApiError)
        error = kind(status=status, method=method, path=path, errors=errors, body=body)
        if isinstance(error, Throttled):
            retry = response.headers.get("Retry-After", "")
            error.retry_after = int(retry) if retry.isdigit() else None
        return error

    def _all(self, path: str, params: dict[str, Any] | None = None) -> list[JSON]:
        """Every row of a paginated list, page after page."""
        rows: list[JSON] = []
        page = self.request("GET", path, params={**(params or {}), "limit": PAGE_SIZE})
        while True:
            if isinstance(page, list):
                return rows + page
            rows.extend(page["results"])
            if not page.get("next"):
                return rows
            # The server's own link, taken relative to the address this client was given: a
            # proxy in front of the server may have told it another scheme or host.
            page = self.request("GET", _relative(page["next"]))

    def _stream_to(
        self,
        url: str,
        destination: Path,
        progress: Progress | None,
        *,
        authenticated: bool,
    ) -> Path:
        """Downloads `url` into `destination` in chunks, through a `.partial` file, so that
        a broken transfer leaves no truncated file under the real name."""
        partial = destination.with_name(destination.name + ".partial")
        headers = self._auth() if authenticated else {}
        with self._calling("GET", _shown(url)):
            # A signed URL is its own key, and may be another host (S3): no token goes there.
            client = self._http if authenticated else httpx.Client(timeout=self._timeout)
            try:
                with client.stream("GET", url, headers=headers) as response:
                    if not response.is_success:
                        response.read()
                        raise self._error(response, "GET", _shown(url), *_body_or_none(response))
                    total = int(response.headers.get("Content-Length", "0") or 0)
                    done = 0
                    with partial.open("wb") as out:
                        for chunk in response.iter_bytes(CHUNK):
                            out.write(chunk)
                            done += len(chunk)
                            if progress is not None:
                                progress(done, total or done)
                partial.replace(destination)
            finally:
                partial.unlink(missing_ok=True)
                if client is not self._http:
                    client.close()
        return destination

    # Accounts

    def obtain_token(
        self,
        username: str,
        password: str,
        *,
        name: str = "podium CLI",
        expires_in_days: int | None = None,
    ) -> JSON:
        """Exchanges a username (or email address) and password for a new API token, which
        this client then uses; it stops working after `expires_in_days` days, or never.
        Answers the token's id, name, expiry and key (`token`)."""
        body: dict[str, Any] = {"username": username, "password": password, "name": name}
        if expires_in_days is not None:
            body["expires_in_days"] = expires_in_days
        created: JSON = self.request("POST", "/api/auth/token/", json=body)
        self.token = created["token"]
        return created

    def me(self) -> JSON:
        """The signed-in account: username, email address, profile."""
        found: JSON = self.request("GET", "/api/users/me/")
        return found

    def revoke_token(self, token_id: int) -> None:
        self.request("DELETE", f"/api/users/me/tokens/{token_id}/")

    # Competitions

    def competitions(self) -> list[JSON]:
        """Every competition the caller may see, newest first."""
        return self._all("/api/competitions/")

    def my_competitions(self) -> list[JSON]:
        """The competitions the caller owns or is registered in, each with its `role`:
        `owner`, or the registration's status (approved, pending, denied, revoked)."""
        username = self.me()["username"]
        registered = {
            row["competition"]: row["status"]
            for row in self._all("/api/participants/", {"mine": "true"})
            if row["user"] == username
        }
        mine = []
        for competition in self._all("/api/competitions/", {"mine": "true"}):
            if competition["created_by"] == username:
                mine.append({**competition, "role": "owner"})
            elif competition["id"] in registered:
                mine.append({**competition, "role": registered[competition["id"]]})
        return mine

    def competition(self, competition: int) -> JSON:
        """One competition with its pages, phases and leaderboards."""
        found: JSON = self.request("GET", f"/api/competitions/{competition}/")
        return found

    def publish(self, competition: int, *, published: bool = True) -> JSON:
        """Publishes (or unpublishes) a competition the caller organizes; answers it. Asking
        for the state it is already in changes nothing."""
        found = self.competition(competition)
        if found["published"] == published:
            return found
        changed: JSON = self.request("POST", f"/api/competitions/{competition}/toggle_publish/")
        return changed

    def phases(self, competition: int) -> list[JSON]:
        return self._all("/api/phases/", {"competition": competition})

    def phase(self, phase: int) -> JSON:
        found: JSON = self.request("GET", f"/api/phases/{phase}/")
        return found

    def register(
        self,
        competition: int,
        *,
        accept_terms: bool = False,
        answers: dict[str, Any] | None = None,
    ) -> JSON:
        """Registers the caller: approved at once or pending, as the competition decides.
        `accept_terms` is required when it has terms; `answers` fill its registration form.
        Registering again answers the existing registration."""
        body: JSON = {"competition": competition, "accept_terms": accept_terms}
        if answers is not None:
            body["answers"] = answers
        registered: JSON = self.request("POST", "/api/participants/", json=body)
        return registered

    # Participants

    def participants(
        self, *, competition: int | None = None, status: str | None = None
    ) -> list[JSON]:
        """Registrations: the caller's own, and every one of the competitions they organize."""
        return self._all("/api/participants/", {"competition": competition, "status": status})

    def participant(self, participant: int) -> JSON:
        found: JSON = self.request("GET", f"/api/participants/{participant}/")
        return found

    def approve(self, participant: int) -> JSON:
        approved: JSON = self.request("POST", f"/api/participants/{participant}/approve/")
        return approved

    def deny(self, participant: int, *, reason: str) -> JSON:
        """Denies a pending registration (revokes an approved one); the participant reads
        `reason`."""
        denied: JSON = self.request(
            "POST", f"/api/participants/{participant}/deny/", json={"reason": reason}
        )
        return denied

    # Submissions

    def submit(
        self,
        *,
        phase: int,
        path: Path,
        fact_sheet_answers: dict[str, Any] | None = None,
        organization: int | None = None,
        progress: Progress | None = None,
    ) -> JSON:
        """Uploads the zip at `path` (or a folder, zipped on the way) straight to the
        server's storage (see `upload`), then creates the submission to `phase` from it and
        answers the new submission, queued. A refused submission leaves no upload behind."""
        fields = {"phase": str(phase)}
        if fact_sheet_answers is not None:
            fields["fact_sheet_answers"] = _json_text(fact_sheet_answers)
        if organization is not None:
            fields["organization"] = str(organization)
        with _as_zip(path) as archive:
            sent = self.upload(archive, name=_zip_name(path), progress=progress)
        try:
            created: JSON = self.request(
                "POST", "/api/submissions/", data={**fields, "upload": sent["id"]}
            )
        except BaseException:
            self._abandon(sent["id"])
            raise
        return created

    def upload(
        self, path: Path, *, name: str | None = None, progress: Progress | None = None
    ) -> JSON:
        """Sends the file at `path` through /api/uploads/: declared, then streamed from disk
        straight to the server's storage (one PUT on local storage, a PUT per part to signed
        URLs on S3), then completed. Answers the completed upload, whose `id` a submission
        takes. An upload that fails half-way is aborted, with what it had sent."""
        size = path.stat().st_size
        declared: JSON = self.request(
            "POST", "/api/uploads/", json={"name": name or path.name, "size": size}
        )
        try:
            if declared["method"] == "parts":
                sent = self._send_parts(path, declared, progress)
                body: JSON = {"parts": sent}
            else:
                self._send_whole(path, declared["url"], progress)
                body = {}
            done: JSON = self.request("POST", f"/api/uploads/{declared['id']}/complete/", json=body)
        except BaseException:
            self._abandon(declared["id"])
            raise
        return done

    def _send_whole(self, path: Path, url: str, progress: Progress | None) -> None:
        size = path.stat().st_size
        headers = {
            **self._auth(),
            "Content-Type": "application/octet-stream",
            # A length, not chunked encoding: WSGI servers read bodies by their length.
            "Content-Length": str(size),
        }
        with self._calling("PUT", url), path.open("rb") as stream:
            response = self._http.put(
                _relative(url), content=_chunks(stream, size, 0, size, progress), headers=headers
            )
        self._decode(response, "PUT", url)

    def _send_parts(self, path: Path, declared: JSON, progress: Progress | None) -> list[JSON]:
        size, part_size = path.stat().st_size, int(declared["part_size"])
        sent = []
        # Signed URLs are their own key, and may be another host: no token goes there.
        with httpx.Client(timeout=self._timeout) as storage, path.open("rb") as stream:
            for part in declared["parts"]:
                start = (int(part["number"]) - 1) * part_size
                length = min(part_size, size - start)
                with self._calling("PUT", f"part {part['number']}"):
                    response = storage.put(
                        part["url"],
                        content=_chunks(stream, length, start, size, progress),
                        headers={"Content-Length": str(length)},
                    )
                if not response.is_success:
                    raise self._error(
                        response, "PUT", f"part {part['number']}", None, is_json=False
                    )
                sent.append({"number": part["number"], "etag": response.headers["ETag"]})
        return sent

    def _abandon(self, upload: str) -> None:
        """Aborts an upload that will not be used; a failure to do so is left to the server,
        which removes uploads nobody completed or used within a day."""
        with suppress(ApiError, ConnectionFailed):
            self.request("DELETE", f"/api/uploads/{upload}/")

    def submissions(
        self, *, phase: int | None = None, mine: bool = False, status: str | None = None
    ) -> list[JSON]:
        """Submissions the caller may see, newest first."""
        params = {"phase": phase, "status": status, "mine": "true" if mine else None}
        return self._all("/api/submissions/", params)

    def submission(self, submission: int) -> JSON:
        found: JSON = self.request("GET", f"/api/submissions/{submission}/")
        return found

    def details(self, submission: int) -> JSON:
        """Status and its history, the end of the logs, measurements, scores, and signed
        download URLs of the files the caller may have."""
        found: JSON = self.request("GET", f"/api/submissions/{submission}/get_details/")
        return found

    def cancel(self, submission: int) -> JSON:
        cancelled: JSON = self.request("POST", f"/api/submissions/{submission}/cancel_submission/")
        return cancelled

    def rerun(self, submission: int) -> JSON:
        """Runs the same file again as a new submission (organizers); answers the new one."""
        again: JSON = self.request("POST", f"/api/submissions/{submission}/re_run_submission/")
        return again

    def wait(
        self,
        submission: int,
        *,
        poll: float = 2.0,
        timeout: float | None = None,
        on_details: Callable[[JSON], None] | None = None,
    ) -> JSON:
        """Polls a submission's details until it has ended (finished, failed or cancelled)
        and answers them; `on_details` sees every look. StillRunning after `timeout` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            details = self.details(submission)
            if on_details is not None:
                on_details(details)
            if details["status"] in ENDED:
                return details
            if deadline is not None and time.monotonic() >= deadline:
                raise StillRunning(
                    f"submission {submission} is still {details['status']} after {timeout:g} s",
                    details,
                )
            time.sleep(poll)

    def download(
        self,
        submission: int,
        what: str,
        destination: Path,
        *,
        progress: Progress | None = None,
    ) -> Path:
        """Saves one of a submission's files (see OUTPUTS) at `destination`."""
        if what not in OUTPUTS:
            raise PodiumError(f"unknown file {what!r}; one of: {', '.join(OUTPUTS)}")
        url = self.details(submission)["files"].get(what)
        if not url:
            raise PodiumError(
                f"submission {submission} has no {what.replace('_', ' ')} to download: it does "
                "not exist (yet), or the phase does not show it to you"
            )
        return self._stream_to(url, destination, progress, authenticated=False)

    # Leaderboards

    def leaderboard(self, phase: int) -> JSON:
        """A phase's leaderboard: its head (leaderboard, columns, tasks) and every row."""
        path = f"/api/phases/{phase}/leaderboard/"
        first: JSON = self.request("GET", path, params={"limit": PAGE_SIZE})
        rows = list(first["results"])
        page = first
        while page.get("next"):
            page = self.request("GET", _relative(page["next"]))
            rows.extend(page["results"])
        return {**first, "results": rows, "next": None, "previous": None}

    def add_to_leaderboard(self, submission: int) -> JSON:
        """Puts a finished submission on its phase's leaderboard, where the leaderboard's rule
        leaves it to participants (Add, Add_And_Delete...). Answers the owner's entries."""
        path = f"/api/submissions/{submission}/submission_leaderboard_connection/"
        entries: JSON = self.request("POST", path)
        return entries

    def remove_from_leaderboard(self, submission: int) -> JSON:
        path = f"/api/submissions/{submission}/submission_leaderboard_connection/"
        entries: JSON = self.request("DELETE", path)
        return entries

    # Bundles

    def upload_bundle(self, path: Path, *, progress: Progress | None = None) -> JSON:
        """Creates an unpublished competition from a bundle (a zip, or a folder zipped on the
        way). A refused bundle raises BadRequest listing every problem."""
        with _as_zip(path) as archive, _Reading(archive, progress) as reading:
            created: JSON = self.request(
                "POST",
                "/api/competitions/upload_bundle/",
                files={"file": (_zip_name(path), reading, "application/zip")},
            )
        return created

    def export_bundle(
        self, competition: int, destination: Path, *, progress: Progress | None = None
    ) -> Path:
        """Saves the competition as a bundle zip at `destination` (organizers)."""
        path = f"/api/competitions/{competition}/export_bundle/"
        return self._stream_to(path, destination, progress, authenticated=True)


def _chunks(
    stream: Any, length: int, start: int, total: int, progress: Progress | None
) -> Iterator[bytes]:
    """`length` bytes of `stream` from `start`, a chunk at a time, reporting how far into
    the whole file (`total` bytes) they are."""
    stream.seek(start)
    left = length
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            raise OSError(f"the file shrank while it was being sent ({total} bytes expected)")
        left -= len(chunk)
        if progress is not None:
            progress(start + length - left, total)
        yield chunk


def _clean(params: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if params is None else {k: v for k, v in params.items() if v is not None}


def _body(response: httpx.Response) -> tuple[Any, bool]:
    if "json" not in response.headers.get("Content-Type", ""):
        return None, False
    try:
        return response.json(), True
    except ValueError:
        return None, False


def _body_or_none(response: httpx.Response) -> tuple[Any, bool]:
    body, is_json = _body(response)
    return (body if is_json else None), is_json


def _kind(response: httpx.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0] or "nothing"


def _relative(link: str) -> str:
    url = httpx.URL(link)
    return url.raw_path.decode("ascii")


def _shown(url: str) -> str:
    """A URL without its query string, which may hold a signature."""
    return str(httpx.URL(url).copy_with(query=None))


def _json_text(value: Any) -> str:
    return jsonlib.dumps(value)


def _zip_name(path: Path) -> str:
    return path.name if path.is_file() else f"{path.resolve().name}.zip"


@contextmanager
def _as_zip(path: Path) -> Iterator[Path]:
    """`path` when it is a file; a folder zipped into a temporary file otherwise."""
    if not path.is_dir():
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="podium-upload-") as folder:
        target = Path(folder) / _zip_name(path)
        zip_folder(path, target)
        yield target


def zip_folder(folder: Path, target: Path) -> None:
    """Zips the files under `folder` (paths relative to it), refusing links: a bundle may
    not hold any, and following one could send a file from outside the folder."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_symlink():
                raise PodiumError(f"{path} is a link; a bundle may not hold links")
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
