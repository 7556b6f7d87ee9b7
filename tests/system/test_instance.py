"""The example bundles' sample submissions, end to end on the embedded default: `podium-server
up` with one worker running each job in bubblewrap on the default runtime, the demo's
competitions, and the scores each example's README documents."""

from __future__ import annotations

import json

import pytest

from tests.system.conftest import EXAMPLES, Instance, zipped

pytestmark = pytest.mark.system

FACT_SHEET = '{"method_name": "sample"}'


def test_a_results_submission_finishes_with_its_scores_and_the_computed_column(
    instance: Instance,
):
    phase = instance.phase("Iris Species Classification", "Development")
    result = instance.submit(
        zipped(EXAMPLES / "iris-results" / "sample_submission"), phase,
        "--fact-sheet", FACT_SHEET, "--wait", "--timeout", "120",
    )  # fmt: skip

    assert (result["status"], result["status_detail"]) == ("finished", "")
    assert result["scores"] == pytest.approx(
        {"accuracy": 0.9333333333333333, "f1": 0.9326599326599326, "mean": 0.9329966329966330}
    )
    # A results submission has no prediction step; the scoring step was measured.
    assert "prediction" not in result["metrics"]
    scoring = result["metrics"]["scoring"]
    assert scoring["exit_code"] == 0
    assert scoring["limit_hit"] is None
    assert scoring["wall_time"] > 0
    assert scoring["cpu_time"] > 0
    assert scoring["peak_memory"] > 0
    assert result["metrics"]["sandbox"] == "bwrap"
    assert result["metrics"]["hardware"]["cores"] >= 1


def test_a_code_submission_runs_under_the_ingestion_program_and_is_scored(instance: Instance):
    phase = instance.phase("Fruit Ripeness — Code Submission", "Main")
    result = instance.submit(
        zipped(EXAMPLES / "code-submission" / "sample_submission"), phase,
        "--wait", "--timeout", "180",
    )  # fmt: skip

    assert (result["status"], result["status_detail"]) == ("finished", "")
    assert result["scores"] == pytest.approx(
        {"accuracy": 0.8833333333333333, "balanced_accuracy": 0.882647385984427}
    )
    assert result["metrics"]["prediction"]["exit_code"] == 0
    assert result["metrics"]["prediction"]["wall_time"] > 0


def test_a_multi_task_submission_makes_one_scored_child_per_task(instance: Instance):
    phase = instance.phase("Two Small Regressions", "Main")
    result = instance.submit(
        zipped(EXAMPLES / "multi-task" / "sample_submission"), phase,
        "--wait", "--timeout", "180",
    )  # fmt: skip

    assert result["status"] == "finished"
    children = result["children"]
    assert [child["status"] for child in children] == ["finished", "finished"]
    by_rmse = sorted(child["scores"]["rmse"] for child in children)
    assert by_rmse == pytest.approx([1.085, 2.768], abs=5e-4)
    for child in children:
        scores = child["scores"]
        assert scores["mean_error"] == pytest.approx((scores["rmse"] + scores["mae"]) / 2)


def test_the_efficiency_column_is_filled_from_the_measured_prediction_time(instance: Instance):
    phase = instance.phase("Fast Nearest Neighbours", "Benchmark")
    result = instance.submit(
        zipped(EXAMPLES / "efficiency" / "sample_submission"), phase,
        "--wait", "--timeout", "180",
    )  # fmt: skip

    assert result["status"] == "finished", result["status_detail"]
    assert result["scores"]["score"] == 1.0
    measured = result["metrics"]["prediction"]["wall_time"]
    assert result["scores"]["podium:prediction.wall_time"] == pytest.approx(measured)


def test_ingestion_during_scoring_plays_the_game_without_seeing_the_future(instance: Instance):
    phase = instance.phase("Daily Bread — Online Forecasting", "Main")
    result = instance.submit(
        zipped(EXAMPLES / "interactive" / "sample_submission"), phase,
        "--wait", "--timeout", "180",
    )  # fmt: skip

    assert (result["status"], result["status_detail"]) == ("finished", "")
    assert result["scores"] == pytest.approx({"mae": 7.914841865556901, "rmse": 9.98356501348204})
    # Both programs ran, at the same time, each measured.
    assert result["metrics"]["prediction"]["exit_code"] == 0
    assert result["metrics"]["scoring"]["exit_code"] == 0


def test_the_efficiency_leaderboard_ranks_by_score_then_measured_time_and_marks_its_frontier(
    instance: Instance,
):
    phase = instance.phase("Fast Nearest Neighbours", "Benchmark")
    slow = EXAMPLES / "efficiency" / "sample_submission_slow"
    fast = EXAMPLES / "efficiency" / "sample_submission"
    # The organizer's slow entry and the participant's fast one (Force_Best: one row each).
    for user, folder in (("organizer", slow), ("participant", fast)):
        done = instance.submit(zipped(folder), phase, "--wait", "--timeout", "180", user=user)
        assert done["status"] == "finished", done["status_detail"]

    output = instance.server("leaderboard", str(phase), "--json", "--as", "organizer")
    rows = json.loads(output[output.index("[") :])

    by_user = {row["participant"]: row for row in rows}
    assert by_user["participant"]["scores"]["score"] == by_user["organizer"]["scores"]["score"]
    fast_time = by_user["participant"]["scores"]["podium:prediction.wall_time"]
    slow_time = by_user["organizer"]["scores"]["podium:prediction.wall_time"]
    assert fast_time < slow_time
    # Equal scores: the measured time (ascending) decides the rank.
    assert (by_user["participant"]["rank"], by_user["organizer"]["rank"]) == (1, 2)
    assert by_user["participant"]["on_frontier"] is True
    assert by_user["organizer"]["on_frontier"] is False
