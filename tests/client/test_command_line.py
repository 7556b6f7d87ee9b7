"""What every `podium` command shares: exit codes, errors on stderr, `--json` anywhere, the
progress bar on a terminal and off it, and the installed console script."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from podium.submissions.models import Submission
from tests.client.conftest import results_zip, token_for

PODIUM = Path(sys.executable).parent / "podium"


class HtmlEverywhere(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<html><body>Welcome to nginx!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def not_podium() -> Iterator[str]:
    """A web server that is not Podium: every page is HTML."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), HtmlEverywhere)
    thread = threading.Thread(target=httpd.serve_forever)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_bad_token_exits_3_with_the_servers_message(podium, contest):
    ran = podium("submissions", "--mine", token="pdt_0000")

    assert (ran.code, ran.stdout) == (3, "")
    assert ran.stderr == "error: Invalid token. (sign in again with `podium login`)\n"


def test_a_server_that_cannot_be_reached_exits_5(podium):
    url = f"http://127.0.0.1:{closed_port()}"

    ran = podium("competitions", env={"PODIUM_URL": url})

    assert ran.code == 5
    assert ran.stderr.startswith(f"error: cannot reach {url}: ")


def test_a_server_that_is_not_podium_exits_5(podium, not_podium):
    ran = podium("competitions", env={"PODIUM_URL": not_podium})

    assert ran.code == 5
    assert ran.stderr == (
        f"error: GET /api/competitions/ answered text/html, not JSON: is {not_podium} a "
        "Podium server?\n"
    )


def test_no_server_configured_is_a_usage_error(config_home, tmp_path):
    from podium_client import cli

    ran = subprocess.run(
        [str(PODIUM), "competitions"],
        env={"PATH": os.environ["PATH"], "XDG_CONFIG_HOME": str(config_home)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert ran.returncode == cli.Code.USAGE == 2
    assert ran.stderr == (
        "error: no server given: run `podium login`, or pass --url or set PODIUM_URL\n"
    )


def test_wrong_arguments_exit_2_with_the_usage(podium):
    unknown = podium("compete")
    missing = podium("submit", "results.zip")
    not_an_id = podium("competition", "first")

    assert unknown.code == missing.code == not_an_id.code == 2
    assert unknown.stderr.splitlines()[-1].startswith(
        "podium: error: argument COMMAND: invalid choice: 'compete'"
    )
    assert missing.stderr.splitlines()[-1] == (
        "podium submit: error: the following arguments are required: --phase"
    )
    assert not_an_id.stderr.splitlines()[-1] == (
        "podium competition: error: argument ID: expected a number, got 'first'"
    )


def test_json_may_come_before_or_after_the_command(podium, contest):
    before = podium("--json", "competitions")
    after = podium("competitions", "--json")

    assert before.code == after.code == 0
    assert before.json() == after.json()
    assert [row["id"] for row in after.json()] == [contest.id]


def test_url_and_token_options_come_before_the_environment(podium, server, contest, entrant):
    elsewhere = f"http://127.0.0.1:{closed_port()}"

    ran = podium("--url", server, "competitions", "--mine", "--token", token_for(entrant),
                 "--json", env={"PODIUM_URL": elsewhere, "PODIUM_TOKEN": "pdt_wrong"})  # fmt: skip

    assert ran.code == 0, ran.stderr
    assert [row["role"] for row in ran.json()] == ["approved"]


def test_help_reads_like_a_manual(podium):
    ran = podium("--help")

    assert ran.code == 0
    assert "Start with `podium login`." in ran.stdout
    assert "  3  not signed in, or the token was refused" in ran.stdout


def test_the_installed_command_submits_and_prints_json_only_on_stdout(
    server, contest, entrant, tmp_path
):
    upload = results_zip(tmp_path / "upload")
    env = {"PATH": os.environ["PATH"], "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "PODIUM_URL": server, "PODIUM_TOKEN": token_for(entrant)}  # fmt: skip

    ran = subprocess.run(
        [str(PODIUM), "submit", str(upload), "--phase", str(contest.phase), "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    submission = Submission.objects.get()
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["id"] == submission.pk
    # Not a terminal: no bar, no colour, no carriage return, only lines.
    assert "\x1b" not in ran.stderr
    assert "\r" not in ran.stderr
    assert ran.stderr.splitlines() == [
        "Uploading results.zip...",
        f"Uploading results.zip: {upload.stat().st_size} B done",
        f"Submission {submission.pk} to phase {contest.phase}: submitted",
    ]


def test_on_a_terminal_the_progress_bar_draws_on_stderr_and_stdout_stays_json(
    server, contest, entrant, tmp_path
):
    upload = tmp_path / "large.zip"
    results_zip(tmp_path / "upload", content="x" * 3_000_000).rename(upload)
    env = {"PATH": os.environ["PATH"], "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "PODIUM_URL": server, "PODIUM_TOKEN": token_for(entrant),
           "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "TERM": "xterm"}  # fmt: skip

    ran = subprocess.run(
        [str(PODIUM), "submit", str(upload), "--phase", str(contest.phase), "--json"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    submission = Submission.objects.get()
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["id"] == submission.pk
    assert "\x1b[2KUploading large.zip" in ran.stderr  # drawn, and redrawn in place
    assert "3.0/3.0 MB" in ran.stderr  # to the whole file
    assert f"Submission {submission.pk} to phase {contest.phase}: submitted" in ran.stderr


def test_on_a_terminal_the_status_is_redrawn_in_place_while_waiting(
    server, contest, entrant, tmp_path
):
    env = {"PATH": os.environ["PATH"], "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "PODIUM_URL": server, "PODIUM_TOKEN": token_for(entrant),
           "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1", "TERM": "xterm"}  # fmt: skip

    ran = subprocess.run(
        [str(PODIUM), "submit", str(results_zip(tmp_path / "upload")), "--phase",
         str(contest.phase), "--wait", "--poll", "0.1", "--timeout", "0.5"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    submission = Submission.objects.get()
    assert ran.returncode == 1
    assert f"Submission {submission.pk}: submitted (0 s)" in ran.stderr
    assert "\x1b[?25l" in ran.stderr  # the spinner hides the cursor while it draws
    assert ran.stderr.endswith(
        f"error: submission {submission.pk} is still submitted after 0.5 s\x1b[0m\n"
    )
