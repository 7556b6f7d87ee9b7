"""API tokens: named, several per user, shown once, stored as hashes, read from the
Authorization header only, revocable; and the exchange `podium login` uses."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from podium.accounts import services
from podium.accounts.models import ApiToken
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def vera(db):
    return make_user("vera")


def with_key(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_is_shown_once_and_only_its_hash_is_stored(api, vera):
    created = api(vera).post("/api/users/me/tokens/", {"name": "laptop"}, format="json")

    assert created.status_code == 201
    body = created.json()
    key = body.pop("token")
    token = ApiToken.objects.get()
    assert body == {
        "id": token.pk,
        "name": "laptop",
        "created": token.created.isoformat().replace("+00:00", "Z"),
        "last_used": None,
        "expires": None,
    }
    assert key.startswith("pdt_")
    assert len(key) == 44
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in repr(list(ApiToken.objects.values()))
    listed = api(vera).get("/api/users/me/tokens/").json()
    assert listed["results"] == [
        {
            "id": token.pk,
            "name": "laptop",
            "created": body["created"],
            "last_used": None,
            "expires": None,
        }
    ]


def test_a_token_made_to_expire_works_until_then_and_is_refused_after(api, vera):
    created = api(vera).post(
        "/api/users/me/tokens/", {"name": "ci", "expires_in_days": 30}, format="json"
    )

    assert created.status_code == 201
    token = ApiToken.objects.get()
    assert token.expires == token.created + timedelta(days=30)
    assert created.json()["expires"] == token.expires.isoformat().replace("+00:00", "Z")
    key = created.json()["token"]
    assert with_key(key).get("/api/users/me/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(
        expires=timezone.now() - timedelta(seconds=1), last_used=None
    )
    token.refresh_from_db()

    refused = with_key(key).get("/api/users/me/")

    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": f"Token expired on {token.expires:%Y-%m-%d %H:%M} UTC; create a new one."},
    )
    token.refresh_from_db()
    assert token.last_used is None  # a refused try is no use
    listed = api(vera).get("/api/users/me/tokens/").json()["results"]
    assert [entry["name"] for entry in listed] == ["ci"]  # still listed, to revoke or renew


@pytest.mark.parametrize("days", [0, -1, 3651, "soon", 1.5])
def test_a_lifetime_out_of_range_is_refused_by_name(api, vera, days):
    response = api(vera).post(
        "/api/users/me/tokens/", {"name": "ci", "expires_in_days": days}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["expires_in_days"]
    assert ApiToken.objects.count() == 0


def test_the_exchange_and_the_server_command_make_expiring_tokens_too(vera, capsys):
    response = exchange(expires_in_days=7)
    call_command("create_token", "vera", "--name", "ci", "--expires-in-days", "1")

    assert response.status_code == 201
    lifetimes = {token.name: token.expires - token.created for token in ApiToken.objects.all()}
    assert lifetimes == {"laptop": timedelta(days=7), "ci": timedelta(days=1)}
    with pytest.raises(CommandError, match="a token lasts 1 to 3650 days, not 0"):
        call_command("create_token", "vera", "--expires-in-days", "0")


def test_a_key_in_the_header_signs_in_and_notes_when_it_was_used(vera):
    token, key = services.create_token(user=vera, name="ci")

    response = with_key(key).get("/api/users/me/")

    assert (response.status_code, response.json()["username"]) == (200, "vera")
    token.refresh_from_db()
    assert token.last_used is not None
    first_use = token.last_used
    with_key(key).get("/api/users/me/")
    token.refresh_from_db()
    assert token.last_used == first_use  # within a minute: not written again
    ApiToken.objects.filter(pk=token.pk).update(last_used=first_use - timedelta(minutes=5))
    with_key(key).get("/api/users/me/")
    token.refresh_from_db()
    assert token.last_used > first_use


@pytest.mark.parametrize("parameter", ["token", "auth_token", "access_token", "key", "api_key"])
def test_a_key_in_the_query_string_signs_nobody_in(vera, parameter):
    _, key = services.create_token(user=vera, name="ci")

    read = APIClient().get(f"/api/users/me/?{parameter}={key}")
    write = APIClient().post(f"/api/users/me/tokens/?{parameter}={key}", {"name": "x"})
    in_body = APIClient().post("/api/users/me/tokens/", {"name": "x", parameter: key})

    assert [read.status_code, write.status_code, in_body.status_code] == [401, 401, 401]
    assert ApiToken.objects.count() == 1


def test_a_revoked_token_stops_working_at_once(api, vera):
    token, key = services.create_token(user=vera, name="old laptop")
    _, kept_key = services.create_token(user=vera, name="new laptop")

    response = with_key(kept_key).delete(f"/api/users/me/tokens/{token.pk}/")

    assert response.status_code == 204
    assert with_key(key).get("/api/users/me/").json() == {"detail": "Invalid token."}
    assert with_key(kept_key).get("/api/users/me/").status_code == 200
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["new laptop"]


def test_nobody_sees_or_revokes_another_users_tokens(api, vera, outsider, admin):
    token, _ = services.create_token(user=vera, name="laptop")

    for user in (outsider, admin):
        assert api(user).get("/api/users/me/tokens/").json()["results"] == []
        assert api(user).delete(f"/api/users/me/tokens/{token.pk}/").status_code == 404
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_the_token_of_an_inactive_account_is_refused(vera):
    _, key = services.create_token(user=vera, name="laptop")
    vera.is_active = False
    vera.save()

    response = with_key(key).get("/api/users/me/")

    assert (response.status_code, response.json()) == (
        401,
        {"detail": "User inactive or deleted."},
    )


def test_the_number_of_tokens_is_capped(api, vera, monkeypatch):
    monkeypatch.setattr(services, "MAX_TOKENS", 2)
    for name in ("one", "two"):
        services.create_token(user=vera, name=name)

    response = api(vera).post("/api/users/me/tokens/", {"name": "three"}, format="json")

    assert (response.status_code, response.json()) == (
        409,
        {"detail": "you have 2 tokens, the most allowed; revoke one first"},
    )
    assert ApiToken.objects.count() == 2


def test_a_token_needs_a_name(api, vera):
    response = api(vera).post("/api/users/me/tokens/", {}, format="json")

    assert (response.status_code, response.json()) == (400, {"name": ["This field is required."]})


def test_the_server_command_prints_a_working_key(vera, capsys):
    call_command("create_token", "vera", "--name", "ci")

    words = capsys.readouterr().out.split()
    assert words[:2] == ["Generated", "token"]
    assert words[3:] == ["for", "user", "vera", "(ci)"]
    assert with_key(words[2]).get("/api/users/me/").status_code == 200


# The exchange: POST /api/auth/token/


def exchange(username="vera", password="pw", name="laptop", expires_in_days=None, **extra):  # noqa: S107
    body = {"username": username, "password": password, "name": name}
    if expires_in_days is not None:
        body["expires_in_days"] = expires_in_days
    return APIClient().post("/api/auth/token/", body, format="json", **extra)


def test_a_username_and_password_are_exchanged_for_a_named_token(vera):
    response = exchange()

    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get()
    assert (body["id"], body["name"], token.name, token.user) == (
        token.pk,
        "laptop",
        "laptop",
        vera,
    )
    assert with_key(body["token"]).get("/api/users/me/").json()["username"] == "vera"


def test_the_email_address_works_as_the_username(vera):
    response = exchange(username="vera@example.org")

    assert response.status_code == 201


def test_an_old_token_in_the_header_does_not_stand_in_the_way(vera):
    response = exchange(HTTP_AUTHORIZATION="Token revoked-long-ago")

    assert response.status_code == 201


@pytest.mark.parametrize(("username", "password"), [("vera", "nope"), ("nobody", "pw")])
def test_wrong_credentials_get_no_token_and_the_same_answer(vera, username, password):
    response = exchange(username=username, password=password)

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "the username or password is not correct"},
    )
    assert ApiToken.objects.count() == 0


def test_an_inactive_account_gets_no_token(vera):
    vera.is_active = False
    vera.save()

    response = exchange()

    assert (response.status_code, response.json()) == (
        400,
        {"detail": "the username or password is not correct"},
    )


def test_an_unverified_address_is_refused_with_the_reason(vera):
    EmailAddress.objects.filter(user=vera).update(verified=False)

    response = exchange()

    assert (response.status_code, response.json()) == (
        403,
        {
            "detail": "verify your email address first: follow the link in the email we sent "
            "when you signed up (signing in on the website sends a new one)"
        },
    )
    assert ApiToken.objects.count() == 0


def test_the_exchange_is_throttled_per_client_address(vera, settings):
    attempts = [exchange(username=f"guess{n}", REMOTE_ADDR="203.0.113.5") for n in range(10)]
    # a client cannot pretend to be somewhere else: no proxy is trusted by default
    spoofed = exchange(REMOTE_ADDR="203.0.113.5", HTTP_X_FORWARDED_FOR="198.51.100.1")
    elsewhere = exchange(REMOTE_ADDR="203.0.113.6")

    assert [response.status_code for response in attempts] == [400] * 10
    assert spoofed.status_code == 429
    assert spoofed.json()["detail"].startswith("Request was throttled. Expected available in ")
    assert elsewhere.status_code == 201


def test_failed_attempts_lock_the_account_from_any_address(vera):
    failed = [exchange(password="nope", REMOTE_ADDR=f"203.0.113.{n}") for n in range(5)]

    right = exchange(REMOTE_ADDR="198.51.100.7")

    assert [response.status_code for response in failed] == [400] * 5
    assert (right.status_code, right.json()) == (
        429,
        {
            "detail": "too many failed sign-in attempts (for this account or from this "
            "address); try again in a few minutes"
        },
    )
    assert ApiToken.objects.count() == 0


def test_successful_exchanges_do_not_count_against_the_account(vera):
    answers = [exchange(REMOTE_ADDR=f"203.0.113.{n}").status_code for n in range(6)]

    assert answers == [201] * 6
    assert ApiToken.objects.count() == 6
