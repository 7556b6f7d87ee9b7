"""The account pages: public profiles, the settings pages (profile and avatar, API tokens,
notification preferences, deleting one's account) and the header's account menu.

Each action goes through the accounts' (or the mail's) services; a refusal shows its reason
on the page and changes nothing; every settings page asks an anonymous visitor to sign in.
"""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from podium.accounts import services
from podium.accounts.models import ApiToken, Profile, User
from podium.messaging.models import Preferences, Unsubscription
from tests.factories import make_competition, make_user

pytestmark = pytest.mark.django_db

PASSWORD = "pw"  # tests.factories' password


@pytest.fixture
def vera(db) -> User:
    return make_user("vera")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def picture(format: str = "PNG", size=(300, 200)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format=format)
    buffer.seek(0)
    buffer.name = f"me.{format.lower()}"
    return buffer


def stored(storage) -> list[str]:
    return sorted(str(path.relative_to(storage)) for path in storage.rglob("*.*"))


# Who may see the settings pages


SETTINGS_PAGES = [
    "/settings/profile/",
    "/settings/tokens/",
    "/settings/delete/",
    "/mail/preferences/",
]
SETTINGS_ACTIONS = ["/settings/avatar/", "/settings/avatar/remove/", "/settings/tokens/1/revoke/"]


@pytest.mark.parametrize("path", SETTINGS_PAGES)
def test_a_settings_page_asks_an_anonymous_visitor_to_sign_in(path):
    response = Client().get(path)

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")


@pytest.mark.parametrize("path", [*SETTINGS_PAGES, *SETTINGS_ACTIONS])
def test_an_anonymous_post_changes_nothing_and_asks_to_sign_in(path, vera):
    services.create_token(user=vera, name="laptop")

    response = Client().post(path, {"name": "x", "password": PASSWORD, "understood": "on"})

    assert (response.status_code, response["Location"]) == (302, f"/accounts/login/?next={path}")
    vera.refresh_from_db()
    assert (vera.is_active, list(ApiToken.objects.values_list("name", flat=True))) == (
        True,
        ["laptop"],
    )
    assert Preferences.objects.count() == 0


def test_settings_answers_with_the_profile_page(vera):
    response = signed_in(vera).get("/settings/")

    assert (response.status_code, response["Location"]) == (302, "/settings/profile/")


@pytest.mark.parametrize("path", ["/settings/avatar/", "/settings/avatar/remove/"])
def test_a_get_never_changes_the_avatar(path, vera):
    assert signed_in(vera).get(path).status_code == 405


# The header's account menu


def test_the_header_offers_a_signed_in_user_their_account_pages(vera):
    html = text(signed_in(vera).get("/"))

    menu = html[html.index('<details class="dropdown account-menu">') : html.index("</details>")]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', menu) == [
        ("/users/vera/", "Your profile"),
        ("/settings/profile/", "Settings"),
        ("/organizations/", "Organizations"),
        ("/settings/tokens/", "API tokens"),
        ("/mail/preferences/", "Notifications"),
    ]
    assert 'action="/accounts/logout/"' in menu
    assert '<span class="signed-in-as">Signed in as </span><strong>vera</strong>' in menu
    assert '<a href="/manage/"' in html


def test_the_header_offers_an_anonymous_visitor_to_sign_in_or_up():
    html = text(Client().get("/"))

    assert "account-menu" not in html
    assert 'href="/accounts/login/?next=/"' in html
    assert 'href="/accounts/signup/" role="button">Sign up</a>' in html


# Profile settings


def test_the_profile_page_shows_the_profile_and_links_to_the_email_and_password_pages(
    vera, django_assert_max_num_queries
):
    services.update_profile(
        user=vera, changes={"display_name": "Vera Rubin", "affiliations": ["Carnegie", "DTM"]}
    )
    client = signed_in(vera)

    with django_assert_max_num_queries(4):
        response = client.get("/settings/profile/")

    assert response.status_code == 200
    form = response.context["form"]
    assert (form["display_name"].value(), form["affiliations"].value()) == (
        "Vera Rubin",
        "Carnegie\nDTM",
    )
    html = text(response)
    assert 'href="/accounts/email/">Change your email address</a>' in html
    assert 'href="/accounts/password/change/">Change your password</a>' in html
    assert 'href="/users/vera/">your profile page</a>' in html
    assert 'aria-current="page">Profile</a>' in html


