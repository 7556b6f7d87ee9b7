"""Contacting a competition's organizers or the platform's hosts: emailed with reply-to the
sender, recorded, and limited per sender."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from podium.messaging import services as messaging
from podium.messaging.models import Preferences
from podium.participation import outreach
from podium.participation.models import ContactRequest
from tests.factories import make_user

pytestmark = pytest.mark.django_db

MESSAGE = {"subject": "Data question", "body": "Is the test set balanced?"}


def test_a_user_contacts_the_competitions_address_with_reply_to_themselves(
    api, competition, outsider
):
    competition.contact_email = "help@clef.example.org"
    competition.save()

    response = api(outsider).post(
        f"/api/competitions/{competition.pk}/contact/", MESSAGE, format="json"
    )
    messaging.deliver_queued()

    assert response.status_code == 201
    assert {key: response.json()[key] for key in ("competition", "subject", "body")} == {
        "competition": competition.pk,
        **MESSAGE,
    }
    (email,) = mail.outbox
    assert (email.to, email.reply_to, email.subject) == (
        ["help@clef.example.org"],
        ["oscar@example.org"],
        "[Published] Data question",
    )
    assert email.body == (
        "oscar <oscar@example.org> wrote about Published through Podium's contact form. "
        "Reply to this email to answer them.\n\nIs the test set balanced?"
    )
    record = ContactRequest.objects.get()
    assert (record.sender, record.sender_email, record.recipients) == (
        outsider,
        "oscar@example.org",
        ["help@clef.example.org"],
    )


def test_without_a_contact_address_the_organizers_are_mailed_even_with_digests_off(
    api, competition, organizer, collaborator, participant
):
    Preferences.objects.create(user=organizer, organizer=Preferences.Digest.NEVER)

    api(participant).post(f"/api/competitions/{competition.pk}/contact/", MESSAGE, format="json")
    messaging.deliver_queued()

    assert sorted(email.to[0] for email in mail.outbox) == [
        "colin@example.org",
        "olivia@example.org",
    ]
    assert {tuple(email.reply_to) for email in mail.outbox} == {("petra@example.org",)}


def test_the_platform_form_mails_the_configured_address_or_else_the_admins(
    api, outsider, admin, settings
):
    settings.PLATFORM_CONTACT_EMAIL = "support@podium.example.org"
    api(outsider).post("/api/contact/", MESSAGE, format="json")
    settings.PLATFORM_CONTACT_EMAIL = ""
    response = api(outsider).post("/api/contact/", MESSAGE, format="json")
    messaging.deliver_queued()

    assert (response.status_code, response.json()["competition"]) == (201, None)
    assert [(email.to, email.subject, email.reply_to) for email in mail.outbox] == [
        (["support@podium.example.org"], "[Podium contact] Data question", ["oscar@example.org"]),
        (["ada@example.org"], "[Podium contact] Data question", ["oscar@example.org"]),
    ]
    assert ContactRequest.objects.filter(competition=None).count() == 2


def test_contact_requests_are_limited_per_user_with_a_clear_429(api, competition, outsider):
    client = api(outsider)
    for _ in range(4):
        assert client.post("/api/contact/", MESSAGE, format="json").status_code == 201
    fifth = client.post(f"/api/competitions/{competition.pk}/contact/", MESSAGE, format="json")
    sixth = client.post("/api/contact/", MESSAGE, format="json")
    other = api(make_user("zoe")).post("/api/contact/", MESSAGE, format="json")

    assert (fifth.status_code, other.status_code) == (201, 201)
    assert sixth.status_code == 429
    assert sixth.json() == {
        "detail": "you sent 5 contact requests in the last hour, the most allowed: try again "
        "in 60 minutes"
    }
    assert 3590 <= int(sixth["Retry-After"]) <= 3600
    assert ContactRequest.objects.filter(sender=outsider).count() == 5


def test_the_limit_frees_up_as_the_oldest_request_ages(api, outsider):
    client = api(outsider)
    for _ in range(5):
        client.post("/api/contact/", MESSAGE, format="json")
    oldest = ContactRequest.objects.order_by("created_at").first()
    ContactRequest.objects.filter(pk=oldest.pk).update(
        created_at=timezone.now() - outreach.CONTACT_WINDOW - timedelta(seconds=1)
    )
    ContactRequest.objects.exclude(pk=oldest.pk).update(
        created_at=timezone.now() - timedelta(minutes=50)
    )

    assert client.post("/api/contact/", MESSAGE, format="json").status_code == 201
    refused = client.post("/api/contact/", MESSAGE, format="json")
    assert refused.status_code == 429
    assert refused.json() == {
        "detail": "you sent 5 contact requests in the last hour, the most allowed: try again "
        "in 10 minutes"
    }
    assert 540 < int(refused["Retry-After"]) <= 600


def test_contacting_needs_a_signed_in_user_and_a_message(api, competition, outsider):
    anonymous = api(None).post("/api/contact/", MESSAGE, format="json")
    empty = api(outsider).post("/api/contact/", {"subject": "Hi"}, format="json")

    assert anonymous.status_code == 401
    assert (empty.status_code, empty.json()) == (400, {"body": ["This field is required."]})
    assert ContactRequest.objects.count() == 0
