"""Brute force on the sign-in page (HOSTILE C28): failed attempts are limited per account,
from any address, and per client address, which a client cannot choose for itself."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import make_user

pytestmark = pytest.mark.django_db

REFUSED = {"__all__": ["Too many failed login attempts. Try again later."]}


@pytest.fixture
def vera(db):
    return make_user("vera")


def sign_in(login: str, password: str, address: str, **headers: str):
    return Client(REMOTE_ADDR=address, **headers).post(
        "/accounts/login/", {"login": login, "password": password}
    )


def test_five_failures_lock_the_account_whatever_the_address(vera):
    failed = [sign_in("vera", "nope", f"203.0.113.{n}") for n in range(5)]

    right = sign_in("vera", "pw", "198.51.100.7")

    assert [response.context["form"].errors for response in failed] == [
        {"__all__": ["The username and/or password you specified are not correct."]}
    ] * 5
    assert right.status_code == 200
    assert right.context["form"].errors == REFUSED
    assert "_auth_user_id" not in right.wsgi_request.session


def test_failures_from_one_address_are_limited_across_accounts(vera):
    failed = [sign_in(f"guess{n}", "nope", "203.0.113.5") for n in range(10)]

    same_address = sign_in("vera", "pw", "203.0.113.5")
    spoofed = sign_in("vera", "pw", "203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    other_address = sign_in("vera", "pw", "203.0.113.6")

    assert [response.status_code for response in failed] == [200] * 10
    assert same_address.context["form"].errors == REFUSED
    assert spoofed.context["form"].errors == REFUSED
    assert (other_address.status_code, other_address["Location"]) == (302, "/")


def test_behind_a_trusted_proxy_the_forwarded_address_counts(vera, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    for n in range(10):
        sign_in(f"guess{n}", "nope", "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")

    same_client = sign_in("vera", "pw", "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.5")
    other_client = sign_in("vera", "pw", "10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.6")

    assert same_client.context["form"].errors == REFUSED
    assert (other_client.status_code, other_client["Location"]) == (302, "/")
