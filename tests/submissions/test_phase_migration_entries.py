"""A phase migration carries leaderboard entries over: each participant's entries of the
phase before become entries of the new phase's leaderboard once their runs there finish,
under the manual rules too (where nobody else would add them), once however often the
scheduler runs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone

from podium.competitions.models import Phase
from podium.leaderboards.models import CarriedEntry
from podium.submissions import phase_migration
from podium.submissions.models import Submission
from podium.submissions.reports import Report, receive
from podium_worker.protocol import Status
from tests.factories import make_phase, make_task
from tests.leaderboards.conftest import make_board, on_board, player, submit

pytestmark = pytest.mark.django_db

MANUAL = ["Add", "Add_And_Delete", "Add_And_Delete_Multiple"]


def finish(submission: Submission, score: float) -> Submission:
    """Its tasks' final reports, then what runs once each commits (the placement)."""
    jobs = list(submission.children.order_by("pk")) or [submission]
    for job in jobs:
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert receive(
                job, Report(attempt=job.attempt, status=Status.FINISHED, scores={"score": score})
            )
    submission.refresh_from_db()
    assert submission.status == Status.FINISHED.value, submission.status_detail
    return submission


def fail(submission: Submission) -> None:
    for job in list(submission.children.order_by("pk")) or [submission]:
        with TestCase.captureOnCommitCallbacks(execute=True):
            receive(job, Report(attempt=job.attempt, status=Status.FAILED, detail="crashed"))


def connect(api, user, submission):
    path = f"/api/submissions/{submission.pk}/submission_leaderboard_connection/"
    response = api(user).post(path)
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def development(competition, organizer):
    return make_phase(
        competition=competition,
        name="Development",
        tasks=[make_task(owner=organizer, name="Dev")],
        start=timezone.now() - timedelta(days=30),
        end=timezone.now() - timedelta(days=1),
    )


@pytest.fixture
def final(competition, organizer):
    """Started an hour ago, two tasks, auto-migrated."""
    phase = make_phase(
        competition=competition,
        name="Final",
        index=1,
        tasks=[make_task(owner=organizer, name=name) for name in ("A", "B")],
        start=timezone.now() - timedelta(hours=1),
    )
    Phase.objects.filter(pk=phase.pk).update(auto_migrate_to_this_phase=True)
    return phase


def boards(competition, development, final, *, before: str, after: str) -> None:
    make_board(competition, key="development", phases=[development], submission_rule=before)
    make_board(competition, key="final", phases=[final], submission_rule=after)


def migrate(final: Phase) -> dict[int, Submission]:
    """The scheduler's migration, run twice: source id -> the submission it made."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        done = phase_migration.migrate_due_phases()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert phase_migration.migrate_due_phases() == {}
    made = {}
    for submission in Submission.objects.filter(phase=final, parent__isnull=True):
        detail = submission.status_changes.get().detail
        made[int(detail.split()[3])] = submission
    assert done == {final.pk: len(made)}
    return made


@pytest.fixture
def two_entries_carried(api, competition, development, final, participant):
    """`two_entries_carried(before=rule, after=rule)`: the participant's two entries of
    `development` (scored 0.6, then 0.7) carried over, under these rules of the two phases'
    leaderboards: the runs the migration made of them in `final`, in that order."""

    def carry(*, before: str, after: str) -> tuple[Submission, Submission]:
        boards(competition, development, final, before=before, after=after)
        first = finish(submit(participant, development), 0.6)
        second = finish(submit(participant, development), 0.7)
        connect(api, participant, first)
        connect(api, participant, second)
        made = migrate(final)
        return made[first.pk], made[second.pk]

    return carry


def rows(api, user, phase):
    body = api(user).get(f"/api/phases/{phase.pk}/leaderboard/").json()
    return [(row["participant"], row["submission"], row["scores"]) for row in body["results"]]


@pytest.mark.parametrize("rule", MANUAL)
def test_a_participants_entry_becomes_an_entry_of_the_new_phase_once_its_run_finishes(
    rule, api, competition, development, final, participant, outsider, published
):
    boards(competition, development, final, before=rule, after=rule)
    entry = finish(submit(participant, development), 0.6)
    connect(api, participant, entry)
    finish(submit(participant, development), 0.9)  # better, but not chosen: stays behind
    # Never chosen: the rival's latest runs again, and does not become an entry.
    rivals = finish(submit(player("rita", competition), development), 0.8)

    made = migrate(final)

    assert sorted(made) == sorted([entry.pk, rivals.pk])
    carried, other = made[entry.pk], made[rivals.pk]
    assert on_board(final) == []
    finish(other, 0.7)
    assert on_board(final) == []
    finish(carried, 0.5)
    assert on_board(final) == [carried.pk]
    assert rows(api, outsider, final) == [("petra", carried.pk, {"score": 0.5})]
    assert CarriedEntry.objects.count() == 0


def test_every_entry_of_a_participant_is_carried_under_add_and_delete_multiple(
    two_entries_carried, final, published
):
    rule = "Add_And_Delete_Multiple"
    first, second = two_entries_carried(before=rule, after=rule)

    finish(second, 0.4)
    finish(first, 0.3)

    assert on_board(final) == sorted([first.pk, second.pk])


@pytest.mark.parametrize("rule", ["Add", "Add_And_Delete"])
def test_under_a_rule_of_one_entry_the_latest_made_carried_entry_wins_whatever_finishes_last(
    rule, two_entries_carried, final, published
):
    first, second = two_entries_carried(before="Add_And_Delete_Multiple", after=rule)

    finish(second, 0.4)
    finish(first, 0.9)

    assert first.pk < second.pk
    assert on_board(final) == [second.pk]


@pytest.mark.parametrize("rule", MANUAL)
def test_a_carried_entry_does_not_displace_a_choice_made_after_it(
    rule, api, competition, development, final, participant, published
):
    boards(competition, development, final, before=rule, after=rule)
    connect(api, participant, finish(submit(participant, development), 0.6))
    (carried,) = migrate(final).values()
    own = finish(submit(participant, final), 0.2)
    connect(api, participant, own)

    finish(carried, 0.9)

    expected = [carried.pk, own.pk] if rule == "Add_And_Delete_Multiple" else [own.pk]
    assert on_board(final) == expected


def test_a_carried_run_that_fails_becomes_no_entry(
    api, competition, development, final, participant, published
):
    boards(competition, development, final, before="Add", after="Add")
    connect(api, participant, finish(submit(participant, development), 0.6))
    (carried,) = migrate(final).values()

    fail(carried)

    assert on_board(final) == []
    assert CarriedEntry.objects.filter(submission=carried).count() == 1


def test_under_an_automatic_rule_the_rule_places_carried_runs(
    two_entries_carried, final, published
):
    first, second = two_entries_carried(before="Add_And_Delete_Multiple", after="Force_Best")

    finish(first, 0.9)
    finish(second, 0.4)

    assert on_board(final) == [first.pk]
    assert CarriedEntry.objects.count() == 0


def test_a_manual_migration_carries_entries_too(
    api, competition, development, final, participant, organizer, published
):
    boards(competition, development, final, before="Add", after="Add_And_Delete")
    Phase.objects.filter(pk=final.pk).update(auto_migrate_to_this_phase=False)
    entry = finish(submit(participant, development), 0.6)
    connect(api, participant, entry)

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = api(organizer).post(f"/api/phases/{development.pk}/manually_migrate/")
    assert response.json() == {"phase": final.pk, "count": 1}
    new = Submission.objects.get(phase=final, parent__isnull=True)
    finish(new, 0.5)

    assert on_board(final) == [new.pk]
