"""The competition pages: the list, and each competition's tabs (Overview, Phases, Results,
Participate, My submissions) with a submission's own page and its detailed results.

Each view finds what the viewer may see (the querysets' `visible_to`), calls one reader
(podium.web, podium.submissions.lifecycle) and renders. Scores are read through the
leaderboards' services and visibility policy only.

The participant's actions (registering, submitting without JavaScript, cancelling, making
public, adding to or removing from the leaderboard, re-running) are POST forms that call the
same services as the API, with the same authorization querysets; a refusal is shown on the
page with the service's reason, and changes nothing. With JavaScript, submissions go
through the uploads API instead (static/podium/submit.js), with a progress bar.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, BinaryIO, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST

from podium.accounts.models import User
from podium.competitions.models import Competition, Phase, PhaseTask
from podium.leaderboards import services as leaderboards
from podium.organizations.models import Membership, Organization
from podium.participation import services as registrations
from podium.participation.models import Participant
from podium.submissions import lifecycle
from podium.submissions import services as submitting
from podium.submissions.models import Submission
from podium.web import listing, results, submissions
from podium.web import participate as registering
from podium.web.forms import SearchForm, SubmissionForm
from podium.web.listing import search

LIST_PAGE_SIZE = 12

# A scoring program's detailed results are hostile HTML: shown inside a sandboxed iframe,
# and served with a policy that sandboxes them again when opened on their own (no script,
# no form, no request anywhere; inline styles and data: images only).
DETAILED_RESULTS_POLICY: dict[str, Any] = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["data:"],
    "font-src": ["data:"],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
    "sandbox": True,
}


def index(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET)
    found = search(request.user, now=timezone.now(), **form.criteria())
    page = Paginator(found, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "competitions/list.html", {"form": form, "page": page})


def _competition(request: HttpRequest, pk: int) -> Competition:
    """The competition, as its pages' header shows it (`listing.one`), or a 404 when the
    caller may not see it."""
    found = listing.one(Competition.objects.visible_to(request.user), pk, timezone.now())
    if found is None:
        raise Http404("No such competition.")
    return found


def _tab(
    request: HttpRequest,
    competition: Competition,
    tab: str,
    template: str,
    *,
    organizer: bool | None = None,
    **context: Any,
) -> HttpResponse:
    if organizer is None:
        organizer = competition.is_organizer(request.user)
    return render(
        request,
        template,
        {"competition": competition, "tab": tab, "organizer": organizer, **context},
    )


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    competition = _competition(request, pk)
    return _tab(
        request,
        competition,
        "overview",
        "competitions/overview.html",
        pages=list(competition.pages.order_by("index", "pk")),
    )


def _phases(competition: Competition) -> list[Any]:
    tasks = PhaseTask.objects.select_related("task").order_by("index")
    return list(
        competition.phases.select_related("leaderboard")
        .prefetch_related(Prefetch("phase_tasks", tasks))
        .order_by("index", "pk")
    )


def phases(request: HttpRequest, pk: int) -> HttpResponse:
    competition = _competition(request, pk)
    now = timezone.now()
    timeline = [(phase, phase.status_at(now)) for phase in _phases(competition)]
    return _tab(request, competition, "phases", "competitions/phases.html", timeline=timeline)


def leaderboard(request: HttpRequest, pk: int) -> HttpResponse:
    competition = _competition(request, pk)
    organizer = competition.is_organizer(request.user)
    now = timezone.now()
    choices = results.listed(_phases(competition), request.user, organizer=organizer, now=now)
    board = None
    if choices:
        phase, view = choices[results.chosen(choices, request.GET.get("phase"), now)]
        board = results.board(
            phase, view, request.user, page=request.GET.get("page"), organizer=organizer
        )
    return _tab(
        request,
        competition,
        "results",
        "competitions/results.html",
        organizer=organizer,
        choices=choices,
        board=board,
    )


@require_http_methods(["GET", "HEAD"])
def leaderboard_charts(request: HttpRequest, pk: int) -> JsonResponse:
    """The data of the Results tab's charts, as JSON (`results.charts`), under the tab's
    visibility: for the phase asked for, a 404 when its leaderboard is not listed to the
    caller (any more); without one, for the phase the tab shows first."""
    competition = get_object_or_404(Competition.objects.visible_to(request.user), pk=pk)
    organizer = competition.is_organizer(request.user)
    now = timezone.now()
    choices = results.listed(_phases(competition), request.user, organizer=organizer, now=now)
    wanted = request.GET.get("phase")
    if wanted is not None and not any(str(phase.pk) == wanted for phase, _ in choices):
        raise Http404("No leaderboard of this phase is listed to you.")
    if not choices:
        return JsonResponse({"history": None, "frontier": None})
    phase, view = choices[results.chosen(choices, wanted, now)]
    return JsonResponse(results.charts(phase, view, request.user))


def _user(request: HttpRequest) -> User:
    """The signed-in user of a view that requires one."""
    if not isinstance(request.user, User):
        raise PermissionDenied("sign in first")
    return request.user


# Participate


@require_http_methods(["GET", "HEAD", "POST"])
def participate(request: HttpRequest, pk: int) -> HttpResponse:
    """The terms, the registration form and the caller's registration; POST registers,
    corrects a pending request's answers, or applies again after a denial."""
    competition = _competition(request, pk)
    if request.method == "POST" and not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    state = registering.registration(competition, request.user)
    form = None
    if request.user.is_authenticated and state.may_answer:
        form = registering.RegistrationForm(
            request.POST if request.method == "POST" else None,
            questions=state.questions,
            terms_sha256=state.terms_sha256 if state.needs_terms else "",
            answers=state.application.answers if state.application is not None else None,
        )
    if request.method == "POST":
        address = reverse("competitions:participate", args=[competition.pk])
        if form is None:
            messages.error(request, f"Your registration is {state.status}: nothing to send.")
            return redirect(address)
        if form.is_valid() and _register(request, competition, state, form):
            return redirect(address)
    return _tab(
        request,
        competition,
        "participate",
        "competitions/participate.html",
        registration=state,
        form=form,
    )


