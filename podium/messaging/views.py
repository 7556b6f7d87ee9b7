"""The mail pages: one's notification preferences, and the unsubscribe link of an
announcement (a page that asks, then a POST that does it).

The unsubscribe GET only shows what the link would do; mail scanners that follow links must
not unsubscribe anyone.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from podium.accounts.models import User
from podium.competitions.models import Competition
from podium.messaging import services
from podium.messaging.models import ALWAYS_SENT, Category, Preferences


class PreferencesForm(forms.ModelForm[Preferences]):
    """The fields of /api/notification_preferences/, as a form."""

    organizer = forms.ChoiceField(
        label="Summaries of new registration requests, for organizers",
        choices=[
            (Preferences.Digest.HOURLY, "Every hour"),
            (Preferences.Digest.DAILY, "Once a day"),
            (Preferences.Digest.NEVER, "Never"),
        ],
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Preferences
        fields = ["registration", "announcement", "forum", "submission", "organizer"]
        labels = {
            "registration": Category.REGISTRATION.label,
            "announcement": Category.ANNOUNCEMENT.label,
            "forum": Category.FORUM.label,
            "submission": Category.SUBMISSION.label,
        }
        # The model's help texts repeat the labels.
        help_texts = {
            "registration": "",
            "announcement": "Each email from organizers also has a link to stop those of one "
            "competition only.",
            "forum": "",
            "submission": "",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)  # login_required
    current = services.preferences_of(user)
    form = PreferencesForm(request.POST if request.method == "POST" else None, instance=current)
    if form.is_bound and form.is_valid():
        form.save()
        messages.success(request, "Your notification preferences are saved.")
        return redirect("notification-preferences")
    muted = (
        Competition.objects.filter(unsubscriptions__user=user)
        .order_by("title", "pk")
        .values("pk", "title")
    )
    always = [Category(category).label for category in Category if category in ALWAYS_SENT]
    context = {"form": form, "always": always, "muted": list(muted)}
    status = 400 if form.is_bound else 200
    return render(request, "messaging/preferences.html", context, status=status)


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
