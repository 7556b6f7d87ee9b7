"""Use cases on competitions that are more than one field change."""

from __future__ import annotations

from django.db import transaction

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition, Phase


def toggle_publish(competition: Competition, *, by: User | None = None) -> Competition:
    """Publishes an unpublished competition or unpublishes a published one.

    The row is locked while it flips, so two organizers clicking at once end in one
    well-defined state (each click flips once) rather than both writing the same value.
    """
    with transaction.atomic():
        current = Competition.objects.select_for_update().get(pk=competition.pk)
        current.published = not current.published
        current.save(update_fields=["published", "updated_at"])
        audit.record(
            actor=by,
            action=Action.COMPETITION_PUBLISH
            if current.published
            else Action.COMPETITION_UNPUBLISH,
            target=current,
            competition=current.pk,
        )
    competition.published = current.published
    return competition


def delete_competition(competition: Competition, *, by: User) -> None:
    """Deletes the competition with everything that belongs to it; its audit trail stays."""
    with transaction.atomic():
        audit.record(
            actor=by,
            action=Action.COMPETITION_DELETE,
            target=competition,
            competition=competition.pk,
            details={"title": competition.title},
        )
        competition.delete()


def delete_phase(phase: Phase, *, by: User) -> None:
    """Deletes the phase with its submissions."""
    with transaction.atomic():
        audit.record(
            actor=by,
            action=Action.PHASE_DELETE,
            target=phase,
            competition=phase.competition_id,
            details={"name": phase.name, "submissions": phase.submissions.count()},
        )
        phase.delete()
