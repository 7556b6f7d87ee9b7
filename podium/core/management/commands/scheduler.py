"""podium-server scheduler [--once]"""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from podium.core import scheduler


class Command(BaseCommand):
    help = (
        "Runs the periodic jobs (lost jobs queued again or failed, ...) until stopped. "
        "Safe to run on several machines at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run every job once and exit")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            ran = scheduler.run_due(scheduler.periodic_jobs(), {}, time.monotonic())
            self.stdout.write(f"Ran: {', '.join(ran)}")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        self.stdout.write("Scheduler running (Ctrl-C to stop).")
        scheduler.run_forever(stop)
