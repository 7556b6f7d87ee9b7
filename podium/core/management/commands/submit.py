"""podium-server submit PATH --phase PHASE_ID --user NAME [--fact-sheet JSON] [--wait]
[--timeout S] [--json]"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from podium.accounts.models import User
from podium.competitions.models import Phase
from podium.submissions.models import Submission
from podium.submissions.services import SubmissionRefused, create_submission
from podium_worker.protocol import TERMINAL


def describe(submission: Submission) -> dict[str, Any]:
    return {
        "submission": submission.pk,
        "status": submission.status,
        "status_detail": submission.status_detail,
        "scores": dict(submission.scores.values_list("column__key", "value")),
        "metrics": submission.metrics,
        "children": [describe(child) for child in submission.children.order_by("pk")],
    }


class Command(BaseCommand):
    help = (
        "Submits a zip to a phase as a user, with the same checks as the web and the API. "
        "With --wait it returns once the submission is finished, failed or cancelled."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the submission: a .zip file")
        parser.add_argument("--phase", type=int, required=True, help="the phase's id")
        parser.add_argument("--user", required=True, help="username of the submitter")
        parser.add_argument(
            "--fact-sheet",
            metavar="JSON",
            help='answers to the competition\'s fact sheet, e.g. \'{"method_name": "SVM"}\'',
        )
        parser.add_argument("--wait", action="store_true", help="wait for a final status")
        parser.add_argument("--timeout", type=float, default=3600, help="seconds to wait (3600)")
        parser.add_argument("--json", action="store_true", help="print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        user = User.objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"no user named {options['user']!r}")
        phase = Phase.objects.select_related("competition").filter(pk=options["phase"]).first()
        if phase is None:
            raise CommandError(f"no phase with id {options['phase']}")
        answers = None
        if options["fact_sheet"] is not None:
            try:
                answers = json.loads(options["fact_sheet"])
            except ValueError as exc:
                raise CommandError(f"--fact-sheet is not valid JSON ({exc})") from None
        try:
            with path.open("rb") as stream:
                submission = create_submission(
                    user=user,
                    phase=phase,
                    stream=stream,
                    name=path.name,
                    fact_sheet_answers=answers,
                )
        except SubmissionRefused as exc:
            raise CommandError(f"refused: {exc}") from None
        if options["wait"]:
            deadline = time.monotonic() + options["timeout"]
            while submission.status not in TERMINAL:
                if time.monotonic() > deadline:
                    raise CommandError(
                        f"submission {submission.pk} is still {submission.status} after "
                        f"{options['timeout']:g} s"
                    )
                time.sleep(0.5)
                submission.refresh_from_db()
        result = describe(submission)
        if options["json"]:
            self.stdout.write(json.dumps(result))
        else:
            self.stdout.write(f"Submission {submission.pk}: {submission.status}")
