"""Who may do what in a competition's forum, and what a title or a post may hold.

`access` reads the caller's standing in one competition (a few queries); the rest is pure.

Reading: anyone who may see the competition, or, where the organizers chose so, only its
approved participants and its organizers. Writing: the organizers (owner, collaborators)
and platform admins always; approved participants unless the organizers turned that off;
nobody else. Moderating (pin, lock, delete anything): the organizers and platform admins.
A turned-off forum (`Competition.forum_enabled`) is closed to everyone, organizers too.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from podium.competitions.models import Competition
from podium.forums.models import TITLE_MAX, Forum, Thread
from podium.participation.models import Participant

CONTENT_MAX = 20_000


class TextInvalid(ValueError):
    """A title or a post that cannot be saved; `field` names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _refuse_control_characters(text: str, field: str, noun: str, allowed: str) -> None:
    for char in text:
        # Cc: control characters (NUL, which PostgreSQL cannot store, among them);
        # Cs: lone surrogates, which no database encoding can store.
        if char not in allowed and unicodedata.category(char) in ("Cc", "Cs"):
            raise TextInvalid(field, f"the {noun} holds the control character U+{ord(char):04X}")


def clean_title(raw: str) -> str:
    """One line: line breaks and runs of spaces become one space."""
    title = " ".join(raw.split())
    _refuse_control_characters(title, "title", "title", allowed="")
    if not title:
        raise TextInvalid("title", "the title is empty")
    if len(title) > TITLE_MAX:
        raise TextInvalid("title", f"the title has {len(title):,} characters; at most {TITLE_MAX}")
    return title


def clean_content(raw: str) -> str:
    """The post as written, if it fits."""
    if len(raw) > CONTENT_MAX:
        raise TextInvalid(
            "content", f"the post has {len(raw):,} characters; at most {CONTENT_MAX:,}"
        )
    _refuse_control_characters(raw, "content", "post", allowed="\t\n\r")
    if not raw.strip():
        raise TextInvalid("content", "the post is empty")
    return raw


@dataclass(frozen=True)
class Access:
    """One user's standing in one competition's forum."""

    forum: Forum
    signed_in: bool
    moderator: bool
    status: str | None  # the user's registration, None if they have none

    @property
    def competition(self) -> Competition:
        return self.forum.competition

    @property
    def sees_competition(self) -> bool:
        return self.moderator or self.competition.published

    @property
    def enabled(self) -> bool:
        return self.competition.forum_enabled

    @property
    def approved(self) -> bool:
        return self.status == Participant.Status.APPROVED

    @property
    def may_read(self) -> bool:
        if not (self.sees_competition and self.enabled):
            return False
        return self.moderator or self.forum.readers == Forum.Readers.PUBLIC or self.approved

    def read_refusal(self) -> str | None:
        """Why a caller who sees the competition's enabled forum may not read it."""
        if self.may_read:
            return None
        return (
            "only the approved participants and the organizers of this competition may "
            "read its forum"
        )

    def post_refusal(self) -> str | None:
        """Why the caller may not start a thread or post; None if they may."""
        if self.moderator:
            return None
        if not self.may_read:
            return self.read_refusal()
        if not self.approved:
            if self.status is None:
                why = "register for the competition first"
            else:
                why = f"your registration is {self.status}"
            return f"only approved participants may post in this forum: {why}"
        if not self.forum.participants_may_post:
            return "the organizers of this competition do not let participants post in its forum"
        return None

    def reply_refusal(self, thread: Thread) -> str | None:
        refusal = self.post_refusal()
        if refusal is None and thread.locked and not self.moderator:
            refusal = "this thread is locked: no new posts"
        return refusal


def access(user: Any, competition: Competition) -> Access:
    """`user`'s standing in `competition`'s forum: at most two queries, none for the forum
    when the competition was read with `select_related("forum")`."""
    forum = Forum.of(competition)
    signed_in = bool(getattr(user, "is_authenticated", False))
    moderator = competition.is_organizer(user)
    status = None
    if signed_in and not moderator:
        status = (
            Participant.objects.filter(user=user, competition=competition)
            .values_list("status", flat=True)
            .first()
        )
    return Access(forum=forum, signed_in=signed_in, moderator=moderator, status=status)
