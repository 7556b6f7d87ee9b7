"""podium-server export-bundle COMPETITION_ID OUT.zip"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from podium.bundles.export import export_bundle
from podium.competitions.models import Competition


class Command(BaseCommand):
    help = "Writes a competition as a bundle zip that imports back into an equal competition."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("competition", type=int, help="the competition's id")
        parser.add_argument("out", type=Path, help="the zip file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            competition = Competition.objects.get(pk=options["competition"])
        except Competition.DoesNotExist:
            raise CommandError(f"no competition with id {options['competition']}") from None
        out: Path = options["out"]
        partial = out.with_name(out.name + ".partial")
        try:
            export_bundle(competition, partial)
            partial.replace(out)
        finally:
            partial.unlink(missing_ok=True)
        self.stdout.write(f"Wrote {out}")
