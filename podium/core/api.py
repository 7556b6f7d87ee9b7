"""The API's shared pieces: one error shape for every failure."""

from __future__ import annotations

from typing import Any

from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, then nothing else: errors keep DRF's shape ({"detail": ...} or
    field errors), and anything unhandled stays a 500 that the tests treat as a bug."""
    return drf_exception_handler(exc, context)
