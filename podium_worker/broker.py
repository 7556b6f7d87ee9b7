"""Broker settings shared by the server (which publishes) and the worker (which consumes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# How often a worker looks for a new job in the embedded broker's folder: a job waits at most
# this long for an idle worker, and a listing of a small folder ten times a second costs
# nothing worth measuring.
POLLING_SECONDS = 0.1


def transport_options(broker_url: str, folder: Path) -> dict[str, Any]:
    """Options for kombu's filesystem transport, with every folder under `folder` (created);
    none for a networked broker."""
    if not broker_url.startswith("filesystem://"):
        return {}
    for part in ("queue", "processed", "control"):
        (folder / part).mkdir(parents=True, exist_ok=True)
    return {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "polling_interval": POLLING_SECONDS,
    }


def connection_url(broker_url: str) -> str:
    """The URL to connect with: kombu's filesystem transport ignores the host but warns on
    every connection when none is given, so the embedded broker's bare URL gets one."""
    if broker_url.rstrip("/") == "filesystem:":
        return "filesystem://localhost/"
    return broker_url
