"""A bundle's solutions, when the import asks for it, run as the importing organizer's
baseline submissions on each phase whose tasks they cover, past limits and phase dates."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from podium.bundles.services import import_bundle
from podium.competitions.models import Solution
from podium.submissions import dispatch
from podium.submissions.models import Submission
from tests.bundles.builders import minimal_document, write_bundle

pytestmark = pytest.mark.django_db

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def published(monkeypatch):
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(
        dispatch, "publish", lambda submission, task: sent.append((submission.pk, task.pk))
    )
    return sent


def test_an_import_runs_no_solution_unless_asked(organizer, published):
    import_bundle(source=EXAMPLES / "iris-results", owner=organizer)
    assert Submission.objects.count() == 0


def test_a_solution_runs_as_a_baseline_on_every_phase_whose_tasks_it_covers(
    organizer, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = import_bundle(
            source=EXAMPLES / "iris-results", owner=organizer, run_solutions=True
        )
    competition = result.competition
    solution = Solution.objects.get()
    development, final = competition.phases.order_by("index")
    # The final phase has not started and the fact sheet asks a required question: neither
    # stops the organizer's baseline.
    assert [
        (baseline.phase, baseline.owner, baseline.data, baseline.is_baseline, baseline.status)
        for baseline in result.baselines
    ] == [
        (development, organizer, solution.data, True, "submitted"),
        (final, organizer, solution.data, True, "submitted"),
    ]
    assert published == [
        (result.baselines[0].pk, development.tasks.get().pk),
        (result.baselines[1].pk, final.tasks.get().pk),
    ]
    assert result.baselines[0].status_changes.get().detail == (
        "baseline: solution 'Nearest centroid baseline'"
    )


def test_a_multi_task_phase_runs_one_baseline_with_a_task_each(
    organizer, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = import_bundle(source=EXAMPLES / "multi-task", owner=organizer, run_solutions=True)
    [baseline] = result.baselines
    children = list(baseline.children.order_by("pk"))
    assert [child.is_baseline for child in children] == [True, True]
    assert [pk for pk, _ in published] == [child.pk for child in children]


def test_a_solution_skips_the_phases_whose_tasks_it_does_not_cover(organizer, published, tmp_path):
    document = minimal_document()
    document["tasks"].append({"index": 1, "name": "Other", "scoring_program": "scoring/"})
    document["phases"] = [
        {"index": 0, "name": "First", "start": "2024-01-01", "end": "2024-02-01", "tasks": [0]},
        {"index": 1, "name": "Both", "start": "2024-02-01", "tasks": [0, 1]},
    ]
    document["solutions"] = [{"index": 0, "name": "Half", "tasks": [0], "path": "solution/"}]
    extra = {"solution/predictions.csv": b"1\n"}
    source = write_bundle(tmp_path / "bundle", document, extra=extra)
    result = import_bundle(source=source, owner=organizer, run_solutions=True)
    assert [baseline.phase.name for baseline in result.baselines] == ["First"]


def test_the_import_command_runs_solutions_when_asked(organizer, published):
    out = io.StringIO()
    call_command(
        "import_bundle",
        str(EXAMPLES / "code-submission"),
        owner=organizer.username,
        run_solutions=True,
        json=True,
        stdout=out,
    )
    payload = json.loads(out.getvalue())
    assert payload["baselines"] == list(
        Submission.objects.filter(is_baseline=True).values_list("pk", flat=True)
    )
    assert len(payload["baselines"]) == 1
