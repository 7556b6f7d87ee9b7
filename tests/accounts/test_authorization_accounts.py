"""Who may call what in the accounts API: every endpoint against every persona, with the
exact status code, and nothing changed by a refused call (the table of tests/api, same
personas and the same rules)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from podium.accounts import services
from podium.accounts.models import ApiToken, Profile
from podium.messaging.models import Message
from tests.api.test_authorization import EVERYONE, Case, check, codes, snapshot
from tests.conftest import ROLES
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ACCOUNT_MODELS = [ApiToken, Profile, EmailAddress, Session, Message]
SIGNED_IN = codes(401, 200, 200, 200, 200, 200, 200)


def image(format: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, format=format)
    return buffer.getvalue()


def avatar(format: str, name: str):
    return lambda ids: {"file": SimpleUploadedFile(name, image(format))}


CASES = [
    Case("GET", "/api/users/me/", None, SIGNED_IN),
    Case("PATCH", "/api/users/me/", lambda ids: {"bio": "Hello."}, SIGNED_IN),
    Case(
        "PATCH",
        "/api/users/me/",
        lambda ids: {"website": "javascript:alert(1)"},
        codes(401, 400, 400, 400, 400, 400, 400),
    ),
    Case(
        "DELETE",
        "/api/users/me/",
        lambda ids: {"password": "wrong"},
        codes(401, 400, 400, 400, 400, 400, 400),
    ),
    # the organizer owns the competitions: they must hand them over first
    Case(
        "DELETE",
        "/api/users/me/",
        lambda ids: {"password": "pw"},
        codes(401, 204, 204, 204, 204, 409, 204),
    ),
    Case(
        "POST",
        "/api/users/me/avatar/",
        avatar("PNG", "me.png"),
        codes(401, 200, 200, 200, 200, 200, 200),
        multipart=True,
    ),
    Case(
        "POST",
        "/api/users/me/avatar/",
        avatar("GIF", "me.gif"),
        codes(401, 400, 400, 400, 400, 400, 400),
        multipart=True,
    ),
    Case("DELETE", "/api/users/me/avatar/", None, codes(401, 204, 204, 204, 204, 204, 204)),
    Case("GET", "/api/users/{organizer_name}/", None, EVERYONE),
    Case("GET", "/api/users/{deleted_name}/", None, codes(*[404] * 7)),
    Case("GET", "/api/users/nobody/", None, codes(*[404] * 7)),
    Case("GET", "/api/users/me/tokens/", None, SIGNED_IN),
    Case(
        "POST",
        "/api/users/me/tokens/",
        lambda ids: {"name": "laptop"},
        codes(401, 201, 201, 201, 201, 201, 201),
    ),
    # the organizer's token: nobody else sees it, not even an admin
    Case(
        "DELETE",
        "/api/users/me/tokens/{organizer_token}/",
        None,
        codes(401, 404, 404, 404, 404, 204, 404),
    ),
    # the exchange needs no session or token, only the credentials
    Case(
        "POST",
        "/api/auth/token/",
        lambda ids: {"username": "olivia", "password": "pw", "name": "cli"},
        codes(*[201] * 7),
    ),
    Case(
        "POST",
        "/api/auth/token/",
        lambda ids: {"username": "olivia", "password": "wrong", "name": "cli"},
        codes(*[400] * 7),
    ),
]


@pytest.fixture
def world(competition, organizer, personas) -> dict[str, Any]:
    gone = make_user("gone")
    gone.is_active = False
    gone.save()
    token, _ = services.create_token(user=organizer, name="laptop")
    return {
        "organizer_name": organizer.username,
        "deleted_name": gone.username,
        "organizer_token": token.pk,
    }


def state(storage) -> dict[str, Any]:
    return snapshot(storage, *ACCOUNT_MODELS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_call_what(case, role, world, personas, api, storage):
    check(case, api(personas[role]), world, case.expected[role], lambda: state(storage))
