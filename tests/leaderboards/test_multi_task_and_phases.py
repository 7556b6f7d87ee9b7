"""Multi-task phases (one row per submission, each task's scores, computed columns across
tasks, avg_rank), and leaderboards attached to chosen phases."""

from __future__ import annotations

import pytest

from tests.factories import make_phase, make_task
from tests.leaderboards.conftest import make_board, player, submit, timed

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(organizer):
    return [make_task(owner=organizer, name=name) for name in ("Iris", "Wine")]


@pytest.fixture
def multi(competition, tasks):
    return make_phase(competition=competition, name="Benchmark", tasks=tasks)


def test_a_multi_task_phase_has_one_row_per_submission_with_each_tasks_scores(
    api, competition, multi, tasks, finish, outsider
):
    make_board(
        competition,
        [
            {"key": "accuracy"},
            {"key": "mean", "computation": "avg", "computation_indexes": [0]},
            {"key": "total", "computation": "sum", "computation_indexes": [0]},
            {"key": "worst", "computation": "min", "computation_indexes": [0]},
            {
                "key": "rank",
                "computation": "avg_rank",
                "computation_indexes": [0],
                "sorting": "asc",
            },
        ],
        phases=[multi],
        submission_rule="Force_Last",
        primary_index=4,
    )
    iris, wine = tasks
    results = {"ann": (0.9, 0.5), "bob": (0.8, 0.8), "cat": (0.7, 0.6)}
    for name, (on_iris, on_wine) in results.items():
        finish(
            submit(player(name, competition), multi),
            tasks={
                iris.pk: ({"accuracy": on_iris}, timed(1)),
                wine.pk: ({"accuracy": on_wine}, timed(2)),
            },
        )

    body = api(outsider).get(f"/api/phases/{multi.pk}/leaderboard/").json()

    assert body["tasks"] == [{"id": iris.pk, "name": "Iris"}, {"id": wine.pk, "name": "Wine"}]
    # ranks on Iris: ann 1, bob 2, cat 3; on Wine: bob 1, cat 2, ann 3
    assert [
        (row["rank_label"], row["participant"], row["scores"]["rank"]) for row in body["results"]
    ] == [("1", "bob", 1.5), ("2", "ann", 2.0), ("3", "cat", 2.5)]
    by_name = {row["participant"]: row for row in body["results"]}
    assert by_name["bob"]["scores"] == pytest.approx(
        {"accuracy": 0.8, "mean": 0.8, "total": 1.6, "worst": 0.8, "rank": 1.5}
    )
    assert by_name["ann"]["scores"] == pytest.approx(
        {"accuracy": 0.7, "mean": 0.7, "total": 1.4, "worst": 0.5, "rank": 2.0}
    )
    assert by_name["cat"]["scores"]["rank"] == 2.5
    assert by_name["ann"]["tasks"] == [
        {"task": iris.pk, "scores": {"accuracy": 0.9}, "display": {"accuracy": "0.90"}},
        {"task": wine.pk, "scores": {"accuracy": 0.5}, "display": {"accuracy": "0.50"}},
    ]


def test_avg_rank_shares_fractional_ranks_on_ties(api, competition, multi, tasks, finish, outsider):
    make_board(
        competition,
        [
            {"key": "accuracy"},
            {
                "key": "rank",
                "computation": "avg_rank",
                "computation_indexes": [0],
                "sorting": "asc",
            },
        ],
        phases=[multi],
        submission_rule="Force_Last",
        primary_index=1,
    )
    iris, wine = tasks
    results = {"ann": (0.9, 0.5), "bob": (0.9, 0.5), "cat": (0.7, 0.6)}
    for name, (on_iris, on_wine) in results.items():
        finish(
            submit(player(name, competition), multi),
            tasks={iris.pk: ({"accuracy": on_iris}, {}), wine.pk: ({"accuracy": on_wine}, {})},
        )

    body = api(outsider).get(f"/api/phases/{multi.pk}/leaderboard/").json()

    # Iris: ann and bob share 1.5, cat 3; Wine: cat 1, ann and bob share 2.5. All three
    # average 2.0; the accuracy (the mean over the tasks) then puts cat last.
    assert [
        (row["rank_label"], row["participant"], row["scores"]["rank"]) for row in body["results"]
    ] == [("1=", "ann", 2.0), ("1=", "bob", 2.0), ("3", "cat", 2.0)]


def test_a_leaderboard_attached_to_several_phases_ranks_each_phases_own_submissions(
    api, competition, task, finish, outsider, organizer
):
    first = make_phase(competition=competition, name="Development", tasks=[task])
    second = make_phase(competition=competition, name="Final", index=1, tasks=[task])
    board = make_board(competition, phases=[first, second], submission_rule="Force_Last")
    ann, bob = player("ann", competition), player("bob", competition)
    finish(submit(ann, first), {"score": 0.9})
    finish(submit(bob, second), {"score": 0.4})
    finish(submit(ann, second), {"score": 0.3})

    def ranked(phase):
        body = api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/").json()
        assert body["leaderboard"]["id"] == board.pk
        return [(row["participant"], row["scores"]["score"]) for row in body["results"]]

    assert ranked(first) == [("ann", 0.9)]
    assert ranked(second) == [("bob", 0.4), ("ann", 0.3)]


def test_each_phase_may_use_a_leaderboard_of_its_own(
    api, competition, task, finish, outsider, organizer
):
    first = make_phase(competition=competition, name="Development", tasks=[task])
    second = make_phase(competition=competition, name="Final", index=1, tasks=[task])
    make_board(competition, [{"key": "score"}], phases=[first], submission_rule="Force_Last")
    make_board(
        competition,
        [{"key": "score", "sorting": "asc"}, {"key": "podium:prediction.wall_time"}],
        key="final",
        phases=[second],
        submission_rule="Force_Last",
    )
    ann, bob = player("ann", competition), player("bob", competition)
    for phase in (first, second):
        finish(submit(ann, phase), {"score": 0.9}, timed(3))
        finish(submit(bob, phase), {"score": 0.4}, timed(4))

    def ranked(phase):
        body = api(outsider).get(f"/api/phases/{phase.pk}/leaderboard/").json()
        return body["leaderboard"]["key"], [row["participant"] for row in body["results"]]

    assert ranked(first) == ("main", ["ann", "bob"])
    assert ranked(second) == ("final", ["bob", "ann"])


def test_the_leaderboard_api_attaches_a_leaderboard_to_chosen_phases(
    api, competition, task, organizer, finish
):
    first = make_phase(competition=competition, name="Development", tasks=[task])
    second = make_phase(competition=competition, name="Final", index=1, tasks=[task])
    make_board(competition, phases=[first, second])

    created = api(organizer).post(
        "/api/leaderboards/",
        {
            "competition": competition.pk,
            "key": "final",
            "title": "Final results",
            "columns": [{"index": 0, "key": "score", "title": "Score"}],
            "phases": [second.pk],
        },
        format="json",
    )

    assert created.status_code == 201, created.content
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.leaderboard.key == "main"
    assert second.leaderboard_id == created.json()["id"]
    assert created.json()["phases"] == [second.pk]
