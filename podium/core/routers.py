"""The one API router; each app registers its own viewsets in its `api.py`."""

from __future__ import annotations

from importlib import import_module

from rest_framework.routers import DefaultRouter

API_MODULES: tuple[str, ...] = (
    "podium.competitions.api",
    "podium.datasets.api",
    "podium.participation.api",
    "podium.submissions.api",
)

router = DefaultRouter()
for module in API_MODULES:
    import_module(module).register(router)
