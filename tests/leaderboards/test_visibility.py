"""Hidden, unreleased and anonymous leaderboards, and hidden columns, through every way
scores come out: the phase's leaderboard (both paths), the results export (JSON and CSV),
the leaderboard definitions, a submission's scores (`visible_scores`) and the command."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from podium.leaderboards.visibility import policy, visible_score_rows, visible_scores
from tests.leaderboards.conftest import make_board, player, submit

pytestmark = pytest.mark.django_db

ORGANIZERS = ("organizer", "collaborator", "admin")
OTHERS = ("anonymous", "outsider", "pending", "participant")


@pytest.fixture
def world(competition, phase, participant, finish):
    """The participant's own scored submission and a rival's, on a Force_Last leaderboard
    with a hidden column."""
    board = make_board(
        competition,
        [{"key": "score"}, {"key": "secret", "hidden": True}],
        phases=[phase],
        submission_rule="Force_Last",
    )
    own = finish(submit(participant, phase), {"score": 0.5, "secret": 1.0})
    rival = finish(submit(player("rita", competition), phase), {"score": 0.7, "secret": 2.0})
    return {"board": board, "phase": phase, "own": own, "rival": rival}


def through_leaderboard(api, user, world, path="leaderboard"):
    response = api(user).get(f"/api/phases/{world['phase'].pk}/{path}/")
    if response.status_code != 200:
        return response.status_code, None
    return 200, [
        (row["participant"], row["submission"], row["scores"]) for row in response.json()["results"]
    ]


def through_seed_path(api, user, world):
    return through_leaderboard(api, user, world, "get_leaderboard")


def through_results(api, user, world):
    response = api(user).get(f"/api/competitions/{world['phase'].competition_id}/results/")
    assert response.status_code == 200
    phases = response.json()["phases"]
    if not phases:
        return 200, None
    return 200, [
        (row["participant"], row["submission"], row["scores"]) for row in phases[0]["results"]
    ]


def through_csv(api, user, world):
    response = api(user).get(
        f"/api/competitions/{world['phase'].competition_id}/results/", {"format": "csv"}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(response.content.decode())))
    if not lines:
        return 200, None
    return 200, [
        (
            line["participant"],
            int(line["submission"]) if line["submission"] else None,
            {
                key: float(line[key])
                for key in ("score", "secret")
                if key in line and line[key] != ""
            },
        )
        for line in lines
    ]


def through_command(api, user, world):
    out = io.StringIO()
    try:
        call_command(
            "leaderboard", str(world["phase"].pk), "--json", "--as", user.username, stdout=out
        )
    except CommandError:
        return 403, None
    return 200, [
        (row["participant"], row["submission"], row["scores"]) for row in json.loads(out.getvalue())
    ]


WAYS = [through_leaderboard, through_seed_path, through_results, through_csv, through_command]
# Every way for every role, but the command for nobody signed in: it shows what a named user
# sees (`--as NAME`).
CASES = [
    pytest.param(way, role, id=f"{role}-{way.__name__}")
    for way in WAYS
    for role in ORGANIZERS + OTHERS
    if not (way is through_command and role == "anonymous")
]


def expected_rows(world, *, hidden_columns: bool, names: bool, viewer=None):
    def row(name, submission, score, secret):
        mine = viewer is not None and submission.owner_id == viewer.pk
        scores = {"score": score, **({"secret": secret} if hidden_columns else {})}
        if names or mine:
            return (name, submission.pk, scores)
        return ("Anonymous", None, scores)

    return [
        row("rita", world["rival"], 0.7, 2.0),
        row("petra", world["own"], 0.5, 1.0),
    ]


@pytest.mark.parametrize(("way", "role"), CASES)
def test_hidden_columns_are_for_the_organizers(way, role, world, api, personas):
    user = personas[role]
    status, found = way(api, user, world)

    assert status == 200
    assert found == expected_rows(world, hidden_columns=role in ORGANIZERS, names=True)


@pytest.mark.parametrize(("way", "role"), CASES)
def test_a_hidden_leaderboard_shows_nothing_to_non_organizers(way, role, world, api, personas):
    world["board"].hidden = True
    world["board"].save()
    user = personas[role]
    status, found = way(api, user, world)

    if role in ORGANIZERS:
        assert (status, found) == (200, expected_rows(world, hidden_columns=True, names=True))
    elif way in (through_leaderboard, through_seed_path):
        assert (status, found) == (404, None)
    elif way is through_command:
        assert (status, found) == (403, None)
    else:
        assert (status, found) == (200, None)


@pytest.mark.parametrize("way", WAYS, ids=lambda way: way.__name__)
@pytest.mark.parametrize("role", ["organizer", "participant", "outsider"])
def test_before_its_release_date_only_organizers_see_a_leaderboard(way, role, world, api, personas):
    world["board"].release_date = timezone.now() + timedelta(days=3)
    world["board"].save()
    user = personas[role]

    status, found = way(api, user, world)

    if role == "organizer":
        assert (status, found) == (200, expected_rows(world, hidden_columns=True, names=True))
    elif way in (through_results, through_csv):
        assert (status, found) == (200, None)
    else:
        assert (status, found) == (403, None)


@pytest.mark.parametrize("way", WAYS, ids=lambda way: way.__name__)
def test_after_its_release_date_everyone_sees_it(way, world, api, participant):
    world["board"].release_date = timezone.now() - timedelta(minutes=1)
    world["board"].save()

    assert way(api, participant, world) == (
        200,
        expected_rows(world, hidden_columns=False, names=True),
    )


def test_before_release_the_refusal_says_when(world, api, participant):
    world["board"].release_date = timezone.now() + timedelta(days=3)
    world["board"].save()

    response = api(participant).get(f"/api/phases/{world['phase'].pk}/leaderboard/")

    assert response.status_code == 403
    assert response.json()["detail"] == (
        "this leaderboard's results are released on "
        f"{world['board'].release_date:%Y-%m-%d %H:%M} UTC"
    )


@pytest.mark.parametrize("way", WAYS, ids=lambda way: way.__name__)
@pytest.mark.parametrize("role", ["organizer", "admin", "participant", "outsider"])
def test_an_anonymous_leaderboard_names_only_the_callers_own_rows(way, role, world, api, personas):
    world["board"].anonymous = True
    world["board"].save()
    user = personas[role]

    status, found = way(api, user, world)

    organizer = role in ("organizer", "admin")
    assert (status, found) == (
        200,
        expected_rows(world, hidden_columns=organizer, names=organizer, viewer=user),
    )


@pytest.mark.parametrize("role", ORGANIZERS + OTHERS)
def test_a_submissions_scores_follow_the_same_policy(role, world, personas):
    user = personas[role]
    own = world["own"]

    shown = visible_scores(user, own)
    world["board"].hidden = True
    world["board"].save()
    own.refresh_from_db()
    hidden = visible_scores(user, own)
    world["board"].hidden = False
    world["board"].release_date = timezone.now() + timedelta(days=1)
    world["board"].save()
    own.refresh_from_db()
    unreleased = visible_scores(user, own)

    if role in ORGANIZERS:
        assert shown == hidden == unreleased == {"score": 0.5, "secret": 1.0}
    else:
        assert (shown, hidden, unreleased) == ({"score": 0.5}, {}, {})


@pytest.mark.parametrize("role", ORGANIZERS + OTHERS)
def test_hidden_leaderboards_and_columns_are_listed_to_organizers_only(
    role, world, api, personas, competition
):
    hidden = make_board(competition, [{"key": "score"}], key="private", hidden=True)
    client = api(personas[role])

    listed = client.get("/api/leaderboards/", {"competition": competition.pk}).json()["results"]
    detail = client.get(f"/api/leaderboards/{hidden.pk}/")
    main = client.get(f"/api/leaderboards/{world['board'].pk}/").json()

    organizer = role in ORGANIZERS
    assert [board["key"] for board in listed] == (["main", "private"] if organizer else ["main"])
    assert detail.status_code == (200 if organizer else 404)
    assert [column["key"] for column in main["columns"]] == (
        ["score", "secret"] if organizer else ["score"]
    )


def test_the_policy_in_one_table():
    now = timezone.now()
    later = now + timedelta(hours=1)

    def view(**kwargs):
        defaults = {"organizer": False, "hidden": False, "release_date": None, "anonymous": False}
        seen = policy(**{**defaults, **kwargs}, now=now)
        return (seen.listed, seen.shown, seen.hidden_columns, seen.names)

    assert view() == (True, True, False, True)
    assert view(hidden=True) == (False, False, False, True)
    assert view(release_date=later) == (True, False, False, True)
    assert view(release_date=now) == (True, True, False, True)
    assert view(anonymous=True) == (True, True, False, False)
    assert view(organizer=True, hidden=True, release_date=later, anonymous=True) == (
        True,
        True,
        True,
        True,
    )


@pytest.mark.parametrize("role", ORGANIZERS + OTHERS)
@pytest.mark.parametrize("state", ["shown", "hidden", "unreleased", "released"])
def test_the_score_rows_query_agrees_with_the_policy(role, state, world, personas):
    board = world["board"]
    board.hidden = state == "hidden"
    if state in ("unreleased", "released"):
        days = 1 if state == "unreleased" else -1
        board.release_date = timezone.now() + timedelta(days=days)
    board.save()
    user = personas[role]

    listed = {
        (score.submission_id, score.column.key): score.value
        for score in visible_score_rows(user).select_related("column")
    }

    expected = {}
    for submission in (world["own"], world["rival"]):
        submission.refresh_from_db()
        if submission.pk in visible_pks(user):
            expected |= {
                (submission.pk, key): value
                for key, value in visible_scores(user, submission).items()
            }
    assert listed == expected


def visible_pks(user):
    from podium.submissions.models import Submission

    return set(Submission.objects.visible_to(user).values_list("pk", flat=True))
