"""Following threads, and the mail a new post sends to every follower but its author."""

from __future__ import annotations

import pytest
from django.core import mail

from podium.forums import services
from podium.forums.models import Follow, Forum
from podium.messaging.models import Category, Message, Preferences
from podium.messaging.services import deliver_queued
from podium.participation.models import Participant
from tests.factories import make_user
from tests.forums.conftest import make_thread

pytestmark = pytest.mark.django_db


def reply(client, thread, content="Same question here."):
    return client.post(f"/api/forum_threads/{thread.pk}/posts/", {"content": content})


def test_a_new_post_mails_every_follower_but_its_author(
    api, participant, rival, organizer, collaborator, competition
):
    thread = make_thread(competition=competition, author=participant, title="Data leak?")
    assert api(organizer).post(f"/api/forum_threads/{thread.pk}/follow/").status_code == 200
    response = reply(api(rival), thread, "The *labels* are in the inputs.")
    assert response.status_code == 201
    assert Message.objects.count() == 2  # queued in the request, nothing sent yet
    assert mail.outbox == []

    assert deliver_queued() == 2

    assert sorted(message.to[0] for message in mail.outbox) == [
        "olivia@example.org",
        "petra@example.org",
    ]
    message = mail.outbox[0]
    assert message.subject == "Published: new post in “Data leak?”"
    assert message.body == (
        "rita posted in “Data leak?”, in the forum of Published:\n"
        "\n"
        "The *labels* are in the inputs.\n"
        "\n"
        "-- \n"
        f"The thread: http://127.0.0.1:8000/api/forum_threads/{thread.pk}/posts/\n"
        "You receive this email because you follow this thread (you started it, posted in it "
        "or followed it). To stop following it: DELETE "
        f"http://127.0.0.1:8000/api/forum_threads/{thread.pk}/follow/; to receive no forum "
        "email, turn it off in your notification preferences: "
        "http://127.0.0.1:8000/api/notification_preferences/"
    )
    rows = Message.objects.order_by("to")
    assert [(row.category, row.competition, row.sender) for row in rows] == [
        (Category.FORUM, competition, rival),
        (Category.FORUM, competition, rival),
    ]
    assert collaborator.email not in [message.to[0] for message in mail.outbox]


def test_posting_follows_the_thread_so_the_next_post_mails_the_poster(
    api, participant, rival, competition
):
    thread = make_thread(competition=competition, author=participant)
    reply(api(rival), thread)
    deliver_queued()
    mail.outbox.clear()

    reply(api(participant), thread, "Thanks!")
    deliver_queued()

    assert [message.to for message in mail.outbox] == [["rita@example.org"]]


def test_a_follower_who_turned_forum_mail_off_is_skipped_by_the_outbox(
    api, participant, rival, competition
):
    thread = make_thread(competition=competition, author=participant)
    Preferences.objects.create(user=participant, forum=False)

    reply(api(rival), thread)

    assert deliver_queued() == 0
    assert mail.outbox == []
    (row,) = Message.objects.all()
    assert (row.status, row.error) == (Message.Status.SKIPPED, "the recipient turned this mail off")


def test_unfollowing_stops_the_mail_and_posting_again_follows_again(
    api, participant, rival, competition
):
    thread = make_thread(competition=competition, author=participant)

    response = api(participant).delete(f"/api/forum_threads/{thread.pk}/follow/")
    assert (response.status_code, response.json()["following"]) == (200, False)
    reply(api(rival), thread)
    assert Message.objects.count() == 0

    reply(api(participant), thread, "Back again.")
    assert Follow.objects.filter(user=participant, thread=thread).exists()
    reply(api(rival), thread, "Welcome back.")
    deliver_queued()
    # rita follows since her first reply; petra again since her second post
    assert [message.to for message in mail.outbox] == [
        ["rita@example.org"],
        ["petra@example.org"],
    ]


def test_following_twice_or_unfollowing_twice_changes_nothing(
    api, outsider, participant, competition
):
    thread = make_thread(competition=competition, author=participant)
    client = api(outsider)

    answers = [client.post(f"/api/forum_threads/{thread.pk}/follow/") for _ in range(2)]
    assert [(a.status_code, a.json()["following"]) for a in answers] == [(200, True)] * 2
    assert Follow.objects.filter(user=outsider).count() == 1
    answers = [client.delete(f"/api/forum_threads/{thread.pk}/follow/") for _ in range(2)]
    assert [(a.status_code, a.json()["following"]) for a in answers] == [(200, False)] * 2
    assert Follow.objects.filter(user=outsider).count() == 0


def test_a_follower_who_may_no_longer_read_the_forum_gets_no_mail(
    api, organizer, participant, rival, outsider, competition
):
    thread = make_thread(competition=competition, author=participant)
    api(outsider).post(f"/api/forum_threads/{thread.pk}/follow/")
    Forum.objects.filter(competition=competition).update(readers=Forum.Readers.PARTICIPANTS)
    Participant.objects.filter(user=participant).update(status=Participant.Status.REVOKED)

    reply(api(rival), thread, "Members only now.")

    assert list(Message.objects.values_list("to", flat=True)) == []
    reply(api(organizer), thread, "Indeed.")
    deliver_queued()
    assert [message.to for message in mail.outbox] == [["rita@example.org"]]


def test_an_admin_following_a_participants_only_forum_is_mailed(
    api, admin, participant, rival, competition
):
    Forum.objects.create(competition=competition, readers=Forum.Readers.PARTICIPANTS)
    thread = make_thread(competition=competition, author=participant)
    api(admin).post(f"/api/forum_threads/{thread.pk}/follow/")

    reply(api(rival), thread)
    deliver_queued()

    assert sorted(message.to[0] for message in mail.outbox) == [
        "ada@example.org",
        "petra@example.org",
    ]


def test_a_long_title_gives_a_subject_within_the_outboxs_limit(participant, rival, competition):
    competition.title = "C" * 256
    competition.save()
    thread = make_thread(competition=competition, author=participant, title="T" * 200)

    services.reply(thread=thread, by=rival, content="Long titles.")

    (row,) = Message.objects.all()
    assert len(row.subject) == 255
    assert row.subject.endswith("…")


def test_a_rolled_back_post_mails_nobody(participant, rival, competition, monkeypatch):
    thread = make_thread(competition=competition, author=participant)

    def broken(*args, **kwargs):
        raise RuntimeError("the outbox is full")

    monkeypatch.setattr(services.messaging, "queue_many", broken)
    with pytest.raises(RuntimeError, match="the outbox is full"):
        services.reply(thread=thread, by=rival, content="Lost.")

    assert thread.posts.count() == 1
    assert not Follow.objects.filter(user=rival).exists()


def test_new_users_follow_nothing(api, competition, participant):
    newcomer = make_user("nina")
    make_thread(competition=competition, author=participant)

    rows = api(newcomer).get(f"/api/forum_threads/?competition={competition.pk}").json()

    assert [row["following"] for row in rows["results"]] == [False]
