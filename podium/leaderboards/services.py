"""Leaderboards as use cases: reading a phase's leaderboard for a viewer, placing entries by
the submission rules (when a submission finishes, when someone adds or removes one, when a
migrated entry's run finishes), and saving a leaderboard's definition.

The rules themselves, the order and the ties are `podium.leaderboards.ranking`'s (pure);
who sees what is `podium.leaderboards.visibility`'s. Entries are stored on
`Submission.leaderboard`, on a submission and on its tasks alike, and the leaderboard's rows
(`podium.leaderboards.standings`) follow them: every function here that changes entries or
their scores syncs the rows concerned before its transaction ends, so a read shows the
change at once and reads one page, never the whole leaderboard. A change made elsewhere
(a score written behind these functions' back) shows once its writer calls `rows_changed`.

Every change of entries starts by locking the leaderboard's row, before any submission row
is touched: two submissions of one participant finishing at once are placed one after the
other (each sees the other's result), and every writer takes the locks in the same order
(leaderboard, then submissions), so none waits on another in a circle. Placement after a
finish runs once the worker's report has committed (see `schedule_placement`), outside the
report's own locks.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q

from podium.competitions.models import Competition, Phase, PhaseTask
from podium.leaderboards import queries, ranking, standings
from podium.leaderboards.models import CarriedEntry, Column, Leaderboard
from podium.leaderboards.visibility import ScoreView, score_view
from podium.submissions.models import Submission
from podium_worker.protocol import Status

UPDATE_CHUNK = 2000


class NotAllowed(Exception):
    """The caller may see the submission but not change its entries; the message says why."""


class EntryRefused(Exception):
    """The rule or the submission's state does not allow this change; the message says why."""


# Reading


@dataclass
class PhaseBoard:
    """A phase's leaderboard, ranked: the same for every viewer."""

    phase: Phase
    leaderboard: Leaderboard
    columns: list[Column]
    board: ranking.BoardDef
    ranking: ranking.Ranking  # its entries are read from the standings a slice at a time
    task_names: dict[int, str]


@dataclass
class Shown:
    """A phase's leaderboard as one viewer sees it."""

    phase_board: PhaseBoard
    view: ScoreView
    columns: list[Column]
    rows: list[dict[str, Any]]


def _phase_with_tasks(phase: Phase) -> Phase:
    """The phase with its competition, leaderboard and tasks (as is when already loaded so)."""
    if "phase_tasks" in getattr(phase, "_prefetched_objects_cache", {}):
        return phase
    return (
        Phase.objects.select_related("competition", "leaderboard")
        .prefetch_related(
            Prefetch("phase_tasks", PhaseTask.objects.select_related("task").order_by("index"))
        )
        .get(pk=phase.pk)
    )


def rows_changed(leaderboard_id: int) -> None:
    """Says that the rows of a leaderboard may have changed behind placement's back (scores
    or entries written directly): its rows are worked out again from the runs, on every
    phase that uses it, at the cost of reading them all. Names and fact sheet answers are
    read with each page and need no call. Takes the leaderboard's row lock until the
    transaction ends."""
    with transaction.atomic():
        leaderboard = Leaderboard.objects.select_for_update().filter(pk=leaderboard_id).first()
        if leaderboard is None:
            return
        for phase in Phase.objects.filter(leaderboard=leaderboard).order_by("pk"):
            standings.sync(leaderboard, phase)


def phase_board(phase: Phase) -> PhaseBoard | None:
    """The phase's leaderboard ranked, or None when the phase has none. Four queries
    whatever the number of rows: the phase with its leaderboard, its tasks, the columns, and
    the state of its rows; then two for each slice of `ranking.entries` read."""
    phase = _phase_with_tasks(phase)
    leaderboard = phase.leaderboard
    if leaderboard is None:
        return None
    leaderboard.competition = phase.competition
    columns = list(leaderboard.columns.order_by("index"))
    board = queries.board_def(phase, leaderboard, columns)
    return PhaseBoard(
        phase=phase,
        leaderboard=leaderboard,
        columns=columns,
        board=board,
        ranking=standings.read(leaderboard, phase, board),
        task_names={link.task_id: link.task.name for link in phase.phase_tasks.all()},
    )


