"""A submission after it was made: cancelled (and its worker told), re-run, deleted with
what only it used, and its owner's changes; one service at a time, on the real database."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
from django.core.files.storage import default_storage
from kombu import Connection, Queue

from podium.celery import make_app
from podium.datasets.models import Data
from podium.leaderboards.models import Column
from podium.submissions import lifecycle, rules
from podium.submissions.models import StatusChange, Submission, SubmissionScore
from podium.submissions.services import create_submission, transition
from podium_worker.protocol import SECRET_HEADER, Job, Status
from tests.factories import make_data, make_leaderboard, make_phase, make_task

pytestmark = pytest.mark.django_db


def results_zip(content: str = "1\n") -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", content)
    buffer.seek(0)
    return buffer


@pytest.fixture
def phase(competition, organizer):
    phase = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    phase.leaderboard = make_leaderboard(competition=competition)
    phase.save()
    return phase


@pytest.fixture
def two_tasks(competition, organizer):
    return make_phase(
        competition=competition,
        name="Two tasks",
        index=1,
        tasks=[make_task(owner=organizer, name="A"), make_task(owner=organizer, name="B")],
    )


def submit(user, phase, content="1\n"):
    return create_submission(user=user, phase=phase, stream=results_zip(content))


def finish(submission, status=Status.FINISHED):
    for step in (Status.PREPARING, Status.SCORING):
        transition(submission, step)
    transition(submission, status)
    return submission


def post(client, submission, what, **body):
    body.setdefault("attempt", submission.attempt)
    return client.post(
        f"/api/worker/submissions/{submission.pk}/{what}/",
        body,
        content_type="application/json",
        headers={SECRET_HEADER: submission.secret},
    )


# Cancelling


def test_a_queued_job_cancelled_tells_its_late_worker_and_its_report_changes_nothing(
    client, participant, phase, published
):
    submission = submit(participant, phase)
    lifecycle.cancel(submission, by=participant)
    submission.refresh_from_db()
    assert (submission.status, submission.status_detail) == ("cancelled", "cancelled by petra")

    # A worker takes the job from the queue afterwards: its first heartbeat learns why to stop.
    heartbeat = post(client, submission, "heartbeat", status="preparing")
    assert (heartbeat.status_code, heartbeat.json()) == (
        200,
        {"accepted": False, "cancelled": True, "stop": True},
    )
    report = post(client, submission, "report", status="finished", scores={"score": 1.0})
    assert report.json() == {"accepted": False}
    submission.refresh_from_db()
    assert submission.status == "cancelled"
    assert SubmissionScore.objects.filter(submission=submission).count() == 0
    assert list(submission.status_changes.values_list("to_status", flat=True)) == [
        "submitted",
        "cancelled",
    ]


def test_a_running_jobs_heartbeat_is_told_it_is_not_cancelled_until_it_is(
    client, participant, phase, published
):
    submission = submit(participant, phase)
    assert post(client, submission, "heartbeat", status="running").json() == {
        "accepted": True,
        "cancelled": False,
        "stop": False,
    }
    lifecycle.cancel(submission, by=participant)
    assert post(client, submission, "heartbeat", status="running").json() == {
        "accepted": False,
        "cancelled": True,
        "stop": True,
    }


def test_cancelling_one_task_cancels_the_whole_submission_and_tells_each_worker(
    client, participant, two_tasks, published
):
    parent = submit(participant, two_tasks)
    first, second = parent.children.order_by("pk")
    finish(first)
    lifecycle.cancel(second, by=participant)
    parent.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (parent.status, first.status, second.status) == ("cancelled", "finished", "cancelled")
    assert post(client, second, "heartbeat", status="running").json()["cancelled"] is True


def test_a_heartbeat_of_a_task_whose_parent_was_cancelled_says_cancelled(
    client, participant, two_tasks, published
):
    parent = submit(participant, two_tasks)
    child = parent.children.order_by("pk").first()
    # The parent alone, as an organizer's admin action could leave it.
    transition(parent, Status.CANCELLED)
    assert lifecycle.is_cancelled(child) is True


def test_cancelling_twice_changes_nothing_the_second_time(participant, phase, published):
    submission = submit(participant, phase)
    lifecycle.cancel(submission, by=participant)
    lifecycle.cancel(submission, by=participant)
    assert StatusChange.objects.filter(submission=submission, to_status="cancelled").count() == 1


@pytest.mark.parametrize("ended", [Status.FINISHED, Status.FAILED])
def test_a_submission_that_has_ended_cannot_be_cancelled(participant, phase, published, ended):
    submission = finish(submit(participant, phase), ended)
    with pytest.raises(lifecycle.Conflict) as raised:
        lifecycle.cancel(submission, by=participant)
    assert str(raised.value) == f"submission {submission.pk} has already {ended}"
    submission.refresh_from_db()
    assert submission.status == ended


# Re-running


def test_a_re_run_publishes_one_new_job_to_the_real_broker(
    settings, tmp_path, participant, phase, organizer, django_capture_on_commit_callbacks
):
    settings.BROKER_URL = "filesystem://"
    settings.BROKER_FOLDER = tmp_path / "broker"
    settings.DEFAULT_QUEUE = f"podium-test-{uuid.uuid4().hex[:8]}"
    original = submit(participant, phase)  # not committed: nothing published for it
    finish(original)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = lifecycle.re_run(original, by=organizer)
    assert len(callbacks) == 1

    app = make_app()
    with Connection(
        settings.BROKER_URL, transport_options=app.conf.broker_transport_options
    ) as connection:
        simple = connection.SimpleQueue(
            Queue(settings.DEFAULT_QUEUE, routing_key=settings.DEFAULT_QUEUE)
        )
        message = simple.get(timeout=10)
        message.ack()
        args, _, _ = message.decode()
        assert simple.qsize() == 0
        simple.close()

    job = Job.from_message(args[0])
    assert (job.submission, job.attempt, job.secret) == (again.pk, 0, again.secret)
    assert job.submission_file.sha256 == original.data.sha256
    assert (again.owner, again.phase, again.data, again.status) == (
        participant,
        phase,
        original.data,
        "submitted",
    )
    assert again.status_changes.get().detail == f"re-run of submission {original.pk} by olivia"


def test_a_re_run_passes_the_participants_limits(
    participant, phase, organizer, published, django_capture_on_commit_callbacks
):
    phase.max_submissions = 1
    phase.save()
    original = finish(submit(participant, phase))
    with django_capture_on_commit_callbacks(execute=True):
        again = lifecycle.re_run(original, by=organizer)
    assert Submission.objects.filter(phase=phase, owner=participant).count() == 2
    assert published[-1] == (again.pk, phase.tasks.get().pk)


def test_a_re_run_of_a_multi_task_submission_runs_every_task_again(
    participant, two_tasks, organizer, published, django_capture_on_commit_callbacks
):
    parent = submit(participant, two_tasks)
    for child in parent.children.all():
        finish(child)
    transition(parent, Status.PREPARING)
    transition(parent, Status.SCORING)
    transition(parent, Status.FINISHED)
    with django_capture_on_commit_callbacks(execute=True):
        again = lifecycle.re_run(parent.children.first(), by=organizer)
    assert again.parent is None
    assert again.children.count() == 2
    assert [pk for pk, _ in published[-2:]] == list(
        again.children.order_by("pk").values_list("pk", flat=True)
    )


def test_a_submission_still_running_is_not_re_run(participant, phase, organizer, published):
    submission = submit(participant, phase)
    with pytest.raises(lifecycle.Conflict) as raised:
        lifecycle.re_run(submission, by=organizer)
    assert str(raised.value) == (
        f"submission {submission.pk} is still submitted; re-run it once it has ended"
    )
    assert Submission.objects.count() == 1


def test_a_phase_re_runs_its_finished_and_failed_submissions_only(
    participant, phase, organizer, published, django_capture_on_commit_callbacks
):
    finished = finish(submit(participant, phase, "1\n"))
    failed = finish(submit(participant, phase, "2\n"), Status.FAILED)
    cancelled = submit(participant, phase, "3\n")
    lifecycle.cancel(cancelled, by=participant)
    submit(participant, phase, "4\n")  # still queued
    with django_capture_on_commit_callbacks(execute=True):
        assert lifecycle.re_run_phase(phase, by=organizer) == 2
    fresh = list(Submission.objects.order_by("-pk")[:2])
    assert sorted(submission.data_id for submission in fresh) == sorted(
        [finished.data_id, failed.data_id]
    )
    assert published == [(submission.pk, phase.tasks.get().pk) for submission in fresh[::-1]]


# Deleting


def test_a_running_submission_is_not_deleted(participant, phase, published):
    submission = submit(participant, phase)
    transition(submission, Status.PREPARING)
    transition(submission, Status.RUNNING)
    with pytest.raises(lifecycle.Conflict) as raised:
        lifecycle.delete(submission)
    assert str(raised.value) == f"submission {submission.pk} is running; cancel it first"
    assert Submission.objects.filter(pk=submission.pk).exists()


def test_deleting_removes_tasks_scores_history_and_the_files_only_it_used(
    participant, two_tasks, published, storage
):
    board = make_leaderboard(competition=two_tasks.competition, key="other")
    column = Column.objects.get(leaderboard=board, key="score")
    parent = submit(participant, two_tasks)
    children = list(parent.children.all())
    logs = []
    for child in children:
        finish(child)
        child.logs = make_data(owner=participant, kind=Data.Kind.LOG)
        child.save()
        logs.append(child.logs)
        SubmissionScore.objects.create(submission=child, column=column, value=1.0)
    lifecycle.cancel(parent, by=participant)
    upload = parent.data
    lifecycle.delete(parent)
    assert Submission.objects.count() == 0
    assert (StatusChange.objects.count(), SubmissionScore.objects.count()) == (0, 0)
    assert not Data.objects.filter(pk__in=[upload.pk, *(log.pk for log in logs)]).exists()
    for data in (upload, *logs):
        assert not default_storage.exists(data.file.name)


def test_deleting_keeps_an_upload_a_re_run_still_uses(participant, phase, organizer, published):
    original = finish(submit(participant, phase))
    again = lifecycle.re_run(original, by=organizer)
    lifecycle.delete(original)
    again.refresh_from_db()
    assert Data.objects.filter(pk=again.data_id).exists()
    assert default_storage.exists(again.data.file.name)


def test_one_task_of_a_submission_is_not_deleted_alone(participant, two_tasks, published):
    parent = submit(participant, two_tasks)
    child = parent.children.first()
    with pytest.raises(lifecycle.Conflict) as raised:
        lifecycle.delete(child)
    assert str(raised.value) == (
        f"submission {child.pk} is one task of submission {parent.pk}; delete that one"
    )


# What owners change


def test_fact_sheet_answers_are_checked_like_at_submission_time(
    participant, competition, phase, published
):
    competition.fact_sheet = {
        "method": {"key": "method", "type": "text", "title": "Method", "is_required": True}
    }
    competition.save()
    submission = submit_with_answers(participant, phase, {"method": "SVM"})
    with pytest.raises(rules.AnswersInvalid) as raised:
        lifecycle.update_fact_sheet(submission, answers={"method": ""})
    assert raised.value.problems == {"method": "an answer is required"}
    lifecycle.update_fact_sheet(submission, answers={"method": "kNN"})
    submission.refresh_from_db()
    assert submission.fact_sheet_answers == {"method": "kNN"}


def submit_with_answers(user, phase, answers):
    return create_submission(
        user=user, phase=phase, stream=results_zip(), fact_sheet_answers=answers
    )


def test_making_a_submission_public_shows_its_tasks_too(participant, two_tasks, published):
    parent = submit(participant, two_tasks)
    lifecycle.set_public(parent, by=participant, is_public=True)
    assert list(
        Submission.objects.filter(pk__in=[parent.pk, *parent.children.values_list("pk", flat=True)])
        .values_list("is_public", flat=True)
        .distinct()
    ) == [True]


def test_a_competition_may_keep_submissions_private(participant, competition, phase, published):
    competition.can_participants_make_submissions_public = False
    competition.save()
    submission = submit(participant, phase)
    with pytest.raises(lifecycle.NotAllowed) as raised:
        lifecycle.set_public(submission, by=participant, is_public=True)
    assert str(raised.value) == (
        "this competition does not let participants make submissions public"
    )
    submission.refresh_from_db()
    assert submission.is_public is False


def test_only_the_owner_decides_whether_a_submission_is_public(
    participant, organizer, phase, published
):
    submission = submit(participant, phase)
    with pytest.raises(lifecycle.NotAllowed):
        lifecycle.set_public(submission, by=organizer, is_public=True)
