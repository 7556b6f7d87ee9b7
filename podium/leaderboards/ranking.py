"""Ranking a leaderboard: pure functions over plain rows (no ORM, no clock, no settings).

`podium.leaderboards.queries` reads the rows in one query and `podium.leaderboards.services`
stores what the rules decide; everything about order, ranks and entries is decided here.

Submission rules (Codabench's six, with Codabench's meaning)
------------------------------------------------------------
The rule decides which of a participant's finished submissions are the leaderboard's
entries. Entries are stored (`Submission.leaderboard`, on a submission and on its tasks) and
change at two moments only: when a submission finishes (automatic rules) and when someone
adds or removes one (manual rules, through `submission_leaderboard_connection`).

Manual rules: the server places nothing; the participant chooses among their finished
submissions.

- `Add`: the participant puts one finished submission on the leaderboard; adding another
  replaces it. They cannot withdraw it, only replace it, so once they chose, one of their
  results always stays on the leaderboard.
- `Add_And_Delete`: as `Add`, and the participant may also remove their entry.
- `Add_And_Delete_Multiple`: the participant adds and removes finished submissions one at a
  time; any number of them may be entries at once.

Organizers and platform admins may add and remove any entry under the manual rules, removing
under `Add` too (moderation).

A phase migration carries the participants' choice over: a submission migrated from an
entry of the phase before is added when its run on the new phase finishes, as if its owner
added it then (`after_carrying`), except that under `Add` and `Add_And_Delete` it does not
displace an entry made after it (their own later choice, or a later entry carried over:
with several carried under a rule of one entry, the latest made wins, whatever order they
finish in).

Automatic rules: nobody adds or removes. Each time a submission finishes, its owner's entries
are recomputed from all their finished submissions of the phase, so the outcome does not
depend on the order in which jobs finish or reports arrive:

- `Force_Last`: the most recently made finished submission (the highest id: ids grow as
  submissions are made) is the participant's one entry; a newer one replaces it once it
  finishes.
- `Force_Latest_Multiple`: every finished submission is an entry: each is added as it
  finishes, none is removed (Codabench's "all" strategy).
- `Force_Best`: the participant's best finished submission is their one entry: best by the
  primary column, then the other columns in index order, each with its sorting; a missing
  score is worst; on a full tie the earliest made (lowest id). avg_rank columns are skipped
  for this
  choice, since they depend on the other participants' rows.

Entries are grouped by owner. An organizer's baselines (`is_baseline`) form a group of their
own per solution file and are placed when they finish whatever the rule (the latest run of
each solution is its entry): reference rows show without displacing the organizer's other
entries.

Order, ranks and ties
---------------------
Rows are ordered by the primary column, then by every other column in index order (hidden
columns too, so that every viewer sees the same order), each by its own sorting (`desc`:
higher is better). A missing value is worse than any value. Values are compared as stored:
precision only rounds what is displayed, so 0.8999 and 0.9001 both shown "0.90" rank apart.

Tie rule: rows equal on every column share the rank of the first of them (standard
competition ranking: 1, 2, 2, 4), shown "2="; among them the earlier submission (lower id)
is listed first. Baseline rows are placed among the others by their scores but take no rank: the
participants' ranks are counted as if they were not there.

Multi-task phases
-----------------
One row per participant's submission (the parent of the tasks), with each task's scores. A
plain column's row value, by which rows are ordered, is the mean of its values over the
tasks that have one (sums and means rank alike when every task is scored). Computed columns
aggregate across tasks: avg, sum, min and max take every value of their source columns on
every task; a source that is computed itself counts once, with its row value. avg_rank is the
mean of the row's ranks on each (task, source column), ranks being fractional on ties (two
rows tied for second both get 2.5) and counted among all rows of the leaderboard, baselines
included; a row without a value is left out of that ranking, and its mean is over the
rankings it is in. avg_rank is ordered by its column's sorting: write `sorting: asc` for
"lower average rank is better", as on Codabench.

Efficiency frontier
-------------------
With a frontier (score column, cost column), each row having both values that no other row
dominates is marked: a row dominates another when it is at least as good on both (each by its
column's sorting) and better on one. Equal points are both on the frontier.

Hardware
--------
Each run records the machine it was measured on. The machine most rows ran on is the
reference (on a tie, the first of them in text order); a row with a run measured elsewhere
says so, naming that machine.

Reading a page
--------------
`rank` ranks every row at once. The server instead keeps each leaderboard's rows in rank
order (`podium.leaderboards.standings`) and reads them a page at a time, with the pieces of
`rank` apart:
`entries` makes a row, `average_ranks` and `frontier` look at every row, `order_key` turns
a row's place in the order into bytes that sort the same way in a database index, and
`page_ranks` gives a page its ranks from counts of the rows before it and tied with its
edges.
"""

