"""Registration: register, approve, deny with a reason, revoke."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition
from podium.participation.models import Participant


class RegistrationError(Exception):
    """A registration decision that the current state does not allow."""


def register(*, user: User, competition: Competition) -> Participant:
    """Registers `user`; approved at once when the competition auto-approves.

    Registering again is harmless: it returns the existing registration unchanged,
    except that a denied participant applies again (back to pending).
    """
    if not competition.published and not competition.is_organizer(user):
        raise RegistrationError("this competition is not published")
    status = (
        Participant.Status.APPROVED
        if competition.registration_auto_approve
        else Participant.Status.PENDING
    )
    try:
        with transaction.atomic():
            return Participant.objects.create(user=user, competition=competition, status=status)
    except IntegrityError:
        pass
    participant = Participant.objects.get(user=user, competition=competition)
    if participant.status == Participant.Status.REVOKED:
        raise RegistrationError(
            "your participation was revoked by the organizers: " + participant.reason
        )
    if participant.status == Participant.Status.DENIED:
        participant.status = status
        participant.reason = ""
        participant.save(update_fields=["status", "reason", "updated_at"])
    return participant


DECISIONS = {
    Participant.Status.APPROVED: Action.PARTICIPANT_APPROVE,
    Participant.Status.DENIED: Action.PARTICIPANT_DENY,
    Participant.Status.REVOKED: Action.PARTICIPANT_REVOKE,
}


def _decide(participant: Participant, *, by: User, status: str, reason: str) -> Participant:
    participant.status = status
    participant.reason = reason
    participant.decided_by = by
    participant.decided_at = timezone.now()
    with transaction.atomic():
        participant.save(
            update_fields=["status", "reason", "decided_by", "decided_at", "updated_at"]
        )
        audit.record(
            actor=by,
            action=DECISIONS[Participant.Status(status)],
            target=participant,
            competition=participant.competition_id,
            details={"user": participant.user.username, "reason": reason},
        )
    return participant


def approve(participant: Participant, *, by: User) -> Participant:
    if participant.status == Participant.Status.APPROVED:
        return participant
    return _decide(participant, by=by, status=Participant.Status.APPROVED, reason="")


def deny(participant: Participant, *, by: User, reason: str) -> Participant:
    if not reason.strip():
        raise RegistrationError("a reason is required to deny a registration")
    if participant.status not in (Participant.Status.PENDING, Participant.Status.DENIED):
        raise RegistrationError(
            f"only a pending registration can be denied; this one is {participant.status}"
            " (revoke an approved participant instead)"
        )
    return _decide(participant, by=by, status=Participant.Status.DENIED, reason=reason.strip())


def revoke(participant: Participant, *, by: User, reason: str) -> Participant:
    if not reason.strip():
        raise RegistrationError("a reason is required to revoke a participant")
    if participant.status != Participant.Status.APPROVED:
        raise RegistrationError(
            f"only an approved participant can be revoked; this one is {participant.status}"
        )
    return _decide(participant, by=by, status=Participant.Status.REVOKED, reason=reason.strip())
