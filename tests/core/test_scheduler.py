"""The scheduler of periodic jobs: each job at its own pace, a failing one never stops the
others, and the lease job requeues lost work."""

from __future__ import annotations

import logging

import pytest

from podium.core import scheduler
from podium.core.scheduler import Periodic, run_due


@pytest.mark.django_db  # each turn closes stale database connections
def test_each_job_runs_when_its_interval_has_passed_and_not_before():
    calls: list[str] = []
    jobs = [
        Periodic("often", 1.0, lambda: calls.append("often")),
        Periodic("rarely", 10.0, lambda: calls.append("rarely")),
    ]
    last: dict[str, float] = {}

    assert run_due(jobs, last, now=100.0) == ["often", "rarely"]
    assert run_due(jobs, last, now=100.5) == []
    assert run_due(jobs, last, now=101.0) == ["often"]
    assert run_due(jobs, last, now=110.0) == ["often", "rarely"]
    assert calls == ["often", "rarely", "often", "often", "rarely"]


@pytest.mark.django_db
def test_a_failing_job_is_logged_and_the_others_still_run(caplog):
    calls: list[str] = []

    def broken() -> None:
        raise RuntimeError("database away")

    jobs = [Periodic("broken", 1.0, broken), Periodic("fine", 1.0, lambda: calls.append("x"))]
    with caplog.at_level(logging.ERROR, logger="podium.core.scheduler"):
        assert run_due(jobs, {}, now=0.0) == ["broken", "fine"]

    assert calls == ["x"]
    assert "periodic job 'broken' failed" in caplog.text
    assert "database away" in caplog.text


def test_lost_jobs_are_looked_for_several_times_per_lease(settings):
    settings.JOB_LEASE_SECONDS = 60
    (lease,) = [job for job in scheduler.periodic_jobs() if job.name == "expire leases"]
    assert lease.every == 15.0
