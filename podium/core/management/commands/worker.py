"""podium-server worker [-- PODIUM-WORKER OPTIONS]"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from podium_worker import app

# Where `make install` builds the sandbox's default runtime (numpy, scipy, scikit-learn, ...).
DEFAULT_RUNTIME = settings.BASE_DIR.parent / "runtimes" / "default"


def worker_arguments(extra: list[str]) -> list[str]:
    """podium-worker's arguments for this instance's broker and default queue."""
    arguments = [
        "--broker",
        settings.BROKER_URL,
        "--broker-folder",
        str(settings.BROKER_FOLDER),
        "--queue",
        settings.DEFAULT_QUEUE,
    ]
    if (DEFAULT_RUNTIME / "bin" / "python3").exists() and "--default-runtime" not in extra:
        arguments += ["--default-runtime", str(DEFAULT_RUNTIME)]
    return arguments + extra


class Command(BaseCommand):
    help = (
        "Runs a compute worker on this instance's broker and default queue (a shortcut for "
        "podium-worker; options after -- go to it, e.g. -- --memory-mib 2048)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("extra", nargs="*", help="podium-worker options, after --")

    def handle(self, *args: Any, **options: Any) -> None:
        app.main(worker_arguments(list(options["extra"])))
