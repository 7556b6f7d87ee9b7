"""Fixtures the submission tests share."""

from __future__ import annotations

import pytest

from podium.submissions import dispatch


@pytest.fixture
def published(monkeypatch):
    """The jobs handed to the broker, as (submission, task) in order; the broker itself is
    tested in test_dispatch.py. Modules that need another record override it."""
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(
        dispatch, "publish", lambda submission, task: sent.append((submission.pk, task.pk))
    )
    return sent
