"""Pinning, locking, deleting: the moderators (organizers, platform admins) and the authors,
each moderator's act in the audit log."""

from __future__ import annotations

import pytest

from podium.audit.models import Action, AuditEntry
from podium.forums import services
from podium.forums.models import DeletedAs, Post, Thread
from tests.forums.conftest import make_post, make_thread

pytestmark = pytest.mark.django_db


def audit_trail() -> list[tuple[str, str, str, int | None]]:
    return [
        (entry.actor_name, entry.action, entry.target_type, entry.target_id)
        for entry in AuditEntry.objects.order_by("pk")
    ]


def test_a_moderator_pins_and_unpins_a_thread_once_each_in_the_audit_log(
    api, collaborator, participant, competition
):
    thread = make_thread(competition=competition, author=participant)
    client = api(collaborator)

    pinned = [client.post(f"/api/forum_threads/{thread.pk}/pin/") for _ in range(2)]
    unpinned = client.delete(f"/api/forum_threads/{thread.pk}/pin/")

    assert [(r.status_code, r.json()["pinned"]) for r in pinned] == [(200, True)] * 2
    assert (unpinned.status_code, unpinned.json()["pinned"]) == (200, False)
    assert audit_trail() == [
        ("colin", Action.FORUM_THREAD_PIN, "thread", thread.pk),
        ("colin", Action.FORUM_THREAD_UNPIN, "thread", thread.pk),
    ]
    entry = AuditEntry.objects.first()
    assert (entry.competition_id, entry.details) == (
        competition.pk,
        {"title": "Is the test set balanced?"},
    )


def test_a_locked_thread_takes_posts_from_the_moderators_only(
    api, organizer, participant, rival, competition
):
    thread = make_thread(competition=competition, author=participant)

    locked = api(organizer).post(f"/api/forum_threads/{thread.pk}/lock/")
    refused = api(participant).post(f"/api/forum_threads/{thread.pk}/posts/", {"content": "But"})
    moderator = api(organizer).post(f"/api/forum_threads/{thread.pk}/posts/", {"content": "Done."})

    assert (locked.status_code, locked.json()["locked"]) == (200, True)
    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "this thread is locked: no new posts"},
    )
    assert moderator.status_code == 201
    assert list(thread.posts.values_list("author__username", flat=True)) == ["petra", "olivia"]
    first = thread.posts.first()
    edited = api(participant).patch(f"/api/forum_posts/{first.pk}/", {"content": "Edited."})
    assert edited.status_code == 200
    unlocked = api(organizer).delete(f"/api/forum_threads/{thread.pk}/lock/")
    assert unlocked.json()["locked"] is False
    assert (
        api(rival).post(f"/api/forum_threads/{thread.pk}/posts/", {"content": "Ok"}).status_code
        == 201
    )
    assert [action for _, action, _, _ in audit_trail()] == [
        Action.FORUM_THREAD_LOCK,
        Action.FORUM_THREAD_UNLOCK,
    ]


def test_participants_may_not_pin_or_lock(api, participant, competition):
    thread = make_thread(competition=competition, author=participant)

    pin = api(participant).post(f"/api/forum_threads/{thread.pk}/pin/")
    lock = api(participant).post(f"/api/forum_threads/{thread.pk}/lock/")

    assert (pin.status_code, pin.json()) == (
        403,
        {"detail": "only the organizers of this competition may pin threads"},
    )
    assert (lock.status_code, lock.json()) == (
        403,
        {"detail": "only the organizers of this competition may lock threads"},
    )
    thread.refresh_from_db()
    assert (thread.pinned, thread.locked) == (False, False)
    assert audit_trail() == []


def test_a_post_deleted_by_a_moderator_stays_as_a_placeholder_with_its_text_kept(
    api, admin, participant, rival, competition
):
    thread = make_thread(competition=competition, author=participant)
    post = make_post(thread=thread, author=rival, content="Rude words.")

    response = api(admin).delete(f"/api/forum_posts/{post.pk}/")

    assert response.status_code == 204
    post.refresh_from_db()
    assert (post.deleted_as, post.deleted_by, post.content) == (
        DeletedAs.MODERATOR,
        admin,
        "Rude words.",
    )
    shown = api(participant).get(f"/api/forum_threads/{thread.pk}/posts/").json()["results"]
    assert [(row["author"], row["content"], row["html"], row["deleted_as"]) for row in shown] == [
        ("petra", "It looks *skewed* to me.", "<p>It looks <em>skewed</em> to me.</p>", None),
        ("rita", "", "", "moderator"),
    ]
    listed = api(participant).get(f"/api/forum_threads/?competition={competition.pk}").json()
    assert listed["results"][0]["post_count"] == 1
    assert audit_trail() == [("ada", Action.FORUM_POST_DELETE, "post", post.pk)]
    assert AuditEntry.objects.get().details == {"thread": thread.pk, "author": "rita"}


