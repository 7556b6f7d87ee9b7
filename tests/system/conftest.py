"""A whole instance, run as a user runs it: real processes, a real sandbox, a real broker.

`Instance` starts `podium-server up` (the web server, local workers and the scheduler) in a
home folder of its own, after `migrate` and `demo`, and talks to it as a user would: through
`podium-server submit` and the REST API. In the suite's PostgreSQL run (PODIUM_DATABASE_URL
set), each instance gets a fresh database of its own on that server, dropped afterwards.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SERVER = [sys.executable, "-m", "podium.cli"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def zipped(folder: Path) -> Path:
    """The folder as a zip in a temporary file (what a participant uploads)."""
    handle, name = tempfile.mkstemp(suffix=".zip")
    os.close(handle)
    with zipfile.ZipFile(name, "w") as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return Path(name)


def zip_of(files: dict[str, str]) -> Path:
    handle, name = tempfile.mkstemp(suffix=".zip")
    with os.fdopen(handle, "wb") as out, zipfile.ZipFile(out, "w") as archive:
        for member, content in files.items():
            archive.writestr(member, content)
    return Path(name)


@contextlib.contextmanager
def own_database(url: str) -> Iterator[str]:
    """A fresh database on the server of `url`, dropped afterwards."""
    name = f"podium_system_{uuid.uuid4().hex[:12]}"
    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Instance:
    home: Path
    env: dict[str, str]
    port: int
    passwords: dict[str, str] = field(default_factory=dict)
    up: subprocess.Popen[bytes] | None = None
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def server(self, *args: str, timeout: float = 300, check: bool = True) -> str:
        done = subprocess.run(
            [*SERVER, *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and done.returncode != 0:
            raise AssertionError(f"podium-server {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout + done.stderr

    def start(self, *, workers: int = 1) -> None:
        with (self.home / "up.log").open("ab") as log:
            self.up = subprocess.Popen(
                [*SERVER, "up", "--port", str(self.port), "--workers", str(workers)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/", timeout=2),  # noqa: S310
            ):
                return
            if self.up.poll() is not None:
                break
            time.sleep(0.3)
        raise AssertionError(f"the instance did not start:\n{self.log()}")

    def start_worker(self) -> subprocess.Popen[bytes]:
        with (self.home / f"worker-{len(self.workers)}.log").open("ab") as log:
            worker = subprocess.Popen(
                [*SERVER, "worker"], env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        self.workers.append(worker)
        return worker

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-4000:] for path in sorted(self.home.glob("*.log"))
        )

    def stop(self) -> None:
        for process in [*self.workers, *([self.up] if self.up else [])]:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in [*self.workers, *([self.up] if self.up else [])]:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def token(self, username: str) -> str:
        if username not in self.tokens:
            output = self.server("create_token", username)
            self.tokens[username] = output.split()[2]
        return self.tokens[username]

    def api(
        self, method: str, path: str, user: str, *, body: bytes | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:  # fmt: skip
        request = urllib.request.Request(  # noqa: S310 (the instance's own address)
            f"{self.url}{path}",
            data=body,
            method=method,
            headers={"Authorization": f"Token {self.token(user)}", "Content-Type": content_type},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                return exc.code, json.loads(raw)
            except ValueError:
                return exc.code, raw.decode(errors="replace")

    def phase(self, competition_title: str, phase_name: str) -> int:
        code = (
            "from podium.competitions.models import Phase; "
            f"print(Phase.objects.get(competition__title={competition_title!r}, "
            f"name={phase_name!r}).pk)"
        )
        return int(self.server("shell", "-c", code).strip().splitlines()[-1])

    def approve_everyone(self) -> None:
        """The demo organizer approves every pending registration (the participant's)."""
        code = (
            "from podium.participation.models import Participant; "
            "from podium.participation.services import approve; "
            "[approve(p, by=p.competition.created_by) for p in "
            "Participant.objects.filter(status='pending').select_related('competition')]"
        )
        self.server("shell", "-c", code)

    def submit(
        self, path: Path, phase: int, *extra: str, user: str = "participant"
    ) -> dict[str, Any]:
        output = self.server(
            "submit", str(path), "--phase", str(phase), "--user", user, "--json", *extra
        )
        return json.loads(output.strip().splitlines()[-1])


def multipart(fields: dict[str, str], files: dict[str, Path]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = io.BytesIO()
    for name, value in fields.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        )
        body.write(value.encode() + b"\r\n")
    for name, path in files.items():
        body.write(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{path.name}"\r\nContent-Type: application/zip\r\n\r\n'.encode()
        )
        body.write(path.read_bytes() + b"\r\n")
    body.write(f"--{boundary}--\r\n".encode())
    return body.getvalue(), f"multipart/form-data; boundary={boundary}"


@contextlib.contextmanager
def instance_running(**settings: str) -> Iterator[Instance]:
    """A migrated instance with the demo data, not yet started."""
    home = Path(tempfile.mkdtemp(prefix="podium-system-"))
    env = {key: value for key, value in os.environ.items() if not key.startswith("PODIUM_")} | {
        "PODIUM_HOME": str(home),
        "PYTHONUNBUFFERED": "1",
    }
    port = free_port()
    env["PODIUM_SITE_URL"] = f"http://127.0.0.1:{port}"
    env.update({f"PODIUM_{name.upper()}": value for name, value in settings.items()})
    database = os.environ.get("PODIUM_DATABASE_URL", "")
    with contextlib.ExitStack() as stack:
        if database.startswith("postgres"):
            env["PODIUM_DATABASE_URL"] = stack.enter_context(own_database(database))
        instance = Instance(home, env, port)
        try:
            instance.server("migrate", "--no-input")
            output = instance.server("demo")
            instance.passwords = dict(re.findall(r"username '(\w+)', password '([^']+)'", output))
            yield instance
        finally:
            instance.stop()
            shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="module")
def instance() -> Iterator[Instance]:
    """One running instance for a module's tests: embedded broker, one worker, short leases."""
    with instance_running(job_lease_seconds="8") as running:
        running.approve_everyone()
        running.start(workers=1)
        yield running
