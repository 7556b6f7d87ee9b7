"""Deleting one's account: the person goes, their results stay under a placeholder."""

from __future__ import annotations

import io

import pytest
from allauth.account.models import EmailAddress
from django.contrib.sessions.models import Session
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from podium.accounts import services
from podium.accounts.models import ApiToken, Profile, User
from podium.audit.models import Action, AuditEntry
from podium.messaging import services as messaging
from podium.messaging.models import Category, Message
from podium.participation.models import Participant
from podium.submissions.models import Submission
from tests.factories import make_competition, make_phase, make_task
from tests.leaderboards.conftest import finish, make_board, player, submit

__all__ = ["finish"]  # the leaderboards' fixture: a submission finished by its report

pytestmark = pytest.mark.django_db


@pytest.fixture
def phase(competition, organizer):
    return make_phase(competition=competition, tasks=[make_task(owner=organizer, name="Main task")])


@pytest.fixture
def vera(competition, phase, finish, api, django_capture_on_commit_callbacks):
    """A participant with a scored submission, a profile, an avatar, a token, mail and a
    session: everything an account holds."""
    user = player("vera", competition)
    make_board(competition, phases=[phase], submission_rule="Force_Last")
    finish(submit(user, phase), {"score": 0.75})
    api(user).patch("/api/users/me/", {"display_name": "Vera Rubin"}, format="json")
    picture = io.BytesIO()
    Image.new("RGB", (32, 32)).save(picture, format="PNG")
    with django_capture_on_commit_callbacks(execute=True):
        api(user).post(
            "/api/users/me/avatar/",
            {"file": SimpleUploadedFile("me.png", picture.getvalue())},
            format="multipart",
        )
    services.create_token(user=user, name="laptop")
    messaging.queue(user, category=Category.ACCOUNT, subject="Hello", body="Hi, Vera.")
    messaging.queue("vera@example.org", category=Category.ACCOUNT, subject="Re", body="Hi.")
    return user


def delete(client, password: str = "pw"):  # noqa: S107
    return client.delete("/api/users/me/", {"password": password}, format="json")


def test_deleting_removes_the_person_and_keeps_the_results(
    api, vera, phase, storage, django_capture_on_commit_callbacks
):
    session = Client()
    session.force_login(vera)
    assert Session.objects.count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        response = delete(api(vera))

    assert response.status_code == 204
    user = User.objects.get(pk=vera.pk)
    placeholder = f"deleted-{vera.pk}"
    assert (user.username, user.email, user.first_name, user.last_name) == (placeholder, "", "", "")
    assert (user.is_active, user.is_staff, user.has_usable_password()) == (False, False, False)
    assert Profile.objects.filter(user=user).count() == 0
    assert ApiToken.objects.filter(user=user).count() == 0
    assert EmailAddress.objects.filter(user=user).count() == 0
    assert Session.objects.count() == 0
    assert list(storage.rglob("avatars/*/*")) == []
    assert sorted(Message.objects.values_list("subject", "to")) == [("Hello", ""), ("Re", "")]
    # the results stay true, under the placeholder
    assert Participant.objects.get(user=user).status == Participant.Status.APPROVED
    submission = Submission.objects.get(owner=user, parent__isnull=True)
    assert submission.scores.get().value == 0.75
    rows = api(None).get(f"/api/phases/{phase.pk}/leaderboard/").json()["results"]
    assert [row["participant"] for row in rows] == [placeholder]
    # and the deletion is on record
    entry = AuditEntry.objects.get(action=Action.ACCOUNT_DELETE)
    assert (entry.actor_id, entry.actor_name, entry.target_type, entry.target_id) == (
        vera.pk,
        placeholder,
        "user",
        vera.pk,
    )


def test_a_deleted_account_can_no_longer_sign_in_or_be_seen(api, vera):
    _, key = services.create_token(user=vera, name="ci")
    delete(api(vera))

    assert api(None).get("/api/users/vera/").status_code == 404
    assert api(None).get(f"/api/users/deleted-{vera.pk}/").status_code == 404
    assert Client().get("/api/users/me/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401
    assert not Client().login(username=f"deleted-{vera.pk}", password="pw")
    exchanged = api(None).post(
        "/api/auth/token/", {"username": "vera@example.org", "password": "pw"}, format="json"
    )
    assert exchanged.status_code == 400


def test_the_freed_address_can_sign_up_again(api, vera):
    delete(api(vera))

    response = Client().post(
        "/accounts/signup/",
        {
            "username": "vera",
            "email": "vera@example.org",
            "password1": "a long and quiet passphrase",
            "password2": "a long and quiet passphrase",
            "accept_terms": "on",
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/accounts/confirm-email/")
    assert User.objects.get(username="vera").pk != vera.pk


def snapshot_of(user) -> dict:
    return {
        "user": User.objects.filter(pk=user.pk).values().get(),
        "profile": list(Profile.objects.filter(user=user).values()),
        "tokens": list(ApiToken.objects.filter(user=user).values()),
        "addresses": list(EmailAddress.objects.filter(user=user).values()),
        "audit": AuditEntry.objects.count(),
    }


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"password": "nope"}, {"password": ["the password is not correct"]}),
        ({}, {"password": ["This field is required."]}),
    ],
    ids=["wrong", "missing"],
)
def test_deleting_needs_the_password(api, vera, body, errors):
    before = snapshot_of(vera)

    response = api(vera).delete("/api/users/me/", body, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert snapshot_of(vera) == before


def test_an_owner_of_competitions_is_told_which_to_hand_over_first(api, organizer, competition):
    make_competition(owner=organizer, title="Another one")
    before = snapshot_of(organizer)

    response = delete(api(organizer))

    assert (response.status_code, response.json()) == (
        409,
        {
            "detail": "you still own these competitions; transfer or delete them first: "
            "'Another one', 'Published'"
        },
    )
    assert snapshot_of(organizer) == before


def test_a_collaborator_leaves_the_competitions_they_helped_organize(
    api, collaborator, competition
):
    delete(api(collaborator))

    assert list(competition.collaborators.all()) == []


def test_an_admin_loses_the_rights_with_the_account(api, admin):
    delete(api(admin))

    admin.refresh_from_db()
    assert (admin.is_superuser, admin.is_staff, admin.is_active) == (False, False, False)


def test_a_session_caller_is_signed_out(vera):
    client = Client()
    client.force_login(vera)

    response = client.delete("/api/users/me/", {"password": "pw"}, content_type="application/json")

    assert response.status_code == 204
    assert client.get("/api/users/me/").status_code == 401
