"""The parts of a competition the wizard builds one by one: phases (dates, limits, tasks,
files), tasks (programs and data, uploaded or chosen) and leaderboards (their columns,
efficiency columns included), as lists with their own add, edit and delete pages; then the
fact sheet and the registration settings.

Each save goes through the serializer or the service the API uses for the same thing,
after the files uploaded with it are stored; a refusal rolls everything back, the files too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from podium.competitions import services
from podium.competitions.models import Competition, Phase, PhaseTask, Task
from podium.competitions.serializers import (
    CompetitionSerializer,
    PhaseSerializer,
    TaskSerializer,
)
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.leaderboards.models import Column, Leaderboard
from podium.leaderboards.serializers import LeaderboardSerializer
from podium.manage import forms
from podium.manage.competitions import (
    Refused,
    after_saving,
    not_allowed,
    organized,
    page,
    save_competition,
    upload_name,
    user_of,
)
from podium.participation import services as participation
from podium_bundle.boards import fact_sheet as parse_fact_sheet
from podium_bundle.fields import Reader
from podium_bundle.problems import Problems

COLUMN_PROBLEM = re.compile(r"columns\[(\d+)\]\.?(\w*): (.*)", re.DOTALL)


def with_uploads(
    request: HttpRequest, form: forms.FileSlots, save: Callable[[dict[str, int | None]], Any]
) -> Any:
    """Stores the files uploaded with `form` as the caller's, then `save(files)` with the id
    of each slot's file; all or nothing. None, with the reasons on the form, when a file
    does not fit the quota or `save` refuses (returns None)."""
    stored: list[Data] = []
    try:
        with transaction.atomic():
            files = form.chosen_files()
            for slot, (kind, upload) in form.uploads().items():
                try:
                    data = datasets.store(
                        owner=user_of(request),
                        kind=kind,
                        name=upload_name(upload.name, f"{slot}.zip"),
                        stream=upload,
                    )
                except datasets.QuotaExceeded as exc:
                    form.add_error(f"{slot}_upload", str(exc))
                    raise Refused from None
                stored.append(data)
                files[slot] = data.pk
            result = save(files)
            if result is None:
                raise Refused
    except BaseException as exc:
        # The rows are rolled back; the bytes written for them go too.
        datasets.remove_orphan_blobs([str(data.file.name) for data in stored])
        if isinstance(exc, Refused):
            return None
        raise
    return result


def edit_page(
    request: HttpRequest,
    competition: Competition,
    form: forms.FileSlots,
    save: Callable[[dict[str, int | None]], Any],
    *,
    noun: str,
    step: str,
    template: str,
    **context: Any,
) -> HttpResponse:
    """The page that adds or changes a phase or a task: once its form is posted and valid,
    `save` (through `with_uploads`), then back to the step's list; else the form again,
    with why it was refused."""
    if request.method == "POST" and form.is_valid():
        saved = with_uploads(request, form, save)
        if saved is not None:
            messages.success(request, f"{noun} {saved.name!r} saved.")
            return redirect(f"manage:{step}", competition.pk)
    return page(request, template, competition, step=step, form=form, **context)


def confirm_delete(
    request: HttpRequest,
    competition: Competition,
    delete: Callable[[], object],
    *,
    what: str,
    consequence: str,
    step: str,
) -> HttpResponse:
    """Asks whether to delete `what` (a phase, a leaderboard), saying what else goes with
    it; once the answer is posted, `delete()`, then back to the step's list."""
    if request.method == "POST":
        delete()
        messages.success(request, f"{what[:1].upper()}{what[1:]} was deleted.")
        return redirect(f"manage:{step}", competition.pk)
    return page(
        request,
        "manage/competitions/confirm_delete.html",
        competition,
        step=step,
        what=what,
        consequence=consequence,
        back=f"manage:{step}",
    )


# Phases


@login_required
@require_GET
def phases(request: HttpRequest, pk: int) -> HttpResponse:
    found = organized(request, pk)
    links = PhaseTask.objects.select_related("task").order_by("index")
    listed = (
        found.phases.select_related("leaderboard")
        .prefetch_related(Prefetch("phase_tasks", links))
        .order_by("index", "pk")
    )
    now = timezone.now()
    rows = [(phase, phase.status_at(now)) for phase in listed]
    return page(request, "manage/competitions/phases.html", found, step="phases", rows=rows)


def _phase(competition: Competition, phase_pk: int) -> Phase:
    return get_object_or_404(competition.phases.all(), pk=phase_pk)


