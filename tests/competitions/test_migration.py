"""Migrating submissions into a phase: each participant's leaderboard entries of the phase
before (or their latest finished submission) run again on the new phase's tasks, once,
whoever and however many schedulers run the job; and the organizers' manual migration."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from podium.audit.models import AuditEntry
from podium.competitions.models import Phase
from podium.core import scheduler
from podium.datasets.models import Data
from podium.participation.models import Participant
from podium.submissions import dispatch, phase_migration
from podium.submissions.models import Submission
from podium.submissions.services import start_submission, transition
from podium_worker.protocol import Status
from tests.factories import (
    make_competition,
    make_data,
    make_leaderboard,
    make_participant,
    make_phase,
    make_task,
)
from tests.factories import make_user as new_user

NOW = timezone.now()


@pytest.fixture
def published(monkeypatch):
    sent: list[tuple[int, int]] = []
    monkeypatch.setattr(
        dispatch, "publish", lambda submission, task: sent.append((submission.pk, task.pk))
    )
    return sent


@pytest.fixture
def phases(competition, organizer):
    """Development (ended yesterday, with a leaderboard) and Final (started an hour ago, two
    tasks, auto-migrated)."""
    board = make_leaderboard(competition=competition)
    development = make_phase(
        competition=competition,
        name="Development",
        index=0,
        tasks=[make_task(owner=organizer, name="Dev task")],
        start=NOW - timedelta(days=30),
        end=NOW - timedelta(days=1),
    )
    development.leaderboard = board
    development.save()
    final = make_phase(
        competition=competition,
        name="Final",
        index=1,
        tasks=[make_task(owner=organizer, name="A"), make_task(owner=organizer, name="B")],
        start=NOW - timedelta(hours=1),
    )
    final.auto_migrate_to_this_phase = True
    final.max_submissions = 1
    final.save()
    return development, final


def entry(user, phase, *, status=Status.FINISHED, on_board=False, baseline=False):
    submission = start_submission(
        owner=user,
        participant=Participant.objects.filter(user=user, competition=phase.competition).first(),
        phase=phase,
        tasks=list(phase.tasks.all()),
        data=make_data(owner=user, kind=Data.Kind.SUBMISSION),
        is_baseline=baseline,
        publish=False,
    )
    path = {
        Status.SUBMITTED: [],
        Status.RUNNING: [Status.PREPARING, Status.RUNNING],
        Status.FINISHED: [Status.PREPARING, Status.SCORING, Status.FINISHED],
        Status.FAILED: [Status.PREPARING, Status.FAILED],
    }[status]
    for step in path:
        transition(submission, step)
    if on_board:
        Submission.objects.filter(pk=submission.pk).update(leaderboard=phase.leaderboard)
    return submission


def migrated(final):
    """The submissions that migration made in `final`: source id -> new submission."""
    made = {}
    for submission in Submission.objects.filter(phase=final, parent__isnull=True):
        detail = submission.status_changes.get().detail
        made[int(detail.split()[3])] = submission
    return made


@pytest.mark.django_db
def test_each_participant_s_leaderboard_entries_or_latest_finished_one_migrate(
    phases, participant, organizer, published, django_capture_on_commit_callbacks
):
    development, final = phases
    rival = new_user("rita")
    make_participant(user=rival, competition=development.competition)
    quiet = new_user("quentin")
    make_participant(user=quiet, competition=development.competition)

    first_entry = entry(participant, development, on_board=True)
    entry(participant, development)  # newer, but not on the leaderboard
    second_entry = entry(participant, development, on_board=True)
    entry(rival, development)
    rival_latest = entry(rival, development)
    entry(rival, development, status=Status.FAILED)
    entry(quiet, development, status=Status.FAILED)  # nothing finished: nothing migrates
    entry(organizer, development, baseline=True)  # each phase runs its own baselines

    with django_capture_on_commit_callbacks(execute=True):
        assert phase_migration.migrate_due_phases() == {final.pk: 3}

    made = migrated(final)
    assert sorted(made) == sorted([first_entry.pk, second_entry.pk, rival_latest.pk])
    for source_id, new in made.items():
        source = Submission.objects.get(pk=source_id)
        assert (new.owner, new.participant, new.data, new.status) == (
            source.owner,
            source.participant,
            source.data,
            "submitted",
        )
        assert new.status_changes.get().detail == (
            f"migrated from submission {source_id} of phase 'Development' by the scheduler"
        )
        # one child per task of the new phase, past the participant's limit of 1
        assert sorted(new.children.values_list("task", flat=True)) == sorted(
            final.tasks.values_list("pk", flat=True)
        )
    children = Submission.objects.filter(phase=final, parent__isnull=False)
    assert sorted(published) == sorted(children.values_list("pk", "task"))
    assert len(published) == 6
    final.refresh_from_db()
    assert final.has_been_migrated is True
    record = AuditEntry.objects.get(action="phase.migrate")
    assert (record.actor, record.actor_name, record.target_type, record.target_id) == (
        None,
        "",
        "phase",
        final.pk,
    )
    assert (record.competition_id, record.details) == (
        final.competition_id,
        {"from_phase": development.pk, "submissions": 3},
    )


@pytest.mark.django_db
def test_the_job_run_twice_migrates_once(phases, participant, published):
    development, final = phases
    entry(participant, development, on_board=True)

    assert phase_migration.migrate_due_phases() == {final.pk: 1}
    assert phase_migration.migrate_due_phases() == {}

    assert Submission.objects.filter(phase=final, parent__isnull=True).count() == 1
    assert AuditEntry.objects.filter(action="phase.migrate").count() == 1


@pytest.mark.django_db
def test_nothing_migrates_before_the_phase_starts_or_without_the_flag(
    phases, participant, published
):
    development, final = phases
    entry(participant, development, on_board=True)

    assert phase_migration.migrate_due_phases(NOW - timedelta(hours=2)) == {}
    Phase.objects.filter(pk=final.pk).update(auto_migrate_to_this_phase=False)
    assert phase_migration.migrate_due_phases() == {}
    assert Submission.objects.filter(phase=final).count() == 0


@pytest.mark.django_db
def test_a_phase_that_ended_before_the_job_ran_is_not_migrated(phases, participant, published):
    development, final = phases
    entry(participant, development, on_board=True)
    Phase.objects.filter(pk=final.pk).update(end=NOW - timedelta(minutes=1))

    assert phase_migration.migrate_due_phases() == {}
    assert Submission.objects.filter(phase=final).count() == 0


@pytest.mark.django_db
def test_a_phase_without_tasks_migrates_once_its_tasks_are_added(
    phases, participant, organizer, published
):
    development, final = phases
    entry(participant, development, on_board=True)
    links = list(final.phase_tasks.all())
    final.phase_tasks.all().delete()

    assert phase_migration.migrate_due_phases() == {}

    final.phase_tasks.create(task=links[0].task, index=0)
    assert phase_migration.migrate_due_phases() == {final.pk: 1}


@pytest.mark.django_db
def test_the_first_phase_is_marked_migrated_with_nothing_to_migrate(competition, organizer):
    first = make_phase(competition=competition, tasks=[make_task(owner=organizer)])
    Phase.objects.filter(pk=first.pk).update(auto_migrate_to_this_phase=True)

    assert phase_migration.migrate_due_phases() == {first.pk: 0}
    first.refresh_from_db()
    assert first.has_been_migrated is True


@pytest.mark.django_db
def test_jobs_still_running_in_the_phase_before_hold_the_migration_back_for_a_day(
    phases, participant, published
):
    development, final = phases
    last_minute = entry(participant, development, status=Status.RUNNING)

    assert phase_migration.migrate_due_phases() == {}
    for step in (Status.SCORING, Status.FINISHED):
        transition(last_minute, step)
    assert phase_migration.migrate_due_phases() == {final.pk: 1}
    assert list(migrated(final)) == [last_minute.pk]


@pytest.mark.django_db
def test_a_job_that_never_ends_holds_the_migration_back_no_longer_than_a_day(
    phases, participant, published
):
    development, final = phases
    kept = entry(participant, development, on_board=True)
    entry(participant, development, status=Status.SUBMITTED)  # a queue without workers

    later = final.start + phase_migration.MIGRATION_MAX_WAIT
    assert phase_migration.migrate_due_phases(later - timedelta(seconds=1)) == {}
    Phase.objects.filter(pk=final.pk).update(end=later + timedelta(days=1))
    assert phase_migration.migrate_due_phases(later) == {final.pk: 1}
    assert list(migrated(final)) == [kept.pk]


@pytest.mark.django_db
def test_a_phase_that_cannot_migrate_does_not_hold_back_the_others(
    phases, participant, competition, organizer, published, monkeypatch, caplog
):
    development, final = phases
    entry(participant, development, on_board=True)
    other = make_competition(owner=organizer, title="Other")
    make_phase(competition=other, name="First", tasks=[make_task(owner=organizer)])
    second = make_phase(
        competition=other, name="Second", index=1, tasks=[make_task(owner=organizer)]
    )
    Phase.objects.filter(pk=second.pk).update(
        auto_migrate_to_this_phase=True, start=final.start - timedelta(minutes=1)
    )
    real = phase_migration._migrate

    def broken_for_second(target, **kwargs):
        if target.pk == second.pk:
            raise RuntimeError("broken data")
        return real(target, **kwargs)

    monkeypatch.setattr(phase_migration, "_migrate", broken_for_second)

    assert phase_migration.migrate_due_phases() == {final.pk: 1}
    assert f"phase {second.pk} could not be migrated; trying again later" in caplog.text
    second.refresh_from_db()
    assert second.has_been_migrated is False


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_migrate_once(phases, participant, organizer, published):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        pytest.fail("the suite's SQLite test database must be a file (see tests/conftest.py)")
    development, final = phases
    players = [participant]
    for index in range(5):
        player = new_user(f"player{index}")
        make_participant(user=player, competition=development.competition)
        players.append(player)
    for player in players:
        entry(player, development, on_board=True)
    barrier = threading.Barrier(4)
    outcomes: list[dict[int, int]] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            done = phase_migration.migrate_due_phases()
        finally:
            connection.close()
        with lock:
            outcomes.append(done)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes, key=len) == [{}, {}, {}, {final.pk: 6}]
    assert Submission.objects.filter(phase=final, parent__isnull=True).count() == 6
    assert Submission.objects.filter(phase=final, parent__isnull=False).count() == 12
    assert len(published) == 12
    assert AuditEntry.objects.filter(action="phase.migrate").count() == 1


@pytest.mark.django_db
def test_the_scheduler_runs_the_migration_job(phases, participant, published):
    development, final = phases
    entry(participant, development, on_board=True)
    (job,) = [job for job in scheduler.periodic_jobs() if job.name == "migrate phases"]
    assert job.every == 60.0

    assert job.run() == {final.pk: 1}
    assert Submission.objects.filter(phase=final, parent__isnull=True).count() == 1


# The organizers' manual migration


@pytest.mark.django_db
def test_an_organizer_migrates_a_phase_into_the_next_one_by_hand(
    api, phases, participant, collaborator, published, django_capture_on_commit_callbacks
):
    development, final = phases
    Phase.objects.filter(pk=final.pk).update(
        auto_migrate_to_this_phase=False, start=NOW + timedelta(days=3)
    )
    source = entry(participant, development, on_board=True)

    with django_capture_on_commit_callbacks(execute=True):
        response = api(collaborator).post(f"/api/phases/{development.pk}/manually_migrate/")

    assert (response.status_code, response.json()) == (200, {"phase": final.pk, "count": 1})
    assert list(migrated(final)) == [source.pk]
    new = migrated(final)[source.pk]
    assert new.status_changes.get().detail == (
        f"migrated from submission {source.pk} of phase 'Development' by colin"
    )
    assert len(published) == 2
    final.refresh_from_db()
    assert final.has_been_migrated is True
    record = AuditEntry.objects.get(action="phase.migrate")
    assert (record.actor, record.target_id, record.details) == (
        collaborator,
        final.pk,
        {"from_phase": development.pk, "submissions": 1},
    )


@pytest.mark.django_db
def test_after_a_manual_migration_the_scheduler_does_not_migrate_again(
    api, phases, participant, organizer, published
):
    development, final = phases
    entry(participant, development, on_board=True)

    assert api(organizer).post(f"/api/phases/{development.pk}/manually_migrate/").json() == {
        "phase": final.pk,
        "count": 1,
    }
    assert phase_migration.migrate_due_phases() == {}
    assert Submission.objects.filter(phase=final, parent__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_last_phase_has_nowhere_to_migrate_to(api, phases, organizer, published):
    _, final = phases
    response = api(organizer).post(f"/api/phases/{final.pk}/manually_migrate/")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "phase 'Final' is the last phase: there is no phase to migrate to"},
    )
    assert AuditEntry.objects.count() == 0


@pytest.mark.django_db
def test_a_next_phase_without_tasks_is_refused(api, phases, participant, organizer, published):
    development, final = phases
    entry(participant, development, on_board=True)
    final.phase_tasks.all().delete()

    response = api(organizer).post(f"/api/phases/{development.pk}/manually_migrate/")
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "phase 'Final' has no tasks to run"},
    )
    final.refresh_from_db()
    assert (final.has_been_migrated, Submission.objects.filter(phase=final).count()) == (False, 0)