def test_an_author_deletes_their_own_post_without_an_audit_entry(api, participant, competition):
    thread = make_thread(competition=competition, author=participant)
    post = make_post(thread=thread, author=participant, content="Oops.")

    first = api(participant).delete(f"/api/forum_posts/{post.pk}/")
    again = api(participant).delete(f"/api/forum_posts/{post.pk}/")

    assert (first.status_code, again.status_code) == (204, 204)
    shown = api(participant).get(f"/api/forum_posts/{post.pk}/").json()
    assert (shown["content"], shown["deleted_as"]) == ("", "author")
    assert shown["deleted_at"] is not None
    assert audit_trail() == []
    edit = api(participant).patch(f"/api/forum_posts/{post.pk}/", {"content": "Back."})
    assert (edit.status_code, edit.json()) == (409, {"detail": "this post was deleted"})


def test_nobody_else_deletes_a_post(api, participant, rival, pending, competition):
    post = make_thread(competition=competition, author=participant).posts.get()

    for user in (rival, pending):
        response = api(user).delete(f"/api/forum_posts/{post.pk}/")
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "only its author or a moderator may delete a post"},
        )
    post.refresh_from_db()
    assert post.deleted_at is None


def test_an_author_deletes_their_thread_until_someone_else_replies(
    api, participant, rival, competition
):
    lonely = make_thread(competition=competition, author=participant, title="Lonely")
    make_post(thread=lonely, author=participant, content="Anyone?")
    answered = make_thread(competition=competition, author=participant, title="Answered")
    make_post(thread=answered, author=rival)

    deleted = api(participant).delete(f"/api/forum_threads/{lonely.pk}/")
    refused = api(participant).delete(f"/api/forum_threads/{answered.pk}/")

    assert deleted.status_code == 204
    assert (refused.status_code, refused.json()) == (
        409,
        {
            "detail": "others have posted in this thread: only a moderator may delete it "
            "now; you may delete your own posts"
        },
    )
    lonely.refresh_from_db()
    assert (lonely.deleted_as, lonely.deleted_by) == (DeletedAs.AUTHOR, participant)
    assert Thread.objects.get(pk=answered.pk).deleted_at is None
    gone = api(participant).get(f"/api/forum_threads/{lonely.pk}/")
    assert (gone.status_code, gone.json()) == (404, {"detail": "this thread was deleted"})
    assert audit_trail() == []


def test_a_moderator_deletes_a_thread_with_its_posts_out_of_sight_and_on_record(
    api, organizer, participant, rival, competition
):
    thread = make_thread(competition=competition, author=participant, title="Cheating tips")
    post = make_post(thread=thread, author=rival)

    response = api(organizer).delete(f"/api/forum_threads/{thread.pk}/")

    assert response.status_code == 204
    thread.refresh_from_db()
    assert (thread.deleted_as, thread.deleted_by) == (DeletedAs.MODERATOR, organizer)
    assert Post.objects.filter(thread=thread).count() == 2
    listed = api(rival).get(f"/api/forum_threads/?competition={competition.pk}").json()
    assert listed == {"count": 0, "next": None, "previous": None, "results": []}
    for path in (f"/api/forum_threads/{thread.pk}/posts/", f"/api/forum_posts/{post.pk}/"):
        assert api(rival).get(path).status_code == 404
    assert audit_trail() == [("olivia", Action.FORUM_THREAD_DELETE, "thread", thread.pk)]
    assert AuditEntry.objects.get().details == {"title": "Cheating tips", "author": "petra"}


def test_a_post_that_arrives_after_the_thread_was_locked_is_refused(
    participant, organizer, competition, monkeypatch
):
    thread = make_thread(competition=competition, author=participant)

    def lock_while_rendering(text, **kwargs):
        services.lock(thread=Thread.objects.get(pk=thread.pk), by=organizer)
        return "<p>late</p>"

    monkeypatch.setattr(services.rendering, "render", lock_while_rendering)
    with pytest.raises(services.NotAllowed, match="this thread is locked: no new posts"):
        services.reply(thread=thread, by=participant, content="late")

    assert thread.posts.count() == 1
