"""The organization pages: my organizations, creating one, an organization's page (its
members and their groups, its open invitations) and what its members do there (invite,
change a member's group, remove a member, leave, edit, delete); and the link of an
invitation email.

An organization's page is its members' (and platform admins'): anyone else is answered
404, as for an organization that does not exist. Each action calls one function of
`podium.organizations.services`, which decides who may do what; a refusal is shown on the
page with the service's reason, and nothing changes. What the pages offer (which buttons,
which groups) follows the same rules, only so as not to offer what would be refused.

The invitation's GET only shows; mail scanners that follow links must not answer anyone's
invitation.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from podium.accounts.models import User
from podium.organizations import services
from podium.organizations.forms import GroupForm, InviteForm, OrganizationForm
from podium.organizations.models import Invite, Membership, Organization

STATUSES: dict[type[services.OrganizationError], int] = {
    services.NotAllowed: 403,
    services.NotFound: 404,
    services.Conflict: 409,
    services.InviteExpired: 410,
}
LIST_PAGE_SIZE = 20
MEMBERS_PAGE_SIZE = 50
INVITES_PAGE_SIZE = 20
OWNER = Membership.Group.OWNER
# Most power first, as the groups are explained.
GROUP_ORDER = Case(
    *(
        When(group=group, then=Value(rank))
        for rank, group in enumerate(
            [OWNER, Membership.Group.MANAGER, Membership.Group.PARTICIPANT, Membership.Group.MEMBER]
        )
    ),
    default=Value(9),
    output_field=IntegerField(),
)


def _status(refusal: services.OrganizationError) -> int:
    return STATUSES.get(type(refusal), 400)


def _sentence(refusal: Exception) -> str:
    """A service's reason ("an organization named ...") as a sentence of its own."""
    reason = str(refusal)
    return f"{reason[:1].upper()}{reason[1:]}."


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


class Viewer:
    """Who looks at an organization's page, and so what the page offers them."""

    def __init__(self, user: User, membership: Membership | None) -> None:
        self.user = user
        self.membership = membership
        admin = user.is_superuser
        self.manages = admin or (membership is not None and membership.manages)
        self.owns = admin or (membership is not None and membership.group == OWNER)

    def groups(self) -> list[tuple[str, str]]:
        """The groups this viewer may put someone in."""
        return [choice for choice in Membership.Group.choices if self.owns or choice[0] != OWNER]

    def may_change(self, member: Membership) -> bool:
        return self.manages and (self.owns or member.group != OWNER)

    def may_remove(self, member: Membership) -> bool:
        return member.user_id != self.user.pk and self.may_change(member)


def _organization(request: HttpRequest, pk: int) -> tuple[Organization, Viewer]:
    """The organization and its viewer; 404 unless a member or a platform admin."""
    user = _user(request)
    organization = get_object_or_404(Organization, pk=pk)
    membership = services.membership_of(organization, user)
    if membership is None and not user.is_superuser:
        raise Http404("no such organization")
    return organization, Viewer(user, membership)


# My organizations, and a new one


