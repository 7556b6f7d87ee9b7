"""Writing the audit log. Callers record inside the transaction of the change they
describe, so that an entry exists exactly when its change does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models

from podium.accounts.models import User
from podium.audit.models import Action, AuditEntry


def record(
    *,
    actor: User | None,
    action: Action,
    target: models.Model | None = None,
    competition: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Records that `actor` (None: the platform itself, e.g. the scheduler) did `action` to
    `target` in the competition with id `competition`. `details` must be plain JSON."""
    return AuditEntry.objects.create(
        actor=actor,
        actor_name=actor.username if actor is not None else "",
        action=action,
        target_type=(target._meta.model_name or "") if target is not None else "",
        target_id=target.pk if target is not None else None,
        competition_id=competition,
        details=dict(details or {}),
    )
