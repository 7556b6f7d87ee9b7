"""The submission state machine: every status change goes through `transition`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from podium.submissions.models import StatusChange, Submission
from podium_worker.protocol import REQUEUE_FROM, TERMINAL, TRANSITIONS, Status


class IllegalTransition(Exception):
    pass


def transition(
    submission: Submission, to: Status, *, detail: str = "", requeue: bool = False
) -> Submission:
    """Moves `submission` to `to`, or raises IllegalTransition naming both statuses.

    The row is locked and re-read, so two concurrent callers cannot both move it.
    `requeue` allows the one backward move (a lost worker's job back to submitted).
    """
    with transaction.atomic():
        current = Submission.objects.select_for_update().get(pk=submission.pk)
        before = Status(current.status)
        allowed = to in TRANSITIONS[before] or (
            requeue and to == Status.SUBMITTED and before in REQUEUE_FROM
        )
        if not allowed:
            raise IllegalTransition(f"a submission cannot go from {before} to {to}")
        now = timezone.now()
        current.status = to.value
        current.status_detail = detail
        fields = ["status", "status_detail", "updated_at"]
        if to == Status.PREPARING:
            current.started_at = now
            fields.append("started_at")
        if to in TERMINAL:
            current.finished_at = now
            fields.append("finished_at")
        if requeue:
            current.attempt += 1
            fields.append("attempt")
        current.save(update_fields=fields)
        StatusChange.objects.create(
            submission=current, from_status=before.value, to_status=to.value, detail=detail
        )
    for field in fields:
        setattr(submission, field, getattr(current, field))
    return submission
