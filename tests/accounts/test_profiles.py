"""Profiles: one's own account (`/api/users/me/`) and public profiles."""

from __future__ import annotations

import pytest
from django.test import Client

from podium.accounts.models import Profile
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def vera(db):
    return make_user("vera")


EMPTY_PROFILE = {
    "display_name": "",
    "bio": "",
    "location": "",
    "website": "",
    "affiliations": [],
    "github": "",
    "orcid": "",
    "google_scholar": "",
    "linkedin": "",
    "avatar": None,
}
FILLED = {
    "display_name": "Vera Rubin",
    "bio": "Dark matter, mostly.",
    "location": "Washington, DC",
    "website": "https://vera.example.org/",
    "affiliations": ["Carnegie Institution", "Georgetown University"],
    "github": "vera-rubin",
    "orcid": "0000-0002-1825-0097",
    "google_scholar": "https://scholar.google.com/citations?user=abc",
    "linkedin": "https://www.linkedin.com/in/vera",
}


def test_my_account_shows_the_profile_the_address_and_where_to_change_the_rest(api, vera):
    response = api(vera).get("/api/users/me/")

    assert response.status_code == 200
    assert response.json() == {
        "username": "vera",
        **EMPTY_PROFILE,
        "date_joined": iso(vera.date_joined),
        "email": "vera@example.org",
        "email_verified": True,
        "terms_accepted_at": None,
        "links": {
            "notification_preferences": "/api/notification_preferences/",
            "tokens": "/api/users/me/tokens/",
            "change_email": "/accounts/email/",
            "change_password": "/accounts/password/change/",
            "terms": "/terms/",
        },
    }
    assert Profile.objects.count() == 0  # reading wrote nothing


def test_the_profile_changes_field_by_field(api, vera):
    first = api(vera).patch("/api/users/me/", FILLED, format="json")
    second = api(vera).patch("/api/users/me/", {"location": ""}, format="json")

    assert first.status_code == 200
    assert {key: first.json()[key] for key in FILLED} == FILLED
    assert second.status_code == 200
    assert {key: second.json()[key] for key in FILLED} == {**FILLED, "location": ""}
    profile = Profile.objects.get(user=vera)
    assert (profile.display_name, profile.affiliations, profile.location) == (
        "Vera Rubin",
        ["Carnegie Institution", "Georgetown University"],
        "",
    )


def test_server_owned_fields_are_ignored(api, vera):
    response = api(vera).patch(
        "/api/users/me/",
        {
            "username": "admin",
            "email": "boss@example.org",
            "email_verified": False,
            "terms_accepted_at": "2020-01-01T00:00:00Z",
            "avatar": "/etc/passwd",
            "bio": "Hi.",
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["email"], body["email_verified"], body["avatar"]) == (
        "vera",
        "vera@example.org",
        True,
        None,
    )
    assert (body["terms_accepted_at"], body["bio"]) == (None, "Hi.")
    vera.refresh_from_db()
    assert (vera.username, vera.email, vera.terms_accepted_at) == (
        "vera",
        "vera@example.org",
        None,
    )


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"website": "javascript:alert(1)"}, {"website": ["Enter a valid URL."]}),
        ({"linkedin": "ftp://example.org/me"}, {"linkedin": ["Enter a valid URL."]}),
        (
            {"github": "-bad-"},
            {"github": ["A GitHub user name: letters, digits and single hyphens."]},
        ),
        ({"orcid": "1234"}, {"orcid": ["An ORCID iD: 0000-0002-1825-0097."]}),
        (
            {"affiliations": [f"Lab {n}" for n in range(11)]},
            {"affiliations": ["Ensure this field has no more than 10 elements."]},
        ),
        (
            {"affiliations": ["x" * 201]},
            {"affiliations": {"0": ["Ensure this field has no more than 200 characters."]}},
        ),
        ({"bio": "x" * 5001}, {"bio": ["Ensure this field has no more than 5000 characters."]}),
    ],
    ids=["script-link", "ftp-link", "github", "orcid", "many-affiliations", "long-one", "bio"],
)
def test_invalid_fields_are_refused_by_name(api, vera, change, errors):
    response = api(vera).patch("/api/users/me/", change, format="json")

    assert (response.status_code, response.json()) == (400, errors)
    assert Profile.objects.count() == 0


def test_a_public_profile_shows_what_its_owner_chose_and_never_the_address(api, vera, outsider):
    api(vera).patch("/api/users/me/", FILLED, format="json")

    for reader in (None, outsider):
        response = api(reader).get("/api/users/vera/")
        assert response.status_code == 200
        assert response.json() == {
            "username": "vera",
            **EMPTY_PROFILE,
            **FILLED,
            "date_joined": iso(vera.date_joined),
        }


def test_a_username_with_dots_and_at_signs_has_a_profile_too(api):
    make_user("jean.luc@home")

    response = api(None).get("/api/users/jean.luc@home/")

    assert (response.status_code, response.json()["username"]) == (200, "jean.luc@home")


def test_unknown_and_inactive_users_have_no_public_profile(api, vera):
    vera.is_active = False
    vera.save()

    assert api(None).get("/api/users/vera/").status_code == 404
    assert api(None).get("/api/users/nobody/").status_code == 404


def test_my_account_needs_a_signed_in_caller(api):
    response = api(None).get("/api/users/me/")

    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")


@pytest.mark.parametrize(
    "path",
    ["/api/users/me/", "/api/users/vera/", "/api/users/me/tokens/", "/api/users/me/avatar/"],
)
def test_the_browsable_api_shows_the_account_endpoints(vera, path):
    client = Client()
    client.force_login(vera)

    response = client.get(path, HTTP_ACCEPT="text/html")

    # the avatar endpoint takes no GET: the page says so, without failing
    assert response.status_code == (405 if path.endswith("avatar/") else 200)
    assert response["Content-Type"] == "text/html; charset=utf-8"
