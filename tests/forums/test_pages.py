"""The forum pages (/forums/<competition>/) through Django's test client: who may read and
write what, as in the forums API; every action goes through the forum's services; refusals
say why and change nothing; posts show as the sanitizer rendered them; each page costs a
handful of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from podium.audit.models import Action, AuditEntry
from podium.competitions.models import Competition
from podium.forums.models import Follow, Forum, Post, Revision, Thread
from podium.forums.services import POSTS_PER_WINDOW
from tests.factories import make_user
from tests.forums.conftest import make_post, make_thread

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, object]:
    """Everything a forum page could change."""
    return {
        "forums": sorted(Forum.objects.values_list("pk", "readers", "participants_may_post")),
        "threads": sorted(
            Thread.objects.values_list("pk", "title", "pinned", "locked", "deleted_at")
        ),
        "posts": sorted(Post.objects.values_list("pk", "content", "html", "deleted_at")),
        "revisions": Revision.objects.count(),
        "follows": sorted(Follow.objects.values_list("user", "thread")),
        "audit": AuditEntry.objects.count(),
    }


def index(competition: Competition) -> str:
    return f"/forums/{competition.pk}/"


def at(thread: Thread, action: str = "") -> str:
    return f"/forums/{thread.forum.competition_id}/threads/{thread.pk}/{action}"


def as_user(client, user):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client


def only_participants(competition: Competition, *, may_post: bool = True) -> None:
    Forum.objects.update_or_create(
        competition=competition,
        defaults={"readers": Forum.Readers.PARTICIPANTS, "participants_may_post": may_post},
    )


@pytest.fixture
def thread(competition, participant) -> Thread:
    return make_thread(competition=competition, author=participant)


# Reading


ROLES = ("anonymous", "outsider", "pending", "participant", "collaborator", "organizer", "admin")


def test_a_public_forum_is_read_by_anyone_who_sees_the_competition(client, personas, thread):
    for role in ROLES:
        as_user(client, personas[role])
        listing = client.get(index(thread.forum.competition))
        page = client.get(at(thread))
        assert (role, listing.status_code, page.status_code) == (role, 200, 200)
        assert "Is the test set balanced?" in listing.content.decode()
        assert "<p>It looks <em>skewed</em> to me.</p>" in page.content.decode()


def test_the_forum_page_is_at_the_path_the_forum_tab_links_to(client, competition, thread):
    assert reverse("forums:index", kwargs={"pk": competition.pk}) == f"/forums/{competition.pk}/"
    page = client.get(f"/forums/{competition.pk}/").content.decode()
    assert f'<a href="/competitions/{competition.pk}/">Published</a>' in page


def test_a_participants_only_forum_asks_to_log_in_and_tells_others_why_not(
    client, personas, thread
):
    competition = thread.forum.competition
    only_participants(competition)
    answers = {}
    for role in ROLES:
        as_user(client, personas[role])
        answers[role] = (
            client.get(index(competition)).status_code,
            client.get(at(thread)).status_code,
        )
    assert answers == {
        "anonymous": (302, 302),
        "outsider": (403, 403),
        "pending": (403, 403),
        "participant": (200, 200),
        "collaborator": (200, 200),
        "organizer": (200, 200),
        "admin": (200, 200),
    }
    as_user(client, personas["pending"])
    assert (
        "only the approved participants and the organizers of this competition may read its forum"
        in client.get(index(competition)).content.decode()
    )


def test_an_unpublished_competitions_forum_is_not_found_but_by_its_organizers(
    client, personas, draft
):
    thread = make_thread(competition=draft, author=personas["organizer"])
    for role in ROLES:
        as_user(client, personas[role])
        expected = 200 if role in ("collaborator", "organizer", "admin") else 404
        assert client.get(index(draft)).status_code == expected, role
        assert client.get(at(thread)).status_code == expected, role


def test_a_turned_off_forum_is_not_found_for_anyone(client, personas, thread):
    Competition.objects.filter(pk=thread.forum.competition_id).update(forum_enabled=False)
    before = snapshot()
    for role in ROLES:
        as_user(client, personas[role])
        assert client.get(index(thread.forum.competition)).status_code == 404, role
        assert client.get(at(thread)).status_code == 404, role
    as_user(client, personas["organizer"])
    assert client.post(at(thread, "reply/"), {"content": "Hello?"}).status_code == 404
    assert client.post(at(thread, "pin/"), {"set": "on"}).status_code == 404
    assert snapshot() == before


def test_a_deleted_thread_and_another_competitions_thread_are_not_found(
    client, organizer, competition, thread
):
    other = make_thread(
        competition=Competition.objects.create(title="Other", created_by=organizer, published=True),
        author=organizer,
    )
    as_user(client, organizer)
    assert client.get(f"/forums/{competition.pk}/threads/{other.pk}/").status_code == 404
    Thread.objects.filter(pk=thread.pk).update(deleted_at=thread.created_at)
    assert client.get(at(thread)).status_code == 404
    assert "Is the test set balanced?" not in client.get(index(competition)).content.decode()


def test_the_list_shows_pinned_threads_first_and_pages_twenty_five_at_a_time(
    client, competition, participant, django_assert_max_num_queries
):
    threads = [
        make_thread(competition=competition, author=participant, title=f"Thread {n:02}")
        for n in range(27)
    ]
    Thread.objects.filter(pk=threads[0].pk).update(pinned=True)
    as_user(client, participant)
    with django_assert_max_num_queries(7):
        first = client.get(index(competition))
    titles = [thread.title for thread in first.context["page"].object_list]
    assert titles[:3] == ["Thread 00", "Thread 26", "Thread 25"]
    assert len(titles) == 25
    second = client.get(index(competition) + "?page=2")
    assert [thread.title for thread in second.context["page"].object_list] == [
        "Thread 02",
        "Thread 01",
    ]
    assert 'rel="next"' in first.content.decode()


def test_a_thread_pages_its_posts_thirty_at_a_time(
    client, competition, participant, rival, thread, django_assert_max_num_queries
):
    for number in range(31):
        make_post(thread=thread, author=rival, content=f"Reply {number}")
    as_user(client, participant)
    with django_assert_max_num_queries(9):
        first = client.get(at(thread))
    assert len(first.context["page"].object_list) == 30
    last = client.get(at(thread) + "?page=2")
    assert [post.content for post in last.context["page"].object_list] == ["Reply 29", "Reply 30"]


# Writing


def test_a_participant_starts_a_thread_and_follows_it(client, participant, competition):
    as_user(client, participant)
    assert client.get(index(competition) + "new/").status_code == 200
    response = client.post(
        index(competition) + "new/", {"title": "  Data  leak? ", "content": "See **this**."}
    )
    thread = Thread.objects.get()
    assert response.status_code == 302
    assert response["Location"] == at(thread)
    assert (thread.title, thread.author) == ("Data leak?", participant)
    assert list(thread.posts.values_list("content", "html")) == [
        ("See **this**.", "<p>See <strong>this</strong>.</p>")
    ]
    assert Follow.objects.filter(user=participant, thread=thread).exists()
    assert "Your thread is started; you follow it." in client.get(at(thread)).content.decode()


@pytest.mark.parametrize(
    ("role", "status", "reason"),
    [
        ("outsider", 403, "register for the competition first"),
        ("pending", 403, "your registration is pending"),
        ("anonymous", 302, ""),
    ],
)
def test_who_may_not_post_is_told_why_and_starts_nothing(
    client, personas, competition, role, status, reason
):
    as_user(client, personas[role])
    before = snapshot()
    page = client.get(index(competition)).content.decode()
    response = client.post(index(competition) + "new/", {"title": "Hi", "content": "Hello"})
    assert response.status_code == status
    if reason:
        assert reason in page
        assert reason in response.content.decode()
    else:
        assert response["Location"].startswith("/accounts/login/?next=")
    assert snapshot() == before


def test_participants_may_not_post_where_the_organizers_turned_it_off(
    client, participant, organizer, competition
):
    only_participants(competition, may_post=False)
    as_user(client, participant)
    before = snapshot()
    response = client.post(index(competition) + "new/", {"title": "Hi", "content": "Hello"})
    assert response.status_code == 403
    assert "do not let participants post in its forum" in response.content.decode()
    assert snapshot() == before
    as_user(client, organizer)
    assert (
        client.post(
            index(competition) + "new/", {"title": "Rules", "content": "Read them"}
        ).status_code
        == 302
    )


def test_an_empty_title_or_post_is_refused_with_the_field_named(client, participant, competition):
    as_user(client, participant)
    before = snapshot()
    response = client.post(index(competition) + "new/", {"title": "   ", "content": "Body"})
    assert response.status_code == 400
    assert "The title is empty." in response.content.decode()
    response = client.post(index(competition) + "new/", {"title": "Fine", "content": "\x07"})
    assert response.status_code == 400
    assert "The post holds the control character U+0007." in response.content.decode()
    response = client.post(index(competition) + "new/", {"title": "Fine", "content": "\x00"})
    assert response.status_code == 400
    assert "Null characters are not allowed." in response.content.decode()
    assert snapshot() == before


def test_a_reply_lands_at_the_end_of_the_thread(client, rival, thread):
    as_user(client, rival)
    response = client.post(at(thread, "reply/"), {"content": "Looks *balanced* to me."})
    post = Post.objects.get(author=rival)
    assert response.status_code == 302
    assert response["Location"] == at(thread) + f"?page=1#post-{post.pk}"
    assert post.html == "<p>Looks <em>balanced</em> to me.</p>"
    assert Follow.objects.filter(user=rival, thread=thread).exists()


def test_an_empty_reply_is_refused_and_posts_nothing(client, rival, thread):
    as_user(client, rival)
    before = snapshot()
    response = client.post(at(thread, "reply/"), {"content": "  \n "})
    assert response.status_code == 400
    assert "The post is empty." in response.content.decode()
    assert snapshot() == before


def test_a_hostile_post_is_shown_sanitized(client, rival, thread):
    as_user(client, rival)
    client.post(
        at(thread, "reply/"),
        {
            "content": "<script>alert('x')</script>[click](javascript:alert('y')) "
            '<img src=x onerror="alert(1)">'
        },
    )
    post = Post.objects.get(author=rival)
    page = client.get(at(thread)).content.decode()
    for hostile in ("<script>alert", "javascript:", "onerror"):
        assert hostile not in post.html
        assert hostile not in page


def test_a_locked_thread_takes_replies_from_moderators_only(client, rival, organizer, thread):
    Thread.objects.filter(pk=thread.pk).update(locked=True)
    as_user(client, rival)
    before = snapshot()
    page = client.get(at(thread)).content.decode()
    assert "This thread is locked: no new posts." in page
    response = client.post(at(thread, "reply/"), {"content": "Let me in"})
    assert response.status_code == 403
    assert "This thread is locked: no new posts." in response.content.decode()
    assert snapshot() == before
    as_user(client, organizer)
    assert client.post(at(thread, "reply/"), {"content": "Closing this."}).status_code == 302


def test_posting_too_fast_is_refused_with_the_time_to_wait(client, rival, thread):
    for number in range(POSTS_PER_WINDOW):
        make_post(thread=thread, author=rival, content=f"Spam {number}")
    as_user(client, rival)
    before = snapshot()
    response = client.post(at(thread, "reply/"), {"content": "One more"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "You are posting too fast" in response.content.decode()
    assert snapshot() == before


def test_an_author_edits_their_post_and_nobody_else_may(client, participant, rival, thread):
    post = thread.posts.get()
    as_user(client, rival)
    before = snapshot()
    assert (
        client.get(f"/forums/{thread.forum.competition_id}/posts/{post.pk}/edit/").status_code
        == 403
    )
    assert (
        client.post(
            f"/forums/{thread.forum.competition_id}/posts/{post.pk}/edit/", {"content": "Mine now"}
        ).status_code
        == 403
    )
    assert snapshot() == before
    as_user(client, participant)
    edit = f"/forums/{thread.forum.competition_id}/posts/{post.pk}/edit/"
    assert "It looks *skewed* to me." in client.get(edit).content.decode()
    response = client.post(edit, {"content": "It looks *fine*."})
    assert response.status_code == 302
    post.refresh_from_db()
    assert (post.content, post.html) == ("It looks *fine*.", "<p>It looks <em>fine</em>.</p>")
    assert list(Revision.objects.values_list("content", flat=True)) == ["It looks *skewed* to me."]


# Following


def test_a_reader_unfollows_and_follows_a_thread(client, participant, outsider, thread):
    as_user(client, participant)
    assert client.post(at(thread, "follow/"), {"follow": "off"}).status_code == 302
    assert not Follow.objects.filter(user=participant).exists()
    assert client.post(at(thread, "follow/"), {"follow": "on"}).status_code == 302
    assert Follow.objects.filter(user=participant, thread=thread).exists()
    only_participants(thread.forum.competition)
    as_user(client, outsider)
    before = snapshot()
    assert client.post(at(thread, "follow/"), {"follow": "on"}).status_code == 403
    assert snapshot() == before


def test_changes_need_a_post(client, organizer, thread):
    as_user(client, organizer)
    before = snapshot()
    for action in ("reply/", "follow/", "pin/", "lock/", "delete/"):
        assert client.get(at(thread, action)).status_code == 405, action
    assert snapshot() == before


# Moderation


def test_an_organizer_pins_locks_and_undoes_both_each_in_the_audit_log(
    client, collaborator, thread
):
    as_user(client, collaborator)
    for action, value in (("pin/", "on"), ("lock/", "on")):
        assert client.post(at(thread, action), {"set": value}).status_code == 302
    thread.refresh_from_db()
    assert (thread.pinned, thread.locked) == (True, True)
    page = client.get(at(thread)).content.decode()
    assert "Thread locked: only moderators may post in it." in page
    assert ">Unpin</button>" in page
    assert ">Unlock</button>" in page
    for action in ("pin/", "lock/"):
        client.post(at(thread, action), {"set": "off"})
    thread.refresh_from_db()
    assert (thread.pinned, thread.locked) == (False, False)
    assert list(AuditEntry.objects.order_by("pk").values_list("action", "actor_name")) == [
        (Action.FORUM_THREAD_PIN, "colin"),
        (Action.FORUM_THREAD_LOCK, "colin"),
        (Action.FORUM_THREAD_UNPIN, "colin"),
        (Action.FORUM_THREAD_UNLOCK, "colin"),
    ]


@pytest.mark.parametrize("role", ["participant", "pending", "outsider"])
def test_who_is_not_an_organizer_may_not_moderate(client, personas, rival, thread, role):
    reply = make_post(thread=thread, author=rival)
    as_user(client, personas[role])
    before = snapshot()
    competition = thread.forum.competition_id
    answers = [
        client.post(at(thread, "pin/"), {"set": "on"}).status_code,
        client.post(at(thread, "lock/"), {"set": "on"}).status_code,
        client.post(f"/forums/{competition}/posts/{reply.pk}/delete/").status_code,
        client.post(f"/forums/{competition}/settings/", {"readers": "participants"}).status_code,
    ]
    assert answers == [403, 403, 403, 403]
    assert snapshot() == before
    page = client.get(at(thread)).content.decode()
    assert ">Pin</button>" not in page


def test_a_moderator_deletes_a_post_which_stays_as_a_placeholder(client, organizer, rival, thread):
    reply = make_post(thread=thread, author=rival, content="Rude words")
    as_user(client, organizer)
    response = client.post(f"/forums/{thread.forum.competition_id}/posts/{reply.pk}/delete/")
    assert response.status_code == 302
    page = client.get(at(thread)).content.decode()
    assert "This post was deleted by a moderator." in page
    assert "Rude words" not in page
    assert AuditEntry.objects.get().action == Action.FORUM_POST_DELETE


def test_an_author_deletes_their_thread_only_while_nobody_else_posted(
    client, participant, rival, thread
):
    as_user(client, participant)
    make_post(thread=thread, author=rival)
    before = snapshot()
    response = client.post(at(thread, "delete/"))
    assert response.status_code == 409
    assert "Others have posted in this thread" in response.content.decode()
    assert snapshot() == before
    alone = make_thread(competition=thread.forum.competition, author=participant, title="Oops")
    assert client.post(at(alone, "delete/")).status_code == 302
    assert client.get(at(alone)).status_code == 404


def test_a_moderator_deletes_a_thread(client, organizer, thread):
    as_user(client, organizer)
    response = client.post(at(thread, "delete/"))
    assert response.status_code == 302
    assert response["Location"] == index(thread.forum.competition)
    assert client.get(at(thread)).status_code == 404
    assert AuditEntry.objects.get().action == Action.FORUM_THREAD_DELETE


def test_an_organizer_sets_who_may_read_and_post(client, organizer, participant, competition):
    as_user(client, organizer)
    response = client.post(index(competition) + "settings/", {"readers": "participants"})
    assert response.status_code == 302
    forum = Forum.objects.get(competition=competition)
    assert (forum.readers, forum.participants_may_post) == ("participants", False)
    as_user(client, make_user("nosy"))
    assert client.get(index(competition)).status_code == 403


def test_each_page_reads_a_handful_of_queries(
    client, participant, rival, collaborator, thread, django_assert_max_num_queries
):
    for number in range(10):
        make_post(thread=thread, author=rival, content=f"Reply {number}")
    for user in (None, participant, collaborator):
        as_user(client, user)
        with django_assert_max_num_queries(7):
            assert client.get(index(thread.forum.competition)).status_code == 200
        with django_assert_max_num_queries(9):
            assert client.get(at(thread)).status_code == 200