def _viewer_id(viewer: Any) -> int | None:
    """The viewer's user id; None for an anonymous visitor."""
    return viewer.pk if getattr(viewer, "is_authenticated", False) else None


def visible_columns(phase_board: PhaseBoard, view: ScoreView) -> list[Column]:
    """The columns `view` shows, in order: hidden ones to the organizers only."""
    return [column for column in phase_board.columns if view.hidden_columns or not column.hidden]


def present(
    phase_board: PhaseBoard,
    view: ScoreView,
    viewer: Any,
    entries: Sequence[ranking.Entry] | None = None,
) -> Shown:
    """The rows `view` lets its viewer see (none when the policy shows no scores): all of
    them, or `entries` only (one page)."""
    viewer_id = _viewer_id(viewer)
    columns = visible_columns(phase_board, view)
    chosen = phase_board.ranking.entries if entries is None else entries
    rows = (
        [
            ranking.present(
                entry,
                phase_board.board,
                hidden_columns=view.hidden_columns,
                names=view.names,
                viewer=viewer_id,
            )
            for entry in chosen
        ]
        if view.shown
        else []
    )
    return Shown(phase_board=phase_board, view=view, columns=columns, rows=rows)


def chart_rows(
    phase_board: PhaseBoard, view: ScoreView, viewer: Any, key: str, stop: int
) -> list[standings.ChartRow]:
    """The best `stop` rows as charts plot them (`standings.Rows.chart`, with their values
    in column `key`), names as `view` lets `viewer` see them (as `present` does); none when
    the policy shows no scores. The caller leaves out the columns `view` hides."""
    if not view.shown:
        return []
    entries = phase_board.ranking.entries
    assert isinstance(entries, standings.Rows), "a phase board's rows are its standings"
    viewer_id = _viewer_id(viewer)
    return [
        row
        if ranking.name_shown(
            names=view.names, mine=row.owner == viewer_id, is_baseline=row.is_baseline
        )
        else replace(row, name=ranking.ANONYMOUS)
        for row in entries.chart(stop, key)
    ]


def phase_leaderboard(phase: Phase, user: Any) -> tuple[ScoreView | None, PhaseBoard | None]:
    """The phase's leaderboard and what `user` may see of it: (None, None) when the phase
    has none; the policy's refusal and no board when `user` may not see its scores.
    `present` then shows the rows (or a page of them)."""
    found = phase_board(phase)
    if found is None:
        return None, None
    view = score_view(user, found.leaderboard)
    if not view.shown:
        return view, None
    return view, found


def competition_results(competition: Competition, user: Any) -> list[Shown]:
    """Every phase's leaderboard that `user` may see, in phase order: the results export."""
    organizer = competition.is_organizer(user)
    shown = []
    for phase in competition.phases.filter(leaderboard__isnull=False).order_by("index", "pk"):
        found = phase_board(phase)
        if found is None:
            continue
        view = score_view(user, found.leaderboard, organizer=organizer)
        if view.shown:
            shown.append(present(found, view, user))
    return shown


# Placing entries


def schedule_placement(submission: Submission) -> None:
    """Places the finished submission (or the submission whose task this is) by its
    leaderboard's rule once the current transaction commits. Called by the worker's report,
    and after its scores changed (an entry's new scores then show at once, and Force_Best
    chooses again)."""
    top_id = submission.parent_id or submission.pk
    transaction.on_commit(functools.partial(place_finished, top_id))


def _group(top: Submission) -> Q:
    """A participant's submissions compete with each other for entries; an organizer's
    baseline only with the other runs of the same solution."""
    group = Q(phase_id=top.phase_id, owner_id=top.owner_id, is_baseline=top.is_baseline)
    if top.is_baseline:
        group &= Q(data_id=top.data_id)
    return group


def _current_entries(group: Q, leaderboard: Leaderboard) -> set[int]:
    return set(
        Submission.objects.filter(group, parent__isnull=True, leaderboard=leaderboard).values_list(
            "pk", flat=True
        )
    )


