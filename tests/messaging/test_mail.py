from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from podium.core import scheduler
from podium.messaging import services
from podium.messaging.models import Category, Message, Preferences
from tests.factories import make_competition, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada(db):
    user = make_user("ada")
    user.email = "ada@example.org"
    user.save()
    return user


def test_a_queued_message_is_sent_by_the_background_job_and_recorded(ada):
    message = services.queue(
        ada, category=Category.REGISTRATION, subject="Approved", body="You are in."
    )
    assert mail.outbox == []  # nothing leaves inside the request

    assert services.deliver_queued() == 1

    (sent,) = mail.outbox
    assert (sent.to, sent.subject, sent.body) == (["ada@example.org"], "Approved", "You are in.")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.to) == (Message.Status.SENT, 1, ada.email)
    assert message.sent_at is not None
    assert services.deliver_queued() == 0
    assert len(mail.outbox) == 1


def test_a_change_rolled_back_sends_nothing(ada):
    def approve() -> None:
        with transaction.atomic():
            services.queue(ada, category=Category.REGISTRATION, subject="Approved", body="In.")
            raise RuntimeError("the approval failed")

    with pytest.raises(RuntimeError, match="the approval failed"):
        approve()

    assert Message.objects.count() == 0
    assert services.deliver_queued() == 0


def test_mail_a_user_turned_off_is_recorded_as_skipped_and_not_sent(ada):
    Preferences.objects.create(user=ada, registration=False, forum=False)

    off = services.queue(ada, category=Category.REGISTRATION, subject="Denied", body="No.")
    forum = services.queue(ada, category=Category.FORUM, subject="New post", body="Hi.")
    services.queue(ada, category=Category.ACCOUNT, subject="Reset", body="Link.")
    services.deliver_queued()

    assert [email.subject for email in mail.outbox] == ["Reset"]
    for message in (off, forum):
        message.refresh_from_db()
        assert (message.status, message.error) == (
            Message.Status.SKIPPED,
            "the recipient turned this mail off",
        )


def test_users_without_an_address_or_inactive_are_skipped_with_the_reason(ada):
    nomail = make_user("nomail")
    nomail.email = ""
    nomail.save()
    ada.is_active = False
    ada.save()

    first = services.queue(nomail, category=Category.ACCOUNT, subject="Hi", body="Hi")
    second = services.queue(ada, category=Category.ACCOUNT, subject="Hi", body="Hi")

    assert (first.status, first.error) == (Message.Status.SKIPPED, "no email address")
    assert (second.status, second.error) == (Message.Status.SKIPPED, "the account is inactive")
    assert services.deliver_queued() == 0


def test_an_address_that_is_not_a_user_is_mailed(db):
    services.queue("team@example.org", category=Category.INVITATION, subject="Join", body="Y")
    services.deliver_queued()
    assert [email.to for email in mail.outbox] == [["team@example.org"]]


def test_subjects_are_one_line_and_empty_or_huge_messages_are_refused(ada):
    message = services.queue(
        ada, category=Category.ACCOUNT, subject="Hi\r\nBcc: x@evil.test", body="Body"
    )
    assert message.subject == "Hi Bcc: x@evil.test"
    with pytest.raises(services.MailError, match="The subject is empty"):
        services.queue(ada, category=Category.ACCOUNT, subject=" \n", body="Body")
    with pytest.raises(services.MailError, match="The message is empty"):
        services.queue(ada, category=Category.ACCOUNT, subject="Hi", body="  ")
    with pytest.raises(services.MailError, match="at most 100000"):
        services.queue(ada, category=Category.ACCOUNT, subject="Hi", body="x" * 100_001)
    services.deliver_queued()
    (sent,) = mail.outbox
    assert sent.message()["Bcc"] is None


