"""Migrating submissions from one phase to the next: each participant's leaderboard entries
of the phase before run again on the new phase's tasks, as new submissions (lifecycle's
re-run machinery, past participant limits). Once its run finishes, each becomes an entry of
the new phase's leaderboard: by the rule under an automatic rule, and as carried over
(podium.leaderboards.services.carry_entries) under a manual one, where nobody would add it.

The scheduler migrates into a phase at its start when `auto_migrate_to_this_phase` is set,
exactly once (`migrate_due_phases`); organizers migrate out of a phase by hand
(`migrate_from`).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Phase
from podium.leaderboards import services as leaderboards
from podium.submissions import lifecycle, services
from podium.submissions.models import Submission
from podium_worker.protocol import Status

logger = logging.getLogger(__name__)

# Jobs of the phase before that have not ended hold its automatic migration back (they may
# become leaderboard entries), but not forever: a queue without workers must not stop it.
MIGRATION_MAX_WAIT = timedelta(hours=24)
NOT_ENDED = [
    Status.SUBMITTED.value,
    Status.PREPARING.value,
    Status.RUNNING.value,
    Status.SCORING.value,
]


def migration_sources(source: Phase) -> list[Submission]:
    """What migrates out of `source`: for each owner, their submissions on its leaderboard
    (`Submission.leaderboard` set), or their latest finished submission if none is.
    Baselines stay: each phase runs its own solutions."""
    finished = source.submissions.filter(
        parent__isnull=True, is_baseline=False, status=Status.FINISHED.value
    ).select_related("owner", "participant", "organization", "data")
    on_board = finished.filter(leaderboard__isnull=False)
    latest = (
        finished.filter(owner=OuterRef("owner")).order_by("-created_at", "-pk").values("pk")[:1]
    )
    others = finished.exclude(owner__in=on_board.values("owner")).filter(pk=Subquery(latest))
    return sorted([*on_board, *others], key=lambda entry: entry.pk)


def _migrate(target: Phase, *, source: Phase, by: User | None) -> int:
    """Runs the entries of `source` on `target`'s tasks as new submissions and marks
    `target` migrated; the caller holds `target`'s row."""
    tasks = services.tasks_of(target)
    entries = migration_sources(source)
    who = by.username if by is not None else "the scheduler"
    carried = []
    for entry in entries:
        new = lifecycle.run_again(
            entry,
            phase=target,
            tasks=tasks,
            detail=f"migrated from submission {entry.pk} of phase {source.name!r} by {who}",
        )
        if entry.leaderboard_id is not None:
            carried.append((new, entry))
    leaderboards.carry_entries(carried)
    Phase.objects.filter(pk=target.pk).update(has_been_migrated=True)
    target.has_been_migrated = True
    audit.record(
        actor=by,
        action=Action.PHASE_MIGRATE,
        target=target,
        competition=target.competition_id,
        details={"from_phase": source.pk, "submissions": len(entries)},
    )
    return len(entries)


def migrate_from(source: Phase, *, by: User) -> tuple[Phase, int]:
    """An organizer's migration out of `source` into the phase after it, whatever that
    phase's dates and settings, queued after commit; returns that phase and how many
    submissions went. Each call migrates again. SubmissionRefused when `source` is the last
    phase or the next one has no tasks."""
    target = source.next_phase()
    if target is None:
        raise services.SubmissionRefused(
            f"phase {source.name!r} is the last phase: there is no phase to migrate to"
        )
    with transaction.atomic():
        locked = Phase.objects.select_for_update().get(pk=target.pk)
        count = _migrate(locked, source=source, by=by)
    return locked, count


def _held_back(phase: Phase, source: Phase, now: datetime) -> bool:
    waiting = source.submissions.filter(parent__isnull=True, status__in=NOT_ENDED).exists()
    return waiting and now < phase.start + MIGRATION_MAX_WAIT


def migrate_due_phases(moment: datetime | None = None) -> dict[int, int]:
    """The scheduler's job: migrates into each phase that has started with
    `auto_migrate_to_this_phase` set, once. Returns {phase id: submissions migrated}.

    Exactly once, even from two schedulers at once: each phase's row is locked and its
    `has_been_migrated` read again under the lock, in the transaction that sets it. A phase
    waits while submissions of the phase before it are still queued or running (for at
    most MIGRATION_MAX_WAIT after its start)."""
    now = moment or timezone.now()
    done: dict[int, int] = {}
    due = Phase.objects.due_for_migration(now).order_by("start", "pk")
    for pk in due.values_list("pk", flat=True):
        try:
            count = _migrate_if_due(pk, now)
        except Exception:
            # One phase that cannot migrate (its data broken) must not hold back the others;
            # it is tried again at the next turn.
            logger.exception("phase %d could not be migrated; trying again later", pk)
            continue
        if count is not None:
            done[pk] = count
    return done


def _migrate_if_due(pk: int, now: datetime) -> int | None:
    with transaction.atomic():
        phase = Phase.objects.select_for_update().filter(pk=pk).first()
        if phase is None or phase.has_been_migrated or not phase.auto_migrate_to_this_phase:
            return None  # deleted, or migrated by another scheduler meanwhile
        source = phase.previous_phase()
        if source is None:
            Phase.objects.filter(pk=pk).update(has_been_migrated=True)
            return 0
        if _held_back(phase, source, now):
            return None
        return _migrate(phase, source=source, by=None)
