"""Who sees which leaderboard and which scores: one policy, used by every endpoint that
returns scores (a phase's leaderboard, the results export, the leaderboard command, a
submission's details).

The rule, in `policy`:

- The competition's organizers (owner, collaborators) and platform admins see everything:
  hidden leaderboards, hidden columns, names on anonymous leaderboards, scores before the
  release date.
- Anyone else who may see the competition sees a leaderboard's scores when it is not hidden
  and its release date (if any) has passed, without its hidden columns, and without other
  people's names, organizations and submission ids when it is anonymous. This holds for a
  submission's own owner too: before the release date, a participant does not see even
  their own scores on it (the point of a release date is that results come out at once).
- A hidden leaderboard is not listed to them at all; one not yet released is listed (with
  its release date) but shows no scores.

Whether the caller may see the competition, the phase or the submission at all is checked
before, by the querysets' `visible_to`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from podium.competitions.models import Competition
from podium.leaderboards.models import Leaderboard
from podium.submissions.models import Submission, SubmissionScore


@dataclass(frozen=True)
class ScoreView:
    """What one viewer may see of one leaderboard."""

    listed: bool  # the leaderboard's definition (title, columns) may be shown
    shown: bool  # its scores may be shown
    reason: str  # why not, when not shown
    organizer: bool
    hidden_columns: bool  # hidden columns are shown too
    names: bool  # other people's names, organizations and submission ids are shown


def policy(
    *,
    organizer: bool,
    hidden: bool,
    release_date: datetime | None,
    anonymous: bool,
    now: datetime,
) -> ScoreView:
    """THE visibility rule (see the module's docstring); everything else calls it."""
    if organizer:
        return ScoreView(
            listed=True, shown=True, reason="", organizer=True, hidden_columns=True, names=True
        )
    reason = ""
    if hidden:
        reason = "this leaderboard is shown to the organizers only"
    elif release_date is not None and now < release_date:
        reason = f"this leaderboard's results are released on {release_date:%Y-%m-%d %H:%M} UTC"
    return ScoreView(
        listed=not hidden,
        shown=not reason,
        reason=reason,
        organizer=False,
        hidden_columns=False,
        names=not anonymous,
    )


def score_view(
    user: Any,
    leaderboard: Leaderboard,
    *,
    organizer: bool | None = None,
    now: datetime | None = None,
) -> ScoreView:
    """The policy for `user` on `leaderboard` (`organizer` when already known)."""
    if organizer is None:
        organizer = leaderboard.competition.is_organizer(user)
    return policy(
        organizer=organizer,
        hidden=leaderboard.hidden,
        release_date=leaderboard.release_date,
        anonymous=leaderboard.anonymous,
        now=now or timezone.now(),
    )


def listed_leaderboards(user: Any) -> QuerySet[Leaderboard]:
    """Leaderboards whose definition `user` may read: those of the competitions they see,
    hidden ones to the organizers only (`policy`'s `listed`, as a query)."""
    visible = Leaderboard.objects.filter(competition__in=Competition.objects.visible_to(user))
    organized = Competition.objects.organized_by(user).filter(pk=OuterRef("competition_id"))
    return visible.annotate(caller_organizes=Exists(organized)).filter(
        Q(hidden=False) | Q(caller_organizes=True)
    )


def visible_scores(user: Any, submission: Submission) -> dict[str, float]:
    """The scores of `submission` (one task's, for a child) that `user` may see, by column
    key in column order: none of a leaderboard the policy does not show them, no hidden
    column unless they organize the competition. The caller has already checked that
    `user` may see the submission. Two queries at most."""
    competition = submission.phase.competition
    organizer = competition.is_organizer(user)
    now = timezone.now()
    scores = (
        SubmissionScore.objects.filter(submission=submission)
        .select_related("column__leaderboard")
        .order_by("column__leaderboard__index", "column__index")
    )
    visible: dict[str, float] = {}
    for score in scores:
        column = score.column
        view = score_view(user, column.leaderboard, organizer=organizer, now=now)
        if view.shown and (view.hidden_columns or not column.hidden):
            visible[column.key] = score.value
    return visible


def visible_score_rows(
    user: Any, scores: QuerySet[SubmissionScore] | None = None
) -> QuerySet[SubmissionScore]:
    """The score rows `user` may see, as a query (for lists of scores): those of the
    submissions they may see, filtered as `policy` says (everything for the competition's
    organizers; otherwise no hidden leaderboard, none before its release date, no hidden
    column)."""
    rows = SubmissionScore.objects.all() if scores is None else scores
    rows = rows.filter(submission__in=Submission.objects.visible_to(user))
    if getattr(user, "is_superuser", False):
        return rows
    released = Q(column__leaderboard__release_date__isnull=True) | Q(
        column__leaderboard__release_date__lte=timezone.now()
    )
    shown = Q(column__hidden=False, column__leaderboard__hidden=False) & released
    organized = Competition.objects.organized_by(user)
    return rows.filter(Q(submission__phase__competition__in=organized) | shown)
