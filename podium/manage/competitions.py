"""The organizers' pages for their competitions themselves ("Benchmarks > Management"): the
list, creating one (step by step, or from a bundle), its settings, publishing, deleting,
cloning, its dumps, and the organizer's data files.

Who may do what is the querysets' (`Competition.objects.organized_by` to see and change,
`owned_by` to delete), as in the API: a competition one does not organize is 404. What a
competition may hold is the API serializers' and the services' to say; these views parse
the forms, hand them on, and render.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from podium.accounts.models import User
from podium.bundles.export import bundle_file_name, export_to_temporary_file
from podium.bundles.problems import BundleInvalid
from podium.bundles.services import import_bundle
from podium.competitions import services
from podium.competitions.models import Competition, Phase, Solution, Task
from podium.competitions.serializers import CompetitionSerializer
from podium.core.images import ImageRefused
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.manage import forms, wizard
from podium.submissions.models import Submission
from podium.web.listing import annotated

PAGE_SIZE = 20
FILES_PAGE_SIZE = 25
# Files of submissions and their runs are the participants'; this page lists the rest.
ORGANIZER_KINDS = [
    kind
    for kind in Data.Kind
    if kind not in (Data.Kind.SUBMISSION, Data.Kind.OUTPUT, Data.Kind.LOG)
]


class Refused(Exception):
    """A form the serializers or services turned down: roll back what was written."""


def user_of(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # login_required let only users in
    return request.user


def organized(request: HttpRequest, pk: int) -> Competition:
    """The competition, if the caller organizes it (owner, collaborator, platform admin)."""
    found = Competition.objects.organized_by(request.user).select_related("created_by", "queue")
    return get_object_or_404(found, pk=pk)


def is_owner(user: Any, competition: Competition) -> bool:
    return Competition.objects.owned_by(user).filter(pk=competition.pk).exists()


def page(
    request: HttpRequest,
    template: str,
    competition: Competition | None,
    *,
    step: str = "",
    status: int | None = None,
    **context: Any,
) -> HttpResponse:
    """Renders a management page; a step of the wizard shows where it stands while the
    competition is an unpublished draft. A page shown in answer to a POST is a refusal (a
    POST that worked redirects): 400, unless `status` says otherwise."""
    if status is None:
        status = 400 if request.method == "POST" else 200
    if competition is not None and step and not competition.published:
        progress = context.get("progress") or wizard.progress(competition)
        number, _ = progress.step(step)
        context.update(
            progress=progress,
            step_number=number,
            next_step=progress.after(step),
            previous_step=progress.before(step),
        )
    return render(
        request, template, {"competition": competition, "step": step, **context}, status=status
    )


def not_allowed(
    request: HttpRequest, competition: Competition, refusal: str, *, back: str, step: str = ""
) -> HttpResponse:
    """403, with why and a link `back` (a URL name of the competition's pages)."""
    return page(
        request,
        "manage/competitions/refused.html",
        competition,
        step=step,
        refusal=refusal,
        back=back,
        status=403,
    )


def save_competition(
    request: HttpRequest, competition: Competition, data: dict[str, Any]
) -> list[str]:
    """Changes the competition as `data` says, through the competitions API's serializer:
    [] once saved, else what it refused, in words (and nothing saved)."""
    serializer = CompetitionSerializer(
        competition, data=data, partial=True, context={"request": request}
    )
    if not serializer.is_valid():
        return list(forms.messages_of(serializer.errors))
    serializer.save()
    return []


def counts(competition: Competition) -> dict[str, int]:
    """Its participants and its submissions (each re-run of one counted once)."""
    return {
        "participants": competition.participants.count(),
        "submissions": Submission.objects.filter(
            phase__competition=competition, parent__isnull=True
        ).count(),
    }


def after_saving(
    request: HttpRequest, competition: Competition, step: str, *, said: str
) -> HttpResponse:
    """What was saved (`said`), then back to the page just saved, or on to the next step
    ("Save and continue")."""
    messages.success(request, said)
    if request.POST.get("then") == "continue":
        following = wizard.progress(competition).after(step)
        if following is not None:
            return redirect(f"manage:{following.name}", competition.pk)
    return redirect(f"manage:{step}", competition.pk)


def upload_name(name: str | None, fallback: str) -> str:
    """The last part of a client's file name, or `fallback` when it has none."""
    base = PurePosixPath((name or "").replace("\\", "/")).name.strip()
    return base[:255] or fallback


# The list


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    """The competitions the caller runs (all of them for platform admins), newest first."""
    submissions = (
        Submission.objects.filter(phase__competition=OuterRef("pk"), parent__isnull=True)
        .order_by()
        .values("phase__competition")
        .annotate(count=Count("pk"))
        .values("count")
    )
    listed = (
        annotated(Competition.objects.organized_by(request.user), timezone.now())
        .annotate(submission_count=Coalesce(Subquery(submissions), 0))
        .select_related("created_by")
        .prefetch_related(Prefetch("phases", Phase.objects.order_by("index", "pk")))
        .order_by("-created_at", "-pk")
    )
    found = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "manage/index.html", {"page": found})


