"""The cached ranking: what changes show at once, and what within CACHE_SECONDS."""

from __future__ import annotations

import pytest

from podium.leaderboards import services
from podium.submissions.models import SubmissionScore
from tests.leaderboards.conftest import make_board, player, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(competition, phase, participant, finish):
    board = make_board(competition, phases=[phase], submission_rule="Force_Best")
    finish(submit(participant, phase), {"score": 0.5})
    return board


def scores(api, user, phase):
    response = api(user).get(f"/api/phases/{phase.pk}/leaderboard/")
    if response.status_code != 200:
        return response.status_code
    return [(row["participant"], row["scores"]["score"]) for row in response.json()["results"]]


def test_new_entries_show_at_once(api, competition, phase, board, finish, outsider):
    assert scores(api, outsider, phase) == [("petra", 0.5)]

    finish(submit(player("rita", competition), phase), {"score": 0.9})

    assert scores(api, outsider, phase) == [("rita", 0.9), ("petra", 0.5)]


def test_the_policy_is_never_cached(api, phase, board, outsider):
    assert scores(api, outsider, phase) == [("petra", 0.5)]

    board.hidden = True
    board.save()

    assert scores(api, outsider, phase) == 404


def test_a_change_of_definition_shows_at_once(api, phase, board, outsider):
    assert scores(api, outsider, phase) == [("petra", 0.5)]

    board.columns.update(key="accuracy")

    response = api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/").json()
    assert response["results"][0]["scores"] == {"accuracy": 0.5}


def test_a_score_changed_elsewhere_shows_once_its_writer_says_so(api, phase, board, outsider):
    assert scores(api, outsider, phase) == [("petra", 0.5)]

    SubmissionScore.objects.update(value=0.25)
    assert scores(api, outsider, phase) == [("petra", 0.5)]
    services.rows_changed(board.pk)

    assert scores(api, outsider, phase) == [("petra", 0.25)]


def test_or_once_the_cached_ranking_is_too_old(api, phase, board, outsider, monkeypatch):
    assert scores(api, outsider, phase) == [("petra", 0.5)]
    SubmissionScore.objects.update(value=0.25)

    later = services._clock() + services.CACHE_SECONDS + 1
    monkeypatch.setattr(services, "_clock", lambda: later)

    assert scores(api, outsider, phase) == [("petra", 0.25)]


def test_a_finish_that_changes_no_entry_keeps_the_cached_ranking(phase, board, participant, finish):
    before = type(board).objects.get(pk=board.pk).ranking_token

    finish(submit(participant, phase), {"score": 0.1})  # worse: Force_Best keeps the first

    assert type(board).objects.get(pk=board.pk).ranking_token == before
    finish(submit(participant, phase), {"score": 0.7})
    assert type(board).objects.get(pk=board.pk).ranking_token != before


def test_an_entrys_new_scores_show_at_once_when_its_writer_places_it_again(
    api, phase, board, outsider, django_capture_on_commit_callbacks
):
    assert scores(api, outsider, phase) == [("petra", 0.5)]
    submission = phase.submissions.get()

    with django_capture_on_commit_callbacks(execute=True):
        SubmissionScore.objects.update(value=0.25)
        services.schedule_placement(submission)

    assert scores(api, outsider, phase) == [("petra", 0.25)]
