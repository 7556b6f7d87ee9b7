import pytest
from django.utils import timezone

from podium.accounts.models import User
from podium.competitions.models import Competition, Phase
from podium.datasets.models import Data
from podium.submissions.models import StatusChange, Submission
from podium.submissions.services import IllegalTransition, transition
from podium_worker.protocol import TRANSITIONS, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def submission():
    user = User.objects.create_user("sam", "sam@example.org", "pw")
    competition = Competition.objects.create(title="C", created_by=user)
    phase = Phase.objects.create(competition=competition, name="P", start=timezone.now())
    data = Data.objects.create(kind="submission", name="s.zip", owner=user, sha256="0" * 64)
    return Submission.objects.create(owner=user, phase=phase, data=data)


def walk(submission, *statuses):
    for status in statuses:
        transition(submission, status)


def test_a_submission_walks_the_forward_path_and_every_step_is_recorded(submission):
    walk(
        submission,
        Status.SUBMITTED,
        Status.PREPARING,
        Status.RUNNING,
        Status.SCORING,
        Status.FINISHED,
    )
    submission.refresh_from_db()
    assert submission.status == "finished"
    assert submission.started_at is not None
    assert submission.finished_at is not None
    assert list(StatusChange.objects.values_list("from_status", "to_status")) == [
        ("submitting", "submitted"),
        ("submitted", "preparing"),
        ("preparing", "running"),
        ("running", "scoring"),
        ("scoring", "finished"),
    ]


ILLEGAL = [
    (before, after) for before in Status for after in Status if after not in TRANSITIONS[before]
]


@pytest.mark.parametrize(("before", "after"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(submission, before, after):
    Submission.objects.filter(pk=submission.pk).update(status=before.value)
    submission.refresh_from_db()
    with pytest.raises(IllegalTransition) as raised:
        transition(submission, after)
    assert str(raised.value) == f"a submission cannot go from {before} to {after}"
    submission.refresh_from_db()
    assert submission.status == before.value
    assert StatusChange.objects.count() == 0


def test_a_lost_job_is_requeued_with_a_new_attempt(submission):
    walk(submission, Status.SUBMITTED, Status.PREPARING, Status.RUNNING)
    transition(submission, Status.SUBMITTED, detail="worker lost", requeue=True)
    submission.refresh_from_db()
    assert (submission.status, submission.attempt, submission.status_detail) == (
        "submitted",
        1,
        "worker lost",
    )


def test_a_finished_submission_cannot_be_requeued(submission):
    walk(submission, Status.SUBMITTED, Status.CANCELLED)
    with pytest.raises(IllegalTransition):
        transition(submission, Status.SUBMITTED, requeue=True)


def test_a_stale_in_memory_copy_cannot_move_the_row_backwards(submission):
    stale = Submission.objects.get(pk=submission.pk)
    walk(submission, Status.SUBMITTED, Status.PREPARING, Status.SCORING)
    with pytest.raises(IllegalTransition, match="from scoring to preparing"):
        transition(stale, Status.PREPARING)
