"""Inputs schemathesis once found to break the API, pinned so they stay fixed."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

HUGE = str(2**70)


@pytest.mark.parametrize("path", ["/api/phases/", "/api/leaderboards/"])
@pytest.mark.parametrize("value", [HUGE, "0", "-3", "x"])
def test_an_id_filter_that_is_not_an_id_is_a_400_naming_it(api, organizer, path, value):
    response = api(organizer).get(path, {"competition": value})

    assert response.status_code == 400
    assert list(response.json()) == ["competition"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/competitions/",
        "/api/submissions/1/submission_leaderboard_connection/",
        "/api/worker/submissions/1/report/",
        "/api/worker/submissions/1/heartbeat/",
    ],
)
def test_options_names_the_endpoint_and_points_to_the_schema(api, organizer, path):
    response = api(organizer).options(path)

    assert response.status_code == 200
    body = response.json()
    assert body["schema"] == "/api/schema/"
    assert body["name"]
    assert "application/json" in body["renders"]
    assert "actions" not in body
