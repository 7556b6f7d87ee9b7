"""`/manage/<competition>/emails/`: write to the participants (the approved ones, a status,
or those with a submission in a phase) through `participation.outreach.email_participants`,
as the API's email_all_participants does; and what was sent to whom: each email with how
its messages fared (`outreach.deliveries`), and each recipient's message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_http_methods

from podium.competitions.models import Competition
from podium.manage.operations import PAGE_SIZE, done, organized, page
from podium.manage.operations_forms import AUDIENCES, GroupEmailForm
from podium.messaging.models import Message
from podium.participation import outreach
from podium.participation.models import OrganizerEmail

RECIPIENTS_PAGE_SIZE = 50


@dataclass
class Sent:
    email: OrganizerEmail
    audience: str
    delivery: outreach.Delivery


def audience_text(audience: dict[str, Any], phases: dict[int, str]) -> str:
    """Who an email was for, in words."""
    if "participant" in audience:
        return f"One participant: {audience.get('user', audience['participant'])}"
    groups = dict(AUDIENCES)
    text = groups.get(str(audience.get("status", "")), str(audience.get("status", "")))
    phase = audience.get("phase")
    if phase is not None:
        text += f" with a submission in {phases.get(phase, f'phase {phase}')}"
    return text


def _phase_names(competition: Competition) -> dict[int, str]:
    return dict(competition.phases.values_list("pk", "name"))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def emails(request: HttpRequest, pk: int) -> HttpResponse:
    competition = organized(request, pk)
    form = GroupEmailForm(
        request.POST if request.method == "POST" else None, competition=competition
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                record = outreach.email_participants(
                    competition,
                    by=request.user,  # type: ignore[arg-type]
                    subject=data["subject"],
                    body=data["body"],
                    status=None if data["audience"] == "any" else data["audience"],
                    phase=data["phase"].pk if data["phase"] is not None else None,
                )
            except outreach.OutreachError as exc:
                form.add_error(None, str(exc))
            else:
                count = record.recipients
                done(
                    request,
                    f"Your email “{record.subject}” is on its way to {count} "
                    f"{'person' if count == 1 else 'people'}.",
                )
                return redirect("manage:emails", pk=competition.pk)
        status = 400
    found = Paginator(
        competition.organizer_emails.select_related("sender").order_by("-created_at", "-pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    counts = outreach.deliveries(found.object_list)
    phases = _phase_names(competition)
    sent = [
        Sent(
            email=email,
            audience=audience_text(email.audience, phases),
            delivery=counts.get(email.batch, outreach.Delivery()),
        )
        for email in found.object_list
    ]
    return page(
        request,
        competition,
        "manage/operations/emails.html",
        http_status=status,
        form=form,
        page=found,
        sent=sent,
    )


@login_required
@require_GET
def email(request: HttpRequest, pk: int, email_pk: int) -> HttpResponse:
    """One email: what it said, to whom, and what became of each message."""
    competition = organized(request, pk)
    record = get_object_or_404(competition.organizer_emails.select_related("sender"), pk=email_pk)
    messages = Message.objects.filter(batch=record.batch).select_related("recipient")
    found = Paginator(messages.order_by("to", "pk"), RECIPIENTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return page(
        request,
        competition,
        "manage/operations/email.html",
        email=record,
        audience=audience_text(record.audience, _phase_names(competition)),
        delivery=outreach.deliveries([record]).get(record.batch, outreach.Delivery()),
        page=found,
    )
