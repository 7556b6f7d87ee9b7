"""Writing mail to the outbox, delivering it, and honouring what users want.

`queue` is what the rest of Podium calls: inside the transaction of the change it reports,
so a rolled-back change sends nothing. `deliver_queued` runs in the background (the
scheduler's "send mail" job); tests call it and read Django's outbox.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.utils import timezone

from podium.messaging.models import ALWAYS_SENT, Category, Message, Preferences, Unsubscription

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A message claimed by a sender that died is queued again after this long.
SENDING_TIMEOUT = timedelta(minutes=10)
SUBJECT_MAX = 255
BODY_MAX = 100_000
_UNSUBSCRIBE_SALT = "podium.messaging.unsubscribe"


class MailError(ValueError):
    """A message that cannot be written (an empty subject, a body too long)."""


def preferences_of(user: Any) -> Preferences:
    """The user's preferences; the defaults, unsaved, for a user who never chose."""
    try:
        prefs: Preferences = user.mail_preferences
    except Preferences.DoesNotExist:
        prefs = Preferences(user=user)
    return prefs


def wants(user: Any, category: str, competition: Any = None) -> bool:
    """Whether `user` accepts mail of `category` (about `competition`, for announcements)."""
    if category in ALWAYS_SENT:
        return True
    prefs = preferences_of(user)
    if category == Category.ORGANIZER:
        return prefs.organizer != Preferences.Digest.NEVER
    if not getattr(prefs, category, True):
        return False
    if category == Category.ANNOUNCEMENT and competition is not None:
        return not Unsubscription.objects.filter(user=user, competition=competition).exists()
    return True


def clean_subject(subject: str) -> str:
    """One line: a newline in a subject would let a writer add headers of their own."""
    line = " ".join(subject.split())
    if not line:
        raise MailError("The subject is empty.")
    if len(line) > SUBJECT_MAX:
        raise MailError(f"The subject has {len(line)} characters; at most {SUBJECT_MAX}.")
    return line


def clean_body(body: str) -> str:
    if not body.strip():
        raise MailError("The message is empty.")
    if len(body) > BODY_MAX:
        raise MailError(f"The message has {len(body)} characters; at most {BODY_MAX}.")
    return body


def queue(
    to: Any,
    *,
    category: str,
    subject: str,
    body: str,
    competition: Any = None,
    sender: Any = None,
    reply_to: str = "",
    batch: uuid.UUID | None = None,
) -> Message:
    """Writes one message to the outbox. `to` is a user or an address.

    A user who turned the category off, or has no address, gets a row marked skipped (the
    record says why nobody was mailed) and no mail.
    """
    subject = clean_subject(subject)
    body = clean_body(body)
    user = None if isinstance(to, str) else to
    address = to if isinstance(to, str) else (to.email or "")
    status, error = Message.Status.QUEUED, ""
    if user is not None and not user.is_active:
        status, error = Message.Status.SKIPPED, "the account is inactive"
    elif not address:
        status, error = Message.Status.SKIPPED, "no email address"
    elif user is not None and not wants(user, category, competition):
        status, error = Message.Status.SKIPPED, "the recipient turned this mail off"
    if status == Message.Status.QUEUED and category == Category.ANNOUNCEMENT and user:
        body = body + "\n\n-- \n" + _unsubscribe_footer(user, competition)
    return Message.objects.create(
        category=category,
        recipient=user,
        to=address,
        subject=subject,
        body=body,
        reply_to=reply_to,
        competition=competition,
        sender=sender,
        batch=batch,
        status=status,
        error=error,
    )