# Creating


def _save_details(
    request: HttpRequest, form: forms.DetailsForm, competition: Competition | None
) -> Competition | None:
    """The details through the competitions API's serializer, and the logo through its
    service, all or nothing; None with the reasons on the form."""
    serializer = CompetitionSerializer(
        competition,
        data=form.payload(),
        partial=competition is not None,
        context={"request": request},
    )
    extra = {"created_by": user_of(request)} if competition is None else {}
    try:
        with transaction.atomic():
            saved = forms.save_through(serializer, form, **extra)
            if saved is None:
                raise Refused
            logo = form.cleaned_data.get("logo")
            if logo:
                try:
                    services.set_logo(
                        saved,
                        by=user_of(request),
                        stream=logo,
                        name=upload_name(logo.name, "logo"),
                    )
                except (ImageRefused, datasets.QuotaExceeded) as exc:
                    form.add_error("logo", str(exc))
                    raise Refused from None
    except Refused:
        if competition is not None:
            competition.refresh_from_db()
        return None
    return saved  # type: ignore[no-any-return]


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """Step 1 of the wizard: the details of a new competition, saved as a draft."""
    form = forms.DetailsForm(request.POST or None, request.FILES or None, user=user_of(request))
    if request.method == "POST" and form.is_valid():
        competition = _save_details(request, form, None)
        if competition is not None:
            messages.success(request, f"Draft {competition.title!r} created. Next: its pages.")
            return redirect("manage:pages", competition.pk)
    steps = [wizard.Step(name, title, False) for name, title in wizard.ORDER]
    return render(
        request,
        "manage/competitions/create.html",
        {"form": form, "steps": steps},
        status=400 if form.errors else 200,
    )


def _import_upload(file: UploadedFile[bytes], owner: User) -> Any:
    """The upload copied to a temporary file of its own (the importer reads a path), then
    imported; the copy goes whatever happens."""
    with tempfile.TemporaryDirectory(prefix="podium-upload-") as folder:
        name = upload_name(file.name, "bundle.zip")
        source = Path(folder) / (name if name.isascii() and "/" not in name else "bundle.zip")
        with source.open("wb") as copy:
            for chunk in file.chunks():
                copy.write(chunk)
        return import_bundle(source=source, owner=owner)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@login_required
@require_http_methods(["GET", "POST"])
def upload_bundle(request: HttpRequest) -> HttpResponse:
    """A competition from a bundle. The page's script sends the file with a progress bar and
    asks for JSON; without the script the form posts and the page shows the outcome."""
    form = forms.BundleForm(request.POST or None, request.FILES or None)
    errors: list[str] = []
    warnings: list[str] = []
    if request.method == "POST":
        if form.is_valid():
            try:
                result = _import_upload(form.cleaned_data["file"], user_of(request))
            except BundleInvalid as exc:
                errors, warnings = exc.errors, exc.warnings
            else:
                competition = result.competition
                messages.success(request, f"Competition {competition.title!r} imported as a draft.")
                for warning in result.warnings:
                    messages.warning(request, f"Warning: {warning}")
                target = reverse("manage:competition", args=[competition.pk])
                if _wants_json(request):
                    return JsonResponse(
                        {"competition": competition.pk, "redirect": target, "warnings": warnings}
                    )
                return redirect(target)
        else:
            errors = [str(message) for message in form.errors.get("file", [])]
        if _wants_json(request):
            return JsonResponse({"errors": errors, "warnings": warnings}, status=400)
    return render(
        request,
        "manage/competitions/upload.html",
        {"form": form, "errors": errors, "warnings": warnings},
        status=400 if errors else 200,
    )


# One competition


