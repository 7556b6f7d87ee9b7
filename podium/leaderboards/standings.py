"""A leaderboard's rows kept ranked, so that reading a page costs a few indexed queries
whatever the number of rows.

Ranking on read means reading every run of every entry and ranking them all for a page of
fifty: on 10,000 entries (bench/leaderboard.py) a third of a second in the query and as much
in Python. So the rows are worked out when entries change, and a read fetches one page.

What is kept
------------
`Standing`: one per entry of a leaderboard on a phase (a participant's submission, with its
tasks), holding what `ranking.entries` makes of its runs (the row values, each task's scores,
the machines it ran on), what depends on every row (avg_rank values, the frontier mark), and
its place in the order as bytes (`ranking.order_key`), which an index keeps sorted. Names,
organizations and fact sheet answers are not kept: a page reads them as they are.

`PhaseStandings`: one per leaderboard and phase: a digest of the definition the rows were
worked out for, how many there are, how many ran on each machine (the reference hardware
every row is compared with), and where the baselines are (they take no rank).

Reading (`read`)
----------------
The state, then for a page: its rows in order (found in the index, then joined to their
owners, organizations and answers), and one count of the rows holding the page's first and
last keys, on the page or off it. With the page's offset and the baselines before it, that
is all `ranking.page_ranks` needs to give ranks and ties as `ranking.rank` does. The same
queries whatever the page's offset and the number of rows; a deeper page walks a longer
range of the index to find its rows.

Writing (`sync`)
----------------
Whoever changes entries or their scores syncs the submissions concerned while holding the
leaderboard's row lock (`lock`), as every writer of entries does: their runs are read again
(`queries.score_rows`, for them only) and their rows written again or deleted where they
differ. Two things depend on every row. The frontier: each sync works it out again from
three numbers a row and writes the marks that change. avg_rank columns: on a leaderboard that
has them each sync works every row's values out again (from the rows kept, not from the runs)
and writes the rows that changed, most of them when a new row ranks high. A write costs the
size of the leaderboard there; a read still does not.

A change of definition (columns, sortings, primary column, frontier) changes every row.
Rows worked out for another definition, or never worked out (a phase newly attached, a
leaderboard older than this module), are all worked out again from the runs by the next sync
or read, whoever changed the definition (the API, the admin). `sync` without submissions
does the same at once, for changes made behind placement's back (`services.rows_changed`).
A row deleted behind its back (a cascade from a deleted account) leaves the page at once; the
count, the frontier and the hardware marks of the others follow at the next sync.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, overload

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.fields.json import KeyTransform

from podium.competitions.models import Phase
from podium.leaderboards import queries, ranking
from podium.leaderboards.models import Leaderboard, PhaseStandings, Standing

# What a Standing holds, and how; changing it works every leaderboard's rows out again.
VERSION = 1
KEPT = [
    "submission_id",
    "leaderboard_id",
    "phase_id",
    "is_baseline",
    "order_key",
    "scores",
    "task_scores",
    "hardware",
    "frontier_score",
    "frontier_cost",
    "on_frontier",
]
WRITE_CHUNK = 1000
# A slice starting above this row joins its rows as the index yields them (the rows skipped
# are joined too, which costs little this near the top); one starting below finds its rows
# in the index first, then joins them only (PostgreSQL would otherwise scan every row).
NEAR_TOP = 100
# Rank order: by order key, equal keys by submission (the index's order).
IN_RANK_ORDER = ("order_key", "submission_id")


def lock(leaderboard_id: int) -> None:
    """Takes the leaderboard's row lock until the transaction ends: every writer of its
    entries and rows takes it first, before any submission row."""
    list(Leaderboard.objects.select_for_update().filter(pk=leaderboard_id).values_list("pk"))


def digest(board: ranking.BoardDef) -> str:
    """What the rows depend on in a leaderboard's definition, digested."""
    shape = [
        VERSION,
        board.primary_index,
        list(board.frontier or ()),
        [
            [column.index, column.key, column.sorting, column.computation, list(column.sources)]
            for column in sorted(board.columns, key=lambda column: column.index)
        ],
    ]
    return hashlib.sha256(json.dumps(shape).encode()).hexdigest()


