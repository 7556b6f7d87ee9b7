"""The API's shared pieces: one error shape for every failure, the caller, conflicts."""

from __future__ import annotations

from typing import Any

from django.db.models import ProtectedError
from rest_framework import status
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from podium.accounts.models import User


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, then nothing else: errors keep DRF's shape ({"detail": ...} or
    field errors), and anything unhandled stays a 500 that the tests treat as a bug."""
    return drf_exception_handler(exc, context)


class InUse(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "this object is still in use"
    default_code = "in_use"


def in_use(noun: str, exc: ProtectedError) -> InUse:
    """A 409 naming what still points at the object a caller tried to delete."""
    users = sorted({str(row._meta.verbose_name) for row in exc.protected_objects})
    return InUse(f"this {noun} is still used by: {', '.join(users)}")


def caller(request: Request) -> User:
    """The signed-in user; the default permission already turned anonymous writes away."""
    if not isinstance(request.user, User):
        raise NotAuthenticated()
    return request.user
