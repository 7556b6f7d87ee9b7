"""Posting too fast: at most six new threads, posts or edits a minute per user, told with a
429 and how long to wait; under concurrency too, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

import pytest
from django.db import connection
from django.utils import timezone

from podium.forums import services
from podium.forums.models import Post, Revision
from tests.concurrency import race
from tests.forums.conftest import make_thread

TOO_FAST = (
    "you are posting too fast: at most 6 posts or edits in 60 seconds. "
    "Expected available in {wait} seconds."
)


@pytest.mark.django_db
def test_the_seventh_post_in_a_minute_waits_with_a_clear_429(api, participant, competition):
    thread = make_thread(competition=competition, author=participant)
    client = api(participant)
    accepted = [
        client.post(f"/api/forum_threads/{thread.pk}/posts/", {"content": f"Post {n}"})
        for n in range(5)
    ]
    now = timezone.now()
    for age, post in zip((40, 30, 20, 10, 5, 1), Post.objects.order_by("pk"), strict=True):
        Post.objects.filter(pk=post.pk).update(created_at=now - timedelta(seconds=age))

    refused = client.post(f"/api/forum_threads/{thread.pk}/posts/", {"content": "One more"})

    assert [response.status_code for response in accepted] == [201] * 5
    assert refused.status_code == 429
    # the oldest of the six, 40 seconds old, leaves the window in 20 seconds
    assert refused.json() == {"detail": TOO_FAST.format(wait=20)}
    assert refused["Retry-After"] == "20"
    assert Post.objects.filter(author=participant).count() == 6


@pytest.mark.django_db
def test_threads_and_edits_count_toward_the_same_rate(api, participant, competition):
    client = api(participant)
    post = make_thread(competition=competition, author=participant).posts.get()
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    for n in range(3):
        edit = client.patch(f"/api/forum_posts/{post.pk}/", {"content": f"Edit {n}"})
        assert edit.status_code == 200
    for n in range(3):
        started = client.post(
            "/api/forum_threads/",
            {"competition": competition.pk, "title": f"T{n}", "content": "Hi."},
        )
        assert started.status_code == 201

    edit = client.patch(f"/api/forum_posts/{post.pk}/", {"content": "Edit 4"})
    thread = client.post(
        "/api/forum_threads/", {"competition": competition.pk, "title": "T4", "content": "Hi."}
    )

    assert (edit.status_code, thread.status_code) == (429, 429)
    assert Revision.objects.count() == 3
    assert Post.objects.count() == 4


@pytest.mark.django_db
def test_writes_older_than_a_minute_do_not_count(api, participant, competition):
    thread = make_thread(competition=competition, author=participant)
    for n in range(5):
        services.reply(thread=thread, by=participant, content=f"Post {n}")
    with pytest.raises(services.TooFast):
        services.reply(thread=thread, by=participant, content="Too soon")
    Post.objects.update(created_at=timezone.now() - timedelta(seconds=61))

    response = api(participant).post(f"/api/forum_threads/{thread.pk}/posts/", {"content": "Ok"})

    assert response.status_code == 201


@pytest.mark.django_db
def test_each_user_has_a_rate_of_their_own(api, participant, rival, competition):
    thread = make_thread(competition=competition, author=participant)
    for n in range(5):
        services.reply(thread=thread, by=participant, content=f"Post {n}")

    assert (
        api(rival).post(f"/api/forum_threads/{thread.pk}/posts/", {"content": "Hi"}).status_code
        == 201
    )
    assert (
        api(participant)
        .post(f"/api/forum_threads/{thread.pk}/posts/", {"content": "Hi"})
        .status_code
        == 429
    )


@pytest.mark.django_db(transaction=True)
def test_twelve_parallel_posts_against_a_rate_of_six(participant, competition):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith("file:"):
        pytest.fail("the suite's SQLite test database must be a file (see tests/conftest.py)")
    thread = make_thread(competition=competition, author=participant)
    Post.objects.update(created_at=timezone.now() - timedelta(minutes=5))

    def attempt(index: int) -> object:
        return services.reply(thread=thread, by=participant, content=f"Parallel {index}")

    outcomes = race(
        [partial(attempt, index) for index in range(12)],
        refused=services.TooFast,
        done="accepted",
        describe=lambda exc: "too fast",
    )

    assert sorted(outcomes) == ["accepted"] * 6 + ["too fast"] * 6
    assert Post.objects.filter(thread=thread).count() == 7
