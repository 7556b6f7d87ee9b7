"""Limits hold under concurrency (HOSTILE.md C26), on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import zipfile
from functools import partial

import pytest
from django.db import connection

from podium.submissions import dispatch
from podium.submissions.models import Submission
from podium.submissions.services import SubmissionRefused, create_submission
from tests.concurrency import race
from tests.factories import make_phase, make_task


def results_zip(index: int) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", f"{index}\n")
    buffer.seek(0)
    return buffer


@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_submissions_against_a_daily_limit_of_five(
    participant, competition, organizer, monkeypatch
):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        # The in-memory test database is shared between threads through SQLite's shared
        # cache, which fails writers at once instead of making them wait: use a file.
        pytest.fail("the suite's SQLite test database must be a file (see tests/conftest.py)")
    sent: list[int] = []
    monkeypatch.setattr(dispatch, "publish", lambda submission, task: sent.append(submission.pk))
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    phase.max_submissions = None
    phase.max_submissions_per_day = 5
    phase.save()

    def attempt(index: int) -> object:
        return create_submission(user=participant, phase=phase, stream=results_zip(index))

    outcomes = race(
        [partial(attempt, index) for index in range(20)], refused=SubmissionRefused, done="accepted"
    )
    assert sorted(outcomes) == ["accepted"] * 5 + ["daily limit reached (5/5)"] * 15
    assert Submission.objects.filter(phase=phase).count() == 5
    assert len(sent) == 5
