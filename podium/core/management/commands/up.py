"""podium-server up [--port N] [--workers N]"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

STOP_GRACE = 10.0  # seconds each process has to stop before it is killed


class Command(BaseCommand):
    help = (
        "Runs a whole instance in one terminal: the web server, compute workers on the "
        "default queue and the scheduler of periodic jobs. Stops them all on Ctrl-C, and "
        "stops the rest when one of them ends."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument("--workers", type=int, default=1, help="local workers (1)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["workers"] < 0:
            raise CommandError("--workers must be 0 or more")
        command = [sys.executable, "-m", "podium.cli"]
        env = dict(os.environ)
        # Workers reach the server, and its signed files, at the address it listens on.
        if "PODIUM_SITE_URL" not in env:
            env["PODIUM_SITE_URL"] = f"http://{options['host']}:{options['port']}"
        parts = {
            "server": [
                *command,
                "serve",
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
            ],
            "scheduler": [*command, "scheduler"],
        }
        for number in range(options["workers"]):
            parts[f"worker {number + 1}"] = [*command, "worker"]
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        processes: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name, argv in parts.items():
                processes[name] = subprocess.Popen(argv, env=env)  # noqa: S603 (our own command)
            self.stdout.write(
                f"Podium is up at {env['PODIUM_SITE_URL']}/ with {options['workers']} "
                "worker(s) and the scheduler (Ctrl-C stops everything)."
            )
            ended = None
            while not stopping and ended is None:
                time.sleep(0.2)
                ended = next((n for n, p in processes.items() if p.poll() is not None), None)
        finally:
            self._stop_all(processes)
        if ended is not None and not stopping:
            code = processes[ended].returncode
            raise CommandError(f"the {ended} stopped (exit code {code}); everything was stopped")

    def _stop_all(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for process in processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
