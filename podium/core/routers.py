"""The one API router; each app registers its own viewsets in its `api.py`."""

from __future__ import annotations

from importlib import import_module

from rest_framework.routers import DefaultRouter

API_MODULES: tuple[str, ...] = (
    "podium.accounts.api",
    "podium.audit.api",
    # Before competitions and submissions, so that the API root links each prefix to its
    # owner's list: the leaderboards and participation add routes under phases/,
    # submissions/ and competitions/ with viewsets of their own, and the later registration
    # of a prefix wins.
    "podium.leaderboards.api",
    "podium.participation.api",
    "podium.forums.api",
    "podium.competitions.api",
    "podium.datasets.api",
    "podium.organizations.api",
    "podium.queues.api",
    "podium.submissions.api",
    "podium.uploads.api",
)

router = DefaultRouter()
for module in API_MODULES:
    import_module(module).register(router)
