"""The registration mail: each change of a registration told to its participant, and new
requests summed up for the organizers in digests as often as each one wants.

Everything here writes to the outbox (`podium.messaging`), inside the transaction of the
change it reports; the outbox's sender delivers it.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from podium.accounts.models import User
from podium.competitions.models import Competition
from podium.messaging import services as mail
from podium.messaging.models import Category, Preferences
from podium.participation.models import (
    Application,
    OrganizerDigest,
    Participant,
    RequestNotice,
)

logger = logging.getLogger(__name__)

DIGEST_INTERVALS = {
    Preferences.Digest.HOURLY: timedelta(hours=1),
    Preferences.Digest.DAILY: timedelta(days=1),
}


def competition_url(competition: Competition) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("competitions:detail", args=[competition.pk])


def _texts(participant: Participant, event: str, by: User | None, note: str) -> tuple[str, str]:
    title = participant.competition.title
    url = competition_url(participant.competition)
    reason = participant.reason
    who = by.username if by is not None else "the organizers"
    texts = {
        "pending": (
            f"Your registration for {title} is waiting for the organizers",
            f"We received your registration for {title}. The organizers review each "
            f"request; you will be emailed their decision.\n\n{url}",
        ),
        "approved": (
            f"You are registered for {title}",
            f"Your registration for {title} is approved{note}: you may now submit.\n\n{url}",
        ),
        "denied": (
            f"Your registration for {title} was denied",
            f"The organizers of {title} denied your registration.\n\nTheir reason: {reason}\n\n"
            f"You may correct your answers and apply again: {url}",
        ),
        "revoked": (
            f"Your participation in {title} was revoked",
            f"The organizers of {title} revoked your participation: you can no longer submit."
            f"\n\nTheir reason: {reason}\n\n{url}",
        ),
        "added": (
            f"You were added to {title}",
            f"{who} added you as a participant of {title}: you may now submit.\n\n{url}",
        ),
        "removed": (
            f"You were removed from {title}",
            f"{who} removed your registration for {title}. Your submissions are kept; you "
            f"may register again.\n\n{url}",
        ),
        "withdrawn": (
            f"You left {title}",
            f"You withdrew your registration for {title}. Your submissions are kept; you may "
            f"register again.\n\n{url}",
        ),
    }
    return texts[event]


def tell_participant(
    participant: Participant, event: str, *, by: User | None = None, note: str = ""
) -> None:
    """Writes the email that tells the participant what happened to their registration:
    pending, approved, denied, revoked (these two with the organizers' reason), added,
    removed or withdrawn."""
    subject, body = _texts(participant, event, by, note)
    mail.queue(
        participant.user,
        category=Category.REGISTRATION,
        subject=subject,
        body=body,
        competition=participant.competition,
        reply_to=participant.competition.contact_email,
    )


def note_request(application: Application) -> None:
    """Tells each organizer of the competition, in their next digest, of a new request."""
    competition = application.participant.competition
    organizers = {
        competition.created_by_id,
        *competition.collaborators.values_list("pk", flat=True),
    }
    RequestNotice.objects.bulk_create(
        RequestNotice(organizer_id=organizer, application=application)
        for organizer in sorted(organizers)
    )


def send_digests(now: datetime | None = None) -> int:
    """Writes the digests that are due; returns how many. The scheduler's job.

    An organizer's digest is due when they have requests they were not told of and their
    last digest is older than their preference (hourly, daily); "never" drops the requests
    unsent. Requests decided before the digest goes, or in competitions the organizer no
    longer organizes, are dropped from it. Safe with two schedulers at once: each
    organizer's turn is taken by one conditional update, and each request is claimed once.
    """
    now = now or timezone.now()
    waiting = (
        RequestNotice.objects.filter(handled_at__isnull=True)
        .values_list("organizer_id", flat=True)
        .distinct()
    )
    written = 0
    for organizer in User.objects.filter(pk__in=list(waiting)).order_by("pk"):
        try:
            with transaction.atomic():
                written += _digest_for(organizer, now)
        except Exception:  # one organizer's failure must not hold back the others'
            logger.exception("the registration digest of %s failed", organizer.username)
    return written


def _digest_for(organizer: User, now: datetime) -> int:
    notices = RequestNotice.objects.filter(organizer=organizer, handled_at__isnull=True)
    organized = Competition.objects.organized_by(organizer)
    live = notices.filter(
        application__status=Participant.Status.PENDING,
        application__participant__competition__in=organized,
    )
    frequency = mail.preferences_of(organizer).organizer
    if frequency == Preferences.Digest.NEVER or not organizer.is_active:
        notices.update(handled_at=now)
        return 0
    notices.exclude(pk__in=live.values("pk")).update(handled_at=now)
    if not live.exists():
        return 0
    state, _ = OrganizerDigest.objects.get_or_create(organizer=organizer)
    due = OrganizerDigest.objects.filter(
        Q(last_sent_at__isnull=True)
        | Q(last_sent_at__lte=now - DIGEST_INTERVALS[Preferences.Digest(frequency)]),
        pk=state.pk,
    )
    # Taking the turn locks the organizer's row until this transaction ends: a second
    # scheduler waits here, then finds the turn taken.
    if not due.update(last_sent_at=now):
        return 0
    batch = uuid.uuid4()
    ids = list(live.values_list("pk", flat=True))
    RequestNotice.objects.filter(pk__in=ids, handled_at__isnull=True).update(
        handled_at=now, digest=batch
    )
    claimed = (
        RequestNotice.objects.filter(digest=batch)
        .select_related("application__participant__user", "application__participant__competition")
        .order_by("application__participant__competition_id", "application__submitted_at", "pk")
    )
    subject, body = _digest_text(list(claimed))
    mail.queue(organizer, category=Category.ORGANIZER, subject=subject, body=body, batch=batch)
    return 1


def _digest_text(notices: list[RequestNotice]) -> tuple[str, str]:
    by_competition: dict[Competition, list[Application]] = defaultdict(list)
    for notice in notices:
        by_competition[notice.application.participant.competition].append(notice.application)
    count = len(notices)
    subject = f"{count} new registration request{'s' if count != 1 else ''} to review"
    if len(by_competition) == 1:
        subject += f" in {next(iter(by_competition)).title}"
    parts = []
    for competition, applications in by_competition.items():
        lines = [f"{competition.title} ({len(applications)}): {competition_url(competition)}"]
        for application in applications:
            user = application.participant.user
            when = application.submitted_at.strftime("%Y-%m-%d %H:%M UTC")
            lines.append(f"- {user.username} <{user.email}>, applied {when}")
        lines.append(
            "Review them: GET /api/participants/"
            f"?competition={competition.pk}&status=pending, then approve or deny."
        )
        parts.append("\n".join(lines))
    body = (
        "New registration requests wait for your decision.\n\n"
        + "\n\n".join(parts)
        + "\n\nChange how often these summaries come in your mail preferences "
        "(/api/notification_preferences/)."
    )
    return subject, body
