"""podium-server create-token USERNAME [--name NAME] [--expires-in-days DAYS]"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from podium.accounts import services
from podium.accounts.models import User


class Command(BaseCommand):
    help = (
        "Creates an API token for a user and prints its key, once (for scripts and CI; "
        "people use `podium login` or POST /api/users/me/tokens/)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the user the token signs in as")
        parser.add_argument("--name", default="created by podium-server", help="the token's name")
        parser.add_argument(
            "--expires-in-days",
            type=int,
            metavar="DAYS",
            help=f"the token stops working after DAYS days, 1 to {services.MAX_TOKEN_DAYS} "
            "(default: never)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {options['username']!r}")
        try:
            token, key = services.create_token(
                user=user, name=options["name"], expires_in_days=options["expires_in_days"]
            )
        except (services.TooManyTokens, ValueError) as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(f"Generated token {key} for user {user.username} ({token.name})")
