"""Creating submissions: every refusal creates, counts and queues nothing."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from podium.datasets.models import Data
from podium.organizations.models import Membership, Organization
from podium.participation.models import Participant
from podium.submissions.models import StatusChange, Submission
from podium.submissions.services import SubmissionRefused, create_submission
from tests.factories import make_participant, make_phase, make_task, make_user

pytestmark = pytest.mark.django_db


def results_zip(content: bytes = b"1,a\n") -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("predictions.csv", content)
    buffer.seek(0)
    return buffer


@pytest.fixture
def phase(competition, organizer):
    return make_phase(competition=competition, tasks=[make_task(owner=organizer)])


def submit(user, phase, **options):
    return create_submission(
        user=user, phase=phase, stream=options.pop("stream", results_zip()), **options
    )


def nothing_created():
    return (Submission.objects.count(), Data.objects.filter(kind="submission").count())


def test_an_approved_participant_submits_and_one_job_is_queued_after_commit(
    participant, phase, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        submission = submit(participant, phase)
    assert len(callbacks) == 1
    submission.refresh_from_db()
    assert (submission.status, submission.owner, submission.task) == (
        "submitted",
        participant,
        phase.tasks.get(),
    )
    assert submission.data.kind == "submission"
    assert list(submission.status_changes.values_list("from_status", "to_status")) == [
        ("submitting", "submitted")
    ]
    assert published == [(submission.pk, phase.tasks.get().pk)]


def test_nothing_is_queued_when_the_transaction_rolls_back(participant, phase, published):
    # Without the commit the on_commit callbacks never run.
    submit(participant, phase)
    assert published == []


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (Participant.Status.PENDING, "your registration is pending"),
        (Participant.Status.DENIED, "your registration is denied"),
        (Participant.Status.REVOKED, "your registration is revoked"),
    ],
)
def test_only_approved_participants_may_submit(competition, phase, published, status, reason):
    user = make_user("ursula")
    make_participant(user=user, competition=competition, status=status)
    with pytest.raises(SubmissionRefused, match=f"^{reason}$"):
        submit(user, phase)
    assert nothing_created() == (0, 0)
    assert published == []


def test_an_unregistered_user_is_refused(outsider, phase, published):
    with pytest.raises(SubmissionRefused, match=r"^you are not registered for this competition$"):
        submit(outsider, phase)
    assert nothing_created() == (0, 0)


@pytest.mark.parametrize(
    ("start", "end"),
    [(timedelta(days=1), None), (timedelta(days=-10), timedelta(days=-1))],
    ids=["before-it-starts", "after-it-ends"],
)
def test_a_phase_that_is_not_open_refuses_participants(participant, phase, start, end):
    now = timezone.now()
    phase.start = now + start
    phase.end = now + end if end is not None else None
    phase.save()
    with pytest.raises(SubmissionRefused, match=r"^phase 'Phase' is not open for submissions$"):
        submit(participant, phase)
    assert nothing_created() == (0, 0)


def test_organizers_may_submit_to_a_closed_phase_to_test_it(
    organizer, collaborator, phase, published
):
    phase.start = timezone.now() + timedelta(days=3)
    phase.save()
    assert submit(organizer, phase).status == "submitted"
    assert submit(collaborator, phase).status == "submitted"


def test_the_total_limit_counts_failed_submissions_too(participant, phase, published):
    phase.max_submissions = 2
    phase.max_submissions_per_day = None
    phase.save()
    first = submit(participant, phase)
    Submission.objects.filter(pk=first.pk).update(status="failed")
    submit(participant, phase)
    with pytest.raises(SubmissionRefused, match=r"^submission limit reached \(2/2\)$"):
        submit(participant, phase)
    assert Submission.objects.count() == 2


def test_the_daily_limit_counts_today_only(participant, phase, published):
    phase.max_submissions = None
    phase.max_submissions_per_day = 1
    phase.save()
    old = submit(participant, phase)
    Submission.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=1))
    submit(participant, phase)
    with pytest.raises(SubmissionRefused, match=r"^daily limit reached \(1/1\)$"):
        submit(participant, phase)


def test_a_phase_with_several_tasks_makes_one_child_per_task(
    participant, competition, organizer, published
):
    tasks = [make_task(owner=organizer, name="A"), make_task(owner=organizer, name="B")]
    phase = make_phase(competition=competition, tasks=tasks)
    parent = submit(participant, phase)
    children = list(parent.children.order_by("pk"))
    assert [child.task for child in children] == tasks
    assert parent.task is None
    assert {child.data_id for child in children} == {parent.data_id}
    assert [child.status for child in children] == ["submitted", "submitted"]
    assert len({parent.secret, *(child.secret for child in children)}) == 3


def test_fact_sheet_answers_are_checked_against_the_questions(participant, competition, phase):
    competition.fact_sheet = {
        "method": {
            "key": "method",
            "type": "text",
            "title": "Method",
            "selection": None,
            "is_required": True,
            "is_on_leaderboard": True,
        },
        "gpu": {
            "key": "gpu",
            "type": "select",
            "title": "GPU",
            "selection": ["none", "A100"],
            "is_required": False,
            "is_on_leaderboard": False,
        },
    }
    competition.save()
    with pytest.raises(SubmissionRefused) as refused:
        submit(participant, phase, fact_sheet_answers={"gpu": "H100", "extra": 1})
    assert str(refused.value) == (
        "fact sheet: extra: this competition asks no such question; method: an answer is "
        "required; gpu: expected one of: none, A100"
    )
    assert nothing_created() == (0, 0)
    submission = submit(participant, phase, fact_sheet_answers={"method": "kNN", "gpu": "none"})
    assert submission.fact_sheet_answers == {"method": "kNN", "gpu": "none"}


def test_submitting_for_an_organization_needs_membership(participant, phase, organizer):
    team = Organization.objects.create(name="Team", created_by=organizer)
    with pytest.raises(SubmissionRefused, match=r"^you are not a member of Team$"):
        submit(participant, phase, organization=team)
    membership = Membership.objects.create(organization=team, user=participant)
    with pytest.raises(SubmissionRefused, match=r"^you are a member of Team; only its owners"):
        submit(participant, phase, organization=team)
    membership.group = Membership.Group.PARTICIPANT
    membership.save()
    assert submit(participant, phase, organization=team).organization == team


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"../evil.txt": b"x"},
            "submission.zip: member '../evil.txt' points outside the archive ('..')",
        ),
        ({"/abs.txt": b"x"}, "submission.zip: member '/abs.txt' has an absolute path"),
    ],
)
def test_a_hostile_archive_is_refused_like_a_hostile_bundle(participant, phase, members, message):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    buffer.seek(0)
    with pytest.raises(SubmissionRefused) as refused:
        submit(participant, phase, stream=buffer)
    assert str(refused.value) == message
    assert nothing_created() == (0, 0)


def test_a_file_that_is_not_a_zip_is_refused(participant, phase):
    with pytest.raises(SubmissionRefused, match=r"^a submission must be a zip archive$"):
        submit(participant, phase, stream=io.BytesIO(b"just text"))
    assert nothing_created() == (0, 0)


def test_the_storage_quota_applies_to_submissions(participant, phase):
    participant.quota_bytes = 10
    participant.save()
    with pytest.raises(SubmissionRefused, match=r"^storage quota exceeded: "):
        submit(participant, phase)
    assert nothing_created() == (0, 0)
    assert StatusChange.objects.count() == 0
