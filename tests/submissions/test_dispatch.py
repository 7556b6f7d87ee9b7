"""Jobs reach a real broker: the embedded one, RabbitMQ and Redis on this machine."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
from kombu import Connection, Queue

from podium.celery import make_app
from podium.datasets.signing import data_for_token
from podium.submissions.services import create_submission
from podium_worker.protocol import JOB_TASK, Job
from tests.factories import make_phase, make_task

pytestmark = pytest.mark.django_db

BROKERS = {
    "embedded": "filesystem://",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//",
    "redis": "redis://127.0.0.1:6379/0",
}


def results_zip() -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", "1,a\n")
    buffer.seek(0)
    return buffer


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_a_submission_publishes_its_job_to_the_competitions_queue(
    broker,
    settings,
    tmp_path,
    participant,
    competition,
    organizer,
    django_capture_on_commit_callbacks,
):
    settings.BROKER_URL = BROKERS[broker]
    settings.BROKER_FOLDER = tmp_path / "broker"
    settings.DEFAULT_QUEUE = f"podium-test-{uuid.uuid4().hex[:8]}"
    task = make_task(owner=organizer)
    phase = make_phase(competition=competition, tasks=[task])
    with django_capture_on_commit_callbacks(execute=True):
        submission = create_submission(user=participant, phase=phase, stream=results_zip())

    app = make_app()
    with Connection(
        settings.BROKER_URL, transport_options=app.conf.broker_transport_options
    ) as connection:
        declared = Queue(settings.DEFAULT_QUEUE, routing_key=settings.DEFAULT_QUEUE)
        simple = connection.SimpleQueue(declared)
        message = simple.get(timeout=10)
        message.ack()
        headers, body = message.headers, message.decode()
        simple.close()
        declared(connection.default_channel).delete()

    assert headers["task"] == JOB_TASK
    args, kwargs, _ = body
    assert kwargs == {}
    job = Job.from_message(args[0])
    assert (job.submission, job.attempt, job.secret) == (submission.pk, 0, submission.secret)
    assert job.execution_time_limit == phase.execution_time_limit
    assert job.scoring_program.sha256 == task.scoring_program.sha256
    token = job.submission_file.url.rstrip("/").rsplit("/", 1)[-1]
    assert data_for_token(token) == submission.data