def _entry(row: dict[str, Any]) -> ranking.Entry:
    """A kept row as ranking's entry (without name or owner: what the sync needs)."""
    return ranking.Entry(
        submission=row["submission_id"],
        owner=0,
        name="",
        is_baseline=row["is_baseline"],
        scores=dict(row["scores"]),
        task_scores={int(task): values for task, values in row["task_scores"].items()},
        hardware=tuple(row["hardware"]),
    )


def sync(
    leaderboard: Leaderboard,
    phase: Phase,
    submissions: Collection[int] | None = None,
    *,
    recount: bool = False,
) -> PhaseStandings:
    """Brings the rows of `leaderboard` on `phase` in line with its entries and their
    scores: the rows of the top-level `submissions` (entries now or not), or every row, and
    what depends on every row, when a row changed or `recount` says one was deleted behind
    its back. The caller holds `lock`."""
    columns = list(leaderboard.columns.order_by("index"))
    board = queries.rows_def(leaderboard, columns)
    wanted = digest(board)
    state = PhaseStandings.objects.filter(leaderboard=leaderboard, phase=phase).first()
    whole = submissions is None or state is None or state.definition != wanted
    scope = None if whole else set(submissions or ())
    if whole:
        Standing.objects.filter(phase=phase).exclude(leaderboard=leaderboard).delete()
        PhaseStandings.objects.filter(phase=phase).exclude(leaderboard=leaderboard).delete()
    rows = queries.score_rows(
        phase_id=phase.pk,
        columns=columns,
        fact_sheet=False,
        leaderboard_id=leaderboard.pk,
        entries=scope,
    )
    target = {entry.submission: entry for entry in ranking.entries(board, rows)}
    # avg_rank values depend on every row: they are worked out over all the rows kept.
    every_row = whole or ranking.has_average_ranks(board)
    stored: dict[int, dict[str, Any]] = {}
    if every_row:
        kept = Standing.objects.filter(leaderboard=leaderboard, phase=phase)
        stored = {row["submission_id"]: row for row in kept.values(*KEPT)}
    if scope is not None and scope - stored.keys():
        elsewhere = Standing.objects.filter(submission_id__in=scope - stored.keys())
        stored.update((row["submission_id"], row) for row in elsewhere.values(*KEPT))
    if scope is not None and every_row:
        for pk, row in stored.items():
            if pk not in scope and pk not in target:
                target[pk] = _entry(row)
    wrote = _write(leaderboard, phase, board, target, stored, rework=whole)
    if state is not None and not (whole or wrote or recount):
        return state
    if whole or ranking.has_frontier(board):
        _mark_frontier(leaderboard, phase, board)
    if state is None:
        state = PhaseStandings(leaderboard=leaderboard, phase=phase)
    state.definition = wanted
    if every_row:
        state.rows, counts = len(target), ranking.machine_counts(target.values())
    else:
        state.rows, counts = _count(leaderboard, phase)
    state.machines = dict(sorted(counts.items()))
    baselines = Standing.objects.filter(leaderboard=leaderboard, phase=phase, is_baseline=True)
    state.baselines = [
        [bytes(key).hex(), pk]
        for key, pk in baselines.order_by(*IN_RANK_ORDER).values_list("order_key", "submission_id")
    ]
    state.save()
    return state


