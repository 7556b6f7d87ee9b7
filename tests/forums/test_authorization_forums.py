"""Who may call which forum endpoint: every endpoint against every persona, with the exact
status code, and nothing changed (rows, files, mail) by a refused call or a read.

The world, around the personas of tests/conftest.py:

    competition   published, its forum public; `thread` is the participant's (so the
                  participant column is its author's), with `first_post` by the participant
                  and `rival_post` by another approved participant; `org_thread` is the
                  organizer's, without replies; `locked_thread` the rival's, locked;
                  `deleted_thread` the participant's, deleted by a moderator
    draft         unpublished; `draft_thread` and its `draft_post` are the organizer's
    closed        published, its forum turned off; `closed_thread`, `closed_post`
    members       published, its forum open to approved participants only (the participant
                  approved, the pending one pending there too); `members_thread` is the
                  participant's
"""

from __future__ import annotations

from typing import Any

import pytest

from podium.forums.models import DeletedAs, Follow, Forum, Post, Revision, Thread
from podium.messaging.models import Message
from podium.participation.models import Participant
from tests.api.test_authorization import (
    EVERYONE,
    ORGANIZERS_CHANGE,
    ORGANIZERS_CHANGE_DRAFT,
    ORGANIZERS_ONLY_SEE,
    Case,
    check,
    codes,
    snapshot,
)
from tests.conftest import ROLES
from tests.factories import make_competition, make_participant, make_user
from tests.forums.conftest import make_post, make_thread

pytestmark = pytest.mark.django_db

FORUM_MODELS = [Forum, Thread, Post, Revision, Follow, Message]

NOBODY_SEES = codes(404, 404, 404, 404, 404, 404, 404)
MEMBERS_SEE = codes(404, 404, 404, 200, 200, 200, 200)
POSTERS = codes(401, 403, 403, 201, 201, 201, 201)


def new_thread(competition: str) -> Any:
    return lambda ids: {"competition": ids[competition], "title": "New", "content": "Hello."}


def content(ids: dict[str, int]) -> dict[str, Any]:
    return {"content": "Changed *words*."}


def title(ids: dict[str, int]) -> dict[str, Any]:
    return {"title": "Renamed"}


