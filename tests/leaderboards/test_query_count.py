"""A leaderboard costs a fixed number of queries, however many rows it ranks (HOSTILE E36)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from podium.organizations.models import Membership, Organization
from tests.factories import make_phase, make_task
from tests.leaderboards.conftest import make_board, player, submit, timed

pytestmark = pytest.mark.django_db

# The phase with its competition and leaderboard, the phase's tasks, the leaderboard's
# columns, the state of its rows, the page's rows, the rows tied with its first and last;
# then, for a signed-in caller who does not own the competition, whether they are among its
# collaborators.
QUERIES = {"anonymous": 6, "organizer": 6, "collaborator": 7, "outsider": 7}


def add_rows(competition, phase, how_many, finish, start):
    lab = Organization.objects.get_or_create(name="Lab", created_by=competition.created_by)[0]
    for number in range(start, start + how_many):
        user = player(f"p{number}", competition)
        Membership.objects.create(organization=lab, user=user)
        tasks = {
            link.task_id: ({"score": number / 100}, timed(number))
            for link in phase.phase_tasks.all()
        }
        submission = submit(user, phase, organization=lab)
        if len(tasks) > 1:
            finish(submission, tasks=tasks)
        else:
            finish(submission, {"score": number / 100}, timed(number))


def queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
        assert response.status_code == 200
    return len(captured), len(response.json()["results"])


@pytest.mark.parametrize("role", list(QUERIES))
@pytest.mark.parametrize("tasks", [1, 2])
def test_the_leaderboard_costs_as_many_queries_for_fifty_rows_as_for_five(
    role, tasks, api, competition, organizer, personas, finish
):
    phase = make_phase(
        competition=competition, tasks=[make_task(owner=organizer) for _ in range(tasks)]
    )
    make_board(
        competition,
        [
            {"key": "score"},
            {"key": "podium:prediction.wall_time", "sorting": "asc"},
            {"key": "mean", "computation": "avg", "computation_indexes": [0]},
            {"key": "rank", "computation": "avg_rank", "computation_indexes": [0, 1]},
        ],
        phases=[phase],
        submission_rule="Force_Last",
        frontier_score="score",
        frontier_cost="podium:prediction.wall_time",
    )
    competition.fact_sheet = {
        "method": {"key": "method", "type": "text", "title": "Method", "is_on_leaderboard": True}
    }
    competition.save()
    client = api(personas[role])
    path = f"/api/phases/{phase.pk}/leaderboard/?limit=100"

    add_rows(competition, phase, 5, finish, 0)
    five = queries(client, path)
    add_rows(competition, phase, 45, finish, 5)
    fifty = queries(client, path)
    last_page = queries(client, f"/api/phases/{phase.pk}/leaderboard/?limit=20&offset=40")

    assert five == (QUERIES[role], 5)
    assert fifty == (QUERIES[role], 50)
    assert last_page == (QUERIES[role], 10)


@pytest.mark.parametrize("role", ["anonymous", "outsider", "organizer"])
def test_the_list_of_leaderboards_costs_as_many_queries_for_six_as_for_two(
    role, api, organizer, personas
):
    from tests.factories import make_competition

    def add(how_many, start):
        for number in range(start, start + how_many):
            competition = make_competition(owner=organizer, title=f"C{number}")
            phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
            make_board(competition, [{"key": "a"}, {"key": "b", "hidden": True}], phases=[phase])

    client = api(personas[role])
    add(2, 0)
    with CaptureQueriesContext(connection) as two:
        assert len(client.get("/api/leaderboards/").json()["results"]) == 2
    add(4, 2)
    with CaptureQueriesContext(connection) as six:
        assert len(client.get("/api/leaderboards/").json()["results"]) == 6

    assert len(six) == len(two)
