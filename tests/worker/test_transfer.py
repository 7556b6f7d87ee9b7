"""HTTP between worker and server, against a real HTTP server on loopback: downloads cached
by content hash and checked, reports retried, uploads streamed, the heartbeat's stop."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

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
