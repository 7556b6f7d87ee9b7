"""GET /api/competitions/{id}/results/: every phase's leaderboard as JSON or CSV."""

from __future__ import annotations

import csv
import io

import pytest

from tests.factories import make_phase, make_task
from tests.leaderboards.conftest import make_board, player, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_phases(competition, organizer, finish):
    tasks = [make_task(owner=organizer, name=name) for name in ("A", "B")]
    first = make_phase(competition=competition, name="Development", tasks=tasks[:1])
    second = make_phase(competition=competition, name="Final", index=1, tasks=tasks)
    make_board(competition, [{"key": "score"}], phases=[first], submission_rule="Force_Last")
    make_board(
        competition,
        [{"key": "score"}, {"key": "mean", "computation": "avg", "computation_indexes": [0]}],
        key="final",
        phases=[second],
        submission_rule="Force_Last",
    )
    ann = player("ann", competition)
    finish(submit(ann, first), {"score": 0.25})
    final = finish(
        submit(ann, second),
        tasks={tasks[0].pk: ({"score": 0.5}, {}), tasks[1].pk: ({"score": 1.0}, {})},
    )
    return first, second, tasks, final


def test_results_as_json_hold_every_phase(api, competition, two_phases, outsider):
    first, second, _, _ = two_phases

    body = api(outsider).get(f"/api/competitions/{competition.pk}/results/").json()

    assert body["competition"] == competition.pk
    assert [
        (phase["phase"], phase["leaderboard"]["key"], phase["count"]) for phase in body["phases"]
    ] == [
        (first.pk, "main", 1),
        (second.pk, "final", 1),
    ]
    assert body["phases"][1]["results"][0]["scores"] == {"score": 0.75, "mean": 0.75}


def test_results_as_csv_have_a_line_per_row_and_a_column_per_value(
    api, competition, two_phases, outsider
):
    first, second, tasks, final = two_phases

    response = api(outsider).get(f"/api/competitions/{competition.pk}/results/?format=csv")

    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="competition-{competition.pk}-results.csv"'
    )
    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert lines[0] == [
        "phase",
        "leaderboard",
        "rank",
        "participant",
        "organization",
        "submission",
        "is_baseline",
        "on_frontier",
        "hardware_note",
        "score",
        "mean",
        f"task {tasks[0].pk}: score",
        f"task {tasks[1].pk}: score",
    ]
    assert lines[2] == [
        str(second.pk),
        "final",
        "1",
        "ann",
        "",
        str(final.pk),
        "False",
        "",
        "",
        "0.75",
        "0.75",
        "0.5",
        "1.0",
    ]
    assert lines[1][:4] == [str(first.pk), "main", "1", "ann"]
    assert lines[1][9:] == ["0.25", "", "", ""]


def test_results_follow_the_accept_header_and_keep_one_phase(
    api, competition, two_phases, outsider
):
    _, second, _, _ = two_phases

    response = api(outsider).get(
        f"/api/competitions/{competition.pk}/results/", {"phase": second.pk}, HTTP_ACCEPT="text/csv"
    )

    lines = list(csv.reader(io.StringIO(response.content.decode())))
    assert [line[1] for line in lines[1:]] == ["final"]


def test_an_unpublished_competitions_results_are_for_its_organizers(
    api, draft, outsider, organizer
):
    assert api(outsider).get(f"/api/competitions/{draft.pk}/results/").status_code == 404
    assert api(outsider).get(f"/api/competitions/{draft.pk}/results/?format=csv").content == (
        b"detail\r\nNo Competition matches the given query.\r\n"
    )
    assert api(organizer).get(f"/api/competitions/{draft.pk}/results/").json()["phases"] == []


def test_a_bad_phase_filter_is_refused(api, competition, outsider):
    response = api(outsider).get(f"/api/competitions/{competition.pk}/results/", {"phase": "x"})

    assert response.status_code == 400
    assert response.json() == {"phase": ["A valid integer is required."]}