@login_required
@require_GET
def competition(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a competition stands: its steps, what keeps it from taking submissions, and
    what can be done to it."""
    found = organized(request, pk)
    return page(
        request,
        "manage/competitions/overview.html",
        found,
        step="competition",
        progress=wizard.progress(found),
        counts=counts(found),
        owner=is_owner(request.user, found),
    )


@login_required
@require_http_methods(["GET", "POST"])
def details(request: HttpRequest, pk: int) -> HttpResponse:
    found = organized(request, pk)
    form = forms.DetailsForm(
        request.POST or None,
        request.FILES or None,
        user=user_of(request),
        initial=forms.DetailsForm.initial_for(found),
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and _save_details(request, form, found) is not None
    ):
        return after_saving(request, found, "details", said="Details saved.")
    return page(
        request,
        "manage/competitions/details.html",
        found,
        step="details",
        form=form,
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pages(request: HttpRequest, pk: int) -> HttpResponse:
    """The competition's pages, all on one form: edit, reorder, delete, add."""
    found = organized(request, pk)
    initial = [
        {"title": item.title, "content": item.content}
        for item in found.pages.order_by("index", "pk")
    ]
    formset = forms.PageFormSet(request.POST or None, initial=initial, prefix="pages")
    problems: list[str] = []
    if request.method == "POST" and formset.is_valid():
        problems = save_competition(request, found, {"pages": forms.page_payload(formset)})
        if not problems:
            return after_saving(request, found, "pages", said="Pages saved.")
    return page(
        request,
        "manage/competitions/pages.html",
        found,
        step="pages",
        formset=formset,
        problems=problems,
    )


@login_required
@require_http_methods(["GET", "POST"])
def collaborators(request: HttpRequest, pk: int) -> HttpResponse:
    """Who organizes the competition with its owner; the owner alone changes it."""
    found = organized(request, pk)
    owner = is_owner(request.user, found)
    current = "\n".join(found.collaborators.order_by("username").values_list("username", flat=True))
    form = forms.CollaboratorsForm(request.POST or None, initial={"names": current})
    if request.method == "POST":
        if not owner:
            return not_allowed(
                request,
                found,
                "Only the competition's owner may change who organizes it.",
                back="manage:collaborators",
            )
        if form.is_valid():
            try:
                services.set_collaborators(
                    found, names=form.cleaned_data["names"], by=user_of(request)
                )
            except services.CollaboratorsRefused as exc:
                for problem in exc.problems:
                    form.add_error("names", problem)
            else:
                messages.success(request, "Collaborators saved.")
                return redirect("manage:collaborators", found.pk)
    return page(
        request,
        "manage/competitions/collaborators.html",
        found,
        form=form,
        owner=owner,
        status=400 if form.errors else 200,
    )


# Publishing, deleting, cloning


@login_required
@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    """Publishes an unpublished competition, or unpublishes a published one."""
    found = services.toggle_publish(organized(request, pk), by=user_of(request))
    if found.published:
        messages.success(
            request, f"{found.title!r} is published: everyone can see it and register."
        )
    else:
        messages.success(request, f"{found.title!r} is unpublished: only its organizers see it.")
    return redirect("manage:competition", found.pk)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Asks, then deletes: the owner only, and only once the competition is unpublished."""
    found = organized(request, pk)
    if not is_owner(request.user, found):
        return page(
            request,
            "manage/competitions/delete.html",
            found,
            refusal="Only the competition's owner may delete it; collaborators may not.",
            status=403,
        )
    refusal = ""
    if request.method == "POST":
        try:
            services.delete_unpublished(found, by=user_of(request))
        except services.StillPublished as exc:
            refusal = str(exc)
        else:
            messages.success(request, f"{found.title!r} was deleted.")
            return redirect("manage:index")
    return page(
        request,
        "manage/competitions/delete.html",
        found,
        refusal=refusal,
        counts=counts(found),
        status=409 if refusal else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def clone(request: HttpRequest, pk: int) -> HttpResponse:
    """A new draft with the same settings and none of the participants or submissions."""
    found = organized(request, pk)
    errors: list[str] = []
    if request.method == "POST":
        try:
            copy = services.clone_competition(found, by=user_of(request))
        except BundleInvalid as exc:
            errors = exc.errors
        except datasets.QuotaExceeded as exc:
            errors = [str(exc)]
        else:
            messages.success(request, f"Cloned as {copy.title!r}, an unpublished draft of yours.")
            return redirect("manage:competition", copy.pk)
    return page(
        request,
        "manage/competitions/clone.html",
        found,
        errors=errors,
        status=400 if errors else 200,
    )


# Dumps


@login_required
@require_GET
def dumps(request: HttpRequest, pk: int) -> HttpResponse:
    found = organized(request, pk)
    return page(
        request,
        "manage/competitions/dumps.html",
        found,
        phases=list(found.phases.filter(leaderboard__isnull=False).order_by("index", "pk")),
    )


@login_required
@require_GET
def export_bundle(request: HttpRequest, pk: int) -> FileResponse:
    """The competition as a bundle zip (what the API's export_bundle sends)."""
    found = organized(request, pk)
    archive = export_to_temporary_file(found)
    name = bundle_file_name(found)
    return FileResponse(archive, as_attachment=True, filename=name, content_type="application/zip")


# The organizer's files


def _uses(ids: list[int]) -> dict[int, list[str]]:
    """For each file, what uses it, in words ("Iris: task Iris development"). Four queries."""
    uses: dict[int, list[str]] = {pk: [] for pk in ids}
    slots = ("scoring_program", "ingestion_program", "input_data", "reference_data")
    holders = Q()
    for slot in slots:
        holders |= Q(**{f"{slot}__in": ids})
    for task in Task.objects.filter(holders).prefetch_related("phases__competition"):
        competitions = sorted({phase.competition.title for phase in task.phases.all()})
        where = f" ({', '.join(competitions)})" if competitions else " (no competition)"
        for slot in slots:
            if getattr(task, f"{slot}_id") in uses:
                uses[getattr(task, f"{slot}_id")].append(f"task {task.name!r}{where}")
    phases = Phase.objects.filter(Q(starting_kit__in=ids) | Q(public_data__in=ids))
    for phase in phases.select_related("competition"):
        for slot in ("starting_kit", "public_data"):
            if getattr(phase, f"{slot}_id") in uses:
                uses[getattr(phase, f"{slot}_id")].append(
                    f"phase {phase.name!r} ({phase.competition.title})"
                )
    for holder in Competition.objects.filter(Q(logo__in=ids) | Q(bundle__in=ids)):
        for slot in ("logo", "bundle"):
            if getattr(holder, f"{slot}_id") in uses:
                uses[getattr(holder, f"{slot}_id")].append(f"{slot} of {holder.title!r}")
    for solution in Solution.objects.filter(data__in=ids):
        uses[solution.data_id].append(f"solution {solution.name!r}")
    return uses


@login_required
@require_http_methods(["GET", "POST"])
def files(request: HttpRequest) -> HttpResponse:
    """The caller's programs and data files: sizes, what uses each, upload, delete."""
    owner = user_of(request)
    form = forms.DataUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            stored = datasets.store(
                owner=owner,
                kind=form.cleaned_data["kind"],
                name=form.cleaned_data["name"] or upload_name(upload.name, "file.zip"),
                stream=upload,
                description=form.cleaned_data["description"],
                is_public=form.cleaned_data["is_public"],
            )
        except datasets.QuotaExceeded as exc:
            form.add_error("file", str(exc))
        else:
            messages.success(request, f"{stored.name!r} uploaded.")
            return redirect("manage:files")
    mine = Data.objects.filter(owner=owner, kind__in=ORGANIZER_KINDS, upload_completed=True)
    listed = Paginator(mine.order_by("-created_at", "-pk"), FILES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    ids = [data.pk for data in listed]
    unused = set(Data.objects.filter(pk__in=ids).unused().values_list("pk", flat=True))
    uses = _uses(ids)
    rows = [(data, uses[data.pk], data.pk in unused) for data in listed]
    return render(
        request,
        "manage/competitions/files.html",
        {
            "form": form,
            "page": listed,
            "rows": rows,
            "used_bytes": Data.objects.counted_for(owner).bytes_used(),
            "quota_bytes": owner.storage_quota(),
        },
        status=400 if form.errors else 200,
    )


def _my_file(request: HttpRequest, data_pk: int) -> Data:
    return get_object_or_404(
        Data.objects.owned_by(request.user).filter(upload_completed=True), pk=data_pk
    )


@login_required
@require_POST
def file_delete(request: HttpRequest, data_pk: int) -> HttpResponse:
    found = _my_file(request, data_pk)
    try:
        datasets.delete_file(found)
    except datasets.FileInUse as exc:
        messages.error(request, f"{found.name!r} was not deleted: {exc}.")
    else:
        messages.success(request, f"{found.name!r} was deleted.")
    return redirect("manage:files")


@login_required
@require_GET
def file_download(request: HttpRequest, data_pk: int) -> FileResponse:
    found = _my_file(request, data_pk)
    stream = default_storage.open(str(found.file.name), "rb")
    return FileResponse(stream, as_attachment=True, filename=found.name)
