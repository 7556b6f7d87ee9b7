import pytest
from django.utils import timezone

from podium.accounts.models import User
from podium.competitions.models import Competition, Page, Phase
from podium.core.markup import render
from podium.leaderboards.models import Column, Leaderboard

pytestmark = pytest.mark.django_db

HOSTILE_PAGE = (
    "# Welcome\n<script>document.title='pwned'</script>"
    '<img src="logo.png" onerror="alert(1)"><a href="javascript:alert(2)">click</a>'
    '<iframe src="https://evil.example"></iframe><form action="/x"><input name="a"></form>'
    "**Good luck** and [read the rules](https://example.org/rules)"
)


@pytest.fixture
def organizer():
    return User.objects.create_user("olga", "olga@example.org", "pw")


@pytest.fixture
def competition(organizer):
    competition = Competition.objects.create(
        title="Speech",
        description="Recognise it",
        created_by=organizer,
        published=True,
        terms="<p onclick='steal()'>Be fair</p>",
    )
    Page.objects.create(competition=competition, index=0, title="Overview", content=HOSTILE_PAGE)
    visible = Leaderboard.objects.create(competition=competition, title="Main board", key="main")
    Column.objects.create(leaderboard=visible, index=0, title="WER", key="wer")
    Column.objects.create(leaderboard=visible, index=1, title="Secret metric", key="s", hidden=True)
    private = Leaderboard.objects.create(
        competition=competition, title="Private board", key="p", hidden=True, index=1
    )
    Phase.objects.create(
        competition=competition, name="Dev", start=timezone.now(), leaderboard=visible
    )
    Phase.objects.create(
        competition=competition, name="Internal", index=1, start=timezone.now(), leaderboard=private
    )
    return competition


def test_the_sanitizer_keeps_text_and_drops_every_active_part():
    assert render(HOSTILE_PAGE) == (
        "<h1>Welcome</h1>\n\n"
        '<p><img src="logo.png"><a rel="noopener noreferrer nofollow">click</a>\n</p>\n\n'
        '<p><strong>Good luck</strong> and <a href="https://example.org/rules" '
        'rel="noopener noreferrer nofollow">read the rules</a></p>'
    )


def test_a_competition_page_shows_sanitized_pages_under_a_content_security_policy(
    client, competition
):
    response = client.get(f"/competitions/{competition.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<h3>Welcome</h3>" in body
    assert "pwned" not in body
    assert "onerror" not in body
    assert "javascript:" not in body
    assert "<iframe" not in body
    assert "<form" not in body
    assert "steal()" not in body
    assert "Be fair" in body
    assert "script-src 'self'" in response["Content-Security-Policy"]
    # The page content is stored exactly as written.
    assert competition.pages.get().content == HOSTILE_PAGE


def test_hidden_leaderboards_and_columns_show_to_organizers_only(client, competition, organizer):
    internal = competition.phases.get(name="Internal").pk
    results = f"/competitions/{competition.pk}/results/"
    body = (
        client.get(results).content.decode()
        + client.get(f"{results}?phase={internal}").content.decode()
    )
    assert ("Main board" in body, "Private board" in body, "Secret metric" in body) == (
        True,
        False,
        False,
    )
    client.force_login(organizer)
    body = (
        client.get(results).content.decode()
        + client.get(f"{results}?phase={internal}").content.decode()
    )
    assert ("Main board" in body, "Private board" in body, "Secret metric" in body) == (
        True,
        True,
        True,
    )


def test_an_unpublished_competition_is_not_found_for_others(client, competition, organizer):
    competition.published = False
    competition.save()
    assert client.get(f"/competitions/{competition.pk}/").status_code == 404
    outsider = User.objects.create_user("otto", "otto@example.org", "pw")
    client.force_login(outsider)
    assert client.get(f"/competitions/{competition.pk}/").status_code == 404
    assert client.get("/").content.decode().count("Speech") == 0
    client.force_login(organizer)
    assert client.get(f"/competitions/{competition.pk}/").status_code == 200
