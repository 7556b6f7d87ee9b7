"""Building job messages and publishing them to a competition's queue."""

from __future__ import annotations

from django.conf import settings

from podium.celery import make_app
from podium.competitions.models import Task
from podium.datasets.models import Data
from podium.datasets.signing import signed_url
from podium.submissions.models import Submission
from podium_worker.protocol import JOB_TASK, FileRef, Job


def _ref(data: Data | None) -> FileRef | None:
    if data is None:
        return None
    return FileRef(url=signed_url(data), sha256=data.sha256, name=data.name)


def build_job(submission: Submission, task: Task) -> Job:
    competition = submission.phase.competition
    submission_file = _ref(submission.data)
    scoring_program = _ref(task.scoring_program)
    assert submission_file is not None
    assert scoring_program is not None
    return Job(
        submission=submission.pk,
        attempt=submission.attempt,
        secret=submission.secret,
        report_url=f"{settings.SITE_URL.rstrip('/')}/api/worker/submissions/{submission.pk}/",
        execution_time_limit=submission.phase.execution_time_limit,
        docker_image=competition.docker_image,
        network=False,
        submission_file=submission_file,
        scoring_program=scoring_program,
        ingestion_program=_ref(task.ingestion_program),
        input_data=_ref(task.input_data),
        reference_data=_ref(task.reference_data),
        ingestion_only_during_scoring=task.ingestion_only_during_scoring,
        heartbeat_seconds=heartbeat_seconds(settings.JOB_LEASE_SECONDS),
        exclusive=competition.queue is not None and competition.queue.exclusive,
    )


def heartbeat_seconds(lease: int) -> float:
    """Four heartbeats per lease, at most one every 5 s: a lease survives a lost heartbeat
    or two, and a slow server is not flooded."""
    return min(5.0, lease / 4)


def queue_name(submission: Submission) -> str:
    queue = submission.phase.competition.queue
    return f"podium-{queue.key}" if queue is not None else settings.DEFAULT_QUEUE


def publish(submission: Submission, task: Task) -> None:
    """Sends one job; called after the submission's transaction has committed."""
    job = build_job(submission, task)
    app = make_app()
    queue = submission.phase.competition.queue
    if queue is not None and queue.broker_url:
        app.conf.broker_url = queue.broker_url
    app.send_task(JOB_TASK, args=[job.to_message()], queue=queue_name(submission))
