"""Where `podium` finds its server and token: options first, then the environment
(`PODIUM_URL`, `PODIUM_TOKEN`), then the file `podium login` writes.

The file is `~/.config/podium/config.json` (under `$XDG_CONFIG_HOME` when that is set),
readable by its owner only (mode 0600, in a folder of mode 0700). It holds the server's
address, the token, and the account and token id it belongs to. A stored token is sent only
to the server it was made for: another address given by option or environment gets none.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from podium_client.client import server_url
from podium_client.errors import PodiumError


@dataclass(frozen=True)
class Settings:
    url: str | None = None
    token: str | None = None
    username: str | None = None
    token_id: int | None = None


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    environ = os.environ if environ is None else environ
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "podium" / "config.json"


def stored(path: Path) -> Settings:
    """What `podium login` saved; empty settings when nothing was."""
    try:
        raw: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        raise PodiumError(f"cannot read {path} ({exc}); run `podium login` again") from None
    if not isinstance(raw, dict):
        raise PodiumError(f"{path} is not a podium configuration; run `podium login` again")
    token_id = raw.get("token_id")
    return Settings(
        url=_text(raw.get("url")),
        token=_text(raw.get("token")),
        username=_text(raw.get("username")),
        token_id=token_id if isinstance(token_id, int) else None,
    )


def resolve(
    *,
    url: str | None = None,
    token: str | None = None,
    environ: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> Settings:
    """The server and token to use: `url`/`token` (options), else the environment, else the
    stored configuration."""
    environ = os.environ if environ is None else environ
    saved = stored(path or config_path(environ))
    chosen_url = url or environ.get("PODIUM_URL") or saved.url
    chosen_token = token or environ.get("PODIUM_TOKEN") or None
    username = None
    same_server = bool(chosen_url and saved.url) and server_url(chosen_url or "") == server_url(
        saved.url or ""
    )
    if chosen_token is None and saved.token and same_server:
        chosen_token, username = saved.token, saved.username
    return Settings(url=chosen_url, token=chosen_token, username=username)


def save(settings: Settings, path: Path) -> None:
    """Writes the configuration readable by its owner only, replacing the old one whole (a
    crash halfway leaves the old file, never half a new one)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".config-", dir=path.parent)  # mode 0600
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(asdict(settings), out, indent=2)
            out.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    os.chmod(path, 0o600)


def forget(path: Path) -> bool:
    """Removes the stored configuration; whether there was one."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
