"""The accounts' own pages: the platform's default terms, and avatars."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from podium.accounts.avatars import CONTENT_TYPES
from podium.accounts.models import Profile
from podium.accounts.services import avatar_path


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