REGISTERED: dict[str, str] = {
    Participant.Status.APPROVED: "You are registered: you may submit now.",
    Participant.Status.PENDING: "Your request was sent to the organizers. We email you when "
    "they decide on it.",
}


def _register(
    request: HttpRequest,
    competition: Competition,
    state: registering.Registration,
    form: registering.RegistrationForm,
) -> bool:
    """Sends the form to the registration services; True when they took it."""
    user = _user(request)
    try:
        if state.participant is not None and state.status == Participant.Status.PENDING:
            participant = registrations.change_answers(
                state.participant,
                by=user,
                answers=form.answers(),
                accept_terms=form.accepted(),
                terms_sha256=form.terms_seen(),
            )
            message = "Your answers were updated; your request is still pending."
            if participant.status != Participant.Status.PENDING:
                message = f"Your registration is {participant.status}."
        else:
            participant, _ = registrations.apply(
                user=user,
                competition=competition,
                accept_terms=form.accepted(),
                answers=form.answers(),
                terms_sha256=form.terms_seen(),
            )
            message = REGISTERED.get(
                participant.status, f"Your registration is {participant.status}."
            )
    except registrations.FormInvalid as exc:
        form.refused(exc)
        return False
    except registrations.TermsNotAccepted as exc:
        form.add_error("accept_terms" if "accept_terms" in form.fields else None, str(exc))
        return False
    except registrations.RegistrationError as exc:
        form.add_error(None, capfirst(str(exc)))
        return False
    messages.success(request, message)
    return True


# My submissions


def _acting_for(user: User) -> list[tuple[int, str]]:
    """The organizations `user` may submit for (its owners, managers and participants);
    whether they still may when they submit is create_submission's to say."""
    return list(
        Organization.objects.filter(
            memberships__user=user, memberships__group__in=sorted(Membership.ACTING)
        )
        .order_by("name")
        .values_list("pk", "name")
    )


def _submitting(
    request: HttpRequest,
    competition: Competition,
    organizer: bool,
    form: SubmissionForm | None = None,
) -> dict[str, Any]:
    """What the upload part of My submissions shows: whether the caller may submit (or why
    not), the phases open to them with what is left of their limits, and the form."""
    user = _user(request)
    status = (
        Participant.objects.filter(user=user, competition=competition)
        .values_list("status", flat=True)
        .first()
    )
    now = timezone.now()
    phases = list(competition.phases.order_by("index", "pk"))
    open_phases = phases if organizer else [phase for phase in phases if phase.is_open(now)]
    may_submit = organizer or status == Participant.Status.APPROVED
    if form is None and may_submit and open_phases:
        current = next((phase for phase in open_phases if phase.is_open(now)), open_phases[0])
        form = _submission_form(competition, user, open_phases, initial={"phase": current.pk})
    return {
        "registration_status": status or "none",
        "may_submit": may_submit,
        "open_phases": open_phases,
        "limits": [] if organizer else submissions.limits(open_phases, user, now),
        "submit_form": form if may_submit else None,
    }


def _submission_form(
    competition: Competition, user: User, phases: list[Phase], **kwargs: Any
) -> SubmissionForm:
    return SubmissionForm(
        phases=[(phase.pk, phase.name) for phase in phases],
        organizations=_acting_for(user),
        username=user.username,
        fact_sheet=competition.fact_sheet,
        **kwargs,
    )


@login_required
def my_submissions(request: HttpRequest, pk: int) -> HttpResponse:
    competition = _competition(request, pk)
    return _my_submissions(request, competition, competition.is_organizer(request.user))


