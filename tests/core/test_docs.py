import re
from pathlib import Path

from podium import env
from podium.core.management.commands.settings_docs import render

ROOT = Path(__file__).resolve().parents[2]


def test_the_settings_reference_is_generated_from_the_code_and_up_to_date():
    committed = (ROOT / "docs" / "reference" / "settings.md").read_text()
    assert committed == render(), "run: podium-server settings-docs > docs/reference/settings.md"


def test_every_variable_the_settings_read_is_documented():
    source = (ROOT / "podium" / "settings.py").read_text()
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z0-9_]+)"', source))
    assert len(read) == 34  # guards the pattern itself; update when adding a variable
    assert {f"PODIUM_{name}" for name in read} <= set(env.DOCUMENTED)
    assert all(doc for doc, _ in env.DOCUMENTED.values())


def test_the_server_command_reference_is_generated_and_up_to_date():
    from podium.core.management.commands import cli_docs

    committed = (ROOT / "docs" / "reference" / "server-cli.md").read_text()
    assert committed == cli_docs.render(), (
        "run: podium-server cli-docs > docs/reference/server-cli.md"
    )


def test_every_server_command_argument_is_documented():
    from podium.core.management.commands import cli_docs

    page = cli_docs.render()
    assert " |  |" not in page
    assert page.count("\n## `podium-server ") == len(cli_docs.COMMANDS)
