"""Uploading a large submission through the API, against copying it on local disk.

    .venv/bin/python bench/upload.py [--size-mib 2048] [--production]

It starts the web server of a fresh instance in a temporary home (the embedded default:
SQLite, local storage), signs in through the API, and sends one file of `--size-mib` MiB
the way the `podium` client does: declare it (POST /api/uploads/), stream it as the body of
one PUT, complete it. Meanwhile it samples the server's resident memory every 20 ms: all of
its processes together. The server is the development server of debug mode, or with
`--production` the one a deployment runs: debug mode off, gunicorn and its processes.

It prints, against targets of the issue:

- the server's memory growth: its peak resident size during the upload minus its size
  just before (target: below 100 MB, whatever the file's size);
- the upload's rate relative to copying the same file on the same disk in the same run
  (`shutil.copyfile`, file to file, then fsync; target at least 0.5). The server syncs an
  upload to disk before it answers the PUT, so the copy is timed until its bytes are on
  disk too. Both read a file the page cache holds, since it was just written; both write
  to the same file system; each starts after `os.sync()`, so that neither waits on the
  other's dirty pages (without it, whichever comes second is throttled by the kernel's
  writeback and the ratio swings several times over). The copy's time without its fsync
  is printed too: an in-kernel copy into memory, which no HTTP transfer can come near.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SERVER = ROOT / ".venv" / "bin" / "podium-server"
CHUNK = 1024 * 1024
PASSWORD = secrets.token_urlsafe(16)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_bytes(pid: int) -> int:
    """The resident size of the process and of its descendants, together."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1]) * 1024
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                total += rss_bytes(int(child))
            except FileNotFoundError:
                continue  # gone meanwhile
    return total


class Sampler(threading.Thread):
    """The peak resident size of a process, sampled until stopped."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, rss_bytes(pid), threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.02):
            self.peak = max(self.peak, rss_bytes(self.pid))


def make_file(path: Path, size_mib: int) -> None:
    block = os.urandom(CHUNK)  # incompressible; repeated, since content does not matter here
    with path.open("wb") as out:
        for _ in range(size_mib):
            out.write(block)


def chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as source:
        while block := source.read(CHUNK):
            yield block


def wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("the server did not start within a minute")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=2048, help="file size in MiB (2048)")
    parser.add_argument(
        "--production", action="store_true", help="debug mode off: gunicorn, as deployed"
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="podium-bench-upload-") as folder:
        home = Path(folder)
        env = {**os.environ, "PODIUM_HOME": str(home), "DJANGO_SUPERUSER_PASSWORD": PASSWORD}
        env.pop("PODIUM_DATABASE_URL", None)
        env.pop("PODIUM_STORAGE_URL", None)
        if args.production:
            env |= {"PODIUM_DEBUG": "false", "PODIUM_SECRET_KEY": secrets.token_urlsafe(50),
                    "PODIUM_ALLOWED_HOSTS": "127.0.0.1"}  # fmt: skip
        quiet = {"env": env, "check": True, "stdout": subprocess.DEVNULL}
        subprocess.run([str(SERVER), "migrate", "--no-input"], **quiet)  # noqa: S603
        subprocess.run(  # noqa: S603
            [
                str(SERVER),
                "createsuperuser",
                "--no-input",
                "--username",
                "bench",
                "--email",
                "bench@example.org",
            ],
            **quiet,
        )
        source = home / "submission.bin"
        make_file(source, args.size_mib)
        size = source.stat().st_size

        os.sync()  # the copy inherits no dirty pages of the file just written
        started = time.perf_counter()
        shutil.copyfile(source, home / "copy.bin")
        cached_seconds = time.perf_counter() - started
        with (home / "copy.bin").open("rb+") as copied:
            os.fsync(copied.fileno())
        copy_seconds = time.perf_counter() - started
        (home / "copy.bin").unlink()
        os.sync()  # nor does the upload inherit the copy's

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(  # noqa: S603
            [str(SERVER), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            wait_until_up(base + "/api/", server)
            client = httpx.Client(base_url=base, timeout=600)
            signed = client.post(
                "/api/auth/token/",
                json={"username": "bench", "password": PASSWORD, "name": "bench"},
            )
            signed.raise_for_status()
            client.headers["Authorization"] = f"Token {signed.json()['token']}"
            before = rss_bytes(server.pid)
            sampler = Sampler(server.pid)
            sampler.start()

            started = time.perf_counter()
            declared = client.post("/api/uploads/", json={"name": "big.zip", "size": size})
            declared.raise_for_status()
            upload = declared.json()
            sent = client.put(
                upload["url"],
                content=chunks(source),
                headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)},
            )
            sent.raise_for_status()
            done = client.post(f"/api/uploads/{upload['id']}/complete/", json={})
            done.raise_for_status()
            upload_seconds = time.perf_counter() - started
            sampler.stopped.set()
            sampler.join()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)

    growth_mb = (sampler.peak - before) / 1e6
    mib = size / CHUNK
    served = "gunicorn, debug mode off" if args.production else "development server"
    print(f"file: {mib:.0f} MiB; server: {served}")
    print(
        f"local copy, on disk: {copy_seconds:.2f} s ({mib / copy_seconds:.0f} MiB/s); "
        f"in the page cache, before its fsync: {cached_seconds:.2f} s "
        f"({mib / cached_seconds:.0f} MiB/s)"
    )
    print(
        f"upload (declare, PUT, complete): {upload_seconds:.2f} s "
        f"({mib / upload_seconds:.0f} MiB/s)"
    )
    print(
        f"rate relative to the local copy: {copy_seconds / upload_seconds:.2f} "
        f"(target: at least 0.5); to the copy left in the page cache: "
        f"{cached_seconds / upload_seconds:.2f}"
    )
    print(
        f"server memory (all its processes): {before / 1e6:.0f} MB before, "
        f"peak {sampler.peak / 1e6:.0f} MB, "
        f"growth {growth_mb:.1f} MB (target: below 100 MB)"
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