from __future__ import annotations

import json
import struct
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ADD = "Add"
ADD_AND_DELETE = "Add_And_Delete"
ADD_AND_DELETE_MULTIPLE = "Add_And_Delete_Multiple"
FORCE_LAST = "Force_Last"
FORCE_LATEST_MULTIPLE = "Force_Latest_Multiple"
FORCE_BEST = "Force_Best"
MANUAL_RULES = frozenset({ADD, ADD_AND_DELETE, ADD_AND_DELETE_MULTIPLE})
AUTOMATIC_RULES = frozenset({FORCE_LAST, FORCE_LATEST_MULTIPLE, FORCE_BEST})
REMOVABLE_RULES = frozenset({ADD_AND_DELETE, ADD_AND_DELETE_MULTIPLE})

AVG_RANK = "avg_rank"
AGGREGATES = ("avg", "sum", "min", "max")
ANONYMOUS = "Anonymous"
MISSING = float("inf")  # in a sort key: after every value


class RuleRefused(Exception):
    """The leaderboard's submission rule does not allow this change; the message says why."""


@dataclass(frozen=True, slots=True)
class ColumnDef:
    key: str
    index: int
    title: str = ""
    sorting: str = "desc"
    computation: str = ""
    sources: tuple[int, ...] = ()
    hidden: bool = False
    precision: int = 2


@dataclass(frozen=True, slots=True)
class BoardDef:
    """What ranking needs of a leaderboard on one phase."""

    columns: tuple[ColumnDef, ...]
    primary_index: int = 0
    tasks: tuple[int, ...] = ()  # the phase's tasks, in order; several: a multi-task phase
    frontier: tuple[str, str] | None = None  # (score column key, cost column key)
    fact_sheet: tuple[str, ...] = ()  # questions shown as columns (`is_on_leaderboard`)

    @property
    def multi_task(self) -> bool:
        return len(self.tasks) > 1


@dataclass(frozen=True, slots=True)
class ScoreRow:
    """One scored run: a single-task submission, or one task of a multi-task submission."""

    entry: int  # the participant's submission: itself, or the parent of the task
    owner: int
    name: str
    values: Mapping[str, float]  # column key -> stored value
    task: int = 0
    organization: str = ""
    is_baseline: bool = False
    hardware: str | None = None  # the run's machine, as JSON text
    fact_sheet: Mapping[str, Any] | None = None


@dataclass(slots=True)
class Entry:
    """One row of the leaderboard."""

    submission: int  # its id: ids grow as submissions are made
    owner: int
    name: str
    organization: str = ""
    is_baseline: bool = False
    scores: dict[str, float | None] = field(default_factory=dict)  # the row values
    task_scores: dict[int, Mapping[str, float]] = field(default_factory=dict)
    fact_sheet: dict[str, Any] = field(default_factory=dict)
    hardware: tuple[str, ...] = ()
    rank: int | None = None
    tied: bool = False
    on_frontier: bool = False
    other_hardware: str = ""  # the machine it ran on, when not the reference one

    @property
    def rank_label(self) -> str:
        if self.rank is None:
            return ""
        return f"{self.rank}=" if self.tied else str(self.rank)


@dataclass(slots=True)
class Ranking:
    entries: Sequence[Entry]
    hardware: str = ""  # the reference machine, described


