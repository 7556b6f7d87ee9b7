"""Mail people write: organizers to their participants, anyone to a competition's
organizers or to the platform's hosts.

Organizers' emails are announcements (`Category.ANNOUNCEMENT`): the outbox skips those who
turned them off or left this competition's list, and adds the unsubscribe link. Each is
recorded (`OrganizerEmail`) with its batch, whose outbox rows say who got it. Contact
requests are always sent, are recorded (`ContactRequest`), and are limited per sender.
"""

from __future__ import annotations

import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition, Phase
from podium.messaging import services as mail
from podium.messaging.models import Category, Message
from podium.participation.models import ContactRequest, OrganizerEmail, Participant
from podium.submissions.models import Submission

# Contact requests each user may send (to organizers and hosts together) in the window.
CONTACT_LIMIT = 5
CONTACT_WINDOW = timedelta(hours=1)
SUBJECT_TAG_MAX = 60


class OutreachError(ValueError):
    """An email that cannot be written: an empty subject, a phase of another competition."""


class NotAPhase(OutreachError):
    """A phase filter naming a phase of another competition, or none."""


class TooManyRequests(Exception):
    """The sender reached the contact limit; `wait` is the seconds until the next one."""

    def __init__(self, wait: int) -> None:
        self.wait = wait
        minutes = math.ceil(wait / 60)
        super().__init__(
            f"you sent {CONTACT_LIMIT} contact requests in the last hour, the most allowed: "
            f"try again in {minutes} minute{'s' if minutes != 1 else ''}"
        )


def _tagged(competition: Competition, subject: str) -> str:
    title = competition.title
    if len(title) > SUBJECT_TAG_MAX:
        title = title[: SUBJECT_TAG_MAX - 1] + "…"
    return f"[{title}] {subject.strip()}"


def audience_of(
    competition: Competition, *, status: str | None, phase: int | None
) -> QuerySet[Participant]:
    """The registrations an email to a group reaches: with this status (any, when None)
    and, with a phase, only those who made a submission in that phase."""
    rows = Participant.objects.filter(competition=competition)
    if status:
        rows = rows.filter(status=status)
    if phase is not None:
        if not Phase.objects.filter(pk=phase, competition=competition).exists():
            raise NotAPhase(f"phase {phase} is not a phase of this competition")
        rows = rows.filter(
            user__in=Submission.objects.filter(phase_id=phase, parent__isnull=True).values(
                "owner_id"
            )
        )
    return rows.select_related("user").order_by("pk")


def _send(
    competition: Competition,
    *,
    by: User,
    users: Sequence[User],
    subject: str,
    body: str,
    audience: dict[str, Any],
) -> OrganizerEmail:
    try:
        subject = mail.clean_subject(subject)
        body = mail.clean_body(body)
    except mail.MailError as exc:
        raise OutreachError(str(exc)) from None
    with transaction.atomic():
        messages = mail.queue_many(
            users,
            category=Category.ANNOUNCEMENT,
            subject=_tagged(competition, subject),
            body=body,
            competition=competition,
            sender=by,
            reply_to=competition.contact_email,
        )
        record = OrganizerEmail.objects.create(
            competition=competition,
            sender=by,
            subject=subject,
            body=body,
            audience=audience,
            recipients=len(messages),
            batch=messages[0].batch if messages and messages[0].batch else uuid.uuid4(),
        )
        audit.record(
            actor=by,
            action=Action.PARTICIPANTS_EMAIL,
            target=record,
            competition=competition.pk,
            details={"subject": subject, "audience": audience, "recipients": len(messages)},
        )
    return record


def email_participant(
    participant: Participant, *, by: User, subject: str, body: str
) -> OrganizerEmail:
    """An organizer writes to one participant."""
    return _send(
        participant.competition,
        by=by,
        users=[participant.user],
        subject=subject,
        body=body,
        audience={"participant": participant.pk, "user": participant.user.username},
    )


def email_participants(
    competition: Competition,
    *,
    by: User,
    subject: str,
    body: str,
    status: str | None = Participant.Status.APPROVED,
    phase: int | None = None,
) -> OrganizerEmail:
    """An organizer writes to a group of the competition's registrations (approved ones
    by default; any status when `status` is None; with a phase, those who submitted to
    it)."""
    users = [row.user for row in audience_of(competition, status=status, phase=phase)]
    audience: dict[str, Any] = {"status": status or "any"}
    if phase is not None:
        audience["phase"] = phase
    return _send(competition, by=by, users=users, subject=subject, body=body, audience=audience)


