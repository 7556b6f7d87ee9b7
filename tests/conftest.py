"""Fixtures every test folder may use: a storage folder per test, and the personas.

The personas around one published `competition` (and one unpublished `draft`), both owned
by the organizer with the collaborator on the team:

    organizer     owns them
    collaborator  organizes them with the owner
    participant   approved in `competition`
    pending       registered in `competition`, not yet approved
    outsider      signed in, nothing to do with either
    admin         a platform admin (superuser)
    (anonymous)   not signed in

A test module may define a fixture of the same name to replace any of these.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from rest_framework.test import APIClient

from podium.accounts.models import User
from podium.competitions.models import Competition
from podium.participation.models import Participant
from tests.factories import make_competition, make_participant, make_user

ROLES = ("anonymous", "outsider", "pending", "participant", "collaborator", "organizer", "admin")


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """The production hasher costs most of a second per user by design; tests make many."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def storage(settings, tmp_path):
    """Every test stores its files in a folder of its own."""
    location = tmp_path / "storage"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location)},
        },
    }
    return location


@pytest.fixture
def organizer(db) -> User:
    return make_user("olivia")


@pytest.fixture
def collaborator(db) -> User:
    return make_user("colin")


@pytest.fixture
def outsider(db) -> User:
    return make_user("oscar")


@pytest.fixture
def admin(db) -> User:
    return make_user("ada", superuser=True)


@pytest.fixture
def competition(organizer, collaborator) -> Competition:
    return make_competition(
        owner=organizer, title="Published", published=True, collaborators=[collaborator]
    )


@pytest.fixture
def draft(organizer, collaborator) -> Competition:
    return make_competition(
        owner=organizer, title="Draft", published=False, collaborators=[collaborator]
    )


@pytest.fixture
def participant(competition) -> User:
    user = make_user("petra")
    make_participant(user=user, competition=competition, status=Participant.Status.APPROVED)
    return user


@pytest.fixture
def pending(competition) -> User:
    user = make_user("penny")
    make_participant(user=user, competition=competition, status=Participant.Status.PENDING)
    return user


@pytest.fixture
def personas(organizer, collaborator, participant, pending, outsider, admin) -> dict:
    """Every role by name; `anonymous` is None."""
    return {
        "anonymous": None,
        "outsider": outsider,
        "pending": pending,
        "participant": participant,
        "collaborator": collaborator,
        "organizer": organizer,
        "admin": admin,
    }


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    """`api(user)` is an API client signed in as `user`; `api(None)` is anonymous."""

    def client_for(user: User | None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return client_for