CASES = [
    # the forum and its settings
    Case("GET", "/api/competitions/{competition}/forum/", None, EVERYONE),
    Case("GET", "/api/competitions/{draft}/forum/", None, ORGANIZERS_ONLY_SEE),
    Case("GET", "/api/competitions/{closed}/forum/", None, EVERYONE),
    Case(
        "PATCH",
        "/api/competitions/{competition}/forum/",
        lambda ids: {"participants_may_post": False},
        ORGANIZERS_CHANGE,
    ),
    Case(
        "PATCH",
        "/api/competitions/{draft}/forum/",
        lambda ids: {"readers": "participants"},
        ORGANIZERS_CHANGE_DRAFT,
    ),
    # threads
    Case("GET", "/api/forum_threads/?competition={competition}", None, EVERYONE),
    Case("GET", "/api/forum_threads/?competition={draft}", None, ORGANIZERS_ONLY_SEE),
    Case("GET", "/api/forum_threads/?competition={closed}", None, NOBODY_SEES),
    Case(
        "GET",
        "/api/forum_threads/?competition={members}",
        None,
        codes(401, 403, 403, 200, 200, 200, 200),
    ),
    Case("POST", "/api/forum_threads/", new_thread("competition"), POSTERS),
    Case(
        "POST",
        "/api/forum_threads/",
        new_thread("draft"),
        codes(401, 400, 400, 400, 201, 201, 201),
    ),
    Case(
        "POST",
        "/api/forum_threads/",
        new_thread("closed"),
        codes(401, 404, 404, 404, 404, 404, 404),
    ),
    Case("POST", "/api/forum_threads/", new_thread("members"), POSTERS),
    Case("GET", "/api/forum_threads/{thread}/", None, EVERYONE),
    Case("GET", "/api/forum_threads/{draft_thread}/", None, ORGANIZERS_ONLY_SEE),
    Case("GET", "/api/forum_threads/{closed_thread}/", None, NOBODY_SEES),
    Case("GET", "/api/forum_threads/{members_thread}/", None, MEMBERS_SEE),
    Case("GET", "/api/forum_threads/{deleted_thread}/", None, NOBODY_SEES),
    Case("PATCH", "/api/forum_threads/{thread}/", title, codes(401, 403, 403, 200, 403, 403, 403)),
    Case(
        "PATCH",
        "/api/forum_threads/{members_thread}/",
        title,
        codes(401, 404, 404, 200, 403, 403, 403),
    ),
    Case(
        "PATCH",
        "/api/forum_threads/{draft_thread}/",
        title,
        codes(401, 404, 404, 404, 403, 200, 403),
    ),
    Case("PATCH", "/api/forum_threads/{deleted_thread}/", title, codes(401, *[404] * 6)),
    Case("PUT", "/api/forum_threads/{thread}/", title, codes(401, *[405] * 6)),
    # the author may not delete a thread others replied in; moderators may
    Case("DELETE", "/api/forum_threads/{thread}/", None, codes(401, 403, 403, 409, 204, 204, 204)),
    Case(
        "DELETE",
        "/api/forum_threads/{org_thread}/",
        None,
        codes(401, 403, 403, 403, 204, 204, 204),
    ),
    Case(
        "DELETE",
        "/api/forum_threads/{members_thread}/",
        None,
        codes(401, 404, 404, 204, 204, 204, 204),
    ),
    Case(
        "DELETE",
        "/api/forum_threads/{draft_thread}/",
        None,
        codes(401, 404, 404, 404, 204, 204, 204),
    ),
    # moderation
    Case("POST", "/api/forum_threads/{thread}/pin/", None, ORGANIZERS_CHANGE),
    Case("DELETE", "/api/forum_threads/{thread}/pin/", None, ORGANIZERS_CHANGE),
    Case("POST", "/api/forum_threads/{draft_thread}/pin/", None, ORGANIZERS_CHANGE_DRAFT),
    Case("POST", "/api/forum_threads/{closed_thread}/pin/", None, codes(401, *[404] * 6)),
    Case("POST", "/api/forum_threads/{thread}/lock/", None, ORGANIZERS_CHANGE),
    Case("DELETE", "/api/forum_threads/{locked_thread}/lock/", None, ORGANIZERS_CHANGE),
    Case(
        "POST",
        "/api/forum_threads/{members_thread}/lock/",
        None,
        codes(401, 404, 404, 403, 200, 200, 200),
    ),
    # following
    Case("POST", "/api/forum_threads/{thread}/follow/", None, codes(401, *[200] * 6)),
    Case("DELETE", "/api/forum_threads/{thread}/follow/", None, codes(401, *[200] * 6)),
    Case("POST", "/api/forum_threads/{draft_thread}/follow/", None, ORGANIZERS_CHANGE_DRAFT),
    Case(
        "POST",
        "/api/forum_threads/{members_thread}/follow/",
        None,
        codes(401, 404, 404, 200, 200, 200, 200),
    ),
    # posts
    Case("GET", "/api/forum_threads/{thread}/posts/", None, EVERYONE),
    Case("GET", "/api/forum_threads/{draft_thread}/posts/", None, ORGANIZERS_ONLY_SEE),
    Case("GET", "/api/forum_threads/{closed_thread}/posts/", None, NOBODY_SEES),
    Case("GET", "/api/forum_threads/{members_thread}/posts/", None, MEMBERS_SEE),
    Case("POST", "/api/forum_threads/{thread}/posts/", content, POSTERS),
    Case(
        "POST",
        "/api/forum_threads/{locked_thread}/posts/",
        content,
        codes(401, 403, 403, 403, 201, 201, 201),
    ),
    Case(
        "POST",
        "/api/forum_threads/{draft_thread}/posts/",
        content,
        codes(401, 404, 404, 404, 201, 201, 201),
    ),
    Case(
        "POST",
        "/api/forum_threads/{members_thread}/posts/",
        content,
        codes(401, 404, 404, 201, 201, 201, 201),
    ),
    Case("POST", "/api/forum_threads/{closed_thread}/posts/", content, codes(401, *[404] * 6)),
    Case("GET", "/api/forum_posts/{first_post}/", None, EVERYONE),
    Case("GET", "/api/forum_posts/{draft_post}/", None, ORGANIZERS_ONLY_SEE),
    Case("GET", "/api/forum_posts/{closed_post}/", None, NOBODY_SEES),
    # only its author edits a post; its author and the moderators delete it
    Case(
        "PATCH", "/api/forum_posts/{first_post}/", content, codes(401, 403, 403, 200, 403, 403, 403)
    ),
    Case("PATCH", "/api/forum_posts/{rival_post}/", content, codes(401, *[403] * 6)),
    Case(
        "PATCH", "/api/forum_posts/{draft_post}/", content, codes(401, 404, 404, 404, 403, 200, 403)
    ),
    Case("PUT", "/api/forum_posts/{first_post}/", content, codes(401, *[405] * 6)),
    Case(
        "DELETE", "/api/forum_posts/{first_post}/", None, codes(401, 403, 403, 204, 204, 204, 204)
    ),
    Case(
        "DELETE", "/api/forum_posts/{rival_post}/", None, codes(401, 403, 403, 403, 204, 204, 204)
    ),
    Case(
        "DELETE", "/api/forum_posts/{draft_post}/", None, codes(401, 404, 404, 404, 204, 204, 204)
    ),
    Case("DELETE", "/api/forum_posts/{closed_post}/", None, codes(401, *[404] * 6)),
]


