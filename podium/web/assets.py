"""The front-end packages the pages use, served from node_modules.

`package.json` pins them and `make install` runs `npm ci`; nothing of them is copied into
the repository. This finder hands Django's staticfiles (runserver, the test server,
collectstatic) the few files the pages load, under `vendor/` followed by their path in
node_modules, and nothing else of the folder.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core import checks
from django.core.files.storage import FileSystemStorage

PREFIX = "vendor"
FILES = (
    "htmx.org/dist/htmx.min.js",
    "chart.js/dist/chart.umd.min.js",
    "@picocss/pico/css/pico.min.css",
)


def node_modules() -> Path:
    return Path(settings.NODE_MODULES)


class NodeModulesFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[checks.CheckMessage]:
        missing = [name for name in FILES if not (node_modules() / name).is_file()]
        if not missing:
            return []
        return [
            checks.Warning(
                f"front-end files missing from {node_modules()}: {', '.join(missing)}",
                hint="run `make install` (npm ci) to install the packages of package.json",
                id="podium.W001",
            )
        ]

    def find(self, path: str, find_all: bool = False) -> Any:
        """The file in node_modules, or an empty list: what Django's own finders answer
        when they have nothing (staticfiles.finders.find would take None for a match)."""
        name = path.removeprefix(f"{PREFIX}/") if path.startswith(f"{PREFIX}/") else None
        found = node_modules() / name if name in FILES else None
        if found is None or not found.is_file():
            return []
        return [str(found)] if find_all else str(found)

    def list(self, ignore_patterns: Iterable[str] | None) -> Iterator[tuple[str, Any]]:
        storage = FileSystemStorage(location=node_modules())
        storage.prefix = PREFIX  # type: ignore[attr-defined]
        for name in FILES:
            if (node_modules() / name).is_file():
                yield name, storage
