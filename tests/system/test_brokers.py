"""The scaled setup's brokers: with PODIUM_BROKER_URL set to RabbitMQ or Redis, the same
instance runs its jobs through them (on this machine's real servers), and nothing of the
embedded broker's folder is used."""

from __future__ import annotations

import uuid

import pytest
from kombu import Connection

from tests.system.conftest import EXAMPLES, instance_running, zipped

pytestmark = pytest.mark.system

BROKERS = {
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
    "redis": "redis://127.0.0.1:6379/0",
}


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_a_submission_runs_through_a_networked_broker(broker):
    queue = f"podium-system-{uuid.uuid4().hex[:8]}"
    try:
        with instance_running(broker_url=BROKERS[broker], default_queue=queue) as instance:
            instance.start(workers=1)
            phase = instance.phase("Iris Species Classification", "Development")
            result = instance.submit(
                zipped(EXAMPLES / "iris-results" / "sample_submission"), phase,
                "--fact-sheet", '{"method_name": "sample"}', "--wait", "--timeout", "120",
            )  # fmt: skip

            assert (result["status"], result["status_detail"]) == ("finished", "")
            assert result["scores"]["accuracy"] == pytest.approx(0.9333333333333333)
            assert not (instance.home / "broker").exists()
    finally:
        with Connection(BROKERS[broker]) as connection:
            connection.default_channel.queue_delete(queue)
