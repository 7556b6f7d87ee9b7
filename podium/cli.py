"""`podium-server`: the server's admin command, a thin front on Django's management commands.

Podium's own commands are spelled with hyphens (`import-bundle`); Django's own keep theirs
(`migrate`, `createsuperuser`, ...). `podium-server help` lists them all.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "podium.settings")
    if len(args) > 1 and "-" in args[1] and not args[1].startswith("-"):
        args[1] = args[1].replace("-", "_")
    args[0] = "podium-server"
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
