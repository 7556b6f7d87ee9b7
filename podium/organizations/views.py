"""The link of an invitation email: a page that shows the invitation, then a POST (signed
in, with the form's CSRF token) that accepts or declines it.

The GET only shows; mail scanners that follow links must not answer anyone's invitation.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.views.decorators.http import require_http_methods

from podium.organizations import services
from podium.organizations.models import Invite

STATUSES: dict[type[services.OrganizationError], int] = {
    services.NotAllowed: 403,
    services.NotFound: 404,
    services.Conflict: 409,
    services.InviteExpired: 410,
}


@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, token: str) -> HttpResponse:
    found = Invite.objects.select_related("organization", "invited_by").filter(token=token)
    invitation = found.first()
    if invitation is None:
        return render(request, "organizations/invite.html", {"invalid": True}, status=404)
    login = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.path})}"
    context: dict[str, object] = {
        "invite": invitation,
        "error": "",
        "answered": "",
        "login": login,
    }
    code = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        answer = request.POST.get("answer", "")
        if answer not in ("accept", "decline"):
            context["error"], code = "Choose to accept or to decline the invitation.", 400
        else:
            try:
                services.answer_invite(token=token, user=request.user, accept=answer == "accept")
            except services.OrganizationError as exc:
                context["error"], code = str(exc), STATUSES.get(type(exc), 400)
            else:
                context["answered"] = "accepted" if answer == "accept" else "declined"
                context["invite"] = found.get()
    return render(request, "organizations/invite.html", context, status=code)
