"""The client installs alone (clients/python/pyproject.toml): it ships what it imports, needs
what it names, and runs with nothing of the server installed."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.bundles.builders import write_bundle
from tests.client.conftest import contest_document

ROOT = Path(__file__).resolve().parents[2]
CLIENT = tomllib.loads((ROOT / "clients" / "python" / "pyproject.toml").read_text())
SERVER = tomllib.loads((ROOT / "pyproject.toml").read_text())


def imported(package: str) -> set[str]:
    """Every name the package's files import (modules, and names taken from modules)."""
    names: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_it_ships_exactly_the_worker_modules_the_client_and_the_parser_import():
    used = {
        name
        for name in imported("podium_client") | imported("podium_bundle")
        if name.startswith("podium_worker.")
        and ROOT.joinpath(*name.split(".")).with_suffix(".py").is_file()
    }

    assert set(CLIENT["tool"]["setuptools"]["py-modules"]) == {"podium_worker.__init__", *used}
    assert used == {"podium_worker.archive", "podium_worker.protocol"}
    assert CLIENT["tool"]["setuptools"]["packages"] == ["podium_client", "podium_bundle"]


def test_it_names_the_servers_own_versions_of_what_it_needs():
    server = {line.split(">")[0].split("[")[0]: line for line in SERVER["project"]["dependencies"]}
    for needed in CLIENT["project"]["dependencies"]:
        name = needed.split(">")[0]
        assert server[name].split()[0] == needed.split()[0], name
    assert CLIENT["project"]["scripts"] == {"podium": SERVER["project"]["scripts"]["podium"]}


BLOCKER = """
import importlib.abc, sys
SERVER_SIDE = ("django", "rest_framework", "celery", "kombu", "psycopg", "podium")
WORKER_ALLOWED = {"podium_worker", "podium_worker.archive", "podium_worker.protocol"}

class NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.split(".")[0]
        if top in SERVER_SIDE or (top == "podium_worker" and name not in WORKER_ALLOWED):
            raise ModuleNotFoundError(f"{name} is not installed with the client")
        return None

sys.meta_path.insert(0, NotInstalled())
import pkgutil, importlib, podium_client
for module in pkgutil.iter_modules(podium_client.__path__):
    importlib.import_module(f"podium_client.{module.name}")
from podium_client import cli
assert cli.run(["--help"]) == 0
sys.exit(cli.run(["bundle", "check", sys.argv[1]]))
"""


def test_it_runs_with_nothing_of_the_server_installed(tmp_path):
    folder = write_bundle(tmp_path / "cup", contest_document())

    ran = subprocess.run(
        [sys.executable, "-c", BLOCKER, str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines()[-1] == (
        f"{folder}: a valid bundle (version 2): 'Client Cup', 1 task(s), 1 phase(s), "
        "1 leaderboard(s)."
    )