@login_required
@require_http_methods(["GET", "POST"])
def phase_edit(request: HttpRequest, pk: int, phase_pk: int | None = None) -> HttpResponse:
    """Adds a phase (no `phase_pk`) or changes one: dates, limits, tasks, files."""
    found = organized(request, pk)
    phase = _phase(found, phase_pk) if phase_pk is not None else None
    form = forms.PhaseForm(
        request.POST or None,
        request.FILES or None,
        user=user_of(request),
        competition=found,
        initial=forms.PhaseForm.initial_for(phase) if phase is not None else None,
    )

    def save(files: dict[str, int | None]) -> Phase | None:
        serializer = PhaseSerializer(
            phase,
            data=form.payload(found, phase, files),
            partial=phase is not None,
            context={"request": request},
        )
        return forms.save_through(serializer, form)  # type: ignore[no-any-return]

    return edit_page(
        request,
        found,
        form,
        save,
        noun="Phase",
        step="phases",
        template="manage/competitions/phase_form.html",
        phase=phase,
    )


@login_required
@require_http_methods(["GET", "POST"])
def phase_delete(request: HttpRequest, pk: int, phase_pk: int) -> HttpResponse:
    found = organized(request, pk)
    phase = _phase(found, phase_pk)
    return confirm_delete(
        request,
        found,
        lambda: services.delete_phase(phase, by=user_of(request)),
        what=f"phase {phase.name!r}",
        consequence=f"Its {phase.submissions.count()} submission(s) are deleted with it.",
        step="phases",
    )


# Tasks


@login_required
@require_GET
def tasks(request: HttpRequest, pk: int) -> HttpResponse:
    """The tasks the competition's phases run, and the caller's own tasks no phase of it
    runs yet (made for it, to be picked in a phase)."""
    found = organized(request, pk)
    files = ("scoring_program", "ingestion_program", "input_data", "reference_data")
    here = PhaseTask.objects.filter(phase__competition=found).values("task_id")
    in_phases = Prefetch("phases", found.phases.order_by("index", "pk"), to_attr="here")
    used = (
        Task.objects.filter(pk__in=here)
        .select_related("created_by", *files)
        .prefetch_related(in_phases)
        .order_by("pk")
    )
    spare = (
        Task.objects.filter(created_by=user_of(request))
        .exclude(pk__in=here)
        .select_related(*files)
        .order_by("-pk")[:20]
    )
    owned = set(
        Task.objects.owned_by(request.user).filter(pk__in=here).values_list("pk", flat=True)
    )
    return page(
        request,
        "manage/competitions/tasks.html",
        found,
        step="tasks",
        used=list(used),
        spare=list(spare),
        owned=owned,
    )


def _task(request: HttpRequest, competition: Competition, task_pk: int) -> Task:
    """A task of this competition's phases, or one of the caller's own."""
    here = PhaseTask.objects.filter(phase__competition=competition).values("task_id")
    candidates = Task.objects.visible_to(request.user).filter(
        Q(pk__in=here) | Q(created_by=user_of(request))
    )
    return get_object_or_404(candidates, pk=task_pk)


def _place_task(
    request: HttpRequest, competition: Competition, task: Task, chosen: list[Phase]
) -> bool:
    """Adds the task to the chosen phases (after their tasks) and takes it out of the
    others, through the phases' serializer; False when it refuses."""
    wanted = {phase.pk for phase in chosen}
    for phase in competition.phases.prefetch_related("phase_tasks").order_by("index", "pk"):
        current = [link.task_id for link in sorted(phase.phase_tasks.all(), key=lambda x: x.index)]
        if phase.pk in wanted and task.pk not in current:
            change = [*current, task.pk]
        elif phase.pk not in wanted and task.pk in current:
            change = [pk for pk in current if pk != task.pk]
        else:
            continue
        serializer = PhaseSerializer(
            phase, data={"tasks": change}, partial=True, context={"request": request}
        )
        if not serializer.is_valid():
            return False
        serializer.save()
    return True


