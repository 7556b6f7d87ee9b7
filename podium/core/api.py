"""The API's shared pieces: one error shape for every failure, the services' refusals as
API errors, the caller, query filters, pages and fresh reads."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from django.db import DataError
from django.db.models import Model, ProtectedError, QuerySet
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, NotAuthenticated
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView, set_rollback
from rest_framework.views import exception_handler as drf_exception_handler

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


class Refused(APIException):
    """400 with the service's reason as `detail`, for a refusal that names no field."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "this request is refused"
    default_code = "refused"


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "the object's state does not allow this now"
    default_code = "conflict"


class Gone(APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "this is no longer available"
    default_code = "gone"


class TooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "this is too large"
    default_code = "too_large"


# What a service's refusal becomes: an API exception class, given the refusal's message, or
# a function of the refusal itself (for those that carry more: fields, a wait).
Answer = type[APIException] | Callable[[Any], APIException]


def refusals(
    answers: Mapping[type[Exception], Answer],
) -> Callable[[], AbstractContextManager[None]]:
    """A module's `refusals()`: within `with refusals():`, a service's refusal of a kind in
    `answers` is raised again as its API error, without the service's traceback chained to
    it. The first kind that matches answers, in the mapping's order: list a subclass before
    its base. Other exceptions go through unchanged."""
    table = tuple(answers.items())
    kinds = tuple(kind for kind, _ in table)

    @contextmanager
    def refusing() -> Iterator[None]:
        try:
            yield
        except kinds as refused:
            answer = next(answer for kind, answer in table if isinstance(refused, kind))
            if isinstance(answer, type):
                raise answer(str(refused)) from None
            raise answer(refused) from None

    return refusing


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


def query_filters(request: Request, filters: type[serializers.Serializer[Any]]) -> dict[str, Any]:
    """The query string as a filter serializer reads it; 400 naming each bad parameter."""
    given = filters(data=request.query_params)
    given.is_valid(raise_exception=True)
    chosen: dict[str, Any] = given.validated_data
    return chosen


def filter_by[Rows: QuerySet[Any, Any]](
    queryset: Rows, chosen: Mapping[str, Any], lookups: Mapping[str, str]
) -> Rows:
    """The rows matching each filter chosen, by the lookup `lookups` names for it
    (`{"phase": "phase_id"}`); filters not chosen change nothing."""
    return queryset.filter(
        **{lookup: chosen[name] for name, lookup in lookups.items() if name in chosen}
    )


def paginated(
    view: APIView,
    rows: Any,
    render: Callable[[list[Any]], Any],
    pagination: type[Pagination] = Pagination,
) -> Response:
    """One page of `rows` in the paginator's envelope, its rows rendered by `render`: for
    actions whose rows are not the view's queryset."""
    paginator = pagination()
    page: list[Any] = paginator.paginate_queryset(rows, view.request, view=view) or []
    return paginator.get_paginated_response(render(page))


def rendered(
    view: GenericAPIView[Any], instance: Model, code: int = status.HTTP_200_OK
) -> Response:
    """`instance` as the view shows it, read again through the view's queryset, whose
    annotations (what the caller may do, counts) a saved object lacks."""
    fresh = view.get_queryset().get(pk=instance.pk)
    return Response(view.get_serializer(fresh).data, status=code)


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
