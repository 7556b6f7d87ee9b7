"""The forum's use cases: settings, threads, posts, moderation, following, and the mail a
new post sends to its thread's followers.

Each function takes the acting user as `by` and checks what it may do (`rules`), so that a
caller that forgot to check cannot skip a rule. The caller decides what the competition's
visibility means to it (the API answers 404 for what a user may not see).

A post is checked (length, characters), counted against its author's rate, then rendered
outside any transaction (rendering may take its full time limit), then saved: the rate is
counted again under a lock on the author's row, so parallel posts cannot pass it together.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from podium.accounts.models import User
from podium.audit import services as audit
from podium.audit.models import Action
from podium.competitions.models import Competition
from podium.forums import rendering, rules
from podium.forums.models import DeletedAs, Follow, Forum, Post, Revision, Thread
from podium.messaging import services as messaging
from podium.messaging.models import Category
from podium.participation.models import Participant

# Each new thread, post or edit counts; so many per window and user, moderators included.
POSTS_PER_WINDOW = 6
WINDOW = timedelta(minutes=1)


class ForumError(Exception):
    """Something the forum refuses, with a message for the caller."""


class ForumClosed(ForumError):
    """The competition's forum is turned off."""


class NotAllowed(ForumError):
    """The caller may see this but not do it."""


class Conflict(ForumError):
    """The thread's or the post's state does not allow it."""


class TooFast(ForumError):
    def __init__(self, wait: int) -> None:
        super().__init__(
            f"you are posting too fast: at most {POSTS_PER_WINDOW} posts or edits in "
            f"{int(WINDOW.total_seconds())} seconds"
        )
        self.wait = wait


def _allowed(refusal: str | None) -> None:
    if refusal is not None:
        raise NotAllowed(refusal)


def _readable(access: rules.Access) -> None:
    if not access.enabled:
        raise ForumClosed("the forum of this competition is turned off")
    _allowed(access.read_refusal() if access.sees_competition else "competition not found")


def _writable(by: User, competition: Competition) -> rules.Access:
    """`by`'s access to the forum, when they may read it and write in it."""
    access = rules.access(by, competition)
    _readable(access)
    _allowed(access.post_refusal())
    return access


def _writes_since(user: User, since: datetime) -> list[datetime]:
    posts = Post.objects.filter(author=user, created_at__gte=since)
    edits = Revision.objects.filter(editor=user, replaced_at__gte=since)
    return sorted(
        [
            *posts.values_list("created_at", flat=True),
            *edits.values_list("replaced_at", flat=True),
        ]
    )


def check_rate(user: User) -> None:
    """TooFast, with the seconds to wait, when `user` wrote POSTS_PER_WINDOW times already
    in the last WINDOW."""
    now = timezone.now()
    recent = _writes_since(user, now - WINDOW)
    if len(recent) >= POSTS_PER_WINDOW:
        # the write that must leave the window before one more fits in it
        frees_at = recent[-POSTS_PER_WINDOW] + WINDOW
        raise TooFast(max(1, math.ceil((frees_at - now).total_seconds())))


@contextmanager
def _writing(by: User, content: str) -> Iterator[str]:
    """The content's HTML, rendered outside any transaction once `by`'s rate allows one
    more write; then a transaction in which the rate is counted again under a lock on the
    author's row (so that parallel writes cannot pass it together)."""
    check_rate(by)
    html = rendering.render(content)
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=by.pk).exists()
        check_rate(by)
        yield html


# Settings


def update_settings(
    *,
    competition: Competition,
    by: User,
    readers: str | None = None,
    participants_may_post: bool | None = None,
) -> Forum:
    if not competition.is_organizer(by):
        raise NotAllowed("only the organizers of this competition may change its forum")
    with transaction.atomic():
        forum, _ = Forum.objects.get_or_create(competition=competition)
        if readers is not None:
            forum.readers = readers
        if participants_may_post is not None:
            forum.participants_may_post = participants_may_post
        forum.save()
    return forum


# Threads and posts


def start_thread(*, competition: Competition, by: User, title: str, content: str) -> Thread:
    """A new thread with its first post; its author follows it."""
    _writable(by, competition)
    title = rules.clean_title(title)
    content = rules.clean_content(content)
    with _writing(by, content) as html:
        forum, _ = Forum.objects.get_or_create(competition=competition)
        thread = Thread.objects.create(forum=forum, title=title, author=by)
        Post.objects.create(thread=thread, author=by, content=content, html=html)
        Follow.objects.create(user=by, thread=thread)
    return thread


