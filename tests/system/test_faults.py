"""HOSTILE.md D30: a worker killed with SIGKILL in the middle of a job. The job runs again on
another worker and finishes with one score per column; with no worker left it fails as
"worker lost" within its lease. On the embedded broker and on RabbitMQ, for real."""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator

import pytest
from kombu import Connection

from tests.system.conftest import EXAMPLES, Instance, instance_running, zip_of

pytestmark = pytest.mark.system

LEASE = 8
BROKERS = {"embedded": "", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}
SAMPLE = (EXAMPLES / "code-submission" / "sample_submission" / "model.py").read_text()
# The sample model, slowed down so that the worker can be killed while the job runs.
SLOW = SAMPLE + (
    "\n\nimport time as _time\n_fit = Model.fit\n\n\n"
    "def _slow_fit(self, X, y):\n    _time.sleep(6)\n    _fit(self, X, y)\n\n\n"
    "Model.fit = _slow_fit\n"
)


@pytest.fixture(params=sorted(BROKERS))
def faulty(request: pytest.FixtureRequest) -> Iterator[Instance]:
    """An instance with no worker of its own: each test starts and kills its workers."""
    settings = {"job_lease_seconds": str(LEASE)}
    queue = f"podium-system-{uuid.uuid4().hex[:8]}"
    if BROKERS[request.param]:
        settings |= {"broker_url": BROKERS[request.param], "default_queue": queue}
    if request.node.get_closest_marker("attempts"):
        settings["job_max_attempts"] = str(request.node.get_closest_marker("attempts").args[0])
    with instance_running(**settings) as running:
        running.approve_everyone()
        running.start(workers=0)
        yield running
    if BROKERS[request.param]:
        with Connection(BROKERS[request.param]) as connection:
            connection.default_channel.queue_delete(queue)


def status_of(instance: Instance, submission: int) -> dict[str, object]:
    code = (
        "import json; from podium.submissions.models import Submission; "
        f"s = Submission.objects.get(pk={submission}); "
        "print(json.dumps({'status': s.status, 'detail': s.status_detail, "
        "'attempt': s.attempt, 'scores': dict(s.scores.values_list('column__key', 'value')), "
        "'score_rows': s.scores.count(), "
        "'history': list(s.status_changes.values_list('to_status', 'detail'))}))"
    )
    return json.loads(instance.server("shell", "-c", code).strip().splitlines()[-1])


def wait_for(instance: Instance, submission: int, wanted: set[str], timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = status_of(instance, submission)
        if state["status"] in wanted:
            return state
        if time.monotonic() > deadline:
            raise AssertionError(f"still {state} after {timeout} s:\n{instance.log()}")
        time.sleep(0.5)


def submit_slow_job_and_kill_its_worker(instance: Instance) -> tuple[int, float]:
    worker = instance.start_worker()
    phase = instance.phase("Fruit Ripeness — Code Submission", "Main")
    submitted = instance.submit(zip_of({"model.py": SLOW}), phase)
    wait_for(instance, submitted["submission"], {"running"}, timeout=60)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    return submitted["submission"], time.monotonic()


def test_d30_the_job_of_a_killed_worker_runs_again_on_another_and_finishes(faulty: Instance):
    submission, _ = submit_slow_job_and_kill_its_worker(faulty)

    faulty.start_worker()
    state = wait_for(faulty, submission, {"finished", "failed"}, timeout=120)

    assert state["status"] == "finished", state
    assert state["scores"] == pytest.approx(
        {"accuracy": 0.8833333333333333, "balanced_accuracy": 0.882647385984427}
    )
    assert state["score_rows"] == 2  # one per column, whichever attempt reported
    # The status never moved backwards but through the lease's requeue.
    statuses = [status for status, _ in state["history"]]
    assert statuses[-1] == "finished"
    assert statuses.count("finished") == 1


@pytest.mark.attempts(1)
def test_d30_with_no_worker_left_the_job_fails_as_worker_lost_within_its_lease(
    faulty: Instance,
):
    submission, killed_at = submit_slow_job_and_kill_its_worker(faulty)

    state = wait_for(faulty, submission, {"finished", "failed"}, timeout=LEASE + 20)

    assert (state["status"], state["detail"]) == ("failed", "worker lost")
    # The lease, plus the scheduler's turn (a quarter lease) and one status poll.
    assert time.monotonic() - killed_at <= LEASE + LEASE / 4 + 5
    assert state["score_rows"] == 0
