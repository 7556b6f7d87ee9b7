"""The unsubscribe link of an announcement: a page that asks, then a POST that does it.

The GET only shows what the link would do; mail scanners that follow links must not
unsubscribe anyone.
"""

from __future__ import annotations

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from podium.accounts.models import User
from podium.competitions.models import Competition
from podium.messaging import services


def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user_id, competition_id = services.read_unsubscribe_token(token)
    except signing.BadSignature:
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=404)
    user = User.objects.filter(pk=user_id).first()
    competition = Competition.objects.filter(pk=competition_id).first() if competition_id else None
    if user is None or (competition_id and competition is None):
        return render(request, "messaging/unsubscribe.html", {"invalid": True}, status=404)
    done = False
    if request.method == "POST":
        services.unsubscribe(user, competition)
        done = True
    context = {"competition": competition, "done": done, "email": user.email}
    return render(request, "messaging/unsubscribe.html", context)