def _set_entries(group: Q, leaderboard: Leaderboard, chosen: set[int]) -> set[int]:
    """Makes `chosen` (top-level submissions) the group's entries, with their tasks; returns
    the top-level submissions whose place changed."""
    before = dict(
        Submission.objects.filter(group, parent__isnull=True, leaderboard__isnull=False)
        .values_list("pk", "leaderboard_id")
        .order_by()
    )
    members = Q(pk__in=chosen) | Q(parent_id__in=chosen)
    Submission.objects.filter(group, leaderboard__isnull=False).exclude(members).update(
        leaderboard=None
    )
    Submission.objects.filter(group).filter(members).exclude(leaderboard=leaderboard).update(
        leaderboard=leaderboard
    )
    return {pk for pk, board in before.items() if pk not in chosen or board != leaderboard.pk} | {
        pk for pk in chosen if before.get(pk) != leaderboard.pk
    }


def place_finished(submission_id: int) -> list[int]:
    """Applies the leaderboard's rule after submission `submission_id` finished or its
    scores changed, and syncs its rows; returns its group's entries under an automatic
    rule (or once a migrated entry is placed), else none. Idempotent: the entries are
    recomputed from every finished submission of the group, so running it twice, or late,
    changes nothing more. Manual rules place nothing, except a baseline (see the ranking
    module) and a submission migrated from an entry of the phase before (see
    `carry_entries`)."""
    with transaction.atomic():
        top = (
            Submission.objects.select_related("phase__leaderboard")
            .filter(pk=submission_id, parent__isnull=True)
            .first()
        )
        if top is None or top.status != Status.FINISHED.value:
            return []
        leaderboard = top.phase.leaderboard
        if leaderboard is None:
            return []
        standings.lock(leaderboard.pk)
        carried = _place_carried(top, leaderboard)
        placed = _place_group(
            top.phase,
            owner_id=top.owner_id,
            baseline=top.is_baseline,
            data_id=top.data_id if top.is_baseline else None,
            touched=carried | {top.pk},  # an entry's scores may have changed
        )
        if carried and not placed:
            return sorted(_current_entries(_group(top), leaderboard))
        return placed


def entries_changed(phase: Phase, owner_id: int) -> list[int]:
    """Chooses a participant's entries again under an automatic rule, after one of their
    submissions was deleted or had its scores changed (Force_Best may then prefer another);
    returns them. Under a manual rule their choice stands. The leaderboard's rows follow
    either way (a deleted entry's row went with it)."""
    with transaction.atomic():
        return _place_group(phase, owner_id=owner_id, baseline=False, data_id=None, recount=True)


def _place_group(
    phase: Phase,
    *,
    owner_id: int,
    baseline: bool,
    data_id: int | None,
    touched: Collection[int] = (),
    recount: bool = False,
) -> list[int]:
    """Chooses the group's entries under an automatic rule (a baseline's always) and syncs
    the rows of those whose place changed and of `touched` (`recount`: and what depends on
    every row, after a deletion)."""
    leaderboard = phase.leaderboard
    if leaderboard is None:
        return []
    standings.lock(leaderboard.pk)
    group = Q(phase_id=phase.pk, owner_id=owner_id, is_baseline=baseline)
    if data_id is not None:
        group &= Q(data_id=data_id)
    if baseline:
        rule = ranking.FORCE_LAST
    elif leaderboard.places_automatically:
        rule = leaderboard.submission_rule
    else:
        standings.sync(leaderboard, phase, touched, recount=recount)
        return []
    columns = list(leaderboard.columns.order_by("index"))
    board = queries.rows_def(leaderboard, columns)
    rows = queries.score_rows(
        phase_id=phase.pk,
        columns=columns,
        fact_sheet=False,
        owner_id=owner_id,
        baseline=baseline,
        data_id=data_id,
    )
    chosen = ranking.automatic_entries(rule, board, ranking.entries(board, rows))
    moved = _set_entries(group, leaderboard, chosen)
    standings.sync(leaderboard, phase, moved | set(touched), recount=recount)
    return sorted(chosen)