# Rules


def after_adding(rule: str, current: set[int], submission: int) -> set[int]:
    """A group's entries once `submission` is added to them."""
    if rule in AUTOMATIC_RULES:
        raise RuleRefused(f"under {rule} the server chooses the entries; none can be added")
    if rule == ADD_AND_DELETE_MULTIPLE:
        return current | {submission}
    return {submission}


def after_removing(
    rule: str, current: set[int], submission: int, *, moderator: bool = False
) -> set[int]:
    """A group's entries once `submission` is removed from them."""
    if rule in AUTOMATIC_RULES:
        raise RuleRefused(f"under {rule} the server chooses the entries; none can be removed")
    if rule not in REMOVABLE_RULES and not moderator:
        raise RuleRefused(f"under {rule} an entry can be replaced by another, not removed")
    return current - {submission}


def after_carrying(rule: str, current: set[int], submission: int) -> set[int]:
    """A group's entries once `submission`, migrated from an entry of the phase before, has
    finished: added as by its owner, but never displacing an entry made after it."""
    if rule == ADD_AND_DELETE_MULTIPLE:
        return current | {submission}
    if rule in MANUAL_RULES:
        return current if any(other > submission for other in current) else {submission}
    raise ValueError(f"{rule} is not a manual rule")


def automatic_entries(rule: str, board: BoardDef, candidates: Sequence[Entry]) -> set[int]:
    """The entries an automatic rule chooses among a group's finished submissions."""
    if not candidates:
        return set()
    if rule == FORCE_LATEST_MULTIPLE:
        return {candidate.submission for candidate in candidates}
    if rule == FORCE_LAST:
        return {max(candidate.submission for candidate in candidates)}
    if rule == FORCE_BEST:
        columns = [column for column in ordered(board) if column.computation != AVG_RANK]
        best = min(candidates, key=lambda entry: (score_key(columns, entry), entry.submission))
        return {best.submission}
    raise ValueError(f"{rule} is not an automatic rule")


# Rows


def entries(board: BoardDef, rows: Iterable[ScoreRow]) -> list[Entry]:
    """One entry per submission, with its row values (avg_rank excepted: see `rank`)."""
    found: dict[int, Entry] = {}
    questions = board.fact_sheet
    for row in rows:
        entry = found.get(row.entry)
        if entry is None:
            entry = found[row.entry] = Entry(
                submission=row.entry,
                owner=row.owner,
                name=row.name,
                organization=row.organization,
                is_baseline=row.is_baseline,
            )
            if questions and row.fact_sheet:
                answers = row.fact_sheet
                entry.fact_sheet = {key: answers[key] for key in questions if key in answers}
        entry.task_scores[row.task] = row.values
        if row.hardware and row.hardware not in entry.hardware:
            entry.hardware = (*entry.hardware, row.hardware)
    by_index = {column.index: column for column in board.columns}
    columns = sorted(board.columns, key=lambda column: column.index)
    for entry in found.values():
        _row_values(columns, by_index, entry)
    return list(found.values())


def _row_values(columns: list[ColumnDef], by_index: dict[int, ColumnDef], entry: Entry) -> None:
    tasks = list(entry.task_scores.values())
    if len(tasks) == 1:
        only = tasks[0]
        entry.scores = {column.key: only.get(column.key) for column in columns}
    else:
        for column in columns:
            values = [scores[column.key] for scores in tasks if column.key in scores]
            entry.scores[column.key] = sum(values) / len(values) if values else None
    for column in columns:
        if not column.computation:
            continue
        numbers: list[float] = []
        if column.computation in AGGREGATES:
            for index in column.sources:
                source = by_index.get(index)
                if source is None or source.computation == AVG_RANK or source is column:
                    continue
                if source.computation:
                    value = entry.scores.get(source.key)
                    numbers.extend([] if value is None else [value])
                else:
                    numbers.extend(scores[source.key] for scores in tasks if source.key in scores)
        entry.scores[column.key] = _combine(column.computation, numbers)


