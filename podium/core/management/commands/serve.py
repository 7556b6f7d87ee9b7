"""podium-server serve [--port N]"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Serves the platform on 127.0.0.1 (the embedded default's web server)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("runserver", f"{options['host']}:{options['port']}", use_reloader=False)