@pytest.fixture
def world(competition, draft, organizer, collaborator, participant, pending) -> dict[str, int]:
    rival = make_user("rita")
    make_participant(user=rival, competition=competition)
    thread = make_thread(competition=competition, author=participant)
    rival_post = make_post(thread=thread, author=rival)
    locked_thread = make_thread(competition=competition, author=rival, title="Locked")
    Thread.objects.filter(pk=locked_thread.pk).update(locked=True)
    deleted_thread = make_thread(competition=competition, author=participant, title="Gone")
    Thread.objects.filter(pk=deleted_thread.pk).update(
        deleted_at=deleted_thread.created_at, deleted_by=organizer, deleted_as=DeletedAs.MODERATOR
    )
    draft_thread = make_thread(competition=draft, author=organizer, title="Draft")
    closed = make_competition(
        owner=organizer, title="Closed", collaborators=[collaborator], forum_enabled=False
    )
    closed_thread = make_thread(competition=closed, author=organizer, title="Closed")
    members = make_competition(owner=organizer, title="Members", collaborators=[collaborator])
    Forum.objects.create(competition=members, readers=Forum.Readers.PARTICIPANTS)
    make_participant(user=participant, competition=members)
    make_participant(user=pending, competition=members, status=Participant.Status.PENDING)
    return {
        "competition": competition.pk,
        "draft": draft.pk,
        "closed": closed.pk,
        "members": members.pk,
        "thread": thread.pk,
        "first_post": thread.posts.earliest("pk").pk,
        "rival_post": rival_post.pk,
        "org_thread": make_thread(competition=competition, author=organizer, title="News").pk,
        "locked_thread": locked_thread.pk,
        "deleted_thread": deleted_thread.pk,
        "draft_thread": draft_thread.pk,
        "draft_post": draft_thread.posts.get().pk,
        "closed_thread": closed_thread.pk,
        "closed_post": closed_thread.posts.get().pk,
        "members_thread": make_thread(competition=members, author=participant).pk,
    }


def forum_snapshot(storage) -> dict[str, Any]:
    return snapshot(storage, *FORUM_MODELS)


def test_every_case_names_every_persona():
    assert all(tuple(case.expected) == ROLES for case in CASES)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=str)
def test_who_may_call_what_in_the_forums(case, role, world, personas, api, storage):
    check(case, api(personas[role]), world, case.expected[role], lambda: forum_snapshot(storage))