def reply(*, thread: Thread, by: User, content: str) -> Post:
    """A new post at the end of `thread`; its author follows the thread, and every other
    follower who may read the forum is mailed."""
    competition = thread.forum.competition
    access = rules.access(by, competition)
    _readable(access)
    if thread.deleted_at is not None:
        raise Conflict("this thread was deleted")
    _allowed(access.reply_refusal(thread))
    content = rules.clean_content(content)
    with _writing(by, content) as html:
        # a moderator may have locked or deleted the thread while the post rendered
        current = Thread.objects.select_for_update().get(pk=thread.pk)
        if current.deleted_at is not None:
            raise Conflict("this thread was deleted")
        _allowed(access.reply_refusal(current))
        post = Post.objects.create(thread=current, author=by, content=content, html=html)
        Thread.objects.filter(pk=current.pk).update(last_activity_at=post.created_at)
        thread.last_activity_at = post.created_at
        Follow.objects.get_or_create(user=by, thread=current)
        _mail_followers(post, current, access.forum, by)
    return post


def edit_post(*, post: Post, by: User, content: str) -> Post:
    """Replaces the post's content; the content it had is kept as a revision."""
    if post.author_id != by.pk:
        raise NotAllowed("only its author may edit a post")
    _writable(by, post.thread.forum.competition)
    if post.deleted_at is not None:
        raise Conflict("this post was deleted")
    content = rules.clean_content(content)
    if content == post.content:
        return post
    with _writing(by, content) as html:
        current = Post.objects.select_for_update().get(pk=post.pk)
        if current.deleted_at is not None:
            raise Conflict("this post was deleted")
        now = timezone.now()
        Revision.objects.create(post=current, content=current.content, replaced_at=now, editor=by)
        Post.objects.filter(pk=current.pk).update(content=content, html=html, edited_at=now)
    post.content, post.html, post.edited_at = content, html, now
    return post


def rename_thread(*, thread: Thread, by: User, title: str) -> Thread:
    if thread.author_id != by.pk:
        raise NotAllowed("only its author may rename a thread")
    _writable(by, thread.forum.competition)
    thread.title = rules.clean_title(title)
    Thread.objects.filter(pk=thread.pk).update(title=thread.title)
    return thread


# Deleting: rows stay, marked


def _mark_deleted[Row: (Thread, Post)](
    row: Row,
    *,
    by: User,
    deleted_as: DeletedAs,
    competition: Competition,
    action: Action,
    details: Callable[[Row], dict[str, Any]],
) -> Row:
    """Marks `row` deleted under a lock on it, once: a deleted row stays as it was. A
    moderator's deletion is recorded in the audit log, with the `details` of the row as it
    was locked. The row as it is now."""
    with transaction.atomic():
        current = type(row).objects.select_for_update().get(pk=row.pk)
        if current.deleted_at is not None:
            return current
        current.deleted_at, current.deleted_by, current.deleted_as = timezone.now(), by, deleted_as
        current.save(update_fields=["deleted_at", "deleted_by", "deleted_as"])
        if deleted_as == DeletedAs.MODERATOR:
            audit.record(
                actor=by,
                action=action,
                target=current,
                competition=competition.pk,
                details=details(current),
            )
    return current


def delete_post(*, post: Post, by: User) -> Post:
    """Its author deletes their own post; a moderator deletes any (recorded in the audit
    log). Deleting a deleted post changes nothing."""
    competition = post.thread.forum.competition
    if post.author_id == by.pk:
        deleted_as = DeletedAs.AUTHOR
    elif competition.is_organizer(by):
        deleted_as = DeletedAs.MODERATOR
    else:
        raise NotAllowed("only its author or a moderator may delete a post")
    return _mark_deleted(
        post,
        by=by,
        deleted_as=deleted_as,
        competition=competition,
        action=Action.FORUM_POST_DELETE,
        details=lambda current: {"thread": post.thread_id, "author": _name(post.author)},
    )