def _combine(computation: str, numbers: list[float]) -> float | None:
    if not numbers:
        return None
    if computation == "avg":
        return sum(numbers) / len(numbers)
    if computation == "sum":
        return float(sum(numbers))
    if computation == "min":
        return min(numbers)
    if computation == "max":
        return max(numbers)
    return None


def ordered(board: BoardDef) -> list[ColumnDef]:
    """The columns in the order rows are compared: the primary one, then the others by index."""
    columns = sorted(board.columns, key=lambda column: column.index)
    primary = [column for column in columns if column.index == board.primary_index]
    return primary + [column for column in columns if column.index != board.primary_index]


def score_key(columns: Sequence[ColumnDef], entry: Entry) -> tuple[float, ...]:
    """Smaller is better: `desc` columns negated, a missing value after every value."""
    scores = entry.scores
    return tuple(
        MISSING
        if (value := scores.get(column.key)) is None
        else (-value if column.sorting == "desc" else value)
        for column in columns
    )


def _sortable(number: float) -> bytes:
    # IEEE 754 doubles compare like their bits as unsigned integers once the sign bit is
    # flipped for positive numbers and every bit for negative ones; big-endian bytes then
    # compare like those integers, in Python and in both databases (BLOB and bytea compare
    # byte by byte, whatever the collation). Adding 0.0 makes -0.0 into 0.0, which Python
    # counts as equal to it.
    bits: int = struct.unpack(">Q", struct.pack(">d", number + 0.0))[0]
    bits = bits ^ 0xFFFF_FFFF_FFFF_FFFF if bits >> 63 else bits | 1 << 63
    return struct.pack(">Q", bits)


def order_key(columns: Sequence[ColumnDef], entry: Entry) -> bytes:
    """`score_key` as bytes, eight a column: two rows' keys compare (<, =, >) as their score
    keys do, so a database orders rows by it as `rank` would."""
    return b"".join(_sortable(value) for value in score_key(columns, entry))


def page_ranks(
    page: Sequence[tuple[bytes, bool]], before: int, edges: Mapping[bytes, int]
) -> list[tuple[int | None, bool]]:
    """(rank, tied) of each row of a page, its rows given as (order key, is baseline) in
    order.

    `before` counts the rows (baselines excepted) whose key is lower than the page's first
    key; `edges` counts the rows (baselines excepted) holding the page's first key and its
    last, on the page or off it. Every key in between has all its rows on the page. A row's
    rank is one more than the rows with a lower key, as `rank` counts them."""
    peers = Counter(key for key, baseline in page if not baseline)
    peers.update({key: rows - peers[key] for key, rows in edges.items()})
    ranks: dict[bytes, int] = {}
    above = before
    for key in sorted(peers):
        ranks[key] = above + 1
        above += peers[key]
    return [(None, False) if baseline else (ranks[key], peers[key] > 1) for key, baseline in page]


def fractional_ranks(values: Mapping[int, float], sorting: str) -> dict[int, float]:
    """Rank 1 is the best value; tied values share the mean of their positions."""
    better_first = sorted(
        values.items(), key=lambda item: -item[1] if sorting == "desc" else item[1]
    )
    ranks: dict[int, float] = {}
    start = 0
    while start < len(better_first):
        end = start
        while end + 1 < len(better_first) and better_first[end + 1][1] == better_first[start][1]:
            end += 1
        shared = (start + end) / 2 + 1
        for position in range(start, end + 1):
            ranks[better_first[position][0]] = shared
        start = end + 1
    return ranks


def has_average_ranks(board: BoardDef) -> bool:
    return any(column.computation == AVG_RANK for column in board.columns)


