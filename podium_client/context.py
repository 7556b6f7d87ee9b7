"""What every `podium` command shares: its exit codes, its context (arguments, output, where
the server and token come from), and small helpers for its arguments."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import IO, Any

from podium_client import config
from podium_client.client import Client
from podium_client.errors import NotConfigured, NotSignedIn, PodiumError
from podium_client.output import Output


class Code(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    AUTH = 3
    REFUSED = 4
    UNAVAILABLE = 5


EXIT_CODES = {
    Code.OK: "done",
    Code.FAILED: "not done, or not good: the bundle has problems, the submission failed, was "
    "cancelled or did not end in time, a file is missing",
    Code.USAGE: "wrong usage: an unknown option, a missing argument, no server configured",
    Code.AUTH: "not signed in, or the token was refused (sign in again with `podium login`)",
    Code.REFUSED: "the server refused: not allowed, not found, invalid, in conflict, too "
    "large, too many requests; its message says why",
    Code.UNAVAILABLE: "the server could not be reached, failed, or has no such endpoint",
}
# The embedded defaults of PODIUM_BUNDLE_MAX_BYTES and PODIUM_BUNDLE_MAX_ENTRIES; a server may
# set its own, which `podium bundle check --max-bytes/--max-entries` can follow.
BUNDLE_MAX_BYTES = 2 * 1024**3
BUNDLE_MAX_ENTRIES = 20_000


class UsageError(PodiumError):
    pass


@dataclass
class Context:
    args: argparse.Namespace
    out: Output
    environ: Mapping[str, str]
    stdin: IO[str]
    opened: list[Client] = field(default_factory=list)

    def settings(self) -> config.Settings:
        return config.resolve(
            url=getattr(self.args, "url", None),
            token=getattr(self.args, "token", None),
            environ=self.environ,
            path=self.config_path(),
        )

    def config_path(self) -> Path:
        return config.config_path(self.environ)

    def client(self, *, signed_in: bool = True) -> Client:
        settings = self.settings()
        if not settings.url:
            raise NotConfigured(
                "no server given: run `podium login`, or pass --url or set PODIUM_URL"
            )
        if signed_in and not settings.token:
            raise NotSignedIn(
                f"not signed in to {settings.url}: run `podium login`, or pass --token or set "
                "PODIUM_TOKEN"
            )
        client = Client(settings.url, settings.token)
        self.opened.append(client)
        return client

    def close(self) -> None:
        for client in self.opened:
            client.close()


Handler = Callable[[Context], Code]


def existing(written: str) -> Path:
    path = Path(written).expanduser()
    if not path.exists():
        raise UsageError(f"{written}: no such file or folder")
    return path


def target(given: str | None, default_name: str) -> Path:
    if given is None:
        return Path(default_name)
    path = Path(given).expanduser()
    return path / default_name if path.is_dir() else path


def json_option(text: str | None, option: str) -> Any:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{option} takes a JSON object: {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f'{option} takes a JSON object, like \'{{"key": "value"}}\'')
    return value


def ask(ctx: Context, prompt: str) -> str:
    if not ctx.stdin.isatty():
        raise UsageError(f"{prompt.strip().rstrip(':?')} needed: give it as an option")
    ctx.out.err.print(prompt, end="", markup=False)
    return ctx.stdin.readline().strip()
