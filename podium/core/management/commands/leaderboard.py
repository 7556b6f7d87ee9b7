"""podium-server leaderboard PHASE_ID [--json] [--as NAME]"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from podium.accounts.models import User
from podium.competitions.models import Phase
from podium.leaderboards import services
from podium.leaderboards.visibility import policy, score_view


def as_json(shown: services.Shown) -> list[dict[str, Any]]:
    """The documented shape: rank, participant, submission and scores, then the rest."""
    return [
        {
            "rank": row["rank"],
            "participant": row["participant"],
            "submission": row["submission"],
            "scores": row["scores"],
            "rank_label": row["rank_label"],
            "organization": row["organization"],
            "is_baseline": row["is_baseline"],
            "tasks": row["tasks"],
            "fact_sheet": row["fact_sheet"],
            "on_frontier": row["on_frontier"],
            "hardware_note": row["hardware_note"],
        }
        for row in shown.rows
    ]


def as_table(shown: services.Shown) -> str:
    headers = ["#", "participant", "submission", *(column.title for column in shown.columns)]
    lines = []
    for row in shown.rows:
        name = row["participant"]
        if row["organization"]:
            name += f" ({row['organization']})"
        marks = "".join(
            mark
            for mark, on in (
                (" [baseline]", row["is_baseline"]),
                (" [frontier]", row["on_frontier"]),
                (" [other hardware]", row["hardware_note"]),
            )
            if on
        )
        lines.append(
            [
                row["rank_label"] or "-",
                name + marks,
                "" if row["submission"] is None else str(row["submission"]),
                *(row["display"][column.key] for column in shown.columns),
            ]
        )
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *lines, strict=True)
    ]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *lines]
    )


class Command(BaseCommand):
    help = (
        "Prints a phase's leaderboard, ranked, as the organizers see it (hidden columns, "
        "names on anonymous leaderboards, before the release date), or as a given user sees "
        "it with --as. With --json: a list of "
        '{"rank", "participant", "submission", "scores": {column key: number}, ...}, '
        "rank null for baselines."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("phase", type=int, help="the phase's id")
        parser.add_argument("--json", action="store_true", help="print the rows as JSON")
        parser.add_argument(
            "--as",
            dest="viewer",
            metavar="NAME",
            help="show what this user may see (the visibility of the web and the API)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        phase = Phase.objects.select_related("competition").filter(pk=options["phase"]).first()
        if phase is None:
            raise CommandError(f"no phase with id {options['phase']}")
        found = services.phase_board(phase)
        if found is None:
            raise CommandError(f"phase {phase.pk} has no leaderboard")
        viewer: Any = None
        if options["viewer"]:
            viewer = User.objects.filter(username=options["viewer"]).first()
            if viewer is None:
                raise CommandError(f"no user named {options['viewer']!r}")
            view = score_view(viewer, found.leaderboard)
            if not view.shown:
                raise CommandError(f"{viewer.username} may not see it: {view.reason}")
        else:
            view = policy(
                organizer=True, hidden=False, release_date=None, anonymous=False, now=timezone.now()
            )
        shown = services.present(found, view, viewer)
        if options["json"]:
            self.stdout.write(json.dumps(as_json(shown), indent=2))
            return
        title = f"{found.leaderboard.title}: phase {phase.name!r} of {phase.competition.title!r}"
        self.stdout.write(title)
        if found.ranking.hardware:
            self.stdout.write(f"measured on: {found.ranking.hardware}")
        self.stdout.write(as_table(shown) if shown.rows else "No results yet.")