def delete_thread(*, thread: Thread, by: User) -> None:
    """A moderator deletes any thread (recorded in the audit log); its author deletes it
    only while nobody else has posted in it."""
    competition = thread.forum.competition
    others = (
        Post.objects.filter(thread=thread, deleted_at__isnull=True)
        .exclude(author_id=thread.author_id)
        .exists()
    )
    if thread.author_id == by.pk and not others:
        deleted_as = DeletedAs.AUTHOR
    elif competition.is_organizer(by):
        deleted_as = DeletedAs.MODERATOR
    elif thread.author_id == by.pk:
        raise Conflict(
            "others have posted in this thread: only a moderator may delete it now; you may "
            "delete your own posts"
        )
    else:
        raise NotAllowed("only its author or a moderator may delete a thread")
    _mark_deleted(
        thread,
        by=by,
        deleted_as=deleted_as,
        competition=competition,
        action=Action.FORUM_THREAD_DELETE,
        details=lambda current: {"title": current.title, "author": _name(thread.author)},
    )


# Moderation


def _moderate(
    thread: Thread, by: User, field: str, value: bool, action: Action, verb: str
) -> Thread:
    """Sets `pinned` or `locked`; an actual change is recorded in the audit log."""
    competition = thread.forum.competition
    if not competition.is_organizer(by):
        raise NotAllowed(f"only the organizers of this competition may {verb} threads")
    with transaction.atomic():
        current = Thread.objects.select_for_update().get(pk=thread.pk)
        if getattr(current, field) != value:
            Thread.objects.filter(pk=current.pk).update(**{field: value})
            audit.record(
                actor=by,
                action=action,
                target=current,
                competition=competition.pk,
                details={"title": current.title},
            )
    setattr(thread, field, value)
    return thread


def pin(*, thread: Thread, by: User) -> Thread:
    return _moderate(thread, by, "pinned", True, Action.FORUM_THREAD_PIN, "pin")


def unpin(*, thread: Thread, by: User) -> Thread:
    return _moderate(thread, by, "pinned", False, Action.FORUM_THREAD_UNPIN, "unpin")


def lock(*, thread: Thread, by: User) -> Thread:
    return _moderate(thread, by, "locked", True, Action.FORUM_THREAD_LOCK, "lock")


def unlock(*, thread: Thread, by: User) -> Thread:
    return _moderate(thread, by, "locked", False, Action.FORUM_THREAD_UNLOCK, "unlock")


# Following


def follow(*, thread: Thread, by: User) -> None:
    _readable(rules.access(by, thread.forum.competition))
    Follow.objects.get_or_create(user=by, thread=thread)


def unfollow(*, thread: Thread, by: User) -> None:
    Follow.objects.filter(user=by, thread=thread).delete()


def follows(thread: Thread, user: User) -> bool:
    return Follow.objects.filter(user=user, thread=thread).exists()


def _name(user: User | None) -> str:
    return user.username if user is not None else ""


def _readers(users: list[User], forum: Forum) -> list[User]:
    """Those of `users` who may read `forum` now: a follower who lost access (a revoked
    participant, a forum closed to outsiders) is not mailed what it says."""
    competition = forum.competition
    collaborators = competition.collaborators.values_list("pk", flat=True)
    organizers = {competition.created_by_id, *collaborators}
    statuses = dict(
        Participant.objects.filter(competition=competition, user__in=users).values_list(
            "user_id", "status"
        )
    )
    return [
        user
        for user in users
        if rules.Access(
            forum=forum,
            signed_in=True,
            moderator=user.is_superuser or user.pk in organizers,
            status=statuses.get(user.pk),
        ).may_read
    ]


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _mail_followers(post: Post, thread: Thread, forum: Forum, author: User) -> None:
    followers = list(
        User.objects.filter(forum_follows__thread=thread).exclude(pk=author.pk).order_by("pk")
    )
    recipients = _readers(followers, forum)
    if not recipients:
        return
    competition = forum.competition
    site = settings.SITE_URL.rstrip("/")
    link = site + reverse("forum-thread-posts", args=[thread.pk])
    subject = _shorten(f"{competition.title}: new post in “{thread.title}”", messaging.SUBJECT_MAX)
    body = (
        f"{author.username} posted in “{thread.title}”, in the forum of {competition.title}:\n"
        f"\n{post.content}\n\n-- \n"
        f"The thread: {link}\n"
        "You receive this email because you follow this thread (you started it, posted in "
        f"it or followed it). To stop following it: DELETE {site}"
        f"{reverse('forum-thread-follow', args=[thread.pk])}; to receive no forum email, "
        f"turn it off in your notification preferences: {site}{reverse('mail-preferences')}"
    )
    messaging.queue_many(
        recipients,
        category=Category.FORUM,
        subject=subject,
        body=body,
        competition=competition,
        sender=author,
    )
