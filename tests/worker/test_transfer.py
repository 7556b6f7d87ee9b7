"""HTTP between worker and server, against a real HTTP server on loopback: downloads cached
by content hash and checked, reports retried, uploads streamed, the heartbeat's stop."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from podium_worker import archive
from podium_worker.protocol import ATTEMPT_HEADER, SECRET_HEADER, FileRef, Job, Output, Status
from podium_worker.transfer import HttpReporter, HttpTransfer, TransferError


@dataclass
class Server:
    url: str
    files: dict[str, bytes] = field(default_factory=dict)
    replies: list[tuple[int, dict]] = field(default_factory=list)  # next replies to POST/PUT
    received: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    downloads: int = 0


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server("")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            content = state.files.get(self.path)
            state.downloads += 1
            self.send_response(200 if content is not None else 404)
            self.end_headers()
            self.wfile.write(content or b"")

        def _receive(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.received.append((self.command, self.path, dict(self.headers), body))
            code, reply = state.replies.pop(0) if state.replies else (200, {"accepted": True})
            self.send_response(code)
            self.end_headers()
            self.wfile.write(json.dumps(reply).encode())

        do_POST = _receive
        do_PUT = _receive

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def job(server: Server) -> Job:
    ref = FileRef(url=f"{server.url}/files/x", sha256="0" * 64, name="x")
    return Job(submission=5, attempt=2, secret="s3cret", report_url=f"{server.url}/api/jobs/5/",
               execution_time_limit=60, docker_image="", network=False, submission_file=ref,
               scoring_program=ref)  # fmt: skip


def a_zip(content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("data.txt", content)
    return buffer.getvalue()


def test_a_download_is_checked_against_its_hash_unpacked_and_cached(server, tmp_path):
    content = a_zip(b"reference")
    server.files["/files/ref"] = content
    ref = FileRef(f"{server.url}/files/ref", hashlib.sha256(content).hexdigest(), "ref.zip")
    transfer = HttpTransfer(tmp_path / "cache", budget_bytes=10**6)

    for name in ("first", "second"):
        (tmp_path / name).mkdir()
        transfer.fetch(ref, tmp_path / name)
        assert (tmp_path / name / "data.txt").read_bytes() == b"reference"
    assert server.downloads == 1


def test_a_download_that_does_not_match_its_hash_is_refused_and_not_cached(server, tmp_path):
    server.files["/files/ref"] = a_zip(b"tampered")
    ref = FileRef(f"{server.url}/files/ref", "1" * 64, "ref.zip")
    transfer = HttpTransfer(tmp_path / "cache", budget_bytes=10**6)

    with pytest.raises(TransferError, match="does not match its sha256"):
        transfer.fetch(ref, tmp_path)
    assert list((tmp_path / "cache").iterdir()) == []


def served(server: Server, name: str, content: bytes) -> FileRef:
    server.files[f"/files/{name}"] = content
    return FileRef(f"{server.url}/files/{name}", hashlib.sha256(content).hexdigest(), name)


def fetched(transfer: HttpTransfer, ref: FileRef, tmp_path: Path) -> bytes:
    destination = tmp_path / f"job-{uuid.uuid4().hex}"
    destination.mkdir()
    transfer.fetch(ref, destination)
    return (destination / "data.txt").read_bytes()


def test_the_cache_keeps_the_most_recently_used_downloads_within_its_size(server, tmp_path):
    refs = {name: served(server, name, a_zip(name.encode() * 1000)) for name in "abc"}
    size = len(server.files["/files/a"])
    transfer = HttpTransfer(tmp_path / "cache", budget_bytes=10**6, cache_bytes=2 * size)
    cache = tmp_path / "cache"

    fetched(transfer, refs["a"], tmp_path)
    fetched(transfer, refs["b"], tmp_path)
    os.utime(cache / refs["a"].sha256, (1, 1))  # long unused...
    os.utime(cache / refs["b"].sha256, (2, 2))
    assert fetched(transfer, refs["a"], tmp_path) == b"a" * 1000  # ...until now: a cache hit
    assert server.downloads == 2
    fetched(transfer, refs["c"], tmp_path)  # three would not fit: b, the least recent, goes

    assert sorted(path.name for path in cache.iterdir()) == sorted(
        [refs["a"].sha256, refs["c"].sha256]
    )
    assert fetched(transfer, refs["b"], tmp_path) == b"b" * 1000
    assert server.downloads == 4


def test_a_download_larger_than_the_cache_is_used_and_evicts_the_rest(server, tmp_path):
    small = served(server, "small", a_zip(b"s"))
    large = served(server, "large", a_zip(os.urandom(5000)))
    transfer = HttpTransfer(tmp_path / "cache", budget_bytes=10**6, cache_bytes=1000)

    fetched(transfer, small, tmp_path)
    assert len(fetched(transfer, large, tmp_path)) == 5000

    assert [path.name for path in (tmp_path / "cache").iterdir()] == [large.sha256]


def test_what_a_killed_worker_left_in_the_cache_is_removed_and_nothing_else(server, tmp_path):
    cache = tmp_path / "cache"
    transfer = HttpTransfer(cache, budget_bytes=10**6)
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    names = {
        f".partial-{gone}-a1": "a dead worker's download",
        f".using-{gone}-b2": "a dead worker's link",
        f".partial-{os.getpid()}-c3": "a live worker's download, however old",
        f".using-{os.getpid()}-d4": "a live worker's link",
        ".partial-old": "named without a pid, a day old",
        ".partial-new": "named without a pid, recent",
    }
    for name in names:
        (cache / name).write_bytes(b"x")
    for name in (f".partial-{os.getpid()}-c3", ".partial-old"):
        os.utime(cache / name, (time.time() - 25 * 3600,) * 2)

    assert sorted(transfer.evict()) == sorted([f".partial-{gone}-a1", f".using-{gone}-b2",
                                               ".partial-old"])  # fmt: skip
    assert sorted(path.name for path in cache.iterdir()) == sorted(
        [f".partial-{os.getpid()}-c3", f".using-{os.getpid()}-d4", ".partial-new"]
    )


def test_an_entry_evicted_by_another_worker_while_in_use_still_unpacks(server, tmp_path):
    ref = served(server, "ref", a_zip(b"reference"))
    transfer = HttpTransfer(tmp_path / "cache", budget_bytes=10**6)
    fetched(transfer, ref, tmp_path)
    real_extract = archive.extract

    def evicted_meanwhile(source, *args, **kwargs):
        (tmp_path / "cache" / ref.sha256).unlink()  # the other worker's eviction
        return real_extract(source, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archive, "extract", evicted_meanwhile)
        assert fetched(transfer, ref, tmp_path) == b"reference"
    assert list((tmp_path / "cache").iterdir()) == []  # its private link is gone too


def test_on_a_file_system_without_hard_links_the_entry_is_read_in_place(
    server, tmp_path, monkeypatch
):
    ref = served(server, "ref", a_zip(b"reference"))
    transfer = HttpTransfer(tmp_path / "cache", budget_bytes=10**6)

    def refused(source, target):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", refused)

    assert fetched(transfer, ref, tmp_path) == b"reference"
    assert fetched(transfer, ref, tmp_path) == b"reference"
    assert server.downloads == 1
    assert [path.name for path in (tmp_path / "cache").iterdir()] == [ref.sha256]


def test_reports_carry_the_secret_attempt_and_run_and_are_retried_on_server_errors(server):
    reporter = HttpReporter(job(server), backoff=0.01)
    server.replies = [(503, {}), (500, {}), (200, {"accepted": True})]

    reporter.report(Status.FINISHED, "", {"accuracy": 0.5}, {"scoring": {}})

    assert len(server.received) == 3
    method, path, headers, body = server.received[-1]
    assert (method, path) == ("POST", "/api/jobs/5/report/")
    assert headers[SECRET_HEADER] == "s3cret"
    sent = json.loads(body)
    assert (sent["attempt"], sent["run"], sent["status"]) == (2, reporter.run, "finished")
    assert sent["scores"] == {"accuracy": 0.5}


def test_a_report_the_server_refuses_is_not_retried(server):
    reporter = HttpReporter(job(server), backoff=0.01)
    server.replies = [(404, {})]
    with pytest.raises(TransferError, match="refused report/ \\(404\\)"):
        reporter.report(Status.FAILED, "boom", {}, {})
    assert len(server.received) == 1


def test_an_upload_is_a_put_of_the_file_with_its_kind_and_headers(server, tmp_path):
    archive = tmp_path / "predictions.zip"
    archive.write_bytes(a_zip(b"1\n"))

    HttpReporter(job(server)).upload(Output.PREDICTIONS, archive)

    ((method, path, headers, body),) = server.received
    assert (method, path) == ("PUT", "/api/jobs/5/outputs/predictions/")
    assert (headers[SECRET_HEADER], headers[ATTEMPT_HEADER]) == ("s3cret", "2")
    assert headers["Content-Type"] == "application/zip"
    assert body == archive.read_bytes()


@pytest.mark.parametrize(
    ("reply", "stop"),
    [
        ({"accepted": True, "cancelled": False, "stop": False}, False),
        ({"accepted": False, "cancelled": True, "stop": True}, True),
        ({"accepted": False, "cancelled": False, "stop": True}, True),
        ({"accepted": False}, False),  # an older server: nothing says stop
    ],
)
def test_the_heartbeat_says_whether_to_stop(server, reply, stop):
    server.replies = [(200, reply)]
    assert HttpReporter(job(server)).heartbeat(Status.RUNNING, "epoch 1") is stop


def test_a_lost_heartbeat_is_not_fatal(server):
    server.replies = [(500, {})]
    assert HttpReporter(job(server)).heartbeat(Status.RUNNING, "") is False
    assert len(server.received) == 1  # not retried: the next one follows anyway


def test_each_execution_has_its_own_run(server):
    assert HttpReporter(job(server)).run != HttpReporter(job(server)).run


def test_upload_paths_are_relative_to_the_report_url(server, tmp_path):
    page = tmp_path / Path("detailed_results.html")
    page.write_text("<p>ok</p>")
    HttpReporter(job(server)).upload(Output.DETAILED_RESULTS, page)
    ((_, path, headers, _),) = server.received
    assert path == "/api/jobs/5/outputs/detailed_results/"
    assert headers["Content-Type"] == "text/html"
