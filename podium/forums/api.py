"""The forums API: a competition's forum and its settings, threads, posts, moderation and
following.

    GET, PATCH        /api/competitions/{id}/forum/             the forum, its settings
    GET, POST         /api/forum_threads/?competition={id}       threads; start one
    GET, PATCH, DELETE /api/forum_threads/{id}/                  a thread; rename; delete
    POST, DELETE      /api/forum_threads/{id}/pin|lock|follow/   set; unset
    GET, POST         /api/forum_threads/{id}/posts/             posts; reply
    GET, PATCH, DELETE /api/forum_posts/{id}/                    a post; edit; delete

The forum under competitions/ is a small viewset of this app, registered under the same
prefix, the way the leaderboards add theirs.

What the caller may not see is 404 whatever the method: a competition they may not see, a
forum turned off (saying so), a thread or post of a forum they may not read, a deleted
thread. Seeing the competition but not its participants-only forum, listing its threads is
403 (401 when not signed in). What they may see but not do is 403 with the reason; a
thread's or post's state that forbids it is 409; posting too fast is 429 with Retry-After.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, Throttled, ValidationError
from rest_framework.generics import get_object_or_404
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from podium.competitions.models import Competition
from podium.core import api
from podium.core import examples as ex
from podium.core.api import Pagination, caller
from podium.forums import rules, services
from podium.forums.models import Post, Thread
from podium.forums.rendering import TooComplex
from podium.forums.serializers import (
    ForumSerializer,
    ForumSettingsSerializer,
    PostSerializer,
    PostWriteSerializer,
    ThreadCreateSerializer,
    ThreadSerializer,
    ThreadUpdateSerializer,
)

TURNED_OFF = "the forum of this competition is turned off"
RENAMED = {**ex.THREAD, "title": "Is feature scaling part of the model? (answered)"}
STARTED = {
    **ex.THREAD,
    "id": 2,
    "title": "Submission stuck in preparing",
    "created_at": "2025-02-10T11:10:00Z",
    "last_activity_at": "2025-02-10T11:10:00Z",
    "post_count": 1,
}
EDITED = {
    **ex.POST,
    "content": ex.POST["content"] + " Fit the scaler on the training data only.",
    "html": ex.POST["html"][: -len("</p>")] + " Fit the scaler on the training data only.</p>",
    "edited_at": "2025-02-04T10:20:00Z",
}
REPLY = "Thanks! So a scaler fitted on train and test together would be leakage?"


class ForumPagination(Pagination):
    default_limit = 50
    max_limit = 100


refusals = api.refusals(
    {
        services.ForumClosed: NotFound,
        services.NotAllowed: PermissionDenied,
        services.Conflict: api.Conflict,
        services.TooFast: lambda refused: Throttled(wait=refused.wait, detail=f"{refused}."),
        rules.TextInvalid: lambda refused: ValidationError({refused.field: [str(refused)]}),
        TooComplex: lambda refused: ValidationError({"content": [str(refused)]}),
    }
)


def _readable(access: rules.Access, what: str) -> None:
    """404 unless the caller may read the forum `what` is in."""
    if not access.sees_competition:
        raise NotFound(f"{what} not found")
    if not access.enabled:
        raise NotFound(TURNED_OFF)
    if not access.may_read:
        raise NotFound(f"{what} not found")


def _forum_body(access: rules.Access) -> dict[str, Any]:
    return {
        "competition": access.competition.pk,
        "enabled": access.enabled,
        "readers": access.forum.readers,
        "participants_may_post": access.forum.participants_may_post,
        "may_read": access.may_read,
        "may_post": access.enabled and access.signed_in and access.post_refusal() is None,
        "may_moderate": access.moderator,
    }


class CompetitionForumViewSet(viewsets.GenericViewSet[Competition]):
    def get_queryset(self) -> QuerySet[Competition]:
        return Competition.objects.visible_to(self.request.user).select_related("forum")

    @extend_schema(
        methods=["GET"],
        summary="Read a competition's forum",
        description="The forum's settings (who may read it, whether participants may "
        "post), whether it is turned on, and what the caller may do in it. Anyone who may "
        "see the competition; 404 otherwise. Answers for a forum turned off too, with "
        "`enabled` false.",
        responses=ForumSerializer,
        examples=[ex.response(ex.FORUM)],
    )
    @extend_schema(
        methods=["PATCH"],
        summary="Change a competition's forum settings",
        description="Sets who may read the forum (`readers`) and whether approved "
        "participants may post (`participants_may_post`); fields left out keep their "
        "value. Turning the forum on or off is the competition's `forum_enabled`. The "
        "competition's organizers and platform admins only (403).",
        request=ForumSettingsSerializer,
        responses=ForumSerializer,
        examples=[
            ex.request({"readers": "participants", "participants_may_post": True}),
            ex.response({**ex.FORUM, "may_moderate": True}, summary="As an organizer sees it"),
        ],
    )
    @action(detail=True, methods=["get", "patch"])
    def forum(self, request: Request, pk: str | None = None) -> Response:
        competition = self.get_object()
        if request.method == "PATCH":
            changes = ForumSettingsSerializer(data=request.data)
            changes.is_valid(raise_exception=True)
            with refusals():
                competition.forum = services.update_settings(
                    competition=competition, by=caller(request), **changes.validated_data
                )
        return Response(ForumSerializer(_forum_body(rules.access(request.user, competition))).data)


def _competition_parameter(request: Request) -> int:
    raw = request.query_params.get("competition")
    if raw is None:
        raise ValidationError({"competition": ["this query parameter is required"]})
    try:
        value: int = serializers.IntegerField(min_value=1).run_validation(raw)
    except ValidationError as exc:
        raise ValidationError({"competition": exc.detail}) from None
    return value


THREAD_LIST = (
    "The threads of a competition's forum (`?competition=ID`, required), pinned ones "
    "first, then the most recently active; each with its number of posts, its last "
    "activity and whether the caller follows it. Paginated with `limit` (50 by default, "
    "at most 100) and `offset`. 404 for a competition the caller may not see or a forum "
    "turned off; 403 (401 when not signed in) for a forum open to participants only."
)


class ThreadViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Thread],
):
    serializer_class = ThreadSerializer
    pagination_class = ForumPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Thread]:
        return Thread.objects.annotated(self.request.user).select_related("forum__competition")

    def _thread(self) -> tuple[Thread, rules.Access]:
        thread = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        access = rules.access(self.request.user, thread.forum.competition)
        _readable(access, "thread")
        if thread.deleted_at is not None:
            raise NotFound("this thread was deleted")
        return thread, access

    @extend_schema(
        summary="List a forum's threads",
        description=THREAD_LIST,
        parameters=[
            OpenApiParameter("competition", int, required=True, description="The competition's id.")
        ],
        examples=[ex.response(ex.THREAD)],
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        competition = (
            Competition.objects.select_related("forum")
            .filter(pk=_competition_parameter(request))
            .first()
        )
        if competition is None:
            raise NotFound("competition not found")
        access = rules.access(request.user, competition)
        if not access.sees_competition:
            raise NotFound("competition not found")
        if not access.enabled:
            raise NotFound(TURNED_OFF)
        if not access.may_read:
            self.permission_denied(request, message=access.read_refusal())
        threads = Thread.objects.listed(request.user).filter(forum__competition=competition)
        page = self.paginate_queryset(threads)
        return self.get_paginated_response(ThreadSerializer(page, many=True).data)

    @extend_schema(
        summary="Start a thread",
        description="A new thread in a competition's forum, with its first post; its "
        "author follows it. The organizers and platform admins may always; approved "
        "participants unless the organizers turned that off; nobody else (403 with the "
        "reason). 404 for a forum turned off. 400 names the field: an empty or too long "
        "title or post, a control character, Markdown too complex to render. 429 with "
        "Retry-After for more than 6 posts or edits a minute.",
        request=ThreadCreateSerializer,
        responses={201: ThreadSerializer},
        examples=[
            ex.request(
                {
                    "competition": 1,
                    "title": STARTED["title"],
                    "content": "My submission 4 has been *preparing* for an hour. Is a worker up?",
                }
            ),
            ex.response(STARTED),
        ],
    )
    def create(self, request: Request) -> Response:
        given = ThreadCreateSerializer(data=request.data, context={"request": request})
        given.is_valid(raise_exception=True)
        with refusals():
            thread = services.start_thread(
                competition=given.validated_data["competition"],
                by=caller(request),
                title=given.validated_data["title"],
                content=given.validated_data["content"],
            )
        return api.rendered(self, thread, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Read a thread",
        description="One thread with its number of posts and last activity; its posts are "
        "at .../posts/. 404 for a thread of a forum the caller may not read, of a forum "
        "turned off, or deleted.",
        examples=[ex.response(ex.THREAD)],
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        thread, _ = self._thread()
        return Response(ThreadSerializer(thread).data)

    @extend_schema(
        summary="Rename a thread",
        description="Changes the thread's title. Its author only, while they may post in "
        "the forum (403 otherwise).",
        request=ThreadUpdateSerializer,
        responses=ThreadSerializer,
        examples=[ex.request({"title": RENAMED["title"]}), ex.response(RENAMED)],
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        thread, _ = self._thread()
        given = ThreadUpdateSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with refusals():
            services.rename_thread(
                thread=thread, by=caller(request), title=given.validated_data["title"]
            )
        return api.rendered(self, thread)

    @extend_schema(
        summary="Delete a thread",
        description="Takes the thread and its posts out of the forum; the rows stay, marked "
        "with who deleted them. A moderator (the competition's organizers, platform admins) "
        "deletes any thread, recorded in the audit log; its author deletes it while nobody "
        "else has posted in it (409 after). 403 for anyone else.",
        responses={204: None},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        thread, _ = self._thread()
        with refusals():
            services.delete_thread(thread=thread, by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _moderate(self, request: Request, on: Any, off: Any) -> Response:
        thread, _ = self._thread()
        change = on if request.method == "POST" else off
        with refusals():
            change(thread=thread, by=caller(request))
        return api.rendered(self, thread)

    @extend_schema(
        methods=["POST"],
        summary="Pin a thread",
        description="Keeps the thread at the top of its forum's list. The competition's "
        "organizers and platform admins (403 otherwise); recorded in the audit log. "
        "Pinning a pinned thread changes nothing.",
        request=None,
        responses=ThreadSerializer,
        examples=[ex.response({**ex.THREAD, "pinned": True})],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Unpin a thread",
        description="Puts the thread back among the others, by last activity. The "
        "competition's organizers and platform admins (403 otherwise); recorded in the "
        "audit log. Unpinning a thread not pinned changes nothing.",
        request=None,
        responses={200: ThreadSerializer},
        examples=[ex.response(ex.THREAD)],
    )
    @action(detail=True, methods=["post", "delete"])
    def pin(self, request: Request, pk: str | None = None) -> Response:
        return self._moderate(request, services.pin, services.unpin)

    @extend_schema(
        methods=["POST"],
        summary="Lock a thread",
        description="No new posts in the thread but the moderators' (the competition's "
        "organizers and platform admins, 403 for others); its posts stay, and their "
        "authors may still edit or delete them. Recorded in the audit log. Locking a "
        "locked thread changes nothing.",
        request=None,
        responses=ThreadSerializer,
        examples=[ex.response({**ex.THREAD, "locked": True})],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Unlock a thread",
        description="Opens the thread to new posts again. The competition's organizers and "
        "platform admins (403 otherwise); recorded in the audit log.",
        request=None,
        responses={200: ThreadSerializer},
        examples=[ex.response(ex.THREAD)],
    )
    @action(detail=True, methods=["post", "delete"])
    def lock(self, request: Request, pk: str | None = None) -> Response:
        return self._moderate(request, services.lock, services.unlock)

    @extend_schema(
        methods=["POST"],
        summary="Follow a thread",
        description="The caller is mailed each new post in the thread but their own (unless "
        "they turned forum mail off in their notification preferences). A thread's author "
        "and everyone who posts in it follow it already. Anyone signed in who may read the "
        "forum; following twice changes nothing.",
        request=None,
        responses=ThreadSerializer,
        examples=[ex.response(ex.THREAD)],
    )
    @extend_schema(
        methods=["DELETE"],
        summary="Unfollow a thread",
        description="No more mail about the thread's new posts; posting in it again follows "
        "it again. Unfollowing a thread not followed changes nothing.",
        request=None,
        responses={200: ThreadSerializer},
        examples=[ex.response({**ex.THREAD, "following": False})],
    )
    @action(detail=True, methods=["post", "delete"])
    def follow(self, request: Request, pk: str | None = None) -> Response:
        return self._moderate(request, services.follow, services.unfollow)

    @extend_schema(
        methods=["GET"],
        summary="List a thread's posts",
        description="The thread's posts, oldest first, each with its Markdown and its "
        "sanitized HTML; a deleted post stays in its place with no content and who deleted "
        "it (`deleted_as`). Paginated with `limit` (50 by default, at most 100) and "
        "`offset`.",
        parameters=[
            OpenApiParameter("limit", int, description="Posts per page (50 by default)."),
            OpenApiParameter("offset", int, description="Posts to skip."),
        ],
        responses=PostSerializer(many=True),
        examples=[ex.response(ex.POST)],
    )
    @extend_schema(
        methods=["POST"],
        summary="Reply in a thread",
        description="A new post at the end of the thread; its author follows the thread, "
        "and every other follower who may read the forum is mailed. Who may: as for "
        "starting a thread, and in a locked thread only the moderators (403). 400 names "
        "the problem with the content; 429 with Retry-After for more than 6 posts or edits "
        "a minute.",
        request=PostWriteSerializer,
        responses={201: PostSerializer},
        examples=[
            ex.request({"content": REPLY}),
            ex.response(
                {
                    **ex.POST,
                    "id": 3,
                    "author": ex.ALICE,
                    "content": REPLY,
                    "html": f"<p>{REPLY}</p>",
                    "created_at": "2025-02-04T10:31:00Z",
                }
            ),
        ],
    )
    @action(detail=True, methods=["get", "post"])
    def posts(self, request: Request, pk: str | None = None) -> Response:
        thread, _ = self._thread()
        if request.method == "POST":
            given = PostWriteSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            with refusals():
                post = services.reply(
                    thread=thread, by=caller(request), content=given.validated_data["content"]
                )
            return Response(PostSerializer(post).data, status=status.HTTP_201_CREATED)
        posts = thread.posts.select_related("author").order_by("created_at", "pk")
        return api.paginated(
            self, posts, lambda page: PostSerializer(page, many=True).data, ForumPagination
        )


class PostViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet[Post]):
    serializer_class = PostSerializer
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Post]:
        return Post.objects.select_related("author", "thread__forum__competition")

    def _post(self) -> Post:
        post = get_object_or_404(self.get_queryset(), pk=self.kwargs["pk"])
        _readable(rules.access(self.request.user, post.thread.forum.competition), "post")
        if post.thread.deleted_at is not None:
            raise NotFound("this post's thread was deleted")
        return post

    @extend_schema(
        summary="Read a post",
        description="One post, as in its thread's list. 404 for a post in a forum the "
        "caller may not read, in a forum turned off, or in a deleted thread.",
        examples=[ex.response(ex.POST)],
    )
    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(PostSerializer(self._post()).data)

    @extend_schema(
        summary="Edit a post",
        description="Replaces the post's Markdown; the time of the edit is shown "
        "(`edited_at`) and the text it replaced is kept for the moderators. Its author "
        "only, while they may post in the forum (403 otherwise); 409 for a deleted post. "
        "The same limits as a new post (400, 429).",
        request=PostWriteSerializer,
        responses=PostSerializer,
        examples=[ex.request({"content": EDITED["content"]}), ex.response(EDITED)],
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        post = self._post()
        given = PostWriteSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        with refusals():
            post = services.edit_post(
                post=post, by=caller(request), content=given.validated_data["content"]
            )
        return Response(PostSerializer(post).data)

    @extend_schema(
        summary="Delete a post",
        description="The post stays in its thread as a placeholder saying who deleted it, "
        "its author or a moderator; its text is kept for the moderators. Its author, or a "
        "moderator (the competition's organizers, platform admins: recorded in the audit "
        "log); 403 for anyone else. Deleting a deleted post changes nothing.",
        responses={204: None},
    )
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        post = self._post()
        with refusals():
            services.delete_post(post=post, by=caller(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def register(router: BaseRouter) -> None:
    router.register("competitions", CompetitionForumViewSet, basename="competition-forum")
    router.register("forum_threads", ThreadViewSet, basename="forum-thread")
    router.register("forum_posts", PostViewSet, basename="forum-post")
