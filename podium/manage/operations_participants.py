"""`/manage/<competition>/participants/`: the registrations, pending first, with their
answers and the terms they accepted; approve, deny or revoke with a reason, approve many at
once, and email one participant. The decisions are `participation.services.decide` and
`approve`, the email `participation.outreach.email_participant`: what the participants API
calls."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from podium.competitions.models import Competition
from podium.manage.operations import PAGE_SIZE, back, done, organized, page, refused, selected
from podium.manage.operations_forms import (
    BulkParticipantsForm,
    DecisionForm,
    EmailForm,
    ParticipantFilterForm,
)
from podium.participation import outreach, rules, services
from podium.participation.models import Application, Participant

PENDING_FIRST = Case(
    When(status=Participant.Status.PENDING, then=Value(0)),
    When(status=Participant.Status.APPROVED, then=Value(1)),
    When(status=Participant.Status.DENIED, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)
DONE: dict[str, str] = {
    Participant.Status.APPROVED: "approved",
    Participant.Status.DENIED: "denied",
    Participant.Status.REVOKED: "revoked",
}


@dataclass(frozen=True)
class Answer:
    label: str
    text: str


@dataclass
class Registration:
    participant: Participant
    application: Application | None
    answers: list[Answer]
    terms: str  # "current", "earlier", "none" (not accepted), or "" (no terms to accept)
    terms_accepted_at: datetime | None


def _shown(value: Any) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None or value == "":
        return "(no answer)"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "(none)"
    return str(value)


def registration(participant: Participant, current_terms: str) -> Registration:
    """A registration as the page shows it: the latest application's answers under the
    labels of the form it answered (prefetched: no query)."""
    application = participant.latest_application()
    answers: list[Answer] = []
    terms = "" if not current_terms else "none"
    accepted_at = None
    if application is not None:
        given = application.answers if isinstance(application.answers, dict) else {}
        for question in application.questions or []:
            key = question.get("key", "")
            answers.append(Answer(question.get("label") or key, _shown(given.get(key))))
        if application.terms_sha256:
            terms = "current" if application.terms_sha256 == current_terms else "earlier"
            accepted_at = application.terms_accepted_at
    return Registration(participant, application, answers, terms, accepted_at)


def _registrations(competition: Competition, status: str) -> Any:
    # The applicants API's query (with the applications prefetched), pending first.
    return services.applicants(competition, status=status or None).order_by(
        PENDING_FIRST, "created_at", "pk"
    )


@login_required
@require_GET
def participants(request: HttpRequest, pk: int) -> HttpResponse:
    competition = organized(request, pk)
    filters = ParticipantFilterForm(request.GET)
    status = filters.chosen()
    found = Paginator(_registrations(competition, status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    current_terms = rules.terms_sha256(competition.terms) if competition.terms.strip() else ""
    counted = dict(
        Participant.objects.filter(competition=competition)
        .values_list("status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = [(value, label, counted.get(value, 0)) for value, label in Participant.Status.choices]
    return page(
        request,
        competition,
        "manage/operations/participants.html",
        filters=filters,
        status=status,
        counts=counts,
        total=sum(counted.values()),
        page=found,
        rows=[registration(row, current_terms) for row in found.object_list],
    )


def _registration(request: HttpRequest, competition: Competition, pk: int) -> Participant:
    visible = Participant.objects.visible_to(request.user).filter(competition=competition)
    return get_object_or_404(visible.select_related("user", "competition"), pk=pk)


def _list_url(competition: Competition) -> str:
    return reverse("manage:participants", args=[competition.pk])


@login_required
@require_POST
def decide(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    competition = organized(request, pk)
    participant = _registration(request, competition, participant_pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        refused(request, form.first_error())
        return back(request, _list_url(competition))
    try:
        services.decide(
            participant,
            by=request.user,  # type: ignore[arg-type]
            status=form.status(),
            reason=form.cleaned_data["reason"],
        )
    except services.RegistrationError as exc:
        refused(request, exc)
    else:
        done(request, f"{participant.user.username} is {DONE[form.status()]}; they are emailed.")
    return back(request, _list_url(competition))


@login_required
@require_POST
def bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """Approves the selected registrations, all or none."""
    competition = organized(request, pk)
    registrations = Participant.objects.visible_to(request.user).filter(competition=competition)
    chosen = selected(
        request,
        BulkParticipantsForm(request.POST),
        registrations.select_related("user", "competition"),
        field="participants",
        noun="registration",
    )
    if chosen is None:
        return back(request, _list_url(competition))
    try:
        with transaction.atomic():
            for participant in chosen:
                services.approve(participant, by=request.user)  # type: ignore[arg-type]
    except services.RegistrationError as exc:
        refused(request, f"{exc}; none changed")
    else:
        names = ", ".join(participant.user.username for participant in chosen)
        done(request, f"Approved {len(chosen)}: {names}. They are emailed.")
    return back(request, _list_url(competition))


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def email(request: HttpRequest, pk: int, participant_pk: int) -> HttpResponse:
    """A page to write to one participant; sending goes back to the list."""
    competition = organized(request, pk)
    participant = _registration(request, competition, participant_pk)
    form = EmailForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                outreach.email_participant(
                    participant,
                    by=request.user,  # type: ignore[arg-type]
                    subject=form.cleaned_data["subject"],
                    body=form.cleaned_data["body"],
                )
            except outreach.OutreachError as exc:
                form.add_error(None, str(exc))
            else:
                done(request, f"Your email to {participant.user.username} is on its way.")
                return redirect(_list_url(competition))
        status = 400
    return page(
        request,
        competition,
        "manage/operations/participant_email.html",
        http_status=status,
        participant=participant,
        form=form,
    )
