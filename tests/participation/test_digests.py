"""New registration requests reach the organizers in digests, as often as each one wants,
each request in exactly one digest per organizer, whatever the schedulers do."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from podium.core import scheduler
from podium.messaging.models import Category, Message, Preferences
from podium.messaging.services import deliver_queued
from podium.participation import notices, services
from podium.participation.models import Participant, RequestNotice
from tests.factories import make_competition, make_user

pytestmark = pytest.mark.django_db


def apply(name, competition):
    participant, _ = services.apply(
        user=make_user(name), competition=competition, accept_terms=True
    )
    return participant


def digests_to(user):
    return list(Message.objects.filter(category=Category.ORGANIZER, recipient=user).order_by("pk"))


def test_an_organizer_gets_one_digest_of_every_new_request_in_their_competitions(
    competition, organizer, collaborator
):
    other = make_competition(owner=organizer, title="Second")
    first, second = apply("ada", competition), apply("bob", competition)
    third = apply("carl", other)

    assert notices.send_digests() == 2
    deliver_queued()

    by_recipient = {email.to[0]: email for email in mail.outbox if "request" in email.subject}
    assert sorted(by_recipient) == ["colin@example.org", "olivia@example.org"]
    digest = by_recipient["olivia@example.org"]
    assert digest.subject == "3 new registration requests to review"

    def line(participant):
        when = participant.applications.get().submitted_at.strftime("%Y-%m-%d %H:%M UTC")
        user = participant.user
        return f"- {user.username} <{user.email}>, applied {when}"

    assert digest.body == (
        "New registration requests wait for your decision.\n\n"
        f"Published (2): http://127.0.0.1:8000/competitions/{competition.pk}/\n"
        f"{line(first)}\n{line(second)}\n"
        f"Review them: GET /api/participants/?competition={competition.pk}&status=pending, "
        "then approve or deny.\n\n"
        f"Second (1): http://127.0.0.1:8000/competitions/{other.pk}/\n"
        f"{line(third)}\n"
        f"Review them: GET /api/participants/?competition={other.pk}&status=pending, "
        "then approve or deny.\n\n"
        "Change how often these summaries come in your mail preferences "
        "(/api/notification_preferences/)."
    )
    assert by_recipient["colin@example.org"].subject == (
        "2 new registration requests to review in Published"
    )
    assert RequestNotice.objects.filter(handled_at__isnull=True).count() == 0
    assert notices.send_digests() == 0


def test_an_hourly_organizer_waits_an_hour_after_the_last_digest(competition, organizer):
    start = timezone.now()
    apply("ada", competition)
    notices.send_digests(now=start)
    apply("bob", competition)

    assert notices.send_digests(now=start + timedelta(minutes=59)) == 0
    assert notices.send_digests(now=start + timedelta(minutes=61)) == 2  # and the collaborator

    assert [message.subject for message in digests_to(organizer)] == [
        "1 new registration request to review in Published",
        "1 new registration request to review in Published",
    ]
    assert "bob" in digests_to(organizer)[1].body
    assert "ada" not in digests_to(organizer)[1].body


def test_a_daily_organizer_gets_one_digest_a_day(competition, organizer):
    Preferences.objects.create(user=organizer, organizer=Preferences.Digest.DAILY)
    start = timezone.now()
    apply("ada", competition)
    notices.send_digests(now=start)
    apply("bob", competition)
    apply("carl", competition)

    notices.send_digests(now=start + timedelta(hours=23))
    assert len(digests_to(organizer)) == 1
    notices.send_digests(now=start + timedelta(hours=24))

    assert [message.subject for message in digests_to(organizer)] == [
        "1 new registration request to review in Published",
        "2 new registration requests to review in Published",
    ]


def test_an_organizer_who_wants_no_digest_gets_none_and_nothing_piles_up(
    competition, organizer, collaborator
):
    Preferences.objects.create(user=organizer, organizer=Preferences.Digest.NEVER)
    apply("ada", competition)

    notices.send_digests()

    assert digests_to(organizer) == []
    assert len(digests_to(collaborator)) == 1
    assert RequestNotice.objects.filter(handled_at__isnull=True).count() == 0


def test_requests_decided_before_the_digest_are_left_out(competition, organizer, collaborator):
    decided = apply("ada", competition)
    apply("bob", competition)
    services.approve(decided, by=organizer)
    competition.collaborators.remove(collaborator)

    notices.send_digests()

    (digest,) = digests_to(organizer)
    assert digest.subject == "1 new registration request to review in Published"
    assert "bob" in digest.body
    assert "ada" not in digest.body
    assert digests_to(collaborator) == []


def test_a_request_whose_participant_withdrew_is_forgotten(competition, organizer):
    gone = apply("ada", competition)
    services.remove(gone, by=gone.user)

    assert notices.send_digests() == 0
    assert RequestNotice.objects.count() == 0


def test_the_scheduler_looks_for_due_digests_every_minute():
    (job,) = [job for job in scheduler.periodic_jobs() if job.name == "registration digests"]
    assert job.every == 60.0


@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_send_each_request_in_exactly_one_digest(
    competition, organizer, collaborator
):
    for name in ("ada", "bob", "carl"):
        apply(name, competition)
    barrier = threading.Barrier(2)
    written: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            count = notices.send_digests()
        finally:
            connection.close()
        with lock:
            written.append(count)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(written) in ([0, 2], [1, 1])
    for user in (organizer, collaborator):
        (digest,) = digests_to(user)
        assert digest.subject == "3 new registration requests to review in Published"
    assert set(RequestNotice.objects.values_list("digest", flat=True)) == set(
        Message.objects.filter(category=Category.ORGANIZER).values_list("batch", flat=True)
    )
    assert Participant.objects.filter(status="pending").count() == 3
