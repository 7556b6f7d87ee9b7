"""Use cases on competitions that are more than one field change."""

from __future__ import annotations

from django.db import transaction

from podium.competitions.models import Competition


def toggle_publish(competition: Competition) -> Competition:
    """Publishes an unpublished competition or unpublishes a published one.

    The row is locked while it flips, so two organizers clicking at once end in one
    well-defined state (each click flips once) rather than both writing the same value.
    """
    with transaction.atomic():
        current = Competition.objects.select_for_update().get(pk=competition.pk)
        current.published = not current.published
        current.save(update_fields=["published", "updated_at"])
    competition.published = current.published
    return competition