def carry_entries(migrated: Iterable[tuple[Submission, Submission]]) -> None:
    """Remembers, for each (new submission, source) of a phase migration whose source was an
    entry of the phase before, that the new one is to become an entry of its phase's
    leaderboard once it finishes. Under an automatic rule the rule places it anyway; under a
    manual one nobody would, so `place_finished` adds it as its owner would have."""
    CarriedEntry.objects.bulk_create(
        CarriedEntry(submission=new, source=source) for new, source in migrated
    )


def _place_carried(top: Submission, leaderboard: Leaderboard) -> set[int]:
    """Adds a finished migrated entry under a manual rule (`ranking.after_carrying`);
    returns the submissions whose place changed. The note is used once."""
    carried = CarriedEntry.objects.filter(submission=top).first()
    if carried is None:
        return set()
    carried.delete()
    if leaderboard.places_automatically or top.is_baseline:
        return set()
    group = _group(top)
    chosen = ranking.after_carrying(
        leaderboard.submission_rule, _current_entries(group, leaderboard), top.pk
    )
    return _set_entries(group, leaderboard, chosen)


def _manual_change(submission: Submission, *, by: Any, add: bool) -> list[int]:
    top = submission.parent if submission.parent_id is not None else submission
    assert top is not None
    phase = top.phase
    leaderboard = phase.leaderboard
    moderator = phase.competition.is_organizer(by)
    if not moderator and top.owner_id != getattr(by, "pk", None):
        raise NotAllowed("only its owner or the organizers of its competition may do this")
    if leaderboard is None:
        raise EntryRefused(f"phase {phase.name!r} has no leaderboard")
    if add and top.status != Status.FINISHED.value:
        raise EntryRefused(
            f"only a finished submission can be on the leaderboard; submission {top.pk} is "
            f"{top.status}"
        )
    with transaction.atomic():
        standings.lock(leaderboard.pk)
        group = _group(top)
        current = _current_entries(group, leaderboard)
        try:
            if add:
                chosen = ranking.after_adding(leaderboard.submission_rule, current, top.pk)
            else:
                chosen = ranking.after_removing(
                    leaderboard.submission_rule, current, top.pk, moderator=moderator
                )
        except ranking.RuleRefused as exc:
            raise EntryRefused(str(exc)) from None
        standings.sync(leaderboard, phase, _set_entries(group, leaderboard, chosen))
    return sorted(chosen)


def add_entry(submission: Submission, *, by: Any) -> list[int]:
    """Puts a finished submission on its phase's leaderboard, as the rule allows (see the
    ranking module); returns its owner's entries after. NotAllowed for someone who is
    neither its owner nor an organizer, EntryRefused when the rule or its state forbids."""
    return _manual_change(submission, by=by, add=True)


def remove_entry(submission: Submission, *, by: Any) -> list[int]:
    """Takes a submission off its phase's leaderboard, as the rule allows; returns its
    owner's entries after. Removing one that is not an entry changes nothing."""
    return _manual_change(submission, by=by, add=False)


def reapply(leaderboard: Leaderboard, phases: Iterable[Phase] | None = None) -> None:
    """After the leaderboard's definition changed, or it was attached to phases: entries of
    its phases that pointed at another leaderboard now point at it, under an automatic rule
    every participant's entries are chosen again (a new rule, primary column or sorting
    changes who is best), and the rows of each phase are worked out again."""
    targets = list(phases) if phases is not None else list(leaderboard.phases.all())
    standings.lock(leaderboard.pk)
    columns = list(leaderboard.columns.order_by("index"))
    for phase in targets:
        Submission.objects.filter(phase=phase, leaderboard__isnull=False).exclude(
            leaderboard=leaderboard
        ).update(leaderboard=leaderboard)
        if leaderboard.places_automatically:
            _choose_all(leaderboard, phase, columns)
        standings.sync(leaderboard, phase)


