"""Signing up: username, email, password and the platform's terms; then the address is
verified before the account may sign in (and so before it can register anywhere)."""

from __future__ import annotations

import importlib

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from podium.accounts.models import User
from podium.messaging.models import Category, Message
from tests.accounts.conftest import link_in, sent_mail
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "a long and quiet passphrase"


def sign_up(client: Client, **changes: str):
    form = {
        "username": "sam",
        "email": "sam@example.org",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "accept_terms": "on",
        **changes,
    }
    return client.post("/accounts/signup/", {k: v for k, v in form.items() if v is not None})


def sign_in(client: Client, login: str, password: str):
    return client.post("/accounts/login/", {"login": login, "password": password})


def test_the_sign_up_page_asks_for_the_terms_and_links_to_them():
    page = Client().get("/accounts/signup/")

    assert page.status_code == 200
    html = page.content.decode()
    for field in ("username", "email", "password1", "password2", "accept_terms"):
        assert f'name="{field}"' in html
    assert '<a href="/terms/"' in html


def test_the_terms_link_is_the_operators_when_set(settings):
    settings.PLATFORM_TERMS_URL = "https://example.org/our-terms"

    html = Client().get("/accounts/signup/").content.decode()

    assert '<a href="https://example.org/our-terms"' in html


def test_the_default_terms_page_is_served():
    page = Client().get("/terms/")

    assert page.status_code == 200
    assert "<h1>Terms of this platform</h1>" in page.content.decode()


def test_a_sign_up_without_accepting_the_terms_is_refused():
    response = sign_up(Client(), accept_terms=None)

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "accept_terms": ["Accept the platform's terms to sign up."]
    }
    assert not User.objects.filter(username="sam").exists()
    assert sent_mail() == []


def test_a_sign_up_records_the_terms_and_mails_a_verification_link():
    before = timezone.now()

    response = sign_up(Client())

    assert (response.status_code, response["Location"]) == (302, "/accounts/confirm-email/")
    user = User.objects.get(username="sam")
    assert (user.email, user.is_active) == ("sam@example.org", True)
    assert before <= user.terms_accepted_at <= timezone.now()
    assert list(EmailAddress.objects.filter(user=user).values_list("email", "verified")) == [
        ("sam@example.org", False)
    ]
    message = Message.objects.get()
    assert (message.category, message.to, message.status) == (
        Category.ACCOUNT,
        "sam@example.org",
        Message.Status.QUEUED,
    )
    (sent,) = sent_mail()
    assert (sent.to, sent.subject) == (
        ["sam@example.org"],
        "[Podium] Please Confirm Your Email Address",
    )
    assert link_in(sent.body).startswith("/accounts/confirm-email/")


def test_an_account_signs_in_only_once_its_address_is_verified():
    client = Client()
    sign_up(client)
    (verification,) = sent_mail()
    mail.outbox.clear()

    refused = sign_in(client, "sam", PASSWORD)

    assert (refused.status_code, refused["Location"]) == (302, "/accounts/confirm-email/")
    assert client.get("/api/users/me/").status_code == 401
    assert sent_mail() == []  # a link went out a moment ago: allauth waits before another

    link = link_in(verification.body)
    assert "Confirm that sam@example.org is the address" in client.get(link).content.decode()
    confirmed = client.post(link)
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(email="sam@example.org").verified is True

    signed_in = sign_in(client, "sam", PASSWORD)

    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")
    me = client.get("/api/users/me/").json()
    assert (me["username"], me["email"], me["email_verified"]) == ("sam", "sam@example.org", True)


def test_signing_in_unverified_mails_a_new_link_once_the_first_is_old(settings):
    settings.ACCOUNT_RATE_LIMITS = {"confirm_email": False}
    client = Client()
    sign_up(client)
    sent_mail()
    mail.outbox.clear()

    sign_in(client, "sam@example.org", PASSWORD)

    (again,) = sent_mail()
    assert (again.to, again.subject) == (
        ["sam@example.org"],
        "[Podium] Please Confirm Your Email Address",
    )


@pytest.mark.parametrize("username", ["me", "ME", "deleted-12", "Deleted-sam"])
def test_reserved_usernames_are_refused(username):
    response = sign_up(Client(), username=username)

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "username": ["This username is reserved; choose another."]
    }
    assert User.objects.count() == 0


def test_a_second_sign_up_with_a_known_address_creates_nothing_and_tells_the_owner():
    make_user("vera")

    response = sign_up(Client(), email="vera@example.org")

    # The same answer as for a new address: nobody learns which addresses have accounts.
    assert (response.status_code, response["Location"]) == (302, "/accounts/confirm-email/")
    assert not User.objects.filter(username="sam").exists()
    (sent,) = sent_mail()
    assert (sent.to, sent.subject) == (["vera@example.org"], "[Podium] Account Already Exists")


def test_accounts_the_operator_creates_count_as_verified(capsys):
    make_user("vera")
    call_command("createuser", "carl", "--email", "Carl@Example.org", "--password", "pw")

    assert sorted(EmailAddress.objects.values_list("user__username", "email", "verified")) == [
        ("carl", "carl@example.org", True),
        ("vera", "vera@example.org", True),
    ]
    signed_in = sign_in(Client(), "carl", "pw")
    assert (signed_in.status_code, signed_in["Location"]) == (302, "/")


def test_accounts_older_than_sign_up_are_vouched_for_by_the_migration():
    from django.apps import apps

    migration = importlib.import_module(
        "podium.accounts.migrations.0003_existing_addresses_verified"
    )
    older = make_user("olga")
    same = make_user("twin")
    EmailAddress.objects.all().delete()
    User.objects.filter(pk=same.pk).update(email="OLGA@example.org")
    make_user("nomail").emailaddress_set.all().delete()
    User.objects.filter(username="nomail").update(email="")

    migration.vouch_for_existing(apps, None)

    assert list(EmailAddress.objects.values_list("user", "email", "verified", "primary")) == [
        (older.pk, "olga@example.org", True, True)
    ]