def test_the_profile_is_saved_through_the_service(vera):
    client = signed_in(vera)

    response = client.post(
        "/settings/profile/",
        {
            "display_name": "Vera Rubin",
            "bio": "Galaxies.",
            "location": "Washington",
            "affiliations": "Carnegie Institution\n\n  Georgetown University  \n",
            "website": "https://example.org/vera",
            "github": "vera-rubin",
            "orcid": "0000-0002-1825-0097",
            "google_scholar": "",
            "linkedin": "https://linkedin.com/in/vera",
        },
    )

    assert (response.status_code, response["Location"]) == (302, "/settings/profile/")
    profile = Profile.objects.get(user=vera)
    assert (
        profile.display_name,
        profile.bio,
        profile.location,
        profile.affiliations,
        profile.website,
        profile.github,
        profile.orcid,
        profile.google_scholar,
        profile.linkedin,
    ) == (
        "Vera Rubin",
        "Galaxies.",
        "Washington",
        ["Carnegie Institution", "Georgetown University"],
        "https://example.org/vera",
        "vera-rubin",
        "0000-0002-1825-0097",
        "",
        "https://linkedin.com/in/vera",
    )
    shown = client.get("/settings/profile/")
    assert [str(message) for message in shown.context["messages"]] == ["Your profile is saved."]


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
            {"affiliations": "\n".join(f"Lab {n}" for n in range(11))},
            {"affiliations": ["At most 10 affiliations; this has 11."]},
        ),
        (
            {"affiliations": "x" * 201},
            {
                "affiliations": [
                    f"An affiliation has at most 200 characters: {'x' * 40}... has 201."
                ]
            },
        ),
        (
            {"bio": "x" * 5001},
            {"bio": ["Ensure this value has at most 5000 characters (it has 5001)."]},
        ),
    ],
    ids=["script-link", "ftp-link", "github", "orcid", "many-affiliations", "long-one", "bio"],
)
def test_an_invalid_profile_is_refused_by_field_and_nothing_is_saved(vera, change, errors):
    services.update_profile(user=vera, changes={"display_name": "Vera"})

    response = signed_in(vera).post("/settings/profile/", {"display_name": "Changed", **change})

    assert (response.status_code, response.context["form"].errors) == (400, errors)
    assert Profile.objects.get(user=vera).display_name == "Vera"


def test_an_avatar_is_uploaded_shown_and_removed(vera, storage, django_capture_on_commit_callbacks):
    client = signed_in(vera)

    uploaded = client.post("/settings/avatar/", {"avatar": picture()})

    assert (uploaded.status_code, uploaded["Location"]) == (302, "/settings/profile/")
    profile = Profile.objects.get(user=vera)
    (name,) = stored(storage)
    assert profile.avatar.name == name
    address = "/" + name
    page = text(client.get("/settings/profile/"))
    assert f'<img class="avatar large" src="{address}" alt="Your current picture"' in page
    assert f'src="{address}"' in text(Client().get("/users/vera/"))
    served = Client().get(address)
    assert (served.status_code, b"".join(served.streaming_content)[:4]) == (200, b"\x89PNG")

    with django_capture_on_commit_callbacks(execute=True):
        removed = client.post("/settings/avatar/remove/")

    assert (removed.status_code, removed["Location"]) == (302, "/settings/profile/")
    assert (Profile.objects.get(user=vera).avatar.name, stored(storage)) == ("", [])


def test_an_avatar_beyond_the_limits_is_refused_with_the_reason_and_nothing_changes(
    vera, storage, settings
):
    client = signed_in(vera)
    client.post("/settings/avatar/", {"avatar": picture()})
    before = stored(storage)
    settings.AVATAR_MAX_PIXELS = 100 * 100
    not_an_image = io.BytesIO(b"<html>hello</html>")
    not_an_image.name = "page.png"

    too_big = client.post("/settings/avatar/", {"avatar": picture(size=(200, 200))})
    garbage = client.post("/settings/avatar/", {"avatar": not_an_image})
    nothing = client.post("/settings/avatar/", {})

    assert [response.status_code for response in (too_big, garbage, nothing)] == [400, 400, 400]
    assert too_big.context["avatar_form"].errors == {
        "avatar": ["'me.png' is 200x200 pixels; the limit is 100x100."]
    }
    assert garbage.context["avatar_form"].errors == {
        "avatar": ["'page.png' is not a readable image (use PNG, JPEG or WebP)."]
    }
    assert nothing.context["avatar_form"].errors == {"avatar": ["This field is required."]}
    assert "200x200 pixels; the limit is 100x100" in text(too_big)
    assert stored(storage) == before
    assert Profile.objects.get(user=vera).avatar.name == before[0]


