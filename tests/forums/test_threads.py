"""Starting threads, replying, editing, listing: the forum as its users meet it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from podium.forums import services
from podium.forums.models import Follow, Forum, Post, Revision, Thread
from podium.participation.models import Participant
from tests.factories import make_competition
from tests.forums.conftest import make_post, make_thread

pytestmark = pytest.mark.django_db


def start(client, competition, title="Baseline question", content="How was it *trained*?"):
    return client.post(
        "/api/forum_threads/",
        {"competition": competition.pk, "title": title, "content": content},
        format="json",
    )


def test_a_participant_starts_a_thread_with_its_first_post_and_follows_it(
    api, participant, competition
):
    response = start(api(participant), competition)

    assert response.status_code == 201, response.content
    thread = Thread.objects.get()
    body = response.json()
    assert body == {
        "id": thread.pk,
        "competition": competition.pk,
        "title": "Baseline question",
        "author": "petra",
        "created_at": body["created_at"],
        "last_activity_at": body["last_activity_at"],
        "post_count": 1,
        "pinned": False,
        "locked": False,
        "following": True,
    }
    (post,) = Post.objects.all()
    assert (post.author, post.content, post.html) == (
        participant,
        "How was it *trained*?",
        "<p>How was it <em>trained</em>?</p>",
    )
    assert list(Follow.objects.values_list("user__username", "thread")) == [("petra", thread.pk)]
    assert Forum.objects.get().competition == competition


def test_a_reply_comes_after_the_first_post_and_its_author_follows_the_thread(
    api, participant, rival, competition
):
    thread = make_thread(competition=competition, author=participant)

    response = api(rival).post(
        f"/api/forum_threads/{thread.pk}/posts/", {"content": "Use **stratified** splits."}
    )

    assert response.status_code == 201, response.content
    post = Post.objects.get(author=rival)
    assert response.json() == {
        "id": post.pk,
        "thread": thread.pk,
        "author": "rita",
        "content": "Use **stratified** splits.",
        "html": "<p>Use <strong>stratified</strong> splits.</p>",
        "created_at": response.json()["created_at"],
        "edited_at": None,
        "deleted_at": None,
        "deleted_as": None,
    }
    thread.refresh_from_db()
    assert thread.last_activity_at == post.created_at
    assert sorted(Follow.objects.values_list("user__username", flat=True)) == ["petra", "rita"]
    listed = api(rival).get(f"/api/forum_threads/{thread.pk}/posts/").json()
    assert (listed["count"], [row["author"] for row in listed["results"]]) == (
        2,
        ["petra", "rita"],
    )


def test_the_thread_list_puts_pinned_threads_first_then_the_most_recently_active(
    api, participant, rival, organizer, competition
):
    old = make_thread(competition=competition, author=participant, title="Old")
    busy = make_thread(competition=competition, author=rival, title="Busy")
    rules = make_thread(competition=competition, author=organizer, title="Rules")
    Thread.objects.filter(pk=rules.pk).update(pinned=True)
    make_post(thread=busy, author=participant)
    gone = make_post(thread=busy, author=organizer)
    Post.objects.filter(pk=gone.pk).update(deleted_at=timezone.now(), deleted_as="moderator")
    now = timezone.now()
    Thread.objects.filter(pk=old.pk).update(last_activity_at=now - timedelta(days=2))
    Thread.objects.filter(pk=rules.pk).update(last_activity_at=now - timedelta(days=9))
    Thread.objects.filter(pk=busy.pk).update(last_activity_at=now - timedelta(hours=1))

    response = api(participant).get(f"/api/forum_threads/?competition={competition.pk}")

    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(row["title"], row["post_count"], row["pinned"], row["following"]) for row in rows] == [
        ("Rules", 1, True, False),
        ("Busy", 2, False, True),
        ("Old", 1, False, True),
    ]
    assert response.json()["count"] == 3


def test_the_thread_list_takes_the_same_queries_for_three_threads_or_thirty(
    api, participant, rival, competition, django_assert_num_queries
):
    def listing() -> list[int]:
        with django_assert_num_queries(5):
            # competition with its forum, collaborators, registration, count, page
            response = api(participant).get(f"/api/forum_threads/?competition={competition.pk}")
        return [row["post_count"] for row in response.json()["results"]]

    for index in range(3):
        thread = make_thread(competition=competition, author=rival, title=f"T{index}")
        make_post(thread=thread, author=participant)
    assert listing() == [2, 2, 2]

    for index in range(27):
        make_thread(competition=competition, author=rival, title=f"More {index}")
    assert sorted(listing()) == [1] * 27 + [2] * 3


def test_a_thread_list_answers_anonymous_visitors_of_a_public_forum_in_three_queries(
    api, participant, competition, django_assert_num_queries
):
    make_thread(competition=competition, author=participant)

    with django_assert_num_queries(3):
        response = api(None).get(f"/api/forum_threads/?competition={competition.pk}")

    assert [row["following"] for row in response.json()["results"]] == [False]


def test_the_lists_are_paginated_with_at_most_a_hundred_a_page(api, participant, competition):
    thread = make_thread(competition=competition, author=participant)
    Post.objects.bulk_create(
        Post(thread=thread, author=participant, content=f"{n}", html=f"<p>{n}</p>")
        for n in range(120)
    )

    page = api(participant).get(f"/api/forum_threads/{thread.pk}/posts/?limit=500").json()
    first = api(participant).get(f"/api/forum_threads/{thread.pk}/posts/").json()

    assert (page["count"], len(page["results"])) == (121, 100)
    assert len(first["results"]) == 50
    assert first["next"] == (
        f"http://testserver/api/forum_threads/{thread.pk}/posts/?limit=50&offset=50"
    )


def test_the_thread_list_needs_a_competition(api, participant):
    response = api(participant).get("/api/forum_threads/")
    assert response.status_code == 400
    assert response.json() == {"competition": ["this query parameter is required"]}
    wrong = api(participant).get("/api/forum_threads/?competition=first")
    assert (wrong.status_code, wrong.json()) == (
        400,
        {"competition": ["A valid integer is required."]},
    )
    missing = api(participant).get("/api/forum_threads/?competition=999999")
    assert (missing.status_code, missing.json()) == (404, {"detail": "competition not found"})


def test_an_author_edits_a_post_and_the_edit_is_recorded_with_its_time(
    api, participant, competition
):
    thread = make_thread(competition=competition, author=participant, content="Frist!")
    post = thread.posts.get()

    response = api(participant).patch(
        f"/api/forum_posts/{post.pk}/", {"content": "First *try*."}, format="json"
    )

    assert response.status_code == 200, response.content
    post.refresh_from_db()
    assert (post.content, post.html) == ("First *try*.", "<p>First <em>try</em>.</p>")
    assert response.json()["edited_at"] is not None
    assert post.edited_at is not None
    (revision,) = Revision.objects.all()
    assert (revision.post, revision.content, revision.editor) == (post, "Frist!", participant)
    assert revision.replaced_at == post.edited_at


def test_saving_a_post_unchanged_records_no_edit(api, participant, competition):
    thread = make_thread(competition=competition, author=participant, content="Same.")
    post = thread.posts.get()

    response = api(participant).patch(f"/api/forum_posts/{post.pk}/", {"content": "Same."})

    assert (response.status_code, response.json()["edited_at"]) == (200, None)
    assert Revision.objects.count() == 0


def test_only_its_author_edits_a_post_not_even_an_organizer(
    api, participant, organizer, rival, competition
):
    thread = make_thread(competition=competition, author=participant, content="Mine.")
    post = thread.posts.get()

    for user in (organizer, rival):
        response = api(user).patch(f"/api/forum_posts/{post.pk}/", {"content": "Theirs."})
        assert (response.status_code, response.json()) == (
            403,
            {"detail": "only its author may edit a post"},
        )
    post.refresh_from_db()
    assert (post.content, post.edited_at) == ("Mine.", None)


def test_an_author_renames_their_thread_on_one_line(api, participant, rival, competition):
    thread = make_thread(competition=competition, author=participant)

    refused = api(rival).patch(f"/api/forum_threads/{thread.pk}/", {"title": "Mine now"})
    renamed = api(participant).patch(
        f"/api/forum_threads/{thread.pk}/", {"title": "Test set\nis   balanced?"}
    )

    assert (refused.status_code, refused.json()) == (
        403,
        {"detail": "only its author may rename a thread"},
    )
    assert (renamed.status_code, renamed.json()["title"]) == (200, "Test set is balanced?")
    thread.refresh_from_db()
    assert thread.title == "Test set is balanced?"


def test_server_owned_fields_of_a_new_thread_are_ignored(api, participant, competition):
    response = api(participant).post(
        "/api/forum_threads/",
        {
            "competition": competition.pk,
            "title": "Hello",
            "content": "Hi.",
            "pinned": True,
            "locked": True,
            "author": "olivia",
            "post_count": 99,
        },
        format="json",
    )

    assert response.status_code == 201
    thread = Thread.objects.get()
    assert (thread.pinned, thread.locked, thread.author) == (False, False, participant)
    assert response.json()["post_count"] == 1


def test_an_organizer_restricts_the_forum_to_participants(
    api, organizer, participant, outsider, pending, competition
):
    make_thread(competition=competition, author=participant)

    changed = api(organizer).patch(
        f"/api/competitions/{competition.pk}/forum/",
        {"readers": "participants", "participants_may_post": False},
        format="json",
    )

    assert changed.status_code == 200
    assert changed.json() == {
        "competition": competition.pk,
        "enabled": True,
        "readers": "participants",
        "participants_may_post": False,
        "may_read": True,
        "may_post": True,
        "may_moderate": True,
    }
    path = f"/api/forum_threads/?competition={competition.pk}"
    refusal = {
        "detail": "only the approved participants and the organizers of this competition may "
        "read its forum"
    }
    for user in (outsider, pending):
        response = api(user).get(path)
        assert (response.status_code, response.json()) == (403, refusal)
    assert api(None).get(path).status_code == 401
    assert api(participant).get(path).status_code == 200
    posting = start(api(participant), competition)
    assert (posting.status_code, posting.json()) == (
        403,
        {"detail": "the organizers of this competition do not let participants post in its forum"},
    )
    assert start(api(organizer), competition).status_code == 201
    seen_by_outsider = api(outsider).get(f"/api/competitions/{competition.pk}/forum/").json()
    assert (seen_by_outsider["may_read"], seen_by_outsider["may_post"]) == (False, False)


def test_forum_settings_name_a_bad_value(api, organizer, competition):
    response = api(organizer).patch(
        f"/api/competitions/{competition.pk}/forum/", {"readers": "everyone"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"readers": ['"everyone" is not a valid choice.']}
    assert Forum.objects.count() == 0


def test_a_forum_turned_off_answers_404_saying_so_and_keeps_its_threads(
    api, organizer, participant, competition
):
    thread = make_thread(competition=competition, author=participant)
    post = thread.posts.get()
    competition.forum_enabled = False
    competition.save()
    closed = {"detail": "the forum of this competition is turned off"}

    for user in (participant, organizer):
        client = api(user)
        for response in (
            client.get(f"/api/forum_threads/?competition={competition.pk}"),
            client.get(f"/api/forum_threads/{thread.pk}/"),
            client.get(f"/api/forum_threads/{thread.pk}/posts/"),
            client.post(f"/api/forum_threads/{thread.pk}/posts/", {"content": "Hello?"}),
            client.get(f"/api/forum_posts/{post.pk}/"),
            start(client, competition),
        ):
            assert (response.status_code, response.json()) == (404, closed)

    settings = api(organizer).get(f"/api/competitions/{competition.pk}/forum/")
    assert (settings.status_code, settings.json()["enabled"]) == (200, False)
    assert settings.json()["may_post"] is False
    assert Thread.objects.count() == 1
    assert Post.objects.count() == 1


def test_a_draft_competitions_forum_is_its_organizers_only(
    api, organizer, collaborator, participant, draft
):
    thread = make_thread(competition=draft, author=organizer)
    Participant.objects.create(
        user=participant, competition=draft, status=Participant.Status.APPROVED
    )

    for user in (None, participant):
        response = api(user).get(f"/api/forum_threads/{thread.pk}/")
        assert (response.status_code, response.json()) == (404, {"detail": "thread not found"})
        listing = api(user).get(f"/api/forum_threads/?competition={draft.pk}")
        assert listing.status_code == 404
    assert api(collaborator).get(f"/api/forum_threads/{thread.pk}/").status_code == 200


def test_threads_of_one_competition_never_show_in_another(api, participant, organizer, competition):
    other = make_competition(owner=organizer, title="Other")
    make_thread(competition=other, author=organizer, title="Elsewhere")
    make_thread(competition=competition, author=participant, title="Here")

    rows = api(participant).get(f"/api/forum_threads/?competition={competition.pk}").json()

    assert [row["title"] for row in rows["results"]] == ["Here"]


def test_services_refuse_a_pending_participant_with_the_reason(pending, competition):
    with pytest.raises(services.NotAllowed) as refused:
        services.start_thread(competition=competition, by=pending, title="Hi", content="Hi")

    assert str(refused.value) == (
        "only approved participants may post in this forum: your registration is pending"
    )
    assert Thread.objects.count() == 0