def test_an_announcement_carries_an_unsubscribe_link_that_asks_before_it_acts(ada, client):
    owner = make_user("owner")
    first = make_competition(owner=owner, title="First")
    second = make_competition(owner=owner, title="Second")

    services.queue(
        ada, category=Category.ANNOUNCEMENT, subject="News", body="Hello", competition=first
    )
    services.deliver_queued()
    (sent,) = mail.outbox
    link = sent.message()["List-Unsubscribe"].strip("<>")
    path = link.removeprefix("http://127.0.0.1:8000")
    assert path.startswith("/mail/unsubscribe/")
    assert link in sent.body
    assert "the organizers of First" in sent.body

    page = client.get(path)
    assert page.status_code == 200
    assert b"Stop emails from the organizers of <strong>First</strong>" in page.content
    assert ada.unsubscriptions.count() == 0  # a link scanner's GET changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content

    muted = services.queue(
        ada, category=Category.ANNOUNCEMENT, subject="More", body="Hello", competition=first
    )
    other = services.queue(
        ada, category=Category.ANNOUNCEMENT, subject="Other", body="Hello", competition=second
    )
    assert muted.status == Message.Status.SKIPPED
    assert other.status == Message.Status.QUEUED


def test_a_forged_unsubscribe_link_is_refused(ada, client):
    token = services.unsubscribe_token(ada)
    response = client.post(f"/mail/unsubscribe/{token[:-2]}xx/")
    assert response.status_code == 404
    assert b"This link is not valid" in response.content
    assert services.preferences_of(ada).announcement is True


def test_a_link_without_a_competition_turns_every_announcement_off(ada, client):
    client.post(services.unsubscribe_path(ada))
    assert services.preferences_of(ada).announcement is False
    message = services.queue(ada, category=Category.ANNOUNCEMENT, subject="Hi", body="Hi")
    assert message.status == Message.Status.SKIPPED


def test_a_mail_server_that_is_down_loses_nothing_and_gives_up_after_five_tries(ada, settings):
    settings.MAILERS = {"default": {"BACKEND": "tests.messaging.backends.DownBackend"}}
    message = services.queue(ada, category=Category.ACCOUNT, subject="Hi", body="Hi")

    assert services.deliver_queued() == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.QUEUED, 1)
    assert message.error == "ConnectionRefusedError: the mail server refused the connection"
    for _ in range(4):
        services.deliver_queued()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.FAILED, 5)


def test_a_message_whose_sender_died_is_sent_again_later(ada):
    message = services.queue(ada, category=Category.ACCOUNT, subject="Hi", body="Hi")
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, claimed_at=timezone.now() - timedelta(minutes=11)
    )
    recent = services.queue(ada, category=Category.ACCOUNT, subject="Now", body="Hi")
    Message.objects.filter(pk=recent.pk).update(
        status=Message.Status.SENDING, claimed_at=timezone.now()
    )

    assert services.deliver_queued() == 1
    assert [email.subject for email in mail.outbox] == ["Hi"]


def test_one_email_to_many_reaches_each_recipient_once_in_one_batch(ada):
    bob = make_user("bob")
    bob.email = "bob@example.org"
    bob.save()

    messages = services.queue_many(
        [ada, bob, ada], category=Category.ACCOUNT, subject="Hi", body="Hi"
    )

    assert [message.recipient for message in messages] == [ada, bob]
    assert len({message.batch for message in messages}) == 1
    services.deliver_queued()
    assert sorted(email.to[0] for email in mail.outbox) == ["ada@example.org", "bob@example.org"]


def test_the_scheduler_sends_mail_every_two_seconds():
    (job,) = [job for job in scheduler.periodic_jobs() if job.name == "send mail"]
    assert job.every == 2.0


def test_the_preferences_api_reads_and_changes_the_callers_choices(ada, api):
    client = api(ada)
    assert client.get("/api/notification_preferences/").json() == {
        "registration": True,
        "announcement": True,
        "forum": True,
        "submission": False,
        "organizer": "hourly",
        "unsubscribed_competitions": [],
    }

    changed = client.patch(
        "/api/notification_preferences/", {"forum": False, "organizer": "daily"}, format="json"
    )
    assert changed.status_code == 200
    assert (changed.json()["forum"], changed.json()["organizer"]) == (False, "daily")
    prefs = Preferences.objects.get(user=ada)
    assert (prefs.forum, prefs.organizer, prefs.registration) == (False, "daily", True)

    bad = client.patch("/api/notification_preferences/", {"organizer": "weekly"}, format="json")
    assert bad.status_code == 400
    assert "organizer" in bad.json()


def test_the_preferences_api_needs_a_signed_in_caller(api):
    assert api(None).get("/api/notification_preferences/").status_code == 401
