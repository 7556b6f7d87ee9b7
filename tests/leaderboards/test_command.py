"""podium-server leaderboard PHASE_ID [--json] [--as NAME], on the efficiency example."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from podium.bundles.services import import_bundle
from tests.leaderboards.conftest import OTHER_MACHINE, player, submit, timed

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
pytestmark = pytest.mark.django_db


@pytest.fixture
def efficiency(organizer, finish, api):
    """The efficiency example (Force_Best on score, with the prediction's wall time), its
    frontier declared by the organizer, and four participants' runs."""
    competition = import_bundle(source=EXAMPLES / "efficiency", owner=organizer).competition
    competition.published = True
    competition.save()
    phase = competition.phases.get()
    board = phase.leaderboard
    response = api(organizer).patch(
        f"/api/leaderboards/{board.pk}/",
        {"frontier": {"score": "score", "cost": "podium:prediction.wall_time"}},
        format="json",
    )
    assert response.status_code == 200, response.content
    runs = {
        "ann": [(0.95, 4.2), (1.0, 9.5)],
        "bob": [(0.80, 0.9)],
        "cat": [(0.95, 6.0)],
        "dan": [(0.70, 0.7, OTHER_MACHINE)],
    }
    for name, attempts in runs.items():
        user = player(name, competition)
        for score, seconds, *machine in attempts:
            finish(submit(user, phase), {"score": score}, timed(seconds, *machine))
    return phase


def run(*args):
    out = io.StringIO()
    call_command("leaderboard", *map(str, args), stdout=out)
    return out.getvalue()


def test_it_prints_the_ranked_rows_as_json(efficiency):
    rows = json.loads(run(efficiency.pk, "--json"))

    assert [
        (row["rank"], row["participant"], row["scores"], row["on_frontier"]) for row in rows
    ] == [
        (1, "ann", {"score": 1.0, "podium:prediction.wall_time": 9.5}, True),
        (2, "cat", {"score": 0.95, "podium:prediction.wall_time": 6.0}, True),
        (3, "bob", {"score": 0.8, "podium:prediction.wall_time": 0.9}, True),
        (4, "dan", {"score": 0.7, "podium:prediction.wall_time": 0.7}, True),
    ]
    assert [set(row) >= {"rank", "participant", "submission", "scores"} for row in rows] == [
        True
    ] * 4
    assert rows[3]["hardware_note"] == "measured on other hardware: EPYC 7763, 8 cores, 32.0 GiB"


def test_it_prints_a_table_by_default(efficiency):
    lines = run(efficiency.pk).splitlines()

    assert lines[0] == "Results: phase 'Benchmark' of 'Fast Nearest Neighbours'"
    assert lines[1] == "measured on: Xeon 6130, 16 cores, 64.0 GiB"
    assert lines[2].split() == [
        "#",
        "participant",
        "submission",
        "Score",
        "Prediction",
        "time",
        "(s)",
    ]
    assert lines[3].split()[:3] == ["1", "ann", "[frontier]"]
    assert lines[3].split()[-2:] == ["1.0000", "9.500"]
    assert "[other hardware]" in lines[6]


def test_the_run_time_column_ranks_too(efficiency, api, organizer, outsider):
    board = efficiency.leaderboard
    api(organizer).patch(f"/api/leaderboards/{board.pk}/", {"primary_index": 1}, format="json")

    body = api(outsider).get(f"/api/phases/{efficiency.pk}/leaderboard/").json()

    # Force_Best now picks each participant's fastest run: ann's first one
    assert [
        (row["participant"], row["scores"]["podium:prediction.wall_time"])
        for row in body["results"]
    ] == [("dan", 0.7), ("bob", 0.9), ("ann", 4.2), ("cat", 6.0)]


def test_as_a_user_it_shows_what_they_may_see(efficiency):
    board = efficiency.leaderboard
    board.hidden = True
    board.save()

    with pytest.raises(CommandError, match="bob may not see it: this leaderboard is shown to"):
        run(efficiency.pk, "--as", "bob")
    assert len(json.loads(run(efficiency.pk, "--json", "--as", "olivia"))) == 4


def test_it_says_what_is_missing(efficiency, phase):
    with pytest.raises(CommandError, match="no phase with id 0"):
        run(0)
    with pytest.raises(CommandError, match=f"phase {phase.pk} has no leaderboard"):
        run(phase.pk)
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run(efficiency.pk, "--as", "nobody")
