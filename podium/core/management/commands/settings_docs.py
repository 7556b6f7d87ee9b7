"""podium-server settings-docs: prints the settings reference page, generated from the code."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from podium import env

HEADER = """# Settings reference

Podium reads its settings from environment variables, each with a default that runs on one
machine (SQLite, a local storage folder). This page is generated from `podium/settings.py`
by `podium-server settings-docs > docs/reference/settings.md`; a test fails when it is out
of date.

A boolean is `true` or `false`, nothing else. A secret can also be read from a file named
by the same variable with `_FILE` appended.

| variable | default | meaning |
|---|---|---|
"""


def render() -> str:
    rows = [
        f"| `{name}` | {f'`{default}`' if default else ''} | {doc} |"
        for name, (doc, default) in sorted(env.DOCUMENTED.items())
    ]
    return HEADER + "\n".join(rows) + "\n"


class Command(BaseCommand):
    help = "Prints the settings reference (Markdown) generated from the settings module."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(render(), ending="")
