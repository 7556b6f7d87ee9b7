"""Who may open the host pages: platform admins (superusers), as for the audit log and the
analytics API (`podium.audit.api.IsPlatformAdmin`) and the datasets API's view of every
user's files. Anyone else signed in gets a 404, as for any address they have no business
with; a staff member who is not a platform admin is told why instead, since the site's
header shows staff members the link. Anonymous visitors are sent to log in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from podium.accounts.models import User

View = Callable[..., HttpResponse]

STAFF_REFUSAL = (
    "The host pages are for platform admins. Your account is staff but not a platform "
    "admin: ask one to make it a superuser, or use the Django admin for what your "
    "permissions allow."
)


def host_required(view: View) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not user.is_superuser:
            if user.is_staff:
                return render(
                    request, "hosting/refused.html", {"message": STAFF_REFUSAL}, status=403
                )
            raise Http404("page not found")
        return view(request, *args, **kwargs)

    return wrapped


def host(request: HttpRequest) -> User:
    """The signed-in platform admin of a view under `host_required`."""
    user = request.user
    assert isinstance(user, User)
    return user
