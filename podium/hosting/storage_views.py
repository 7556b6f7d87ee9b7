"""`/host/storage/`: what each user stores against their quota, changing a quota, the
cleanup of a user's unused files (a preview, then the action: `datasets.services.clean_up`,
the service behind /api/user_quota_cleanup/), and data groups (the services behind
/api/data_groups/). Platform admins only, who may see and delete every user's files through
the datasets API too."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.views.decorators.http import require_POST

from podium.accounts import services as accounts
from podium.accounts.models import User
from podium.datasets import services
from podium.datasets.models import DataGroup, DataGroupEntry
from podium.hosting import readers
from podium.hosting.access import host, host_required
from podium.hosting.forms import CleanupForm, DataGroupForm, QuotaForm, UserSearchForm

USER_PAGE_SIZE = 50
PREVIEW_PAGE_SIZE = 100
GROUP_PAGE_SIZE = 50


def _files(count: int) -> str:
    return f"{count:,} file{'' if count == 1 else 's'}"


@host_required
def storage(request: HttpRequest) -> HttpResponse:
    form = UserSearchForm(request.GET or None)
    search = form.cleaned_data["q"] if form.is_valid() else ""
    users = readers.users_by_storage(search)
    page = Paginator(users, USER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "hosting/storage.html",
        {"section": "storage", "form": form, "page": page, "totals": readers.totals()},
    )


def _user_page(
    request: HttpRequest,
    user: User,
    *,
    quota_form: QuotaForm | None = None,
    cleanup_form: CleanupForm | None = None,
    status: int = 200,
) -> HttpResponse:
    unused = services.unused_files(user)
    preview = Paginator(unused, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    quota_bytes = user.quota_bytes
    if quota_form is None:
        initial: dict[str, Any] = {"unit": "GiB"}
        if quota_bytes is not None:
            initial["amount"] = round(quota_bytes / 2**30, 3)
        quota_form = QuotaForm(initial=initial)
    quota_form.fields["amount"].widget.attrs["placeholder"] = (
        f"default: {filesizeformat(settings.USER_QUOTA_BYTES)}"
    )
    return render(
        request,
        "hosting/user.html",
        {
            "section": "storage",
            "shown": user,
            "usage": readers.usage(user),
            "quota_form": quota_form,
            "cleanup_form": cleanup_form,
            "preview": preview,
            "reclaimable": unused.bytes_used() if preview.paginator.count else 0,
            "groups": DataGroup.objects.filter(owner=user).order_by("name", "pk"),
        },
        status=status,
    )


@host_required
def user_storage(request: HttpRequest, pk: int) -> HttpResponse:
    return _user_page(request, get_object_or_404(User, pk=pk))


@host_required
@require_POST
def set_quota(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    form = QuotaForm(request.POST)
    if not form.is_valid():
        return _user_page(request, user, quota_form=form, status=400)
    accounts.set_quota(user=user, quota_bytes=form.quota_bytes(), by=host(request))
    shown = (
        "the platform's default" if user.quota_bytes is None else filesizeformat(user.quota_bytes)
    )
    messages.success(request, f"{user.username}'s quota is now {shown}.")
    return redirect("hosting:user", pk=user.pk)


@host_required
@require_POST
def clean_up(request: HttpRequest, pk: int) -> HttpResponse:
    user = get_object_or_404(User, pk=pk)
    everything = request.POST.get("scope") == "all"
    form = CleanupForm({"ids": request.POST.getlist("ids")})
    if not everything and not form.is_valid():
        return _user_page(request, user, cleanup_form=form, status=400)
    chosen = None if everything else form.cleaned_data["ids"]
    deleted = services.clean_up(owner=user, ids=chosen, by=host(request))
    freed = sum(data.size for data in deleted)
    if deleted:
        messages.success(
            request,
            f"Deleted {_files(len(deleted))} of {user.username}'s, "
            f"freeing {filesizeformat(freed)}.",
        )
    else:
        messages.warning(
            request,
            "Nothing was deleted: the files chosen are in use now, or gone already.",
        )
    return redirect("hosting:user", pk=user.pk)


# Data groups


def _group_ids(form: DataGroupForm, owner: User) -> list[Any] | None:
    """The group's files, each of which its owner must be able to see; None, with the
    form's error set, when some are not."""
    try:
        return services.data_for_group(owner=owner, ids=form.cleaned_data["file_ids"])
    except services.UnknownData as exc:
        form.add_error("file_ids", str(exc))
        return None


@host_required
def groups(request: HttpRequest) -> HttpResponse:
    form = DataGroupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = _group_ids(form, host(request))
        if data is not None:
            group = services.create_group(
                by=host(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                data=data,
            )
            messages.success(request, f"Data group “{group.name}” created.")
            return redirect("hosting:group", pk=group.pk)
    page = Paginator(readers.data_groups(), GROUP_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "hosting/groups.html",
        {"section": "groups", "form": form, "page": page},
        status=400 if form.is_bound else 200,
    )


@host_required
def group(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(DataGroup.objects.select_related("owner"), pk=pk)
    entries = (
        DataGroupEntry.objects.seen_by_group_owner()
        .filter(group=found)
        .select_related("data__owner")
        .order_by("data_id")
    )
    if request.method == "POST":
        form = DataGroupForm(request.POST)
        if form.is_valid():
            data = _group_ids(form, found.owner)
            if data is not None:
                services.update_group(
                    group=found,
                    by=host(request),
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    data=data,
                )
                messages.success(request, f"Data group “{found.name}” saved.")
                return redirect("hosting:group", pk=found.pk)
    else:
        form = DataGroupForm(
            initial={
                "name": found.name,
                "description": found.description,
                "file_ids": ", ".join(str(entry.data_id) for entry in entries),
            }
        )
    return render(
        request,
        "hosting/group.html",
        {"section": "groups", "group": found, "entries": entries, "form": form},
        status=400 if form.is_bound else 200,
    )


@host_required
@require_POST
def delete_group(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(DataGroup, pk=pk)
    services.delete_group(group=found, by=host(request))
    messages.success(request, f"Data group “{found.name}” deleted; its files stay.")
    return redirect(reverse("hosting:groups"))
