"""GET /api/phases/{id}/leaderboard/: ranked rows, ties, columns of every kind, pages."""

from __future__ import annotations

import pytest

from podium.organizations.models import Membership, Organization
from tests.leaderboards.conftest import (
    OTHER_MACHINE,
    make_board,
    player,
    post_custom,
    submit,
    timed,
)

pytestmark = pytest.mark.django_db


def rows(api, user, phase, **params):
    response = api(user).get(f"/api/phases/{phase.pk}/leaderboard/", params)
    assert response.status_code == 200, response.content
    return response.json()


def test_rows_are_ranked_by_the_primary_column_with_ties_shown_as_equal(
    api, competition, phase, finish, outsider
):
    make_board(
        competition,
        [{"key": "accuracy", "precision": 3}, {"key": "f1", "precision": 1}],
        phases=[phase],
        submission_rule="Force_Last",
    )
    scores = {"ann": (0.8, 0.5), "bob": (0.9, 0.1), "cat": (0.8, 0.5), "dan": (0.7, 0.9)}
    for name, (accuracy, f1) in scores.items():
        finish(submit(player(name, competition), phase), {"accuracy": accuracy, "f1": f1})

    body = rows(api, outsider, phase)

    assert [(row["rank_label"], row["participant"]) for row in body["results"]] == [
        ("1", "bob"),
        ("2=", "ann"),
        ("2=", "cat"),
        ("4", "dan"),
    ]
    assert [row["rank"] for row in body["results"]] == [1, 2, 2, 4]
    assert body["results"][1]["scores"] == {"accuracy": 0.8, "f1": 0.5}
    assert body["results"][1]["display"] == {"accuracy": "0.800", "f1": "0.5"}
    assert body["count"] == 4
    assert body["leaderboard"]["primary_key"] == "accuracy"
    assert [column["key"] for column in body["columns"]] == ["accuracy", "f1"]


def test_the_other_columns_break_ties_in_order_each_with_its_sorting(
    api, competition, phase, finish, outsider
):
    make_board(
        competition,
        [{"key": "accuracy"}, {"key": "errors", "sorting": "asc"}, {"key": "f1"}],
        phases=[phase],
        submission_rule="Force_Last",
    )
    values = {"ann": (0.8, 3, 0.1), "bob": (0.8, 2, 0.0), "cat": (0.8, 2, 0.5)}
    for name, (accuracy, errors, f1) in values.items():
        finish(
            submit(player(name, competition), phase),
            {"accuracy": accuracy, "errors": errors, "f1": f1},
        )

    body = rows(api, outsider, phase)

    assert [(row["rank_label"], row["participant"]) for row in body["results"]] == [
        ("1", "cat"),
        ("2", "bob"),
        ("3", "ann"),
    ]


def test_precision_rounds_the_display_only(api, competition, phase, finish, outsider):
    make_board(
        competition,
        [{"key": "score", "precision": 2}],
        phases=[phase],
        submission_rule="Force_Last",
    )
    finish(submit(player("ann", competition), phase), {"score": 0.8999})
    finish(submit(player("bob", competition), phase), {"score": 0.9001})

    body = rows(api, outsider, phase)

    assert [(row["rank_label"], row["display"]["score"]) for row in body["results"]] == [
        ("1", "0.90"),
        ("2", "0.90"),
    ]


def test_organization_names_baselines_and_pages(
    api, competition, organizer, phase, finish, outsider
):
    make_board(competition, phases=[phase], submission_rule="Force_Last")
    lab = Organization.objects.create(name="Vision Lab", created_by=organizer)
    ann = player("ann", competition)
    Membership.objects.create(organization=lab, user=ann)
    finish(submit(ann, phase, organization=lab), {"score": 0.7})
    finish(submit(organizer, phase, baseline=True), {"score": 0.9})
    for index in range(3):
        finish(submit(player(f"p{index}", competition), phase), {"score": 0.1 * index})

    first = rows(api, outsider, phase, limit=2)
    second = rows(api, outsider, phase, limit=2, offset=2)

    assert first["count"] == 5
    assert [
        (row["rank"], row["participant"], row["organization"], row["is_baseline"])
        for row in first["results"] + second["results"]
    ] == [
        (None, "olivia", None, True),
        (1, "ann", "Vision Lab", False),
        (2, "p2", None, False),
        (3, "p1", None, False),
    ]
    assert first["next"].endswith("limit=2&offset=2")
    assert second["previous"].endswith("limit=2")


