"""A competition's forum: its settings, threads, posts, posts' earlier versions, followers.

The forum deletes nothing: a deleted thread or post keeps its row, marked with when and
whether its author or a moderator deleted it, so that a moderator's decision can be
reviewed (and the audit log says which moderator). The API shows a deleted post as a
placeholder and a deleted thread not at all.

A post keeps its Markdown as written and the sanitized HTML it renders to (`html`),
rendered once when written: on hostile input Markdown is slow enough that rendering runs in
a child process with a time limit (`podium.forums.rendering`), never while a page is read.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Exists, OuterRef, Q, Value
from django.utils import timezone

from podium.competitions.models import Competition
from podium.core.models import Timestamped

TITLE_MAX = 200


class Forum(Timestamped):
    """A competition's forum settings. A competition without a row has the defaults; the
    row is written when an organizer changes them or the first thread is started."""

    class Readers(models.TextChoices):
        PUBLIC = "public", "Anyone who may see the competition"
        PARTICIPANTS = "participants", "Approved participants and the organizers"

    competition = models.OneToOneField(
        "competitions.Competition", on_delete=models.CASCADE, related_name="forum"
    )
    readers = models.CharField(max_length=20, choices=Readers.choices, default=Readers.PUBLIC)
    participants_may_post = models.BooleanField(
        default=True,
        help_text="Whether approved participants may start threads and post; organizers "
        "always may.",
    )

    def __str__(self) -> str:
        return f"forum of competition {self.competition_id}"

    @classmethod
    def of(cls, competition: Competition) -> Forum:
        """The competition's forum; its defaults, unsaved, when it has no row yet."""
        try:
            forum: Forum = competition.forum
        except Forum.DoesNotExist:
            forum = Forum(competition=competition)
        return forum


class DeletedAs(models.TextChoices):
    AUTHOR = "author", "deleted by its author"
    MODERATOR = "moderator", "deleted by a moderator"


class SoftDeleted(models.Model):
    """A thread or post taken down: kept, with who took it down and as whom, and shown as
    removed."""

    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    deleted_as = models.CharField(max_length=10, choices=DeletedAs.choices, blank=True)

    class Meta:
        abstract = True


class ThreadQuerySet(models.QuerySet["Thread"]):
    def shown(self) -> ThreadQuerySet:
        return self.filter(deleted_at__isnull=True)

    def annotated(self, user: Any) -> ThreadQuerySet:
        """With `post_count` (posts not deleted) and `following` (whether `user` follows
        each thread), computed in the same query as the threads."""
        following: Exists | Value
        if getattr(user, "is_authenticated", False):
            following = Exists(Follow.objects.filter(thread=OuterRef("pk"), user=user))
        else:
            following = Value(False)
        return self.select_related("author", "forum").annotate(
            post_count=Count("posts", filter=Q(posts__deleted_at__isnull=True)),
            following=following,
        )

    def listed(self, user: Any) -> ThreadQuerySet:
        """Shown threads, annotated, pinned first, then the most recently active: one
        query for any number of threads."""
        return self.shown().annotated(user).order_by("-pinned", "-last_activity_at", "-pk")


class Thread(Timestamped, SoftDeleted):
    forum = models.ForeignKey(Forum, on_delete=models.CASCADE, related_name="threads")
    title = models.CharField(max_length=TITLE_MAX)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_threads",
    )
    pinned = models.BooleanField(default=False)
    locked = models.BooleanField(default=False, help_text="No new posts but the moderators'.")
    last_activity_at = models.DateTimeField(
        default=timezone.now, help_text="When it was started or last posted in."
    )

    objects = ThreadQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["forum", "-pinned", "-last_activity_at"])]

    def __str__(self) -> str:
        return self.title


class Post(Timestamped, SoftDeleted):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="forum_posts",
    )
    content = models.TextField(help_text="Markdown, as written.")
    html = models.TextField(help_text="The content rendered and sanitized.")
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [
            models.Index(fields=["thread", "created_at"]),
            # the rate limit counts a user's recent posts
            models.Index(fields=["author", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"post {self.pk} in thread {self.thread_id}"


class Revision(models.Model):
    """A post's content before one edit, kept as the record of what was changed when."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    content = models.TextField()
    replaced_at = models.DateTimeField(default=timezone.now)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["post", "replaced_at", "pk"]
        indexes = [models.Index(fields=["editor", "replaced_at"])]

    def __str__(self) -> str:
        return f"post {self.post_id} before {self.replaced_at:%Y-%m-%d %H:%M}"


class Follow(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forum_follows"
    )
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="follows")
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "thread"], name="follow_a_thread_once")
        ]

    def __str__(self) -> str:
        return f"{self.user} follows thread {self.thread_id}"