def _write(
    leaderboard: Leaderboard,
    phase: Phase,
    board: ranking.BoardDef,
    target: dict[int, ranking.Entry],
    stored: dict[int, dict[str, Any]],
    *,
    rework: bool,
) -> bool:
    """Stores `target` (submission id to entry) against the rows `stored` (those of the same
    submissions, and perhaps more): a row that differs is written again, one left over is
    deleted; returns whether any was. Frontier marks are `_mark_frontier`'s: a row keeps its
    own meanwhile."""
    if ranking.has_average_ranks(board):
        ranking.average_ranks(board, list(target.values()))
    order = ranking.ordered(board)
    score_key, cost_key = board.frontier or ("", "")
    written: list[Standing] = []
    for pk, entry in target.items():
        row = stored.get(pk)
        here = (
            row is not None
            and row["leaderboard_id"] == leaderboard.pk
            and row["phase_id"] == phase.pk
        )
        scores = {key: value for key, value in entry.scores.items() if value is not None}
        values: dict[str, Any] = {
            "leaderboard_id": leaderboard.pk,
            "phase_id": phase.pk,
            "is_baseline": entry.is_baseline,
            "scores": scores,
            "task_scores": {str(task): dict(values) for task, values in entry.task_scores.items()},
            "hardware": list(entry.hardware),
            "frontier_score": scores.get(score_key),
            "frontier_cost": scores.get(cost_key),
        }
        if row is None or not here:
            values["order_key"] = ranking.order_key(order, entry)
            written.append(Standing(submission_id=pk, on_frontier=False, **values))
            continue
        # Once the definition is known, a row's order key follows from its values alone.
        same_values = not rework and row["scores"] == scores
        values["order_key"] = (
            bytes(row["order_key"]) if same_values else ranking.order_key(order, entry)
        )
        if any(_differs(row[name], value) for name, value in values.items()):
            written.append(Standing(submission_id=pk, on_frontier=row["on_frontier"], **values))
    # Written again rather than updated: one INSERT of many rows costs far less than
    # Django's bulk_update, which builds a CASE per field and row.
    again = sorted(
        {*(pk for pk in stored if pk not in target), *(row.submission_id for row in written)}
    )
    for start in range(0, len(again), WRITE_CHUNK):
        Standing.objects.filter(submission_id__in=again[start : start + WRITE_CHUNK]).delete()
    Standing.objects.bulk_create(written, batch_size=WRITE_CHUNK)
    return bool(again or written)


def _differs(stored: Any, value: Any) -> bool:
    # Binary columns come back as memoryview from some drivers.
    return bool((bytes(stored) if isinstance(stored, memoryview) else stored) != value)


def _mark_frontier(leaderboard: Leaderboard, phase: Phase, board: ranking.BoardDef) -> None:
    """Marks the rows on the efficiency frontier (none without one), over every row: a query
    of three numbers a row, and a write for each row whose mark changes."""
    kept = Standing.objects.filter(leaderboard=leaderboard, phase=phase)
    points = list(
        kept.values_list("submission_id", "frontier_score", "frontier_cost", "on_frontier")
    )
    marked: set[int] = set()
    if board.frontier is not None and ranking.has_frontier(board):
        sortings = {column.key: column.sorting for column in board.columns}
        marked = ranking.frontier(
            (
                (pk, score, cost)
                for pk, score, cost, _ in points
                if score is not None and cost is not None
            ),
            score_sorting=sortings[board.frontier[0]],
            cost_sorting=sortings[board.frontier[1]],
        )
    for mark in (True, False):
        flipped = [pk for pk, _, _, was in points if was != mark and (pk in marked) == mark]
        for start in range(0, len(flipped), WRITE_CHUNK):
            kept.filter(submission_id__in=flipped[start : start + WRITE_CHUNK]).update(
                on_frontier=mark
            )


def _count(leaderboard: Leaderboard, phase: Phase) -> tuple[int, Counter[str]]:
    """The rows of the leaderboard on the phase, and how many ran on each machine."""
    groups = (
        Standing.objects.filter(leaderboard=leaderboard, phase=phase)
        .values("hardware")
        .annotate(rows=Count("pk"))
        .order_by()
        .values_list("hardware", "rows")
    )
    total = 0
    counts: Counter[str] = Counter()
    for machines, rows in groups:
        total += rows
        for machine in machines:
            counts[machine] += rows
    return total, counts


