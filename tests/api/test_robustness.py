"""Inputs schemathesis once found to break the API, pinned so they stay fixed."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.db import DataError

from podium.core.api import Pagination, exception_handler
from podium.datasets.models import DataGroup
from podium.submissions.models import Submission
from tests.factories import make_competition

pytestmark = pytest.mark.django_db

HUGE = str(2**70)


def results_zip():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", "1\n")
    buffer.seek(0)
    buffer.name = "results.zip"
    return buffer


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


@pytest.mark.parametrize(
    "path", ["/api/tasks/", "/api/submission_scores/", "/api/competitions/", "/api/participants/"]
)
def test_a_limit_beyond_any_page_gives_the_largest_page(api, organizer, competition, path):
    response = api(organizer).get(path, {"limit": HUGE, "offset": "3600"})

    assert response.status_code == 200, response.content
    assert response.json()["results"] == []


def test_a_limit_is_capped_at_the_largest_page(api, organizer, monkeypatch):
    monkeypatch.setattr(Pagination, "max_limit", 2)
    for number in range(3):
        make_competition(owner=organizer, title=f"C{number}")
    response = api(organizer).get("/api/competitions/", {"limit": HUGE})

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert [row["title"] for row in response.json()["results"]] == ["C2", "C1"]
    assert "limit=2" in response.json()["next"]


def test_a_cleanup_of_ids_no_database_holds_is_a_400(api, organizer):
    response = api(organizer).post(
        "/api/user_quota_cleanup/", {"ids": [int(HUGE), 5]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["ids"]


@pytest.mark.parametrize(
    ("path", "field"),
    [("/api/submissions/", "phase"), ("/api/submission_scores/", "phase"),
     ("/api/submission_scores/", "submission"), ("/api/participants/", "competition")],
)  # fmt: skip
def test_a_filter_id_no_database_holds_is_a_400_naming_it(api, organizer, path, field):
    response = api(organizer).get(path, {field: HUGE})

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_data_group_ids_no_database_holds_are_a_400_naming_them(api, organizer):
    response = api(organizer).post(
        "/api/data_groups/", {"name": "Group", "data": [int(HUGE)]}, format="json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["data"]
    assert not DataGroup.objects.exists()


def test_a_related_id_no_database_holds_is_a_400_and_saves_nothing(api, participant):
    response = api(participant).post(
        "/api/submissions/", {"phase": HUGE, "file": results_zip()}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {"phase": [f'Invalid pk "{HUGE}" - object does not exist.']}
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    "error",
    [
        OverflowError("Python int too large to convert to SQLite INTEGER"),
        DataError("bigint out of range"),
    ],
)
def test_a_number_the_database_cannot_hold_is_the_clients_mistake(error):
    # The last line of defence, for a number no field or filter checked.
    response = exception_handler(error, {})

    assert response is not None
    assert response.status_code == 400
    assert response.data == {
        "detail": "a number in the request is too large for this platform's database"
    }


def test_other_database_errors_stay_server_errors():
    assert exception_handler(DataError("value too long for type character varying"), {}) is None