def test_efficiency_and_custom_metric_columns_rank_like_any_score(
    api, competition, organizer, phase, finish, outsider
):
    make_board(
        competition,
        [
            {"key": "score"},
            {"key": "podium:prediction.wall_time", "sorting": "asc", "precision": 1},
            {"key": "podium:custom.flops", "sorting": "asc", "precision": 0},
        ],
        phases=[phase],
        primary_index=1,
        submission_rule="Force_Last",
    )
    runs = {"ann": (0.9, 12.0, 5e9), "bob": (0.8, 3.0, 7e9), "cat": (0.95, 7.5, 1e9)}
    for name, (score, seconds, flops) in runs.items():
        submission = finish(
            submit(player(name, competition), phase), {"score": score}, timed(seconds)
        )
        post_custom(submission, "podium:custom.flops", flops)

    body = rows(api, outsider, phase)

    assert [
        (row["participant"], row["scores"]["podium:prediction.wall_time"])
        for row in body["results"]
    ] == [("bob", 3.0), ("cat", 7.5), ("ann", 12.0)]
    assert body["results"][0]["display"] == {
        "score": "0.80",
        "podium:prediction.wall_time": "3.0",
        "podium:custom.flops": "7000000000",
    }


def test_the_frontier_marks_the_rows_no_other_row_dominates(
    api, competition, phase, finish, outsider
):
    make_board(
        competition,
        [{"key": "score"}, {"key": "podium:prediction.wall_time", "sorting": "asc"}],
        phases=[phase],
        submission_rule="Force_Last",
        frontier_score="score",
        frontier_cost="podium:prediction.wall_time",
    )
    runs = {"fast": (0.6, 1.0), "slow-best": (0.9, 20.0), "middle": (0.8, 5.0), "worse": (0.7, 6.0)}
    for name, (score, seconds) in runs.items():
        finish(submit(player(name, competition), phase), {"score": score}, timed(seconds))

    body = rows(api, outsider, phase)

    assert {row["participant"]: row["on_frontier"] for row in body["results"]} == {
        "slow-best": True,
        "middle": True,
        "worse": False,
        "fast": True,
    }
    assert body["leaderboard"]["frontier"] == {
        "score": "score",
        "cost": "podium:prediction.wall_time",
    }


def test_rows_measured_on_other_hardware_say_so(api, competition, phase, finish, outsider):
    make_board(
        competition,
        [{"key": "score"}, {"key": "podium:prediction.wall_time", "sorting": "asc"}],
        phases=[phase],
        submission_rule="Force_Last",
    )
    finish(submit(player("ann", competition), phase), {"score": 0.9}, timed(2.0))
    finish(submit(player("bob", competition), phase), {"score": 0.8}, timed(3.0))
    finish(submit(player("cat", competition), phase), {"score": 0.7}, timed(1.0, OTHER_MACHINE))

    body = rows(api, outsider, phase)

    assert body["hardware"] == "Xeon 6130, 16 cores, 64.0 GiB"
    assert [row["hardware_note"] for row in body["results"]] == [
        None,
        None,
        "measured on other hardware: EPYC 7763, 8 cores, 32.0 GiB",
    ]


def test_fact_sheet_answers_on_the_leaderboard_are_columns(
    api, competition, phase, finish, outsider
):
    competition.fact_sheet = {
        "method": {"key": "method", "type": "text", "title": "Method", "is_on_leaderboard": True},
        "email": {"key": "email", "type": "text", "title": "Email", "is_on_leaderboard": False},
    }
    competition.save()
    make_board(competition, phases=[phase], submission_rule="Force_Last")
    answers = {"method": "SVM", "email": "ann@example.org"}
    finish(submit(player("ann", competition), phase, fact_sheet=answers), {"score": 0.5})

    body = rows(api, outsider, phase)

    assert body["fact_sheet"] == [{"key": "method", "title": "Method"}]
    assert body["results"][0]["fact_sheet"] == {"method": "SVM"}


def test_a_phase_without_a_leaderboard_has_none(api, phase, outsider):
    response = api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/")

    assert response.status_code == 404


def test_the_seeds_get_leaderboard_path_gives_the_same_rows(
    api, competition, phase, finish, outsider
):
    make_board(competition, phases=[phase], submission_rule="Force_Last")
    finish(submit(player("ann", competition), phase), {"score": 0.5})

    seed = api(outsider).get(f"/api/phases/{phase.pk}/get_leaderboard/")

    assert seed.status_code == 200
    assert seed.json() == rows(api, outsider, phase)
