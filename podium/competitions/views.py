"""The competition pages: the list, and each competition's tabs (Overview, Phases, Results,
My submissions) with a submission's own page and its detailed results.

Read-only. Each view finds what the viewer may see (the querysets' `visible_to`), calls one
reader (podium.web, podium.submissions.lifecycle) and renders. Scores are read through the
leaderboards' services and visibility policy only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.cache import cache_control
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from podium.competitions.models import Competition, PhaseTask
from podium.submissions import lifecycle
from podium.submissions.models import Submission
from podium.web import results, submissions
from podium.web.forms import SearchForm
from podium.web.listing import annotated, search

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
    visible = Competition.objects.visible_to(request.user)
    return get_object_or_404(annotated(visible, timezone.now()), pk=pk)


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


@login_required
def my_submissions(request: HttpRequest, pk: int) -> HttpResponse:
    competition = _competition(request, pk)
    page = submissions.page(competition, request.user, request.GET.get("page"))
    return _tab(request, competition, "submissions", "competitions/submissions.html", page=page)


@login_required
def submission_row(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    """One row of My submissions, polled by the page while the submission is on its way."""
    competition = _competition(request, pk)
    mine = submissions.one(competition, request.user, submission_pk)
    if mine is None:
        raise Http404("no such submission of yours")
    return render(
        request,
        "competitions/submissions.html#row",
        {"competition": competition, "item": mine},
    )


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
        {"competition": competition, **_status(request, found)},
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