def average_ranks(board: BoardDef, found: list[Entry]) -> None:
    """Works out the avg_rank columns of every row, from all the rows' values."""
    by_index = {column.index: column for column in board.columns}
    tasks = sorted({task for entry in found for task in entry.task_scores})
    for column in board.columns:
        if column.computation != AVG_RANK:
            continue
        totals: dict[int, list[float]] = {}
        for index in column.sources:
            source = by_index.get(index)
            if source is None or source.computation == AVG_RANK:
                continue
            if source.computation:
                pools = [_pool(found, lambda entry, key=source.key: entry.scores.get(key))]
            else:
                pools = [
                    _pool(
                        found,
                        lambda entry, key=source.key, task=task: entry.task_scores.get(
                            task, {}
                        ).get(key),
                    )
                    for task in tasks
                ]
            for pool in pools:
                for submission, rank in fractional_ranks(pool, source.sorting).items():
                    totals.setdefault(submission, []).append(rank)
        for entry in found:
            ranks = totals.get(entry.submission)
            entry.scores[column.key] = sum(ranks) / len(ranks) if ranks else None


def _pool(found: list[Entry], value_of: Any) -> dict[int, float]:
    pool = {}
    for entry in found:
        value = value_of(entry)
        if value is not None:
            pool[entry.submission] = value
    return pool


def rank(board: BoardDef, rows: Iterable[ScoreRow]) -> Ranking:
    """The leaderboard's rows in order, with ranks, ties, frontier and hardware marks."""
    found = entries(board, rows)
    average_ranks(board, found)
    columns = ordered(board)
    keyed = sorted(
        ((score_key(columns, entry), entry.submission, entry) for entry in found),
        key=lambda item: (item[0], item[1]),
    )
    position = 0
    previous: tuple[float, ...] | None = None
    first: Entry | None = None
    for key, _, entry in keyed:
        if entry.is_baseline:
            continue
        position += 1
        if key == previous and first is not None:
            entry.rank = first.rank
            entry.tied = first.tied = True
        else:
            entry.rank = position
            previous, first = key, entry
    result = [entry for _, _, entry in keyed]
    mark_frontier(board, result)
    return Ranking(entries=result, hardware=_mark_hardware(result))


# Efficiency frontier


def frontier(
    points: Iterable[tuple[int, float, float]], *, score_sorting: str, cost_sorting: str
) -> set[int]:
    """The ids of the points (id, score, cost) that no other point dominates."""
    # Both axes turned so that higher is better, then one sweep from the best score down:
    # a point is on the frontier when it is cheaper than every point scoring better, or an
    # exact copy of the frontier point before it.
    score_sign = 1.0 if score_sorting == "desc" else -1.0
    cost_sign = 1.0 if cost_sorting == "desc" else -1.0
    turned = sorted(
        ((score_sign * score, cost_sign * cost, ident) for ident, score, cost in points),
        reverse=True,
    )
    marked: set[int] = set()
    best_cost = best_score = float("-inf")
    for score, cost, ident in turned:
        if cost > best_cost or (cost == best_cost and score == best_score):
            marked.add(ident)
            best_cost, best_score = cost, score
    return marked


def has_frontier(board: BoardDef) -> bool:
    keys = {column.key for column in board.columns}
    return board.frontier is not None and all(key in keys for key in board.frontier)


def mark_frontier(board: BoardDef, result: list[Entry]) -> None:
    """Sets `on_frontier` on every row, from all the rows' values (left alone without a
    frontier)."""
    if board.frontier is None or not has_frontier(board):
        return
    score_key_, cost_key = board.frontier
    by_key = {column.key: column for column in board.columns}
    points = []
    for entry in result:
        score, cost = entry.scores.get(score_key_), entry.scores.get(cost_key)
        if score is not None and cost is not None:
            points.append((entry.submission, score, cost))
    marked = frontier(
        points, score_sorting=by_key[score_key_].sorting, cost_sorting=by_key[cost_key].sorting
    )
    for entry in result:
        if entry.submission in marked:
            entry.on_frontier = True


# Hardware


