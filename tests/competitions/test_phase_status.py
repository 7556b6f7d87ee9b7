"""A phase's status (previous, current, next) comes from its dates and the clock: on the
model, in the database, and in the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from podium.competitions.models import Phase
from tests.factories import make_phase

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HOUR = timedelta(hours=1)


@pytest.fixture
def three(competition):
    """An ended phase, an open one without an end, and one that has not started."""
    return {
        "previous": make_phase(
            competition=competition, name="Old", index=0, start=NOW - 3 * HOUR, end=NOW - HOUR
        ),
        "current": make_phase(competition=competition, name="Now", index=1, start=NOW - HOUR),
        "next": make_phase(
            competition=competition, name="Later", index=2, start=NOW + HOUR, end=NOW + 2 * HOUR
        ),
    }


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        (NOW - timedelta(microseconds=1), "next"),
        (NOW, "current"),
        (NOW + HOUR - timedelta(microseconds=1), "current"),
        (NOW + HOUR, "previous"),
    ],
)
def test_a_phase_opens_at_its_start_and_closes_at_its_end(competition, moment, status):
    phase = make_phase(competition=competition, start=NOW, end=NOW + HOUR)
    assert phase.status_at(moment) == status
    annotated = Phase.objects.with_status(moment).get(pk=phase.pk)
    assert annotated.status_now == status
    assert list(Phase.objects.in_status(status, moment)) == [phase]


def test_the_status_follows_the_clock(three):
    assert {name: phase.status for name, phase in three.items()} == {
        "previous": "previous",
        "current": "current",
        "next": "next",
    }


def test_the_api_shows_each_phase_s_status_and_filters_by_it(api, outsider, competition, three):
    client = api(outsider)
    listed = client.get(f"/api/phases/?competition={competition.pk}").json()["results"]
    assert [(phase["name"], phase["status"]) for phase in listed] == [
        ("Old", "previous"),
        ("Now", "current"),
        ("Later", "next"),
    ]
    for status, phase in three.items():
        response = client.get(f"/api/phases/?competition={competition.pk}&status={status}")
        assert [row["id"] for row in response.json()["results"]] == [phase.pk]
        assert client.get(f"/api/phases/{phase.pk}/").json()["status"] == status


def test_an_unknown_status_filter_is_refused(api, outsider, three):
    response = api(outsider).get("/api/phases/?status=soon")
    assert (response.status_code, response.json()) == (
        400,
        {"status": ["expected one of: previous, current, next"]},
    )


def test_phases_know_their_neighbours_by_index_then_id(competition):
    first = make_phase(competition=competition, name="A", index=0)
    second = make_phase(competition=competition, name="B", index=1)
    twin = make_phase(competition=competition, name="C", index=1)
    assert (first.previous_phase(), first.next_phase()) == (None, second)
    assert (second.previous_phase(), second.next_phase()) == (first, twin)
    assert (twin.previous_phase(), twin.next_phase()) == (second, None)
