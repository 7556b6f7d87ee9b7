"""Threads and posts for the forum tests, and a second approved participant.

`make_thread` and `make_post` write rows directly (the rendered HTML by the project's
renderer), so that a test can build a busy forum without its authors' rate limit; the
tests of posting itself go through the services and the API.
"""

from __future__ import annotations

import pytest

from podium.accounts.models import User
from podium.competitions.models import Competition
from podium.core.markup import render
from podium.forums.models import Follow, Forum, Post, Thread
from podium.participation.models import Participant
from tests.factories import make_participant, make_user


def make_thread(
    *,
    competition: Competition,
    author: User,
    title: str = "Is the test set balanced?",
    content: str = "It looks *skewed* to me.",
) -> Thread:
    forum, _ = Forum.objects.get_or_create(competition=competition)
    thread = Thread.objects.create(forum=forum, title=title, author=author)
    Post.objects.create(thread=thread, author=author, content=content, html=render(content))
    Follow.objects.create(user=author, thread=thread)
    return thread


def make_post(*, thread: Thread, author: User, content: str = "Same here.") -> Post:
    post = Post.objects.create(thread=thread, author=author, content=content, html=render(content))
    Follow.objects.get_or_create(user=author, thread=thread)
    return post


@pytest.fixture
def rival(competition) -> User:
    """Another approved participant of `competition`."""
    user = make_user("rita")
    make_participant(user=user, competition=competition, status=Participant.Status.APPROVED)
    return user
