"""Accounts tests: rate limits count in the cache, so each test starts with an empty one."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.cache import cache

from podium.messaging.services import deliver_queued


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


def sent_mail() -> list[mail.EmailMessage]:
    """Delivers the outbox, as the scheduler does, and answers Django's test outbox."""
    deliver_queued()
    return list(mail.outbox)


def link_in(body: str) -> str:
    """The one link to this instance in a message, as a path."""
    (url,) = re.findall(r"http://127\.0\.0\.1:8000(/\S+)", body)
    return url
