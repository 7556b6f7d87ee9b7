"""docs/reference/client-cli.md is generated from the command line's parser, and complete."""

from __future__ import annotations

import argparse
from pathlib import Path

from podium_client import reference
from podium_client.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def every_parser(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found.extend(every_parser(child))
    return found


def test_the_client_command_reference_is_generated_and_up_to_date():
    committed = (ROOT / "docs" / "reference" / "client-cli.md").read_text()
    assert committed == reference.render(), (
        "run: python -m podium_client.reference > docs/reference/client-cli.md"
    )


def test_every_command_and_argument_is_explained():
    parsers = every_parser(build_parser())
    page = reference.render()

    assert len(parsers) == 20  # podium, its 16 commands (bundle among them), bundle's 3
    for parser in parsers:
        assert parser.description, parser.prog
        for action in parser._actions:
            assert action.help, f"{parser.prog} {action.dest}"
    assert page.count("\n## `podium ") == 18  # 15 commands without actions, bundle's 3
    assert " |  |" not in page
