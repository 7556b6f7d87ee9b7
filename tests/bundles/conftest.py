"""Fixtures of the bundle tests: users, a storage of their own, a temporary folder to watch."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from podium.accounts.models import User


@pytest.fixture
def storage(settings, tmp_path: Path) -> Path:
    """Default storage in the test's folder, so that leftover files can be listed."""
    root = tmp_path / "storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(root)},
        },
    }
    return root


@pytest.fixture
def scratch(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The folder `tempfile` creates its temporary folders in, for this test only."""
    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root


@pytest.fixture
def organizer(db) -> User:
    return User.objects.create_user("alice", "alice@example.org", "pw")


@pytest.fixture
def stranger(db) -> User:
    """Another organizer, whose private tasks and files the first must not reach."""
    return User.objects.create_user("charlie", "charlie@example.org", "pw")