def test_the_avatar_field_says_the_limits(vera, settings):
    settings.AVATAR_MAX_BYTES = 2 * 1024**2
    settings.AVATAR_MAX_PIXELS = 1000 * 1000

    form = signed_in(vera).get("/settings/profile/").context["avatar_form"]

    assert form.fields["avatar"].help_text == (
        "PNG, JPEG or WebP, at most 2.0\xa0MB and 1000x1000 pixels. It is stored at most 512 "
        "pixels a side, without its metadata (a photo's location, say)."
    )
    assert str(form["avatar"]).count(f'data-max-bytes="{2 * 1024**2}"') == 1


# Public profiles


def test_a_public_profile_shows_what_the_api_shows_and_never_the_address(
    vera, outsider, django_assert_max_num_queries
):
    services.update_profile(
        user=vera,
        changes={
            "display_name": "Vera Rubin",
            "bio": "Galaxies <b>rotate</b>.",
            "location": "Washington",
            "affiliations": ["Carnegie Institution"],
            "website": "https://example.org/vera",
            "github": "vera-rubin",
            "orcid": "0000-0002-1825-0097",
            "google_scholar": "https://scholar.example.org/vera",
            "linkedin": "https://linkedin.com/in/vera",
        },
    )

    for reader in (Client(), signed_in(outsider)):
        with django_assert_max_num_queries(4):
            response = reader.get("/users/vera/")
        assert response.status_code == 200
        html = text(response)
        assert "<h1>Vera Rubin</h1>" in html
        assert "@vera · Washington" in html
        assert "<li>Carnegie Institution</li>" in html
        assert "Galaxies &lt;b&gt;rotate&lt;/b&gt;." in html
        for link in (
            "https://example.org/vera",
            "https://github.com/vera-rubin",
            "https://orcid.org/0000-0002-1825-0097",
            "https://scholar.example.org/vera",
            "https://linkedin.com/in/vera",
        ):
            assert f'href="{link}" rel="nofollow noopener ugc"' in html
        assert "vera@example.org" not in html
        assert "Edit your profile" not in html
    assert "Edit your profile" in text(signed_in(vera).get("/users/vera/"))


def test_a_user_who_never_wrote_a_profile_has_one_and_reading_it_writes_nothing(vera):
    response = Client().get("/users/vera/")

    assert (response.status_code, Profile.objects.count()) == (200, 0)
    assert "<h1>vera</h1>" in text(response)


def test_unknown_and_deleted_users_have_no_public_profile(vera):
    make_user("jean.luc@home")
    vera.is_active = False
    vera.save()

    assert Client().get("/users/vera/").status_code == 404
    assert Client().get("/users/nobody/").status_code == 404
    assert Client().get("/users/jean.luc@home/").status_code == 200


# API tokens