def describe_hardware(text: str) -> str:
    """A machine as people read it: "Xeon 6130, 16 cores, 62.5 GiB, 1 x NVIDIA H200"."""
    try:
        data = json.loads(text)
    except ValueError:
        return text[:200]
    if not isinstance(data, dict):
        return str(data)[:200]
    parts = []
    if data.get("cpu"):
        parts.append(str(data["cpu"])[:120])
    if isinstance(data.get("cores"), int) and data["cores"]:
        parts.append(f"{data['cores']} cores")
    if isinstance(data.get("memory"), int | float) and data["memory"]:
        parts.append(f"{data['memory'] / 2**30:.1f} GiB")
    gpus = Counter(
        str(gpu.get("name", "GPU"))[:80] for gpu in data.get("gpus") or [] if isinstance(gpu, dict)
    )
    parts.extend(f"{count} x {name}" for name, count in sorted(gpus.items()))
    return ", ".join(parts) or "unknown machine"


def reference_machine(counts: Mapping[str, int]) -> str | None:
    """The machine most rows ran on, from {machine: rows that ran on it}."""
    found = [machine for machine, rows in counts.items() if rows > 0]
    if not found:
        return None
    return min(found, key=lambda machine: (-counts[machine], machine))


def machine_counts(found: Iterable[Entry]) -> Counter[str]:
    """How many rows ran on each machine (a row counts once per machine it used)."""
    return Counter(machine for entry in found for machine in entry.hardware)


def mark_other_hardware(found: Iterable[Entry], reference: str | None) -> str:
    """Sets `other_hardware` on the rows with a run measured elsewhere than `reference`;
    returns the reference machine, described."""
    if reference is None:
        return ""
    described: dict[str, str] = {}
    for entry in found:
        other = next((machine for machine in entry.hardware if machine != reference), None)
        if other is not None:
            if other not in described:
                described[other] = describe_hardware(other)
            entry.other_hardware = described[other]
    return describe_hardware(reference)


def _mark_hardware(result: list[Entry]) -> str:
    return mark_other_hardware(result, reference_machine(machine_counts(result)))


# Display


def format_value(value: float | None, precision: int) -> str:
    """A value as shown: rounded to the column's precision (display only)."""
    return "" if value is None else f"{value:.{precision}f}"


def name_shown(*, names: bool, mine: bool, is_baseline: bool) -> bool:
    """Whether a viewer sees a row's name, organization and submission id: everyone's with
    `names`, else only on their own rows and on baselines (the organizers' reference)."""
    return names or mine or is_baseline


def present(
    entry: Entry,
    board: BoardDef,
    *,
    hidden_columns: bool,
    names: bool,
    viewer: int | None = None,
) -> dict[str, Any]:
    """One row as a viewer may see it: hidden columns only with `hidden_columns`, names,
    organizations and submission ids of other people's rows only with `names` (a baseline
    is the organizers' reference and keeps its name)."""
    columns = [column for column in board.columns if hidden_columns or not column.hidden]
    mine = viewer is not None and viewer == entry.owner
    named = name_shown(names=names, mine=mine, is_baseline=entry.is_baseline)
    frontier_shown = board.frontier is not None and all(
        key in {column.key for column in columns} for key in board.frontier
    )
    row: dict[str, Any] = {
        "rank": entry.rank,
        "rank_label": entry.rank_label,
        "participant": entry.name if named else ANONYMOUS,
        "organization": (entry.organization or None) if named else None,
        "submission": entry.submission if named else None,
        "is_baseline": entry.is_baseline,
        "is_mine": mine,
        "scores": {column.key: entry.scores.get(column.key) for column in columns},
        "display": {
            column.key: format_value(entry.scores.get(column.key), column.precision)
            for column in columns
        },
        "tasks": [],
        "fact_sheet": dict(entry.fact_sheet),
        "on_frontier": entry.on_frontier if frontier_shown else None,
        "hardware_note": f"measured on other hardware: {entry.other_hardware}"
        if entry.other_hardware
        else None,
    }
    if board.multi_task:
        plain = [column for column in columns if not column.computation]
        row["tasks"] = [
            {
                "task": task,
                "scores": {
                    column.key: entry.task_scores.get(task, {}).get(column.key) for column in plain
                },
                "display": {
                    column.key: format_value(
                        entry.task_scores.get(task, {}).get(column.key), column.precision
                    )
                    for column in plain
                },
            }
            for task in board.tasks
        ]
    return row