def ensure(leaderboard: Leaderboard, phase: Phase) -> PhaseStandings:
    """The state of the leaderboard's rows on the phase, worked out again first when they
    were worked out for another definition or never. The caller holds `lock`."""
    state = PhaseStandings.objects.filter(leaderboard=leaderboard, phase=phase).first()
    board = queries.rows_def(leaderboard, leaderboard.columns.order_by("index"))
    if state is not None and _current(state, board):
        return state
    return sync(leaderboard, phase)


def forget(leaderboard: Leaderboard, phases: Collection[int]) -> None:
    """Drops the rows of the leaderboard on phases that no longer use it."""
    Standing.objects.filter(leaderboard=leaderboard, phase_id__in=phases).delete()
    PhaseStandings.objects.filter(leaderboard=leaderboard, phase_id__in=phases).delete()


# Reading


def _current(state: PhaseStandings | None, board: ranking.BoardDef) -> bool:
    return state is not None and state.definition == digest(board)


def read(leaderboard: Leaderboard, phase: Phase, board: ranking.BoardDef) -> ranking.Ranking:
    """The leaderboard's rows on the phase, ranked: `entries` reads them a slice at a time.
    One query, and the rows worked out first when their definition changed."""
    state = PhaseStandings.objects.filter(leaderboard=leaderboard, phase=phase).first()
    if state is None or not _current(state, board):
        with transaction.atomic():
            lock(leaderboard.pk)
            state = ensure(leaderboard, phase)
    reference = ranking.reference_machine(state.machines)
    return ranking.Ranking(
        entries=Rows(
            leaderboard.pk,
            phase.pk,
            board,
            rows=state.rows,
            baselines=[(bytes.fromhex(key), pk) for key, pk in state.baselines],
            reference=reference,
        ),
        hardware=ranking.describe_hardware(reference) if reference is not None else "",
    )


# Keys the databases' JSON paths read as plain object keys: not a number (an array index to
# them, as to Django) and nothing that needs escaping in a path.
PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\- ]*")


@dataclass(frozen=True, slots=True)
class ChartRow:
    """What a chart plots of a row (`Rows.chart`): no rank, no other column."""

    owner: int
    name: str
    is_baseline: bool
    on_frontier: bool
    made: datetime  # when its submission was made
    value: float | None  # its value in the column asked for
    score: float | None  # its values in the frontier's score and cost columns
    cost: float | None