def _my_submissions(
    request: HttpRequest,
    competition: Competition,
    organizer: bool,
    form: SubmissionForm | None = None,
) -> HttpResponse:
    page = submissions.page(competition, request.user, request.GET.get("page"))
    return _tab(
        request,
        competition,
        "submissions",
        "competitions/submissions.html",
        organizer=organizer,
        page=page,
        **_submitting(request, competition, organizer, form),
    )


NOT_SUBMITTING = {
    "none": "You are not registered for this competition: register on the Participate tab first.",
    Participant.Status.PENDING: "Your registration is pending: you may submit once the "
    "organizers approve it.",
    Participant.Status.DENIED: "Your registration was denied: see the Participate tab.",
    Participant.Status.REVOKED: "Your participation was revoked: you may no longer submit.",
}
NO_OPEN_PHASE = "No phase is open for submissions now."


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    """The upload form posted as it is, without JavaScript: the same checks and refusals
    as POST /api/submissions/ (create_submission's), shown by the form."""
    competition = _competition(request, pk)
    organizer = competition.is_organizer(request.user)
    user = _user(request)
    state = _submitting(request, competition, organizer)
    if not state["may_submit"] or not state["open_phases"]:
        why = NO_OPEN_PHASE if state["may_submit"] else NOT_SUBMITTING[state["registration_status"]]
        messages.error(request, why)
        return redirect("competitions:submissions", competition.pk)
    form = _submission_form(
        competition, user, state["open_phases"], data=request.POST, files=request.FILES
    )
    if form.is_valid():
        upload = form.cleaned_data["file"]
        organization = form.cleaned_data.get("organization")
        try:
            made = submitting.create_submission(
                user=user,
                phase=next(p for p in state["open_phases"] if p.pk == form.cleaned_data["phase"]),
                stream=cast(BinaryIO, upload),
                name=PurePosixPath(str(upload.name).replace("\\", "/")).name or "submission.zip",
                organization=Organization.objects.get(pk=organization) if organization else None,
                fact_sheet_answers=form.fact_sheet_answers(),
            )
        except submitting.SubmissionRefused as exc:
            form.refused(exc)
        else:
            messages.success(request, f"Submission #{made.pk} was made; its status updates below.")
            return redirect("competitions:submissions", competition.pk)
    return _my_submissions(request, competition, organizer, form)


