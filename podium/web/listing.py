"""Which competitions a visitor finds: the list with its search and filters, and the front
page. A competition's status comes from its phases' dates:

- upcoming: no phase has started yet (or it has no phase);
- ended: every phase has started and ended;
- running: otherwise, between two phases too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypedDict

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django_stubs_ext import WithAnnotations

from podium.competitions.models import Competition, Phase
from podium.participation.models import Participant
from podium.submissions.models import Submission

RUNNING = "running"
UPCOMING = "upcoming"
ENDED = "ended"
STATUSES = (RUNNING, UPCOMING, ENDED)
TYPES = tuple(Competition.Type.values)
FEATURED = 3
RECENT = 6


class Listed(TypedDict):
    first_start: datetime | None
    last_end: datetime | None
    open_ended: bool
    current_phase: str | None
    current_end: datetime | None
    participant_count: int
    status: str


if TYPE_CHECKING:  # the annotated type exists for mypy only (django-stubs' plugin)
    ListedCompetitions = QuerySet[WithAnnotations[Competition, Listed]]


def _figures(competitions: QuerySet[Competition], now: datetime) -> QuerySet[Any]:
    """Each competition with what `annotated` adds but its status: subqueries."""
    phases = Phase.objects.filter(competition=OuterRef("pk")).order_by()
    current = phases.in_status(Phase.Status.CURRENT, now).order_by("index", "pk")
    approved = (
        Participant.objects.filter(competition=OuterRef("pk"), status=Participant.Status.APPROVED)
        .order_by()
        .values("competition")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return competitions.annotate(
        first_start=Subquery(phases.order_by("start").values("start")[:1]),
        last_end=Subquery(phases.filter(end__isnull=False).order_by("-end").values("end")[:1]),
        open_ended=Exists(phases.filter(end__isnull=True)),
        current_phase=Subquery(current.values("name")[:1]),
        current_end=Subquery(current.values("end")[:1]),
        participant_count=Coalesce(Subquery(approved), 0),
    )


def annotated(competitions: QuerySet[Competition], now: datetime) -> ListedCompetitions:
    """Each competition with its `status` (see the module), `participant_count` (approved),
    and its current phase's `current_phase` and `current_end`: subqueries, one query in all."""
    listed: ListedCompetitions = _figures(competitions, now).annotate(
        status=Case(
            When(Q(first_start__isnull=True) | Q(first_start__gt=now), then=Value(UPCOMING)),
            When(open_ended=False, last_end__lte=now, then=Value(ENDED)),
            default=Value(RUNNING),
            output_field=CharField(),
        )
    )
    return listed


def status_of(
    first_start: datetime | None, last_end: datetime | None, open_ended: bool, now: datetime
) -> str:
    """The status (see the module) from the figures `annotated` reads: its rule, for one
    competition."""
    if first_start is None or first_start > now:
        return UPCOMING
    if not open_ended and last_end is not None and last_end <= now:
        return ENDED
    return RUNNING


def one(competitions: QuerySet[Competition], pk: int, now: datetime) -> Competition | None:
    """Competition `pk` among `competitions` (None when not there) with the attributes
    `annotated` adds, worked out here from its phases and a count: three plain queries,
    which cost a competition's page less than building `annotated`'s subqueries."""
    competition = competitions.filter(pk=pk).first()
    if competition is None:
        return None
    phases = list(competition.phases.order_by("index", "pk").values_list("name", "start", "end"))
    current = [
        (name, end) for name, start, end in phases if start <= now and (end is None or now < end)
    ]
    ends = [end for _, _, end in phases if end is not None]
    found: Any = competition  # the attributes `Listed` names, set here
    found.first_start = min((start for _, start, _ in phases), default=None)
    found.last_end = max(ends, default=None)
    found.open_ended = len(ends) < len(phases)
    found.current_phase, found.current_end = current[0] if current else (None, None)
    found.participant_count = competition.participants.filter(
        status=Participant.Status.APPROVED
    ).count()
    found.status = status_of(found.first_start, found.last_end, found.open_ended, now)
    return competition


def search(
    user: Any, *, now: datetime, text: str = "", status: str = "", kind: str = ""
) -> ListedCompetitions:
    """The competitions `user` may see matching the search `text` (title or description),
    a status and a type (each ignored when empty or unknown), newest first."""
    found: QuerySet[Competition] = Competition.objects.visible_to(user)
    if text:
        found = found.filter(Q(title__icontains=text) | Q(description__icontains=text))
    if kind in TYPES:
        found = found.filter(competition_type=kind)
    listed = annotated(found, now)
    if status in STATUSES:
        listed = listed.filter(status=status)
    return listed.order_by("-created_at", "-pk")


@dataclass
class FrontPage:
    featured: list[WithAnnotations[Competition, Listed]]
    recent: list[WithAnnotations[Competition, Listed]]
    competitions: int
    participants: int
    submissions: int


def front_page(now: datetime) -> FrontPage:
    """The front page shows published competitions only, whoever looks: the running ones
    with the most participants (featured), the newest others, and the platform's figures.
    Five queries."""
    published = annotated(Competition.objects.filter(published=True), now)
    featured = list(
        published.filter(status=RUNNING).order_by("-participant_count", "-created_at", "-pk")[
            :FEATURED
        ]
    )
    recent = list(
        published.exclude(pk__in=[competition.pk for competition in featured]).order_by(
            "-created_at", "-pk"
        )[:RECENT]
    )
    return FrontPage(
        featured=featured,
        recent=recent,
        competitions=Competition.objects.filter(published=True).count(),
        participants=Participant.objects.filter(
            status=Participant.Status.APPROVED, competition__published=True
        )
        .values("user")
        .distinct()
        .count(),
        submissions=Submission.objects.filter(
            parent__isnull=True, is_baseline=False, phase__competition__published=True
        ).count(),
    )
