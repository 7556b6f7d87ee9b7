"""Leaderboards CRUD at /api/leaderboards/: definitions checked whole, columns kept with
their scores when matched, organizers only."""

from __future__ import annotations

import pytest

from podium.leaderboards.models import Column, Leaderboard
from podium.submissions.models import SubmissionScore
from tests.leaderboards.conftest import make_board, submit

pytestmark = pytest.mark.django_db


def definition(competition, **changes):
    return {
        "competition": competition.pk,
        "key": "efficiency",
        "title": "Efficiency",
        "submission_rule": "Force_Best",
        "primary_index": 0,
        "release_date": "2030-06-01T12:00:00Z",
        "anonymous": True,
        "frontier": {"score": "accuracy", "cost": "podium:prediction.wall_time"},
        "columns": [
            {"index": 0, "key": "accuracy", "title": "Accuracy", "precision": 3},
            {
                "index": 1,
                "key": "podium:prediction.wall_time",
                "title": "Time (s)",
                "sorting": "asc",
            },
            {"index": 2, "key": "podium:custom.flops", "title": "FLOPs", "sorting": "asc"},
        ],
        **changes,
    }


def test_an_organizer_creates_a_leaderboard_with_every_setting(api, organizer, competition):
    response = api(organizer).post("/api/leaderboards/", definition(competition), format="json")

    assert response.status_code == 201, response.content
    board = Leaderboard.objects.get(pk=response.json()["id"])
    assert (board.anonymous, board.frontier, board.release_date.isoformat()) == (
        True,
        ("accuracy", "podium:prediction.wall_time"),
        "2030-06-01T12:00:00+00:00",
    )
    assert list(board.columns.values_list("key", "sorting", "precision")) == [
        ("accuracy", "desc", 3),
        ("podium:prediction.wall_time", "asc", 2),
        ("podium:custom.flops", "asc", 2),
    ]
    assert response.json()["frontier"] == {
        "score": "accuracy",
        "cost": "podium:prediction.wall_time",
    }


def test_every_problem_of_a_definition_is_told_at_once(api, organizer, competition):
    bad = definition(
        competition,
        primary_index=7,
        frontier={"score": "accuracy", "cost": "accuracy"},
        columns=[
            {"index": 0, "key": "accuracy", "title": "A"},
            {"index": 0, "key": "podium:prediction.walltime", "title": "B"},
            {"index": 2, "key": "mean", "title": "C", "computation": "avg"},
            {
                "index": 3,
                "key": "self",
                "title": "D",
                "computation": "max",
                "computation_indexes": [3, 9],
            },
        ],
    )

    response = api(organizer).post("/api/leaderboards/", bad, format="json")

    assert response.status_code == 400
    problems = [message for messages in response.json().values() for message in messages]
    assert problems == [
        "columns[1].index: another column already has index 0",
        "columns[1].key: unknown measurement; known: "
        + ", ".join(
            sorted(
                f"podium:{step}.{measure}"
                for step in ("prediction", "scoring")
                for measure in (
                    "wall_time",
                    "cpu_time",
                    "peak_memory",
                    "gpu_time",
                    "gpu_peak_memory",
                )
            )
        )
        + ", or podium:custom.NAME",
        "columns[2].computation: computation and computation_indexes go together: give both "
        "or neither",
        "columns[3].computation_indexes: a column cannot be computed from itself",
        "columns[3].computation_indexes: no column has index 9",
        "primary_index: no column has index 7",
        "frontier.cost: must be another column than the score",
    ]
    assert Leaderboard.objects.count() == 0


def test_a_key_is_unique_in_its_competition(api, organizer, competition):
    make_board(competition, key="efficiency")

    response = api(organizer).post("/api/leaderboards/", definition(competition), format="json")

    assert response.status_code == 400
    assert response.json() == {"key": ["another leaderboard already has key 'efficiency'"]}


def test_changing_columns_keeps_the_scores_of_the_columns_kept(
    api, organizer, competition, phase, participant, finish
):
    board = make_board(
        competition,
        [{"key": "accuracy"}, {"key": "f1"}, {"key": "old"}],
        phases=[phase],
        submission_rule="Force_Last",
    )
    finish(submit(participant, phase), {"accuracy": 0.9, "f1": 0.5, "old": 1.0})
    f1 = board.columns.get(key="f1")

    response = api(organizer).patch(
        f"/api/leaderboards/{board.pk}/",
        {
            "primary_index": 1,
            "columns": [
                {"index": 0, "key": "f1-score", "title": "F1", "id": f1.pk},
                {"index": 1, "key": "accuracy", "title": "Accuracy", "precision": 4},
                {"index": 2, "key": "podium:custom.params", "title": "Parameters"},
            ],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert [
        (column["index"], column["key"], column["precision"])
        for column in response.json()["columns"]
    ] == [(0, "f1-score", 2), (1, "accuracy", 4), (2, "podium:custom.params", 2)]
    assert sorted(SubmissionScore.objects.values_list("column__key", "value")) == [
        ("accuracy", 0.9),
        ("f1-score", 0.5),
    ]
    assert Column.objects.filter(key="old").count() == 0


def test_a_frontier_must_name_columns_that_stay(api, organizer, competition):
    board = make_board(
        competition,
        [{"key": "score"}, {"key": "podium:prediction.wall_time"}],
        frontier_score="score",
        frontier_cost="podium:prediction.wall_time",
    )

    response = api(organizer).patch(
        f"/api/leaderboards/{board.pk}/",
        {"columns": [{"index": 0, "key": "score", "title": "Score"}]},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "frontier": ["frontier.cost: no column has key 'podium:prediction.wall_time'"]
    }
    assert board.columns.count() == 2


def test_a_collaborator_may_change_and_delete_but_a_participant_may_not(
    api, competition, collaborator, participant
):
    board = make_board(competition)

    assert (
        api(participant)
        .patch(f"/api/leaderboards/{board.pk}/", {"title": "Mine"}, format="json")
        .status_code
        == 403
    )
    assert (
        api(collaborator)
        .patch(f"/api/leaderboards/{board.pk}/", {"title": "Ours"}, format="json")
        .json()["title"]
        == "Ours"
    )
    assert api(participant).delete(f"/api/leaderboards/{board.pk}/").status_code == 403
    assert api(collaborator).delete(f"/api/leaderboards/{board.pk}/").status_code == 204
    assert Leaderboard.objects.count() == 0


def test_a_phase_of_another_competition_is_refused(api, organizer, competition, draft):
    from tests.factories import make_phase

    elsewhere = make_phase(competition=draft)

    response = api(organizer).post(
        "/api/leaderboards/", definition(competition, phases=[elsewhere.pk]), format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"phases": [f"no phase with id {elsewhere.pk} in this competition"]}


def test_a_leaderboard_cannot_move_to_another_competition(api, organizer, competition, draft):
    board = make_board(competition)

    response = api(organizer).patch(
        f"/api/leaderboards/{board.pk}/", {"competition": draft.pk}, format="json"
    )

    assert response.status_code == 400
    board.refresh_from_db()
    assert board.competition == competition