@login_required
def submission_row(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    """One row of My submissions, polled by the page while the submission is on its way,
    with the end of its logs where its owner may read them (lifecycle.details' rule)."""
    competition = _competition(request, pk)
    mine = submissions.one(competition, request.user, submission_pk)
    if mine is None:
        raise Http404("no such submission of yours")
    if mine.live:
        mine.log_tail = submissions.tail(
            lifecycle.details(mine.submission, request.user)["log_tail"]
        )
    return render(
        request,
        "competitions/submissions.html#row",
        {
            "competition": competition,
            "item": mine,
            "organizer": competition.is_organizer(request.user),
        },
    )


# What a submission's owner (or an organizer) does to it: each the service of the API's
# endpoint, behind the same authorization queryset where the endpoint has one.

Act = Callable[[Submission, User], str]


def _cancel(found: Submission, user: User) -> str:
    if not Submission.objects.changeable_by(user).filter(pk=found.pk).exists():
        raise lifecycle.NotAllowed(
            "only its owner or the organizers of its competition may do this"
        )
    lifecycle.cancel(found, by=user)
    return f"Submission #{found.pk} was cancelled."


def _re_run(found: Submission, user: User) -> str:
    if not Submission.objects.organized_by(user).filter(pk=found.pk).exists():
        raise lifecycle.NotAllowed("only the organizers of its competition may re-run a submission")
    again = lifecycle.re_run(found, by=user)
    return f"Submission #{found.pk} runs again as submission #{again.pk}."


def _publish(found: Submission, user: User) -> str:
    lifecycle.set_public(found, by=user, is_public=True)
    return f"Submission #{found.pk} is public."


def _unpublish(found: Submission, user: User) -> str:
    lifecycle.set_public(found, by=user, is_public=False)
    return f"Submission #{found.pk} is private."


def _add_entry(found: Submission, user: User) -> str:
    leaderboards.add_entry(found, by=user)
    return f"Submission #{found.pk} is on the leaderboard."


def _remove_entry(found: Submission, user: User) -> str:
    leaderboards.remove_entry(found, by=user)
    return f"Submission #{found.pk} is no longer on the leaderboard."


ACTIONS: dict[str, Act] = {
    "cancel": _cancel,
    "re-run": _re_run,
    "make-public": _publish,
    "make-private": _unpublish,
    "add-to-leaderboard": _add_entry,
    "remove-from-leaderboard": _remove_entry,
}
REFUSALS = (
    lifecycle.NotAllowed,
    lifecycle.Conflict,
    leaderboards.NotAllowed,
    leaderboards.EntryRefused,
    submitting.SubmissionRefused,
)


@login_required
@require_POST
def submission_action(
    request: HttpRequest, pk: int, submission_pk: int, action: str
) -> HttpResponse:
    competition = _competition(request, pk)
    act = ACTIONS.get(action)
    if act is None:
        raise Http404("no such action")
    found = _submission(request, competition, submission_pk)
    try:
        done = act(found, _user(request))
    except REFUSALS as exc:
        messages.error(request, f"Submission #{found.pk}: {exc}.")
    else:
        messages.success(request, done)
    return _back(request, competition)


def _back(request: HttpRequest, competition: Competition) -> HttpResponseRedirect:
    """Back to the page the form was on (`next`: a page of this competition), else to My
    submissions."""
    wanted = request.POST.get("next", "")
    home = reverse("competitions:detail", args=[competition.pk])
    if wanted.startswith(home) and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(wanted)
    return HttpResponseRedirect(reverse("competitions:submissions", args=[competition.pk]))


def _submission(request: HttpRequest, competition: Competition, pk: int) -> Submission:
    visible = Submission.objects.visible_to(request.user).filter(
        phase__competition=competition, parent__isnull=True
    )
    return get_object_or_404(
        visible.select_related("phase__leaderboard", "phase__competition", "owner"), pk=pk
    )


def _reports(submission: Submission, user: Any) -> list[tuple[str, str]]:
    """(task name or "", iframe address) of each detailed results `user` may open."""
    targets = list(submission.children.select_related("task").order_by("pk")) or [submission]
    found = []
    for target in targets:
        try:
            lifecycle.detailed_result(target, user)
        except (lifecycle.NotAllowed, lifecycle.NoSuchOutput):
            continue
        query = f"?task={target.task_id}" if target.parent_id is not None else ""
        name = target.task.name if target.parent_id is not None and target.task else ""
        found.append((name, query))
    return found


def _status(request: HttpRequest, found: Submission) -> dict[str, Any]:
    """What the status part of a submission's page shows (`lifecycle.details`: the rules of
    who sees which scores, logs and files are its own)."""
    details = lifecycle.details(found, request.user)
    leaderboard = found.phase.leaderboard
    columns = (
        {column.key: column for column in leaderboard.columns.all()}
        if leaderboard is not None
        else {}
    )
    tasks = (
        {link.task_id: link.task.name for link in found.phase.phase_tasks.select_related("task")}
        if details["children"]
        else {}
    )
    return {
        "submission": found,
        "details": details,
        "scores": submissions.labelled(details, columns, tasks),
        "live": found.status not in submissions.ENDED,
        # Its owner's actions on it, shown with its status so that they follow it.
        "item": submissions.Mine(found) if found.owner_id == request.user.pk else None,
    }


def submission(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    competition = _competition(request, pk)
    found = _submission(request, competition, submission_pk)
    status = _status(request, found)
    return _tab(
        request,
        competition,
        "submissions" if found.owner_id == request.user.pk else "results",
        "competitions/submission.html",
        downloads=submissions.downloads(status["details"]),
        reports=_reports(found, request.user),
        **status,
    )


def submission_status(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    """The status part of a submission's page, polled while it is on its way."""
    competition = _competition(request, pk)
    found = _submission(request, competition, submission_pk)
    return render(
        request,
        "competitions/submission.html#status",
        {
            "competition": competition,
            "organizer": competition.is_organizer(request.user),
            **_status(request, found),
        },
    )


@xframe_options_sameorigin
@csp_override(DETAILED_RESULTS_POLICY)
@cache_control(private=True, no_store=True)
def detailed_results(request: HttpRequest, pk: int, submission_pk: int) -> FileResponse:
    """The detailed_results.html a scoring program wrote, for the sandboxed iframe of the
    submission's page (`?task=ID`: a task's, for a multi-task submission). Who may read it
    is lifecycle.detailed_result's rule, as for the API's signed download."""
    competition = _competition(request, pk)
    found = _submission(request, competition, submission_pk)
    task = request.GET.get("task", "")
    if task:
        if not task.isdigit():
            raise Http404("no such task")
        found = get_object_or_404(found.children.select_related("phase__competition"), task_id=task)
    try:
        data = lifecycle.detailed_result(found, request.user)
    except lifecycle.NotAllowed as exc:
        raise PermissionDenied(str(exc)) from None
    except lifecycle.NoSuchOutput as exc:
        raise Http404(str(exc)) from None
    stream = default_storage.open(str(data.file.name), "rb")
    return FileResponse(stream, content_type="text/html; charset=utf-8", filename=data.name)
