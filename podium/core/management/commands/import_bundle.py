"""podium-server import-bundle PATH --owner NAME [--run-solutions] [--json]"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from podium.accounts.models import User
from podium.bundles.problems import BundleInvalid
from podium.bundles.services import import_bundle


class Command(BaseCommand):
    help = (
        "Imports a competition bundle (a zip, or a folder holding competition.yaml) as a new "
        "competition owned by --owner. On any problem nothing is saved, every problem is "
        "printed on its own line with its key path, and the command exits with status 1. "
        "With --run-solutions the bundle's solutions are submitted as the owner's baselines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the bundle: a .zip file or a folder")
        parser.add_argument("--owner", required=True, help="username of the organizer")
        parser.add_argument(
            "--run-solutions",
            action="store_true",
            help="submit each solution as a baseline on the phases whose tasks it covers",
        )
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.exists():
            raise CommandError(f"{path}: no such file or folder")
        try:
            owner = User.objects.get(username=options["owner"])
        except User.DoesNotExist:
            raise CommandError(f"no user named {options['owner']!r}") from None
        try:
            result = import_bundle(source=path, owner=owner, run_solutions=options["run_solutions"])
        except BundleInvalid as exc:
            for error in exc.errors:
                self.stderr.write(f"error: {error}")
            for warning in exc.warnings:
                self.stderr.write(f"warning: {warning}")
            raise CommandError(
                f"{path}: {len(exc.errors)} problem(s); nothing was imported"
            ) from None
        baselines = [submission.pk for submission in result.baselines]
        if options["json"]:
            payload = result.as_json()
            if options["run_solutions"]:
                payload["baselines"] = baselines
            self.stdout.write(json.dumps(payload))
            return
        competition = result.competition
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"Imported competition {competition.pk}: {competition.title}")
        if options["run_solutions"]:
            self.stdout.write(f"Baseline submissions: {', '.join(map(str, baselines)) or 'none'}")