def queue_many(
    recipients: Iterable[Any],
    *,
    category: str,
    subject: str,
    body: str,
    competition: Any = None,
    sender: Any = None,
    reply_to: str = "",
) -> list[Message]:
    """One message per recipient, sharing a batch id; each recipient mailed once."""
    batch = uuid.uuid4()
    seen: set[object] = set()
    messages = []
    with transaction.atomic():
        for recipient in recipients:
            key = recipient if isinstance(recipient, str) else recipient.pk
            if key in seen:
                continue
            seen.add(key)
            messages.append(
                queue(
                    recipient,
                    category=category,
                    subject=subject,
                    body=body,
                    competition=competition,
                    sender=sender,
                    reply_to=reply_to,
                    batch=batch,
                )
            )
    return messages


def _unsubscribe_footer(user: Any, competition: Any) -> str:
    url = settings.SITE_URL.rstrip("/") + unsubscribe_path(user, competition)
    about = f"from the organizers of {competition.title}" if competition else "from organizers"
    return f"You receive this email as a participant. To receive no more emails {about}: {url}"


def unsubscribe_token(user: Any, competition: Any = None) -> str:
    payload = {"u": user.pk, "c": competition.pk if competition is not None else None}
    return signing.dumps(payload, salt=_UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_path(user: Any, competition: Any = None) -> str:
    return f"/mail/unsubscribe/{unsubscribe_token(user, competition)}/"


def read_unsubscribe_token(token: str) -> tuple[int, int | None]:
    """The user id and competition id a link names; `signing.BadSignature` if forged."""
    payload = signing.loads(token, salt=_UNSUBSCRIBE_SALT)
    if not isinstance(payload, dict) or not isinstance(payload.get("u"), int):
        raise signing.BadSignature("not an unsubscribe link")
    competition = payload.get("c")
    return payload["u"], competition if isinstance(competition, int) else None


def unsubscribe(user: Any, competition: Any = None) -> None:
    """No more announcements: from one competition, or from every competition."""
    if competition is not None:
        Unsubscription.objects.get_or_create(user=user, competition=competition)
        return
    prefs = preferences_of(user)
    prefs.announcement = False
    prefs.save()


def deliver_queued(limit: int = 200) -> int:
    """Sends up to `limit` queued messages, oldest first; returns how many went out.

    Safe with two senders at once: each message is claimed by one update before it is
    sent. A failure leaves the message queued for a later turn until MAX_ATTEMPTS.
    """
    stale = timezone.now() - SENDING_TIMEOUT
    Message.objects.filter(status=Message.Status.SENDING, claimed_at__lt=stale).update(
        status=Message.Status.QUEUED
    )
    ids = list(
        Message.objects.filter(status=Message.Status.QUEUED)
        .order_by("created", "id")
        .values_list("id", flat=True)[:limit]
    )
    sent = 0
    if not ids:
        return sent
    for pk in ids:
        claimed = Message.objects.filter(pk=pk, status=Message.Status.QUEUED).update(
            status=Message.Status.SENDING, claimed_at=timezone.now()
        )
        if not claimed:
            continue
        if _send(Message.objects.select_related("recipient", "competition").get(pk=pk)):
            sent += 1
    return sent


def _send(message: Message) -> bool:
    headers = {}
    if message.category == Category.ANNOUNCEMENT and message.recipient_id is not None:
        url = settings.SITE_URL.rstrip("/") + unsubscribe_path(
            message.recipient, message.competition
        )
        headers["List-Unsubscribe"] = f"<{url}>"
    email = EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers=headers,
    )
    try:
        mailers.default.send_messages([email])
    except Exception as error:  # any backend's failure: kept, tried again later
        attempts = message.attempts + 1
        status = Message.Status.FAILED if attempts >= MAX_ATTEMPTS else Message.Status.QUEUED
        Message.objects.filter(pk=message.pk).update(
            status=status, attempts=attempts, error=f"{type(error).__name__}: {error}"[:2000]
        )
        logger.warning(
            "mail %d to %s failed (attempt %d): %s", message.pk, message.to, attempts, error
        )
        return False
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT, attempts=message.attempts + 1, sent_at=timezone.now(), error=""
    )
    return True
