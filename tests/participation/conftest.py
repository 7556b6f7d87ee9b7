"""Helpers for the registration tests: a competition with terms and a form, the outbox, and
users' verified addresses."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from podium.accounts.models import User
from podium.messaging.services import deliver_queued
from podium.participation import rules, services

TERMS = "Use the data for research only. Cite the overview paper."
QUESTIONS = [
    rules.Question(key="affiliation", label="Affiliation", kind="text", required=True),
    rules.Question(
        key="track",
        label="Track",
        kind="single_choice",
        required=True,
        choices=("medical", "caption"),
    ),
    rules.Question(key="eua", label="I signed the end-user agreement", kind="checkbox"),
]


@pytest.fixture
def with_form(competition):
    """The published competition, with terms and a three-question registration form."""
    competition.terms = TERMS
    competition.contact_email = "clef@example.org"
    competition.save()
    services.set_questions(competition, questions=QUESTIONS)
    return competition


@pytest.fixture
def sent() -> Callable[[], list[tuple[str, str]]]:
    """`sent()` delivers the outbox and returns (recipient, subject) of each email it sent
    since the last call, in order."""

    def deliver() -> list[tuple[str, str]]:
        deliver_queued()
        emails = [(email.to[0], email.subject) for email in mail.outbox]
        mail.outbox.clear()
        return emails

    return deliver


def set_addresses(
    user: User, *, verified: Sequence[str] = (), unverified: Sequence[str] = ()
) -> None:
    """The user's addresses as the accounts app records them (django-allauth)."""
    EmailAddress.objects.filter(user=user).delete()
    for address in verified:
        EmailAddress.objects.create(user=user, email=address, verified=True)
    for address in unverified:
        EmailAddress.objects.create(user=user, email=address, verified=False)
