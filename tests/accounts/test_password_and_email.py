"""Password reset, password change and email change: allauth's pages, Podium's mail."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from tests.accounts.conftest import link_in, sent_mail
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def vera(db):
    return make_user("vera")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_forgotten_password_is_reset_through_the_mailed_link(vera):
    client = Client()

    asked = client.post("/accounts/password/reset/", {"email": "vera@example.org"})

    assert (asked.status_code, asked["Location"]) == (302, "/accounts/password/reset/done/")
    (reset,) = sent_mail()
    assert (reset.to, reset.subject) == (["vera@example.org"], "[Podium] Password Reset Email")
    assert "In case you forgot, your username is vera." in reset.body
    mail.outbox.clear()

    opened = client.get(link_in(reset.body))
    # allauth moves the key out of the address before showing the form
    assert opened.status_code == 302
    form = client.get(opened["Location"])
    assert form.status_code == 200
    done = client.post(opened["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert (done.status_code, done["Location"]) == (302, "/accounts/password/reset/key/done/")
    vera.refresh_from_db()
    assert vera.check_password(NEW_PASSWORD)
    assert [(sent.to, sent.subject) for sent in sent_mail()] == [
        (["vera@example.org"], "[Podium] Password Reset")
    ]
    used = Client().get(link_in(reset.body))
    assert used.status_code == 200
    assert "This link has expired or was used already." in used.content.decode()


def test_a_reset_for_an_unknown_address_answers_the_same_and_tells_that_address():
    asked = Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert (asked.status_code, asked["Location"]) == (302, "/accounts/password/reset/done/")
    (sent,) = sent_mail()
    assert (sent.to, sent.subject) == (["nobody@example.org"], "[Podium] Unknown Account")


def test_the_password_is_changed_on_its_page_with_the_old_one(vera):
    client = signed_in(vera)
    assert client.get("/accounts/password/change/").status_code == 200

    wrong = client.post(
        "/accounts/password/change/",
        {"oldpassword": "nope", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    changed = client.post(
        "/accounts/password/change/",
        {"oldpassword": "pw", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert wrong.status_code == 200
    assert wrong.context["form"].errors == {"oldpassword": ["Please type your current password."]}
    assert (changed.status_code, changed["Location"]) == (302, "/accounts/password/change/")
    vera.refresh_from_db()
    assert vera.check_password(NEW_PASSWORD)
    assert [(sent.to, sent.subject) for sent in sent_mail()] == [
        (["vera@example.org"], "[Podium] Password Changed")
    ]


def test_a_weak_new_password_is_refused(vera):
    client = signed_in(vera)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": "pw", "password1": "12345678", "password2": "12345678"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "password1": ["This password is too common.", "This password is entirely numeric."]
    }
    vera.refresh_from_db()
    assert vera.check_password("pw")


def test_the_email_address_changes_once_the_new_one_is_verified(vera):
    client = signed_in(vera)
    assert client.get("/accounts/email/").status_code == 200

    asked = client.post("/accounts/email/", {"email": "vera@new.example.org", "action_add": ""})

    assert (asked.status_code, asked["Location"]) == (302, "/accounts/email/")
    (confirm,) = sent_mail()
    assert (confirm.to, confirm.subject) == (
        ["vera@new.example.org"],
        "[Podium] Please Confirm Your Email Address",
    )
    vera.refresh_from_db()
    assert vera.email == "vera@example.org"  # nothing changes before the link is followed
    mail.outbox.clear()

    client.post(link_in(confirm.body))

    vera.refresh_from_db()
    assert vera.email == "vera@new.example.org"
    assert list(EmailAddress.objects.filter(user=vera).values_list("email", "verified")) == [
        ("vera@new.example.org", True)
    ]
    assert [(sent.to, sent.subject) for sent in sent_mail()] == [
        (["vera@example.org"], "[Podium] Email Changed")
    ]


def test_the_account_pages_need_a_signed_in_user():
    for path in ("/accounts/email/", "/accounts/password/change/"):
        response = Client().get(path)
        assert (response.status_code, response["Location"]) == (
            302,
            f"/accounts/login/?next={path}",
        )