@dataclass(frozen=True)
class Delivery:
    """How an organizer email fared, recipient by recipient."""

    queued: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0


def deliveries(emails: Iterable[OrganizerEmail]) -> dict[uuid.UUID, Delivery]:
    """Each email's counts of sent, skipped, failed and still queued messages, in one
    query for any number of emails."""
    counts: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
    rows = (
        Message.objects.filter(batch__in=[email.batch for email in emails])
        .values("batch", "status")
        .annotate(count=Count("pk"))
        .order_by()
    )
    for row in rows:
        if row["batch"] is not None:
            counts[row["batch"]][row["status"]] = row["count"]
    return {
        batch: Delivery(
            queued=found.get(Message.Status.QUEUED, 0) + found.get(Message.Status.SENDING, 0),
            sent=found.get(Message.Status.SENT, 0),
            skipped=found.get(Message.Status.SKIPPED, 0),
            failed=found.get(Message.Status.FAILED, 0),
        )
        for batch, found in counts.items()
    }


# Contact requests


def _check_limit(user: User) -> None:
    # The sender's row is locked while counting, so that parallel requests count each
    # other (SQLite's writers take turns anyway).
    User.objects.select_for_update().filter(pk=user.pk).first()
    since = timezone.now() - CONTACT_WINDOW
    recent = ContactRequest.objects.filter(sender=user, created_at__gte=since)
    if recent.count() >= CONTACT_LIMIT:
        oldest = recent.order_by("created_at").values_list("created_at", flat=True)[
            recent.count() - CONTACT_LIMIT
        ]
        wait = (oldest + CONTACT_WINDOW - timezone.now()).total_seconds()
        raise TooManyRequests(max(1, math.ceil(wait)))


def organizer_addresses(competition: Competition) -> list[str]:
    """Where a competition's contact requests go: its contact address, or else the
    addresses of its owner and collaborators."""
    if competition.contact_email:
        return [competition.contact_email]
    organizers = User.objects.filter(
        Q(pk=competition.created_by_id) | Q(collaborations=competition), is_active=True
    ).exclude(email="")
    return sorted(set(organizers.values_list("email", flat=True)))


def host_addresses() -> list[str]:
    """PLATFORM_CONTACT_EMAIL, or else the platform admins' addresses."""
    if settings.PLATFORM_CONTACT_EMAIL:
        return [settings.PLATFORM_CONTACT_EMAIL]
    admins = User.objects.filter(is_superuser=True, is_active=True).exclude(email="")
    return sorted(set(admins.values_list("email", flat=True)))


def contact(
    *, sender: User, subject: str, body: str, competition: Competition | None = None
) -> ContactRequest:
    """Sends the sender's message to the competition's organizers, or (no competition) to
    the platform's hosts, with reply-to the sender, and records it. At most CONTACT_LIMIT
    per sender in CONTACT_WINDOW: TooManyRequests says how long to wait."""
    try:
        subject = mail.clean_subject(subject)
        body = mail.clean_body(body)
    except mail.MailError as exc:
        raise OutreachError(str(exc)) from None
    if competition is not None:
        addresses = organizer_addresses(competition)
        about = f"about {competition.title}"
        tagged = _tagged(competition, subject)
    else:
        addresses = host_addresses()
        about = "to the platform's hosts"
        tagged = f"[Podium contact] {subject}"
    text = (
        f"{sender.username} <{sender.email or 'no address'}> wrote {about} through Podium's "
        f"contact form. Reply to this email to answer them.\n\n{body}"
    )
    with transaction.atomic():
        _check_limit(sender)
        messages = mail.queue_many(
            addresses,
            category=Category.CONTACT,
            subject=tagged,
            body=text,
            competition=competition,
            sender=sender,
            reply_to=sender.email,
        )
        return ContactRequest.objects.create(
            sender=sender,
            sender_name=sender.username,
            sender_email=sender.email,
            competition=competition,
            subject=subject,
            body=body,
            recipients=addresses,
            batch=messages[0].batch if messages else None,
        )
