"""podium-server demo: the demo users and competitions that `make run` starts with."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from podium.accounts.models import Profile, User
from podium.bundles import yamlsafe
from podium.bundles.problems import BundleInvalid
from podium.bundles.services import import_bundle
from podium.competitions.models import Competition
from podium.participation import services as participation

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


class Command(BaseCommand):
    help = (
        "Creates (or resets the passwords of) a demo organizer and a demo participant, prints "
        "their passwords, and imports and publishes each example bundle once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--examples", type=Path, default=EXAMPLES, help="folder of bundles")

    def handle(self, *args: Any, **options: Any) -> None:
        organizer = self._user("organizer", "organizer@example.org")
        participant = self._user("participant", "participant@example.org")
        folder: Path = options["examples"]
        if not folder.is_dir():
            raise CommandError(f"{folder}: no examples folder")
        for bundle in sorted(
            path for path in folder.iterdir() if (path / "competition.yaml").is_file()
        ):
            competition = self._competition(bundle, organizer)
            participation.register(user=participant, competition=competition)
        self.stdout.write(
            "Open http://127.0.0.1:8000/ (admin pages at /admin/, API at /api/docs/)."
        )

    def _user(self, username: str, email: str) -> User:
        password = secrets.token_urlsafe(9)
        user, _ = User.objects.get_or_create(username=username, defaults={"email": email})
        user.set_password(password)
        user.save()
        Profile.objects.get_or_create(user=user)
        self.stdout.write(f"Demo {username}: username '{username}', password '{password}'")
        return user

    def _competition(self, bundle: Path, organizer: User) -> Competition:
        document = yamlsafe.load((bundle / "competition.yaml").read_bytes())
        title = document.get("title") if isinstance(document, dict) else None
        existing = Competition.objects.filter(created_by=organizer, title=title).first()
        if existing is not None:
            return existing
        try:
            result = import_bundle(source=bundle, owner=organizer)
        except BundleInvalid as exc:
            raise CommandError(f"{bundle.name}: " + "; ".join(exc.errors)) from None
        competition = result.competition
        competition.published = True
        competition.save(update_fields=["published"])
        self.stdout.write(f"Imported demo competition {competition.pk}: {competition.title}")
        return competition