class Rows(Sequence[ranking.Entry]):
    """A leaderboard's rows on a phase in rank order, read from its standings when sliced:
    two queries a slice (its rows, then the rows tied with its edges), whatever its
    offset."""

    def __init__(
        self,
        leaderboard_id: int,
        phase_id: int,
        board: ranking.BoardDef,
        *,
        rows: int,
        baselines: Sequence[tuple[bytes, int]],
        reference: str | None,
    ) -> None:
        self._leaderboard_id = leaderboard_id
        self._phase_id = phase_id
        self._board = board
        self._rows = rows
        self._baselines = baselines
        self._reference = reference

    def __len__(self) -> int:
        return self._rows

    @overload
    def __getitem__(self, index: int) -> ranking.Entry: ...

    @overload
    def __getitem__(self, index: slice) -> list[ranking.Entry]: ...

    def __getitem__(self, index: int | slice) -> ranking.Entry | list[ranking.Entry]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._rows)
            if step != 1:
                return self._slice(0, self._rows)[index]
            return self._slice(start, stop)
        position = index + self._rows if index < 0 else index
        if not 0 <= position < self._rows:
            raise IndexError("row out of range")
        return self._slice(position, position + 1)[0]

    def __iter__(self) -> Iterator[ranking.Entry]:
        return iter(self._slice(0, self._rows))

    def _standings(self) -> Any:
        return Standing.objects.filter(leaderboard_id=self._leaderboard_id, phase_id=self._phase_id)

    def _slice(self, start: int, stop: int) -> list[ranking.Entry]:
        if stop <= start:
            return []
        questions = self._board.fact_sheet
        fields = [
            "submission_id",
            "submission__owner_id",
            "submission__owner__username",
            "submission__organization__name",
            "is_baseline",
            "order_key",
            "scores",
            "task_scores",
            "hardware",
            "on_frontier",
        ]
        if questions:
            fields.append("submission__fact_sheet_answers")
        in_order = self._standings().order_by(*IN_RANK_ORDER)
        if start < NEAR_TOP:
            # Near the top, the rows are joined as the index yields them.
            found = list(in_order.values_list(*fields)[start:stop])
        else:
            # Deeper, the page's rows are found in the index alone; only they are joined.
            page = in_order.values("submission_id")[start:stop]
            found = list(
                Standing.objects.filter(submission_id__in=page)
                .order_by(*IN_RANK_ORDER)
                .values_list(*fields)
            )
        if not found:
            return []
        keys = [bytes(record[5]) for record in found]
        ranks = ranking.page_ranks(
            [(key, record[4]) for key, record in zip(keys, found, strict=True)],
            *self._counts(start, (keys[0], found[0][0]), keys[-1]),
        )
        entries = []
        for record, (rank, tied) in zip(found, ranks, strict=True):
            answers = record[10] if questions else None
            entries.append(
                ranking.Entry(
                    submission=record[0],
                    owner=record[1],
                    name=record[2],
                    organization=record[3] or "",
                    is_baseline=record[4],
                    scores=dict(record[6]),
                    task_scores={int(task): values for task, values in record[7].items()},
                    fact_sheet={key: answers[key] for key in questions if key in answers}
                    if isinstance(answers, dict)
                    else {},
                    hardware=tuple(record[8]),
                    rank=rank,
                    tied=tied,
                    on_frontier=record[9],
                )
            )
        ranking.mark_other_hardware(entries, self._reference)
        return entries

    def chart(self, stop: int, key: str) -> list[ChartRow]:
        """The first `stop` rows in order, as the charts plot them: each with its value in
        column `key` and in the frontier's columns, read in the database (no row's scores
        decoded here). One query."""
        # Any other key (a number, a quote) is picked from each row's scores here.
        whole = PLAIN_KEY.fullmatch(key) is None
        # From the top, the rows are joined as the index yields them, and no more of them.
        found = (
            self._standings()
            .order_by(*IN_RANK_ORDER)
            .annotate(value=F("scores") if whole else KeyTransform(key, "scores"))
            .values_list(
                "submission__owner_id",
                "submission__owner__username",
                "is_baseline",
                "on_frontier",
                "submission__created_at",
                "value",
                "frontier_score",
                "frontier_cost",
            )[:stop]
        )
        rows = []
        for owner, name, is_baseline, on_frontier, made, value, score, cost in found:
            picked = value.get(key) if whole else value
            rows.append(ChartRow(owner, name, is_baseline, on_frontier, made, picked, score, cost))
        return rows

    def _counts(
        self, start: int, first: tuple[bytes, int], last: bytes
    ) -> tuple[int, dict[bytes, int]]:
        """The rows (baselines excepted) before the page, which starts at row `start` with
        (order key, submission) `first`, and those holding its first and last keys, on the
        page or off it. The rows before the page are `start`, less the baselines among them
        (known from the state) and the rows of its first key ahead of it: one count over a
        few index entries, however deep the page."""
        key, submission = first
        edges = (
            self._standings()
            .filter(order_key__in=[key, last])
            .aggregate(
                ahead=Count("pk", filter=Q(order_key=key, submission_id__lt=submission)),
                first=Count("pk", filter=Q(order_key=key, is_baseline=False)),
                last=Count("pk", filter=Q(order_key=last, is_baseline=False)),
            )
        )
        baselines = sum(1 for baseline, _ in self._baselines if baseline < key)
        return start - baselines - edges["ahead"], {key: edges["first"], last: edges["last"]}