def test_a_new_token_is_shown_once_and_works_against_the_api(vera):
    client = signed_in(vera)

    created = client.post("/settings/tokens/", {"name": "laptop"})

    assert created.status_code == 201
    assert created["Cache-Control"] == "no-store"
    key = created.context["key"]
    token = ApiToken.objects.get()
    assert (token.user, token.name, token.key_hash) == (vera, "laptop", services.hash_key(key))
    html = text(created)
    assert f'value="{key}" readonly' in html
    assert 'data-copy="new-token-key" hidden>Copy</button>' in html
    me = Client().get("/api/users/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert (me.status_code, me.json()["username"]) == (200, "vera")
    listed = client.get("/settings/tokens/")
    assert key not in text(listed)
    assert [t.name for t in listed.context["page"]] == ["laptop"]
    assert '<th scope="row" class="token-name">laptop</th>' in text(listed)


def test_the_token_list_shows_when_each_was_last_used(vera, django_assert_max_num_queries):
    _, key = services.create_token(user=vera, name="used")
    services.create_token(user=vera, name="idle")
    services.token_for_key(key)
    client = signed_in(vera)

    with django_assert_max_num_queries(4):
        response = client.get("/settings/tokens/")

    used, idle = ApiToken.objects.get(name="used"), ApiToken.objects.get(name="idle")
    assert [(t.name, t.last_used) for t in response.context["page"]] == [
        ("idle", None),
        ("used", used.last_used),
    ]
    html = text(response)
    assert f'<time datetime="{used.last_used:%Y-%m-%dT%H:%M:%SZ}"' in html
    assert '<td class="last-used">Never</td>' in html
    assert idle.last_used is None


def test_a_token_is_made_to_expire_as_chosen_and_the_list_says_when(vera):
    client = signed_in(vera)
    form = text(client.get("/settings/tokens/"))
    assert '<option value="90" selected>in 90 days</option>' in form
    assert '<option value="">never</option>' in form

    created = client.post("/settings/tokens/", {"name": "ci", "expires_in_days": "30"})
    client.post("/settings/tokens/", {"name": "forever", "expires_in_days": ""})
    services.create_token(user=vera, name="old", expires_in_days=1)
    ApiToken.objects.filter(name="old").update(expires=timezone.now() - timedelta(days=1))

    assert created.status_code == 201
    ci = ApiToken.objects.get(name="ci")
    assert ci.expires == ci.created + timedelta(days=30)
    assert ApiToken.objects.get(name="forever").expires is None
    rows = {
        row.split('class="token-name">')[1].split("<")[0]: row.split('<td class="expires">')[1]
        for row in text(client.get("/settings/tokens/")).split("<tr>")[2:]
    }
    assert rows["ci"].startswith(f'<time datetime="{ci.expires:%Y-%m-%dT%H:%M:%SZ}"')
    assert "expired" not in rows["ci"]
    assert rows["forever"].startswith("Never</td>")
    assert '<span class="badge warning">expired</span>' in rows["old"]


def test_a_token_without_a_name_is_refused(vera):
    response = signed_in(vera).post("/settings/tokens/", {"name": "  "})

    assert response.status_code == 400
    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert ApiToken.objects.count() == 0


def test_a_token_beyond_the_most_allowed_is_refused_with_the_reason(vera, monkeypatch):
    monkeypatch.setattr(services, "MAX_TOKENS", 1)
    services.create_token(user=vera, name="first")

    response = signed_in(vera).post("/settings/tokens/", {"name": "second"})

    assert response.status_code == 409
    assert response.context["error"] == (
        "No token made: you have 1 tokens, the most allowed; revoke one first."
    )
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["first"]


def test_a_revoked_token_stops_working(vera):
    token, key = services.create_token(user=vera, name="laptop")
    client = signed_in(vera)

    response = client.post(f"/settings/tokens/{token.pk}/revoke/")

    assert (response.status_code, response["Location"]) == (302, "/settings/tokens/")
    assert ApiToken.objects.count() == 0
    me = Client().get("/api/users/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 401
    messages = [str(m) for m in client.get("/settings/tokens/").context["messages"]]
    assert messages == ["The token 'laptop' is revoked: it no longer works."]


def test_nobody_revokes_another_users_token(vera, outsider):
    token, _ = services.create_token(user=vera, name="laptop")

    response = signed_in(outsider).post(f"/settings/tokens/{token.pk}/revoke/")

    assert response.status_code == 404
    assert ApiToken.objects.get().pk == token.pk


def test_a_get_never_revokes_a_token(vera):
    token, _ = services.create_token(user=vera, name="laptop")

    assert signed_in(vera).get(f"/settings/tokens/{token.pk}/revoke/").status_code == 405
    assert ApiToken.objects.count() == 1


def test_the_token_list_pages(vera):
    for number in range(23):
        services.create_token(user=vera, name=f"token {number:02}")

    first = signed_in(vera).get("/settings/tokens/")
    second = signed_in(vera).get("/settings/tokens/?page=2")

    assert [len(first.context["page"]), len(second.context["page"])] == [20, 3]
    assert second.context["page"][2].name == "token 00"


# Notification preferences


def test_the_preferences_page_shows_the_defaults_without_writing_them(
    vera, django_assert_max_num_queries
):
    client = signed_in(vera)

    with django_assert_max_num_queries(4):
        response = client.get("/mail/preferences/")

    assert response.status_code == 200
    form = response.context["form"]
    assert {name: form[name].value() for name in form.fields} == {
        "registration": True,
        "announcement": True,
        "forum": True,
        "submission": False,
        "organizer": "hourly",
    }
    assert Preferences.objects.count() == 0
    html = text(response)
    for always in ("Account security", "Contact requests", "Invitations to organizations"):
        assert always in html
    assert 'aria-current="page">Notifications</a>' in html


def test_preferences_are_saved(vera):
    response = signed_in(vera).post(
        "/mail/preferences/", {"forum": "on", "submission": "on", "organizer": "daily"}
    )

    assert (response.status_code, response["Location"]) == (302, "/mail/preferences/")
    prefs = Preferences.objects.get(user=vera)
    assert (
        prefs.registration,
        prefs.announcement,
        prefs.forum,
        prefs.submission,
        prefs.organizer,
    ) == (False, False, True, True, "daily")
    api = Client()
    api.force_login(vera)
    assert api.get("/api/notification_preferences/").json() == {
        "registration": False,
        "announcement": False,
        "forum": True,
        "submission": True,
        "organizer": "daily",
        "unsubscribed_competitions": [],
    }


def test_invalid_preferences_change_nothing(vera):
    response = signed_in(vera).post("/mail/preferences/", {"forum": "on", "organizer": "weekly"})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "organizer": ["Select a valid choice. weekly is not one of the available choices."]
    }
    assert Preferences.objects.count() == 0


def test_the_preferences_page_lists_the_competitions_unsubscribed_from(vera, organizer):
    muted = make_competition(owner=organizer, title="Loud benchmark")
    make_competition(owner=organizer, title="Quiet benchmark")
    Unsubscription.objects.create(user=vera, competition=muted)

    response = signed_in(vera).get("/mail/preferences/")

    assert response.context["muted"] == [{"pk": muted.pk, "title": "Loud benchmark"}]
    assert f'<a href="/competitions/{muted.pk}/">Loud benchmark</a>' in text(response)


# The email and password pages belong to the settings


@pytest.mark.parametrize(
    ("path", "current"),
    [("/accounts/email/", "Email address"), ("/accounts/password/change/", "Password")],
)
def test_allauths_email_and_password_pages_show_the_settings_navigation(vera, path, current):
    html = text(signed_in(vera).get(path))

    assert 'aria-label="Account settings"' in html
    assert f'aria-current="page">{current}</a>' in html


# Deleting one's account


def test_the_deletion_page_says_what_goes_and_what_stays(vera):
    response = signed_in(vera).get("/settings/delete/")

    assert response.status_code == 200
    html = text(response)
    assert '<h2 id="removed-heading">What is removed</h2>' in html
    assert f"under the name <code>deleted-{vera.pk}</code>" in html
    assert response["Cache-Control"].startswith("max-age=0")


@pytest.mark.parametrize(
    ("form", "errors"),
    [
        (
            {"password": "wrong", "understood": "on"},
            {"password": ["Nothing was deleted: the password is not correct."]},
        ),
        (
            {"password": PASSWORD},
            {"understood": ["Tick the box to confirm that you want to delete it."]},
        ),
        ({"understood": "on"}, {"password": ["This field is required."]}),
    ],
    ids=["wrong-password", "unconfirmed", "no-password"],
)
def test_a_refused_deletion_changes_nothing(vera, form, errors):
    services.create_token(user=vera, name="laptop")
    client = signed_in(vera)

    response = client.post("/settings/delete/", form)

    assert (response.status_code, response.context["form"].errors) == (400, errors)
    vera.refresh_from_db()
    assert (vera.username, vera.is_active, vera.email, ApiToken.objects.count()) == (
        "vera",
        True,
        "vera@example.org",
        1,
    )
    assert client.get("/settings/profile/").status_code == 200


def test_an_owner_of_competitions_is_told_which_to_hand_over_first(vera):
    make_competition(owner=vera, title="Vera's galaxies")
    make_competition(owner=vera, title="Another one")

    response = signed_in(vera).post("/settings/delete/", {"password": PASSWORD, "understood": "on"})

    assert response.status_code == 409
    assert response.context["owned"] == ["Another one", "Vera's galaxies"]
    html = text(response)
    assert "Nothing was deleted: you still own 2 competitions." in html
    assert "<li>Vera&#x27;s galaxies</li>" in html
    vera.refresh_from_db()
    assert (vera.username, vera.is_active) == ("vera", True)


def test_an_account_is_deleted_and_signed_out(vera):
    client = signed_in(vera)

    response = client.post("/settings/delete/", {"password": PASSWORD, "understood": "on"})

    assert response.status_code == 200
    assert "<h1>Your account is deleted</h1>" in text(response)
    vera.refresh_from_db()
    assert (vera.username, vera.email, vera.is_active) == (f"deleted-{vera.pk}", "", False)
    assert client.get("/settings/profile/").status_code == 302
    assert Client().get("/users/vera/").status_code == 404
