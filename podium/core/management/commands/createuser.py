"""podium-server createuser NAME --email E [--password P] [--superuser]"""

from __future__ import annotations

import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from podium.accounts.models import Profile, User


class Command(BaseCommand):
    help = (
        "Creates a user. Without --password a random one is generated and printed once. "
        "--superuser makes a platform admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", help="the new user's login name")
        parser.add_argument("--email", required=True, help="the user's email address")
        parser.add_argument("--password", help="the password (default: a random one, printed)")
        parser.add_argument("--superuser", action="store_true", help="make a platform admin")

    def handle(self, *args: Any, **options: Any) -> None:
        password = options["password"] or secrets.token_urlsafe(12)
        try:
            user = User.objects.create_user(
                username=options["username"],
                email=options["email"],
                password=password,
                is_staff=options["superuser"],
                is_superuser=options["superuser"],
            )
        except IntegrityError:
            raise CommandError(f"a user named {options['username']!r} already exists") from None
        Profile.objects.create(user=user)
        shown = password if not options["password"] else "(as given)"
        self.stdout.write(f"Created user {user.username} with password {shown}")
