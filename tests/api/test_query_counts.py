"""A list costs a fixed number of queries, however many rows it shows (HOSTILE E36)."""

import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from podium.competitions.models import Page
from podium.datasets.models import Data
from podium.submissions.models import Submission
from podium.submissions.services import start_submission
from tests.factories import (
    make_competition,
    make_data,
    make_leaderboard,
    make_participant,
    make_phase,
    make_task,
    make_user,
)

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/competitions/",
    "/api/competitions/public/",
    "/api/competitions/front_page/",
    "/api/phases/",
    "/api/tasks/",
    "/api/datasets/",
    "/api/participants/",
    "/api/submissions/",
]
numbers = itertools.count()


def add_competitions(owner, how_many):
    for _ in range(how_many):
        n = next(numbers)
        competition = make_competition(owner=owner, collaborators=[make_user(f"colleague{n}")])
        Page.objects.create(competition=competition, title="Overview")
        task = make_task(owner=owner)
        phase = make_phase(competition=competition, tasks=[task])
        make_leaderboard(competition=competition)
        player = make_user(f"player{n}")
        make_participant(user=player, competition=competition)
        make_data(owner=owner, is_public=True)
        submission = start_submission(
            owner=player,
            participant=None,
            phase=phase,
            tasks=[task, make_task(owner=owner)],
            data=make_data(owner=player, kind=Data.Kind.SUBMISSION),
            publish=False,
        )
        Submission.objects.filter(pk=submission.pk).update(is_public=True)


def queries_for(client, path):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", LISTS)
def test_a_list_costs_as_many_queries_for_six_rows_as_for_two(api, organizer, outsider, path):
    for user in (organizer, outsider):
        add_competitions(organizer, 2)
        two = queries_for(api(user), path)
        add_competitions(organizer, 4)
        assert queries_for(api(user), path) == two


def test_a_competition_reads_in_five_queries(api, organizer, outsider):
    add_competitions(organizer, 1)
    competition = organizer.competitions.get()

    # the competition with its owner, then collaborators, pages, phases and leaderboards
    assert queries_for(api(outsider), f"/api/competitions/{competition.pk}/") == 5
