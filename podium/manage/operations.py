"""The organizers' pages for what happens in a running competition: its participants
(`operations_participants`), submissions and phases (`operations_submissions`), emails
(`operations_emails`) and queues (`operations_queues`), under /manage/<competition>/.

Every page and action finds the competition among those the signed-in user organizes
(`Competition.objects.organized_by`, as the API does): anyone else reads a 404, and
anonymous visitors are sent to log in. GETs only read; each POST (with its CSRF token)
calls the one service the API calls for the same action, then redirects back with a
message saying what was done, or why it was refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme

from podium.competitions.models import Competition
from podium.manage.operations_forms import Form

PAGE_SIZE = 25


def organized(request: HttpRequest, pk: int, *related: str) -> Competition:
    """The competition, if the signed-in user organizes it (404 otherwise), with the
    `related` rows it points to."""
    found = Competition.objects.organized_by(request.user)
    if related:
        found = found.select_related(*related)
    return get_object_or_404(found, pk=pk)


def optional_url(name: str, competition: Competition) -> str:
    """The address of another part's page of the competition, or '' while it has none."""
    try:
        return reverse(name, args=[competition.pk])
    except NoReverseMatch:
        return ""


def page(
    request: HttpRequest,
    competition: Competition,
    template: str,
    *,
    http_status: int = 200,
    **context: Any,
) -> HttpResponse:
    """Renders one of the operations pages with what their frame shows."""
    return render(
        request,
        template,
        {
            "competition": competition,
            # Forum moderation happens on the forum's own pages.
            "forum_url": optional_url("forums:index", competition) or f"/forums/{competition.pk}/",
            "forum_settings_url": optional_url("forums:settings", competition),
            **context,
        },
        status=http_status,
    )


def return_path(target: str, default: str) -> str:
    """`target` when it is a path of the same competition's management pages as `default`
    (the page a form was on, its filters kept), else `default`."""
    allowed = "/".join(default.split("/", 3)[:3]) + "/"  # /manage/<pk>/
    if (
        target.startswith(allowed)
        and url_has_allowed_host_and_scheme(target, allowed_hosts=None)
        and "\\" not in target
        and target.isprintable()
    ):
        return target
    return default


def back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the form was on (its `next` field), else to `default`."""
    return HttpResponseRedirect(return_path(request.POST.get("next", ""), default))


def refused(request: HttpRequest, why: object) -> None:
    text = str(why).strip()
    messages.error(request, (text[:1].upper() + text[1:]) if text else "Refused.")


def done(request: HttpRequest, what: str) -> None:
    messages.success(request, what)


def selected[Row: Model](
    request: HttpRequest, form: Form, rows: QuerySet[Row], *, field: str, noun: str
) -> list[Row] | None:
    """The rows a bulk form selects (their ids in its `field`), in order, when every one of
    them is among `rows`; else None, with why said (so that a bulk action changes none)."""
    if not form.is_valid():
        refused(request, form.first_error())
        return None
    ids = form.cleaned_data[field]
    chosen = list(rows.filter(pk__in=ids).order_by("pk"))
    if len(chosen) != len(ids):
        refused(request, f"a selected {noun} is not one of this competition's; none changed")
        return None
    return chosen
