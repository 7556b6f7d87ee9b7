"""The API's shared pieces: one error shape for every failure, the caller, conflicts."""

from __future__ import annotations

from typing import Any

from django.db import DataError
from django.db.models import ProtectedError
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from podium.accounts.models import User
from podium.core.drf import MAX_ID, Metadata, Pagination

__all__ = ["MAX_ID", "Metadata", "Pagination"]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler: errors keep DRF's shape ({"detail": ...} or field errors), and
    anything unhandled stays a 500 that the tests treat as a bug.

    One exception: a number in the request beyond what a database column holds (an id of
    2**70 given to a field that looks it up). Fields and filters check the ids they take;
    this catches the rest, SQLite's OverflowError and PostgreSQL's "out of range", as the
    client's mistake it is."""
    if isinstance(exc, OverflowError) or (
        isinstance(exc, DataError) and "out of range" in str(exc)
    ):
        set_rollback()
        return Response(
            {"detail": "a number in the request is too large for this platform's database"},
            status=status.HTTP_400_BAD_REQUEST,
        )
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


def query_id(request: Request, name: str) -> int | None:
    """The id a query parameter names, or None when absent; 400 naming it when it is not an
    id (not a number, below 1, or beyond what a database column holds)."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value: int = serializers.IntegerField(min_value=1, max_value=MAX_ID).run_validation(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None
    return value