@login_required
@require_http_methods(["GET", "POST"])
def task_delete(request: HttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """Deletes one of the caller's tasks that nothing uses any more; its creator only, as
    in the API. A task a phase runs, or that scored submissions, stays, and the page says
    what keeps it."""
    found = organized(request, pk)
    task = _task(request, found, task_pk)
    if not Task.objects.owned_by(request.user).filter(pk=task.pk).exists():
        return not_allowed(
            request,
            found,
            f"Only the creator of task {task.name!r} may delete it.",
            back="manage:tasks",
            step="tasks",
        )
    try:
        return confirm_delete(
            request,
            found,
            lambda: services.delete_task(task, by=user_of(request)),
            what=f"task {task.name!r}",
            consequence="Its programs and data stay among your files, where you can delete "
            "them once nothing else uses them.",
            step="tasks",
        )
    except services.TaskInUse as refused:
        messages.error(request, f"Not deleted: {refused}.")
        return redirect("manage:tasks", found.pk)


@login_required
@require_http_methods(["GET", "POST"])
def task_edit(request: HttpRequest, pk: int, task_pk: int | None = None) -> HttpResponse:
    """Adds a task (programs and data uploaded or chosen) or changes one; its creator only,
    as in the API."""
    found = organized(request, pk)
    task = _task(request, found, task_pk) if task_pk is not None else None
    if task is not None and not Task.objects.owned_by(request.user).filter(pk=task.pk).exists():
        return not_allowed(
            request,
            found,
            f"Only the creator of task {task.name!r} may change it; its phases may still run "
            "it, or stop.",
            back="manage:tasks",
            step="tasks",
        )
    form = forms.TaskForm(
        request.POST or None,
        request.FILES or None,
        user=user_of(request),
        competition=found,
        initial=forms.TaskForm.initial_for(task, found) if task is not None else None,
    )

    def save(files: dict[str, int | None]) -> Task | None:
        serializer = TaskSerializer(
            task,
            data=form.payload(files),
            partial=task is not None,
            context={"request": request},
        )
        extra = {"created_by": user_of(request)} if task is None else {}
        saved = forms.save_through(serializer, form, **extra)
        if saved is None:
            return None
        if not _place_task(request, found, saved, list(form.cleaned_data["phases"])):
            form.add_error("phases", "The task could not be added to these phases.")
            return None
        return saved  # type: ignore[no-any-return]

    return edit_page(
        request,
        found,
        form,
        save,
        noun="Task",
        step="tasks",
        template="manage/competitions/task_form.html",
        task=task,
    )


# Leaderboards


@login_required
@require_GET
def leaderboards(request: HttpRequest, pk: int) -> HttpResponse:
    found = organized(request, pk)
    listed = found.leaderboards.prefetch_related(
        Prefetch("columns", Column.objects.order_by("index")),
        Prefetch("phases", Phase.objects.order_by("index", "pk")),
    ).order_by("index", "pk")
    return page(
        request, "manage/competitions/leaderboards.html", found, step="leaderboards", boards=listed
    )


def _board(competition: Competition, board_pk: int) -> Leaderboard:
    return get_object_or_404(competition.leaderboards.all(), pk=board_pk)


def _column_errors(
    errors: Any, columns: list[forms.ColumnForm], form: forms.LeaderboardForm
) -> None:
    """The serializer's column problems on the column they are about."""
    for position, detail in enumerate(errors if isinstance(errors, list) else [errors]):
        if isinstance(detail, dict):
            if position < len(columns):
                forms.put_errors(columns[position], detail)
            continue
        for message in forms.messages_of(detail):
            match = COLUMN_PROBLEM.match(message)
            if match and int(match[1]) < len(columns):
                target = columns[int(match[1])]
                field = match[2] if match[2] in target.fields else None
                target.add_error(field, match[3] if field else message)
            else:
                form.add_error(None, message)


@login_required
@require_http_methods(["GET", "POST"])
def leaderboard_edit(request: HttpRequest, pk: int, board_pk: int | None = None) -> HttpResponse:
    """Adds a leaderboard or changes one: its rule, its columns, the phases it ranks."""
    found = organized(request, pk)
    board = _board(found, board_pk) if board_pk is not None else None
    columns_initial = (
        [forms.ColumnForm.initial_for(column) for column in board.columns.order_by("index")]
        if board is not None
        else [{"index": 0, "title": "Score", "key": "score", "sorting": "desc", "precision": 2}]
    )
    form = forms.LeaderboardForm(
        request.POST or None,
        competition=found,
        initial=forms.LeaderboardForm.initial_for(board)
        if board is not None
        else {"key": "" if found.leaderboards.exists() else "main"},
    )
    columns = forms.ColumnFormSet(request.POST or None, initial=columns_initial, prefix="columns")
    # Both validated, so that both show their errors.
    if request.method == "POST" and all([form.is_valid(), columns.is_valid()]):
        kept = forms.kept_forms(columns)
        payload = form.payload(found, board, [column.payload() for column in kept])
        serializer = LeaderboardSerializer(board, data=payload, context={"request": request})
        if serializer.is_valid():
            saved = serializer.save()
            messages.success(request, f"Leaderboard {saved.title!r} saved.")
            return redirect("manage:leaderboards", found.pk)
        errors = dict(serializer.errors)
        if "columns" in errors:
            _column_errors(errors.pop("columns"), kept, form)
        forms.put_errors(form, errors, renamed={"frontier": "frontier_cost"})
    return page(
        request,
        "manage/competitions/leaderboard_form.html",
        found,
        step="leaderboards",
        form=form,
        columns=columns,
        board=board,
        reserved_keys=forms.reserved_keys(),
    )


@login_required
@require_http_methods(["GET", "POST"])
def leaderboard_delete(request: HttpRequest, pk: int, board_pk: int) -> HttpResponse:
    found = organized(request, pk)
    board = _board(found, board_pk)
    # What the API's delete does: the columns and their scores go, its phases keep their
    # submissions and have no leaderboard.
    return confirm_delete(
        request,
        found,
        board.delete,
        what=f"leaderboard {board.title!r}",
        consequence="Its columns and their scores are deleted; its phases keep their "
        "submissions and rank them on no leaderboard until you give them another.",
        step="leaderboards",
    )


# The fact sheet and registration


def _fact_sheet_initial(competition: Competition) -> list[dict[str, Any]]:
    questions = competition.fact_sheet or {}
    return [forms.FactSheetQuestionForm.initial_for(question) for question in questions.values()]


@login_required
@require_http_methods(["GET", "POST"])
def fact_sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The questions asked with every submission, checked by the bundle format's own rules."""
    found = organized(request, pk)
    formset = forms.FactSheetFormSet(
        request.POST or None, initial=_fact_sheet_initial(found), prefix="questions"
    )
    problems: list[str] = []
    if request.method == "POST" and formset.is_valid():
        kept = forms.kept_forms(formset)
        raw: dict[str, Any] = {}
        for form in kept:
            key = form.cleaned_data["key"]
            if key in raw:
                form.add_error("key", f"Another question already has the key {key!r}.")
            raw[key] = form.raw()
        found_problems = Problems()
        value = parse_fact_sheet(Reader({"fact_sheet": raw}, "", found_problems), found_problems)
        by_key = {form.cleaned_data["key"]: form for form in kept}
        for problem in found_problems.errors:
            parts = problem.path.split(".")
            target = by_key.get(parts[1]) if len(parts) > 1 else None
            if target is not None and len(parts) > 2 and parts[2] in target.fields:
                target.add_error(parts[2], problem.message)
            else:
                problems.append(str(problem))
        if not problems and not any(form.errors for form in kept):
            problems = save_competition(request, found, {"fact_sheet": value or None})
            if not problems:
                return after_saving(request, found, "fact-sheet", said="Fact sheet saved.")
    return page(
        request,
        "manage/competitions/fact_sheet.html",
        found,
        step="fact-sheet",
        formset=formset,
        problems=problems,
    )


def _registration_initial(competition: Competition) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    entries = competition.registration_allow_list.order_by("value").values_list("value", flat=True)
    settings = {
        "registration_auto_approve": competition.registration_auto_approve,
        "allow_list": "\n".join(entries),
    }
    questions = [
        forms.RegistrationQuestionForm.initial_for(question)
        for question in participation.questions_of(competition)
    ]
    return settings, questions


def _save_registration(
    request: HttpRequest,
    competition: Competition,
    form: forms.RegistrationForm,
    formset: Any,
) -> bool:
    """Auto-approval, the registration form and the allow-list through the participation
    services, all or nothing: every refusal is put on its field first."""
    kept = list(formset.ordered_forms)
    entries = form.cleaned_data["allow_list"]
    try:
        with transaction.atomic():
            refused = False
            try:
                participation.set_questions(
                    competition, questions=[each.question() for each in kept]
                )
            except participation.SettingsInvalid as exc:
                refused = True
                for index, fields in exc.errors.items():
                    if index < len(kept):
                        forms.put_errors(kept[index], fields)
                    else:
                        forms.put_errors(formset.forms[0] if formset.forms else form, fields)
            try:
                participation.set_allow_list(competition, by=user_of(request), entries=entries)
            except participation.SettingsInvalid as exc:
                refused = True
                for index, problems in exc.errors.items():
                    for problem in problems:
                        form.add_error("allow_list", f"{entries[index]}: {problem}")
            serializer = CompetitionSerializer(
                competition,
                data={"registration_auto_approve": form.cleaned_data["registration_auto_approve"]},
                partial=True,
                context={"request": request},
            )
            if forms.save_through(serializer, form) is None or refused:
                raise Refused
    except Refused:
        competition.refresh_from_db()
        return False
    return True


@login_required
@require_http_methods(["GET", "POST"])
def registration(request: HttpRequest, pk: int) -> HttpResponse:
    found = organized(request, pk)
    settings, questions = _registration_initial(found)
    form = forms.RegistrationForm(request.POST or None, initial=settings)
    formset = forms.RegistrationQuestionFormSet(
        request.POST or None, initial=questions, prefix="questions"
    )
    if (
        request.method == "POST"
        and all([form.is_valid(), formset.is_valid()])  # both, so that both show their errors
        and _save_registration(request, found, form, formset)
    ):
        return after_saving(request, found, "registration", said="Registration settings saved.")
    return page(
        request,
        "manage/competitions/registration.html",
        found,
        step="registration",
        form=form,
        formset=formset,
    )
