"""What the forum API reads and writes. Inputs and outputs are separate serializers: what
a caller may send is small (a title, a post's Markdown, two settings), what it reads is
computed (counts, whether it follows, the rendered HTML)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from podium.competitions.models import Competition
from podium.competitions.serializers import VisibleRelatedField
from podium.forums.models import TITLE_MAX, DeletedAs, Forum, Post, Thread
from podium.forums.rules import CONTENT_MAX

CONTENT_HELP = (
    f"Markdown (HTML allowed), at most {CONTENT_MAX:,} characters; shown sanitized: no "
    "script, iframe, form, event handler or `javascript:` link survives."
)
TITLE_HELP = f"One line (line breaks become spaces), at most {TITLE_MAX} characters."


class ForumSerializer(serializers.Serializer[Any]):
    competition = serializers.IntegerField(read_only=True)
    enabled = serializers.BooleanField(
        read_only=True,
        help_text="Whether the forum is on: the competition's `forum_enabled`, which its "
        "organizers set with PATCH /api/competitions/{id}/. A forum turned off answers 404 "
        "to everyone, organizers too; its threads are kept.",
    )
    readers = serializers.ChoiceField(
        choices=Forum.Readers.choices,
        read_only=True,
        help_text="Who may read it: `public`, anyone who may see the competition; "
        "`participants`, its approved participants and its organizers.",
    )
    participants_may_post = serializers.BooleanField(
        read_only=True,
        help_text="Whether approved participants may start threads and post; the "
        "organizers always may.",
    )
    may_read = serializers.BooleanField(read_only=True, help_text="Whether the caller may.")
    may_post = serializers.BooleanField(read_only=True, help_text="Whether the caller may.")
    may_moderate = serializers.BooleanField(
        read_only=True,
        help_text="Whether the caller may pin, lock and delete threads and posts: the "
        "competition's organizers and platform admins.",
    )


class ForumSettingsSerializer(serializers.Serializer[Any]):
    readers = serializers.ChoiceField(
        choices=Forum.Readers.choices,
        required=False,
        help_text="`public` (anyone who may see the competition) or `participants` "
        "(approved participants and organizers).",
    )
    participants_may_post = serializers.BooleanField(
        required=False, help_text="Whether approved participants may start threads and post."
    )


class ThreadSerializer(serializers.ModelSerializer[Thread]):
    competition = serializers.IntegerField(source="forum.competition_id", read_only=True)
    author = serializers.CharField(
        source="author.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The author's username; null once the account is gone.",
    )
    post_count = serializers.IntegerField(
        read_only=True, help_text="Posts not deleted, the first one included."
    )
    following = serializers.BooleanField(
        read_only=True, help_text="Whether the caller follows the thread (mail on new posts)."
    )

    class Meta:
        model = Thread
        fields = [
            "id",
            "competition",
            "title",
            "author",
            "created_at",
            "last_activity_at",
            "post_count",
            "pinned",
            "locked",
            "following",
        ]
        read_only_fields = fields


@extend_schema_field(OpenApiTypes.INT)
class CompetitionField(VisibleRelatedField):
    """A competition's id, among those the caller may see."""


class ThreadCreateSerializer(serializers.Serializer[Any]):
    competition = CompetitionField(
        model=Competition, help_text="The competition whose forum the thread is in."
    )
    title = serializers.CharField(help_text=TITLE_HELP)
    content = serializers.CharField(
        trim_whitespace=False, help_text="The first post. " + CONTENT_HELP
    )


class ThreadUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(help_text=TITLE_HELP)


class PostSerializer(serializers.ModelSerializer[Post]):
    author = serializers.CharField(
        source="author.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text="The author's username; null once the account is gone.",
    )
    content = serializers.SerializerMethodField(
        help_text="The Markdown as written; empty once deleted."
    )
    html = serializers.SerializerMethodField(
        help_text="The content rendered and sanitized, to show as is; empty once deleted."
    )
    deleted_as = serializers.SerializerMethodField(
        help_text="null, or who deleted the post: `author` (deleted by its author) or "
        "`moderator` (deleted by a moderator); the post stays in its thread as a placeholder."
    )

    class Meta:
        model = Post
        fields = [
            "id",
            "thread",
            "author",
            "content",
            "html",
            "created_at",
            "edited_at",
            "deleted_at",
            "deleted_as",
        ]
        read_only_fields = fields

    def get_content(self, post: Post) -> str:
        return "" if post.deleted_at is not None else post.content

    def get_html(self, post: Post) -> str:
        return "" if post.deleted_at is not None else post.html

    @extend_schema_field(serializers.ChoiceField(choices=DeletedAs.choices, allow_null=True))
    def get_deleted_as(self, post: Post) -> str | None:
        return post.deleted_as or None


class PostWriteSerializer(serializers.Serializer[Any]):
    # Leading spaces are Markdown (an indented code block): kept as written.
    content = serializers.CharField(trim_whitespace=False, help_text=CONTENT_HELP)
