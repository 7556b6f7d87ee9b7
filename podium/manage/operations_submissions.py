"""`/manage/<competition>/submissions/`: every submission of the competition, filtered by
phase, status and participant, with their scores, files and live status; per row and in
bulk: re-run, cancel, delete, add to or take off the leaderboard, and (the organizer's own
rows) make public or private; per phase: re-run all of it, or migrate it to the next phase.

The actions are the services the API calls: `submissions.lifecycle` (re_run, cancel, delete,
set_public, re_run_phase), `leaderboards.services` (add_entry, remove_entry) and
`submissions.phase_migration.migrate_from`. The rows are found with
`Submission.objects.organized_by`, as the API's organizer-only actions are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from podium.accounts.models import User
from podium.competitions.models import Competition, Phase
from podium.datasets.signing import signed_url
from podium.leaderboards import services as leaderboards
from podium.manage.operations import (
    PAGE_SIZE,
    back,
    done,
    organized,
    page,
    refused,
    return_path,
    selected,
)
from podium.manage.operations_forms import (
    BulkSubmissionsForm,
    SubmissionActionForm,
    SubmissionFilterForm,
)
from podium.submissions import lifecycle, phase_migration, services
from podium.submissions.models import Submission
from podium.web import submissions as listing
from podium.web.submissions import DOWNLOADS, Score

# What the services refuse with, each with a message that says why.
REFUSALS = (
    lifecycle.NotAllowed,
    lifecycle.Conflict,
    services.SubmissionRefused,
    leaderboards.NotAllowed,
    leaderboards.EntryRefused,
)
FILES = (
    ("submission", "data"),
    ("predictions", "prediction_result"),
    ("scoring_output", "scoring_result"),
    ("detailed_results", "detailed_result"),
    ("logs", "logs"),
)
RELATED = ("owner", "phase__leaderboard", *(name for _, name in FILES))


@dataclass
class Row:
    submission: Submission
    scores: list[Score]
    mine: bool  # the viewer's own: only its owner makes a submission public or private
    downloads: list[tuple[str, str]] = field(default_factory=list)

    @property
    def live(self) -> bool:
        return self.submission.status not in listing.ENDED

    @property
    def ended(self) -> bool:
        return not self.live

    @property
    def on_leaderboard(self) -> bool:
        return self.submission.leaderboard_id is not None


def with_files(user: Any, found: list[Submission]) -> list[Row]:
    """The submissions with the scores the viewer may see (one query) and the addresses of
    their files (organizers may have them all, as `lifecycle.details` says)."""
    scored = listing.with_scores(user, found)
    return [
        Row(
            submission=item.submission,
            scores=item.scores,
            mine=item.submission.owner_id == user.pk,
            downloads=[
                (DOWNLOADS[name], signed_url(data))
                for name, attribute in FILES
                if (data := getattr(item.submission, attribute)) is not None
            ],
        )
        for item in scored
    ]


def _organized_submissions(request: HttpRequest, competition: Competition) -> QuerySet[Submission]:
    return Submission.objects.organized_by(request.user).filter(
        phase__competition=competition, parent__isnull=True
    )


def _list_url(competition: Competition) -> str:
    return reverse("manage:submissions", args=[competition.pk])


def _results_url(competition: Competition) -> str:
    return reverse("competition-results-results", args=[competition.pk])


@dataclass
class PhaseLine:
    phase: Phase
    next_phase: Phase | None
    total: int
    ended: int
    running: int


def _phase_lines(competition: Competition, phases: list[Phase]) -> list[PhaseLine]:
    """Each phase with how many submissions it has (one query)."""
    live = ~Q(status__in=list(listing.ENDED))
    counted: dict[int, dict[str, Any]] = {
        row["phase"]: dict(row)
        for row in Submission.objects.filter(phase__competition=competition, parent__isnull=True)
        .values("phase")
        .annotate(
            total=Count("pk"),
            running=Count("pk", filter=live),
            rerunnable=Count("pk", filter=Q(status__in=["finished", "failed"])),
        )
        .order_by()
    }
    lines = []
    for position, phase in enumerate(phases):
        numbers = counted.get(phase.pk, {})
        lines.append(
            PhaseLine(
                phase=phase,
                next_phase=phases[position + 1] if position + 1 < len(phases) else None,
                total=numbers.get("total", 0),
                ended=numbers.get("rerunnable", 0),
                running=numbers.get("running", 0),
            )
        )
    return lines


@login_required
@require_GET
def submissions(request: HttpRequest, pk: int) -> HttpResponse:
    competition = organized(request, pk)
    phases = list(competition.phases.select_related("leaderboard").order_by("index", "pk"))
    filters = SubmissionFilterForm(request.GET, phases=phases)
    criteria = filters.criteria()
    found = _organized_submissions(request, competition)
    if criteria["phase"] is not None:
        found = found.filter(phase_id=criteria["phase"])
    if criteria["status"]:
        found = found.filter(status=criteria["status"])
    if criteria["participant"]:
        found = found.filter(owner__username__icontains=criteria["participant"])
    found = found.select_related(*RELATED).order_by("-created_at", "-pk")
    listed = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return page(
        request,
        competition,
        "manage/operations/submissions.html",
        filters=filters,
        filtered=any(criteria.values()),
        page=listed,
        rows=with_files(request.user, list(listed.object_list)),
        phases=_phase_lines(competition, phases),
        return_to=request.get_full_path(),
        results_url=_results_url(competition),
    )


@login_required
@require_GET
def submission_row(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    """One row of the list, polled while its submission is on its way."""
    competition = organized(request, pk)
    found = get_object_or_404(
        _organized_submissions(request, competition).select_related(*RELATED), pk=submission_pk
    )
    return render(
        request,
        "manage/operations/submissions.html#row",
        {
            "competition": competition,
            "row": with_files(request.user, [found])[0],
            "return_to": return_path(request.GET.get("next", ""), _list_url(competition)),
        },
    )


def _perform(action: str, submission: Submission, by: User) -> str:
    """Does `action` to the submission through its service; says what was done."""
    number = submission.pk
    if action == "rerun":
        again = lifecycle.re_run(submission, by=by)
        return f"Submission {number} runs again as submission {again.pk}."
    if action == "cancel":
        lifecycle.cancel(submission, by=by)
        return f"Submission {number} is cancelled."
    if action == "delete":
        lifecycle.delete(submission, by=by)
        return f"Submission {number} is deleted."
    if action in ("add", "remove"):
        change = leaderboards.add_entry if action == "add" else leaderboards.remove_entry
        entries = change(submission, by=by)
        where = "on" if number in entries else "not on"
        return f"Submission {number} is {where} the leaderboard."
    if action in ("public", "private"):
        lifecycle.set_public(submission, by=by, is_public=action == "public")
        return f"Submission {number} is {action}."
    raise ValueError(action)


def _changeable(request: HttpRequest, competition: Competition) -> QuerySet[Submission]:
    return _organized_submissions(request, competition).select_related(
        "owner", "phase__competition", "phase__leaderboard"
    )


@login_required
@require_POST
def submission_action(request: HttpRequest, pk: int, submission_pk: int) -> HttpResponse:
    competition = organized(request, pk)
    submission = get_object_or_404(_changeable(request, competition), pk=submission_pk)
    form = SubmissionActionForm(request.POST)
    if not form.is_valid():
        refused(request, form.first_error())
        return back(request, _list_url(competition))
    try:
        said = _perform(form.cleaned_data["action"], submission, request.user)  # type: ignore[arg-type]
    except REFUSALS as exc:
        refused(request, f"Submission {submission.pk}: {exc}")
    else:
        done(request, said)
    return back(request, _list_url(competition))


def _bulk_deletion(request: HttpRequest, chosen: list[Submission]) -> None:
    """Deleting removes the files nothing else uses at once, which no transaction can take
    back: each submission is deleted on its own, and the message says which were not."""
    deleted, problems = [], []
    for submission in chosen:
        try:
            lifecycle.delete(submission, by=request.user)  # type: ignore[arg-type]
        except REFUSALS as exc:
            problems.append(f"submission {submission.pk}: {exc}")
        else:
            deleted.append(str(submission.pk))
    if deleted:
        done(
            request,
            f"Deleted {len(deleted)}: submission{'s' * (len(deleted) > 1)} {', '.join(deleted)}.",
        )
    if problems:
        refused(request, "Not deleted: " + "; ".join(problems))


@login_required
@require_POST
def bulk(request: HttpRequest, pk: int) -> HttpResponse:
    """One action on the selected submissions: all of them or none (deletion excepted, see
    `_bulk_deletion`)."""
    competition = organized(request, pk)
    form = BulkSubmissionsForm(request.POST)
    chosen = selected(
        request,
        form,
        _changeable(request, competition),
        field="submissions",
        noun="submission",
    )
    if chosen is None:
        return back(request, _list_url(competition))
    action = form.cleaned_data["action"]
    if action == "delete":
        _bulk_deletion(request, chosen)
        return back(request, _list_url(competition))
    current = chosen[0]
    said = []
    try:
        with transaction.atomic():
            for current in chosen:
                said.append(_perform(action, current, request.user))  # type: ignore[arg-type]
    except REFUSALS as exc:
        refused(request, f"Submission {current.pk}: {exc}. None of the selected changed.")
    else:
        for line in said:
            messages.success(request, line)
    return back(request, _list_url(competition))


def _phase_action(
    request: HttpRequest, pk: int, phase_pk: int, act: Callable[[Phase, User], str]
) -> HttpResponse:
    competition = organized(request, pk)
    phase = get_object_or_404(competition.phases.all(), pk=phase_pk)
    try:
        said = act(phase, request.user)  # type: ignore[arg-type]
    except REFUSALS as exc:
        refused(request, exc)
    else:
        done(request, said)
    return back(request, _list_url(competition))


def _rerun_phase(phase: Phase, by: User) -> str:
    count = lifecycle.re_run_phase(phase, by=by)
    return f"{count} submission{'s' * (count != 1)} of {phase.name} run{'s' * (count == 1)} again."


def _migrate_phase(phase: Phase, by: User) -> str:
    target, count = phase_migration.migrate_from(phase, by=by)
    return (
        f"{count} submission{'s' * (count != 1)} of {phase.name} migrated to {target.name}, "
        "where they run now."
    )


@login_required
@require_POST
def phase_rerun(request: HttpRequest, pk: int, phase_pk: int) -> HttpResponse:
    return _phase_action(request, pk, phase_pk, _rerun_phase)


@login_required
@require_POST
def phase_migrate(request: HttpRequest, pk: int, phase_pk: int) -> HttpResponse:
    return _phase_action(request, pk, phase_pk, _migrate_phase)
