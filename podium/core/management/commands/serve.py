"""podium-server serve [--host H] [--port N] [--processes N] [--threads N]"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Serves the platform. In debug mode (the embedded default) with Django's development "
        "server; with debug mode off, collects the static files and runs gunicorn, which "
        "serves pages, API and static files alike (put a TLS proxy in front of it)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
        parser.add_argument(
            "--processes",
            type=int,
            default=min(4, 2 * (os.cpu_count() or 1) + 1),
            help="gunicorn's worker processes, debug mode off (2 per CPU + 1, at most 4)",
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=8,
            help="threads per process, debug mode off (8): a long upload holds one",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        address = f"{options['host']}:{options['port']}"
        if settings.DEBUG:
            call_command("runserver", address, use_reloader=False)
            return
        if options["processes"] < 1 or options["threads"] < 1:
            raise CommandError("--processes and --threads must be 1 or more")
        call_command("collectstatic", interactive=False, verbosity=0)
        argv = [
            sys.executable, "-m", "gunicorn", "podium.wsgi:application",
            "--bind", address,
            "--workers", str(options["processes"]),
            # Threads, not sync workers: a request that takes long (a 2 GB upload streamed
            # to storage) holds a thread, and the process keeps telling the master it lives.
            "--worker-class", "gthread",
            "--threads", str(options["threads"]),
            "--access-logfile", "-",
            "--no-control-socket",
        ]  # fmt: skip
        sys.stdout.flush()
        # gunicorn takes this process's place: `up`'s SIGTERM stops it gracefully.
        os.execv(sys.executable, argv)  # noqa: S606 (our own server, no shell)
