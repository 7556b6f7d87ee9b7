"""An instance out of debug mode, as deployed: `podium-server up` runs gunicorn, which serves
the pages, the API and the collected static files (compressed) by itself, and a submission
goes from upload to scores through it."""

from __future__ import annotations

import gzip
import json
import re
import secrets
import signal
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.system.conftest import EXAMPLES, Instance, instance_running, zipped

pytestmark = pytest.mark.system


@pytest.fixture(scope="module")
def production() -> Iterator[Instance]:
    with instance_running(
        debug="false", secret_key=secrets.token_urlsafe(50), allowed_hosts="127.0.0.1"
    ) as running:
        running.approve_everyone()
        running.start(workers=1)
        yield running


def fetch(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (the instance's own)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def test_gunicorn_serves_the_pages_and_every_static_file_they_load(production: Instance):
    status, headers, body = fetch(f"{production.url}/")
    page = body.decode()
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)

    assert (status, headers["Server"]) == (200, "gunicorn")
    assert "Content-Security-Policy" in headers
    assert {path.rsplit(".", 1)[1] for path in assets} >= {"css", "js", "svg"}
    for path in assets:
        status, headers, body = fetch(f"{production.url}{path}")
        assert (status, len(body) > 0) == (200, True), path
        assert "max-age" in headers["Cache-Control"], path


def test_static_files_go_out_compressed_to_a_browser_that_accepts_it(production: Instance):
    path = "/static/vendor/chart.js/dist/chart.umd.min.js"
    _, plain_headers, plain = fetch(f"{production.url}{path}")
    _, headers, packed = fetch(f"{production.url}{path}", **{"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in plain_headers
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed) == plain
    assert len(packed) < len(plain) / 2


def test_the_api_docs_assets_are_served_too(production: Instance):
    _, _, page = fetch(f"{production.url}/api/docs/")
    bundle = re.search(r'src="(/static/[^"]+swagger-ui-bundle\.js)"', page.decode())

    assert bundle is not None
    assert fetch(f"{production.url}{bundle.group(1)}")[0] == 200


def test_a_submission_is_scored_through_the_production_server(production: Instance):
    phase = production.phase("Iris Species Classification", "Development")
    result = production.submit(
        zipped(EXAMPLES / "iris-results" / "sample_submission"), phase,
        "--fact-sheet", '{"method_name": "sample"}', "--wait", "--timeout", "120",
    )  # fmt: skip

    assert (result["status"], result["scores"]["accuracy"]) == (
        "finished",
        pytest.approx(0.9333333333333333),
    )


def test_sign_in_attempts_are_counted_across_gunicorns_processes(production: Instance):
    def attempt(username: str) -> int:
        body = json.dumps({"username": username, "password": "wrong"}).encode()
        request = urllib.request.Request(  # noqa: S310 (the instance's own address)
            f"{production.url}/api/auth/token/",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code

    # Ten a minute from one address (PODIUM_LOGIN_ATTEMPTS_PER_MINUTE), whichever of the
    # server's processes takes each: the count lives in the cache they share, a folder of
    # the instance's home (with each process's own memory, the eleventh may get through).
    # A name each time: failures also count per account, five in five minutes.
    statuses = [attempt(f"someone-{number}") for number in range(11)]

    assert statuses == [400] * 10 + [429]
    counted = list((production.home / "cache").glob("*.djcache"))
    assert len(counted) >= 1 + 10  # the address's count, and each account's failures


def test_sigterm_stops_gunicorn_and_the_rest_cleanly(production: Instance):
    assert production.up is not None
    production.up.send_signal(signal.SIGTERM)

    assert production.up.wait(timeout=60) == 0
    assert "Shutting down: Master" in production.log()
