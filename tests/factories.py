"""Rows for tests, built through the same models and services the server uses.

Plain functions with keyword arguments and sensible defaults: a test names only what it
cares about.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone

from podium.accounts.models import User
from podium.competitions.models import Competition, Phase, PhaseTask, Task
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.leaderboards.models import Column, Leaderboard
from podium.participation.models import Participant


def make_user(username: str, *, superuser: bool = False) -> User:
    email = f"{username}@example.org"
    if superuser:
        return User.objects.create_superuser(username, email, "pw")
    return User.objects.create_user(username, email, "pw")


def make_competition(
    *,
    owner: User,
    title: str = "Competition",
    published: bool = True,
    collaborators: Iterable[User] = (),
    **fields: object,
) -> Competition:
    competition = Competition.objects.create(
        title=title, created_by=owner, published=published, **fields
    )
    competition.collaborators.set(collaborators)
    return competition


def make_data(
    *,
    owner: User,
    kind: str = Data.Kind.INPUT_DATA,
    content: bytes | None = None,
    name: str = "file.zip",
    is_public: bool = False,
) -> Data:
    """Stores real bytes; distinct by default so that rows do not share a blob."""
    if content is None:
        content = f"{owner.username}:{kind}:{name}:{Data.objects.count()}".encode()
    return datasets.store(
        owner=owner, kind=kind, name=name, stream=io.BytesIO(content), is_public=is_public
    )


def make_task(
    *,
    owner: User,
    name: str = "Task",
    scoring_program: Data | None = None,
    is_public: bool = False,
) -> Task:
    if scoring_program is None:
        scoring_program = make_data(owner=owner, kind=Data.Kind.SCORING_PROGRAM)
    return Task.objects.create(
        name=name, created_by=owner, scoring_program=scoring_program, is_public=is_public
    )


def make_phase(
    *,
    competition: Competition,
    name: str = "Phase",
    index: int = 0,
    tasks: Iterable[Task] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> Phase:
    phase = Phase.objects.create(
        competition=competition,
        name=name,
        index=index,
        start=start or timezone.now() - timedelta(days=1),
        end=end,
    )
    for position, task in enumerate(tasks):
        PhaseTask.objects.create(phase=phase, task=task, index=position)
    return phase


def make_leaderboard(
    *,
    competition: Competition,
    key: str = "main",
    title: str = "Results",
    index: int = 0,
    hidden: bool = False,
    columns: Iterable[str] = ("score",),
) -> Leaderboard:
    leaderboard = Leaderboard.objects.create(
        competition=competition, key=key, title=title, index=index, hidden=hidden
    )
    for position, column in enumerate(columns):
        Column.objects.create(leaderboard=leaderboard, index=position, key=column, title=column)
    return leaderboard


def make_participant(
    *, user: User, competition: Competition, status: str = Participant.Status.APPROVED
) -> Participant:
    return Participant.objects.create(user=user, competition=competition, status=status)