def _choose_all(leaderboard: Leaderboard, phase: Phase, columns: list[Column]) -> None:
    board = queries.rows_def(leaderboard, columns)
    rows = queries.score_rows(phase_id=phase.pk, columns=columns, fact_sheet=False, baseline=False)
    by_owner: dict[int, list[ranking.Entry]] = {}
    for entry in ranking.entries(board, rows):
        by_owner.setdefault(entry.owner, []).append(entry)
    chosen: set[int] = set()
    for candidates in by_owner.values():
        chosen |= ranking.automatic_entries(leaderboard.submission_rule, board, candidates)
    group = Q(phase_id=phase.pk, is_baseline=False)
    Submission.objects.filter(group, leaderboard__isnull=False).update(leaderboard=None)
    ordered = sorted(chosen)
    for start in range(0, len(ordered), UPDATE_CHUNK):
        chunk = ordered[start : start + UPDATE_CHUNK]
        Submission.objects.filter(group).filter(Q(pk__in=chunk) | Q(parent_id__in=chunk)).update(
            leaderboard=leaderboard
        )


# Defining leaderboards


COLUMN_FIELDS = (
    "index",
    "title",
    "key",
    "sorting",
    "computation",
    "computation_indexes",
    "hidden",
    "precision",
)


def save_leaderboard(
    *,
    leaderboard: Leaderboard | None,
    fields: dict[str, Any],
    columns: Sequence[dict[str, Any]] | None = None,
    phases: Sequence[Phase] | None = None,
) -> Leaderboard:
    """Creates (`leaderboard` None, `fields` naming its competition) or changes a
    leaderboard, its columns (matched to the existing ones by id, else by key: a column left
    out is deleted with its scores) and the phases that use it (a phase listed moves to it,
    one left out uses none). The definition was checked by `definition.problems`. Entries are
    placed again under an automatic rule, and the rows of its phases worked out again when
    what they depend on changed."""
    with transaction.atomic():
        board = leaderboard or Leaderboard()
        if leaderboard is not None:
            standings.lock(leaderboard.pk)
        for name, value in fields.items():
            setattr(board, name, value)
        board.save()
        if columns is not None:
            _save_columns(board, columns)
        attached: list[Phase] = []
        if phases is not None:
            wanted = {phase.pk for phase in phases}
            detached = list(
                Phase.objects.filter(leaderboard=board)
                .exclude(pk__in=wanted)
                .values_list("pk", flat=True)
            )
            Phase.objects.filter(pk__in=detached).update(leaderboard=None)
            standings.forget(board, detached)
            attached = list(Phase.objects.filter(pk__in=wanted).exclude(leaderboard=board))
            Phase.objects.filter(pk__in=wanted).update(leaderboard=board)
        if leaderboard is not None and board.places_automatically:
            reapply(board)
            return board
        if attached:
            reapply(board, attached)
        for phase in board.phases.exclude(pk__in=[phase.pk for phase in attached]):
            standings.ensure(board, phase)
    return board


def _save_columns(board: Leaderboard, columns: Sequence[dict[str, Any]]) -> None:
    existing = {column.pk: column for column in board.columns.all()}
    by_key = {column.key: column for column in existing.values()}
    kept: list[tuple[Column, dict[str, Any]]] = []
    new: list[Column] = []
    for wanted in columns:
        match = existing.get(wanted.get("id") or 0) or by_key.get(wanted["key"])
        if match is not None and all(match is not other for other, _ in kept):
            kept.append((match, wanted))
        else:
            new.append(
                Column(
                    leaderboard=board,
                    **{name: wanted.get(name) for name in COLUMN_FIELDS if name in wanted},
                )
            )
    keep_ids = {column.pk for column, _ in kept}
    Column.objects.filter(leaderboard=board).exclude(pk__in=keep_ids).delete()
    # Two steps, so that columns may swap indexes or keys without meeting the uniqueness
    # constraints halfway.
    for column, _ in kept:
        column.index = -column.pk
        column.key = f"podium:moving.{column.pk}"
    Column.objects.bulk_update([column for column, _ in kept], ["index", "key"])
    for column, wanted in kept:
        for name in COLUMN_FIELDS:
            if name in wanted:
                setattr(column, name, wanted[name])
    Column.objects.bulk_update([column for column, _ in kept], list(COLUMN_FIELDS))
    for column in new:
        column.computation = column.computation or ""
    Column.objects.bulk_create(new)
