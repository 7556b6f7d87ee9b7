"""The accounts' own pages: public profiles, the settings pages (profile and avatar, API
tokens, deleting one's account), the platform's default terms, and avatars.

Sign-up, sign-in, email verification and the email and password pages are allauth's (their
templates are under templates/account/). Each page here parses a form, calls one function
of `podium.accounts.services` and renders; the services hold the rules.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from podium.accounts import services
from podium.accounts.avatars import CONTENT_TYPES
from podium.accounts.forms import AvatarForm, DeleteAccountForm, ProfileForm, TokenForm
from podium.accounts.models import ApiToken, Profile, User
from podium.accounts.serializers import ProfileSerializer
from podium.accounts.services import avatar_path
from podium.core.images import ImageRefused

TOKENS_PAGE_SIZE = 20


def _user(request: HttpRequest) -> User:
    """The signed-in user (the views are behind `login_required`)."""
    user = request.user
    assert isinstance(user, User)
    return user


def avatar_url(profile: Profile) -> str | None:
    """The address of the profile's avatar, as the API shows it; None without one."""
    return ProfileSerializer().get_avatar(profile)


@require_safe
def terms(request: HttpRequest) -> HttpResponse:
    """Served while PODIUM_PLATFORM_TERMS_URL names no page of the operator's own."""
    return render(request, "accounts/terms.html")


@require_safe
def avatar(request: HttpRequest, user_id: int, file_name: str) -> FileResponse:
    """A user's current avatar. Its address changes with each upload, so browsers may keep
    it for long; an old address is not found."""
    name = avatar_path(user_id, file_name)
    extension = file_name.rpartition(".")[2]
    if (
        extension not in CONTENT_TYPES
        or not Profile.objects.filter(user_id=user_id, user__is_active=True, avatar=name).exists()
    ):
        raise Http404("no such avatar")
    response = FileResponse(default_storage.open(name, "rb"), content_type=CONTENT_TYPES[extension])
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# Public profiles


@require_safe
def public_profile(request: HttpRequest, username: str) -> HttpResponse:
    """What /api/users/{username}/ shows, as a page: never the email address. A deleted or
    deactivated account is not found."""
    user = get_object_or_404(User, username=username, is_active=True)
    profile = services.profile_to_show(user)
    context = {
        "shown": user,
        "profile": profile,
        "avatar": avatar_url(profile),
        "mine": request.user.pk == user.pk,
    }
    return render(request, "accounts/profile.html", context)


# Settings: profile and avatar


def _profile_page(
    request: HttpRequest,
    *,
    form: ProfileForm | None = None,
    avatar_form: AvatarForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    profile = services.profile_to_show(user)
    context = {
        "form": form or ProfileForm(instance=profile),
        "avatar_form": avatar_form or AvatarForm(),
        "profile": profile,
        "avatar": avatar_url(profile),
        "section": "profile",
    }
    return render(request, "accounts/settings_profile.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def profile_settings(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _profile_page(request)
    user = _user(request)
    # The form validates a copy: the stored profile changes only through the service.
    form = ProfileForm(request.POST, instance=services.profile_to_show(user))
    if not form.is_valid():
        return _profile_page(request, form=form, status=400)
    try:
        services.update_profile(user=user, changes=form.changes())
    except ValidationError as invalid:
        for field, errors in invalid.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return _profile_page(request, form=form, status=400)
    messages.success(request, "Your profile is saved.")
    return redirect("accounts:profile")


@login_required
@require_POST
def avatar_upload(request: HttpRequest) -> HttpResponse:
    form = AvatarForm(request.POST, request.FILES)
    if not form.is_valid():
        return _profile_page(request, avatar_form=form, status=400)
    upload = form.cleaned_data["avatar"]
    try:
        services.set_avatar(user=_user(request), upload=upload)
    except ImageRefused as refused:
        form.add_error("avatar", f"{upload.name!r} {refused}.")
        return _profile_page(request, avatar_form=form, status=400)
    messages.success(request, "Your new picture is saved.")
    return redirect("accounts:profile")


@login_required
@require_POST
def avatar_remove(request: HttpRequest) -> HttpResponse:
    services.remove_avatar(user=_user(request))
    messages.success(request, "Your picture is removed.")
    return redirect("accounts:profile")


# Settings: API tokens


def _tokens_page(
    request: HttpRequest,
    *,
    form: TokenForm | None = None,
    new: ApiToken | None = None,
    key: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=_user(request)).order_by("-created", "-id")
    page = Paginator(tokens, TOKENS_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form or TokenForm(),
        "page": page,
        "new": new,
        "key": key,
        "error": error,
        "max_tokens": services.MAX_TOKENS,
        "now": timezone.now(),
        "section": "tokens",
    }
    response = render(request, "accounts/settings_tokens.html", context, status=status)
    if key:
        # The key is in this answer only: no cache may keep a copy.
        response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _tokens_page(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form=form, status=400)
    try:
        token, key = services.create_token(
            user=_user(request),
            name=form.cleaned_data["name"],
            expires_in_days=form.cleaned_data["expires_in_days"],
        )
    except services.TooManyTokens as refused:
        return _tokens_page(request, form=form, error=f"No token made: {refused}.", status=409)
    # Shown in this answer, never again: a redirect would have to keep the key somewhere.
    return _tokens_page(request, new=token, key=key, status=201)


@login_required
@require_POST
def revoke_token(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=pk, user=_user(request))
    name = token.name
    services.revoke_token(token)
    messages.success(request, f"The token {name!r} is revoked: it no longer works.")
    return redirect("accounts:tokens")


# Settings: deleting one's account


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def delete_account(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = DeleteAccountForm(request.POST if request.method == "POST" else None)
    context = {"form": form, "section": "delete", "owned": []}
    if request.method != "POST":
        return render(request, "accounts/settings_delete.html", context)
    if not form.is_valid():
        return render(request, "accounts/settings_delete.html", context, status=400)
    try:
        services.delete_account(user=user, password=form.cleaned_data["password"])
    except services.WrongPassword as refused:
        form.add_error("password", f"Nothing was deleted: {refused}.")
        return render(request, "accounts/settings_delete.html", context, status=400)
    except services.StillOwnsCompetitions as refused:
        context["owned"] = refused.titles
        return render(request, "accounts/settings_delete.html", context, status=409)
    logout(request)
    return render(request, "accounts/deleted.html")