@login_required
@require_http_methods(["GET"])
def index(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    mine = (
        Membership.objects.filter(user=user)
        .select_related("organization")
        .annotate(member_count=Count("organization__memberships"))
        .order_by("organization__name", "pk")
    )
    page = Paginator(mine, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    invited = (
        Invite.objects.filter(
            email__iexact=user.email,
            accepted_at__isnull=True,
            declined_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("organization", "invited_by")
        .order_by("-created_at", "-pk")[:INVITES_PAGE_SIZE]
        if user.email
        else Invite.objects.none()
    )
    context = {"page": page, "invited": list(invited)}
    return render(request, "organizations/index.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    form = OrganizationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.create_organization(
                user=_user(request), fields=form.fields_to_write()
            )
        except services.NameTaken as refused:
            form.add_error("name", _sentence(refused))
        else:
            messages.success(request, f"{organization.name} is created; you are its owner.")
            return redirect("organizations:detail", organization.pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "may_edit": True}
    return render(request, "organizations/form.html", context, status=status)


# An organization's page


def _detail(
    request: HttpRequest,
    organization: Organization,
    viewer: Viewer,
    *,
    invite_form: InviteForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    members = (
        organization.memberships.select_related("user")
        .annotate(rank=GROUP_ORDER)
        .order_by("rank", "user__username", "pk")
    )
    page = Paginator(members, MEMBERS_PAGE_SIZE).get_page(request.GET.get("page"))
    for member in page:
        member.may_change = viewer.may_change(member)  # type: ignore[attr-defined]
        member.may_remove = viewer.may_remove(member)  # type: ignore[attr-defined]
    invites = None
    if viewer.manages:
        open_invites = (
            organization.invites.filter(accepted_at__isnull=True, declined_at__isnull=True)
            .select_related("invited_by")
            .order_by("-created_at", "-pk")
        )
        invites = Paginator(open_invites, INVITES_PAGE_SIZE).get_page(request.GET.get("invites"))
    context: dict[str, Any] = {
        "organization": organization,
        "viewer": viewer,
        "page": page,
        "invites": invites,
        "groups": viewer.groups(),
        "invite_form": invite_form or InviteForm(may_invite_owners=viewer.owns),
        "error": error,
    }
    return render(request, "organizations/detail.html", context, status=status)


@login_required
@require_http_methods(["GET"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    organization, viewer = _organization(request, pk)
    return _detail(request, organization, viewer)


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    organization, viewer = _organization(request, pk)
    # The form validates on a copy: the service changes the organization, or nothing.
    form = OrganizationForm(
        request.POST if request.method == "POST" else None, instance=copy.copy(organization)
    )
    error, status = "", 200
    if not viewer.manages:
        error = f"only the owners and managers of {organization.name} may change its details"
        status = 403
    if request.method == "POST" and form.is_valid():
        try:
            services.update_organization(
                organization, by=_user(request), changes=form.fields_to_write()
            )
        except services.NameTaken as refused:
            form.add_error("name", _sentence(refused))
        except services.OrganizationError as refused:
            error, status = str(refused), _status(refused)
        else:
            messages.success(request, "The organization's details are saved.")
            return redirect("organizations:detail", organization.pk)
    if request.method == "POST" and status == 200:
        status = 400
    context = {
        "form": form,
        "organization": organization,
        "error": error,
        "may_edit": viewer.manages,
    }
    return render(request, "organizations/form.html", context, status=status)


@login_required
@require_POST
def invite(request: HttpRequest, pk: int) -> HttpResponse:
    organization, viewer = _organization(request, pk)
    form = InviteForm(request.POST, may_invite_owners=viewer.owns)
    if not form.is_valid():
        return _detail(request, organization, viewer, invite_form=form, status=400)
    try:
        sent = services.invite(
            organization=organization,
            by=_user(request),
            emails=form.cleaned_data["emails"],
            group=form.cleaned_data["group"],
        )
    except services.OrganizationError as refused:
        error = f"No invitation was sent: {refused}."
        return _detail(
            request, organization, viewer, invite_form=form, error=error, status=_status(refused)
        )
    addresses = ", ".join(invitation.email for invitation in sent)
    messages.success(request, f"Invitation emailed to {addresses}.")
    return redirect(reverse("organizations:detail", args=[organization.pk]) + "#invites")


@login_required
@require_POST
def member_group(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    organization, viewer = _organization(request, pk)
    form = GroupForm(request.POST)
    if not form.is_valid():
        return _detail(request, organization, viewer, error="Choose a group.", status=400)
    by = _user(request)
    try:
        found = services.find_member(organization, by=by, member=member, username=None)
        changed = services.change_group(
            organization=organization, by=by, member=found, group=form.cleaned_data["group"]
        )
    except services.OrganizationError as refused:
        error = f"No group was changed: {refused}."
        return _detail(request, organization, viewer, error=error, status=_status(refused))
    messages.success(request, f"{changed.user.username} is now {changed.group}.")
    return redirect("organizations:detail", organization.pk)


def _confirm(
    request: HttpRequest, context: dict[str, Any], *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(request, "organizations/confirm.html", {**context, "error": error}, status=status)


def _confirmed(
    request: HttpRequest,
    context: dict[str, Any],
    act: Callable[[], object],
    *,
    refusal: str,
    failed: str,
    said: str,
    then: str,
) -> HttpResponse:
    """The question of `context` until it is answered (with `refusal`, 403, to a viewer it
    does not allow); once posted, `act()`, then to `then` (a URL) saying what was done, or
    the question again with why it `failed`."""
    if request.method != "POST":
        if not context["allowed"]:
            return _confirm(request, context, error=refusal, status=403)
        return _confirm(request, context)
    try:
        act()
    except services.OrganizationError as refused:
        return _confirm(request, context, error=f"{failed}: {refused}.", status=_status(refused))
    messages.success(request, said)
    return redirect(then)


@login_required
@require_http_methods(["GET", "POST"])
def remove_member(request: HttpRequest, pk: int, member: int) -> HttpResponse:
    organization, viewer = _organization(request, pk)
    by = _user(request)
    try:
        found = services.find_member(organization, by=by, member=member, username=None)
    except services.OrganizationError as refused:
        return _detail(request, organization, viewer, error=str(refused), status=_status(refused))
    if found.user_id == by.pk:
        return redirect("organizations:leave", organization.pk)
    context = {
        "organization": organization,
        "title": f"Remove {found.user.username}",
        "question": f"Remove {found.user.username} ({found.group}) from {organization.name}?",
        "explanation": "They can join again only through a new invitation. Their "
        "submissions stay theirs.",
        "button": f"Remove {found.user.username}",
        "allowed": viewer.may_remove(found),
    }
    return _confirmed(
        request,
        context,
        lambda: services.remove_member(organization=organization, by=by, member=found),
        refusal=_may_not_remove(organization, found),
        failed="Not removed",
        said=f"{found.user.username} is removed from {organization.name}.",
        then=reverse("organizations:detail", args=[organization.pk]),
    )


def _may_not_remove(organization: Organization, member: Membership) -> str:
    if member.group == OWNER:
        return "only owners may remove an owner"
    return f"only the owners and managers of {organization.name} may do this"


@login_required
@require_http_methods(["GET", "POST"])
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    organization, viewer = _organization(request, pk)
    context = {
        "organization": organization,
        "title": f"Leave {organization.name}",
        "question": f"Leave {organization.name}?",
        "explanation": "You can join again only through a new invitation. Your submissions "
        "stay yours.",
        "button": "Leave the organization",
        "allowed": viewer.membership is not None,
    }
    membership = viewer.membership
    if membership is None:
        # A platform admin who is not a member: there is nothing to leave.
        return _confirm(request, context, error="you are not a member", status=404)
    return _confirmed(
        request,
        context,
        lambda: services.remove_member(
            organization=organization, by=_user(request), member=membership
        ),
        refusal="",
        failed="You did not leave",
        said=f"You left {organization.name}.",
        then=reverse("organizations:index"),
    )


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    organization, viewer = _organization(request, pk)
    context = {
        "organization": organization,
        "title": f"Delete {organization.name}",
        "question": f"Delete {organization.name}, with its memberships and invitations?",
        "explanation": "This cannot be undone. Submissions made for it stay, as their "
        "owners' own; an organization with entries on a leaderboard cannot be deleted.",
        "button": "Delete the organization",
        "danger": True,
        "allowed": viewer.owns,
    }
    return _confirmed(
        request,
        context,
        lambda: services.delete_organization(organization=organization, by=_user(request)),
        refusal=f"only the owners of {organization.name} may delete it",
        failed="Not deleted",
        said=f"{organization.name} is deleted.",
        then=reverse("organizations:index"),
    )


# The link of an invitation email


@require_http_methods(["GET", "POST"])
def invite_answer(request: HttpRequest, token: str) -> HttpResponse:
    found = Invite.objects.select_related("organization", "invited_by").filter(token=token)
    invitation = found.first()
    if invitation is None:
        return render(request, "organizations/invite.html", {"invalid": True}, status=404)
    login = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': request.path})}"
    context: dict[str, object] = {
        "invite": invitation,
        "error": "",
        "answered": "",
        "login": login,
    }
    code = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        answer = request.POST.get("answer", "")
        if answer not in ("accept", "decline"):
            context["error"], code = "Choose to accept or to decline the invitation.", 400
        else:
            try:
                services.answer_invite(token=token, user=_user(request), accept=answer == "accept")
            except services.OrganizationError as exc:
                context["error"], code = str(exc), _status(exc)
            else:
                context["answered"] = "accepted" if answer == "accept" else "declined"
                context["invite"] = found.get()
    return render(request, "organizations/invite.html", context, status=code)
