"""A phase's results as the Results tab shows them: the leaderboard's rows a page at a time
(`board`), and the data of its two charts (`charts`: the best score over time, and score
against cost where the leaderboard declares an efficiency frontier), which the page fetches
once it is shown, so that its rows come first.

Everything is read through `podium.leaderboards.services` (the ranked rows) and shown as
`podium.leaderboards.visibility`'s policy allows: a leaderboard the viewer may not see is not
listed, one not yet released says when it will be, hidden columns and anonymous names are
left out (by `services.present` for the rows, `services.visible_columns` and
`services.chart_rows` for the charts), and the charts only plot what the table shows.

The charts read the best `CHART_ROWS` rows. The best score at a moment is the best of the
rows made by then, which is among the best rows whenever one of them was made by then: so the
curve is exact from the moment the earliest of them was made, and starts there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import Q

from podium.competitions.models import Competition, Phase
from podium.leaderboards import services
from podium.leaderboards.models import Column
from podium.leaderboards.standings import ChartRow
from podium.leaderboards.visibility import ScoreView, score_view
from podium.submissions.models import Submission
from podium.web.formatting import exact, scaled, shown, unit

PAGE_SIZE = 50
CHART_ROWS = 250


@dataclass(frozen=True)
class Heading:
    key: str
    title: str
    unit: str
    hidden: bool  # hidden from participants: only organizers see it, marked
    primary: bool
    sorting: str
    precision: int


@dataclass(frozen=True)
class Cell:
    text: str
    exact: str


@dataclass
class Line:
    rank: str
    participant: str
    organization: str
    is_baseline: bool
    is_mine: bool
    on_frontier: bool
    hardware_note: str
    cells: list[Cell]
    tasks: list[list[Cell]]
    answers: list[str]
    submission: int | None
    details: bool = False


@dataclass
class Board:
    phase: Phase
    view: ScoreView
    title: str
    headings: list[Heading] = field(default_factory=list)
    task_names: list[str] = field(default_factory=list)
    task_headings: list[Heading] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    page: Page[Any] | None = None
    hardware: str = ""
    plots_history: bool = False  # the charts the page shows; `charts` gives their data
    plots_frontier: bool = False


def listed(
    phases: list[Phase], user: Any, *, organizer: bool, now: datetime
) -> list[tuple[Phase, ScoreView]]:
    """The phases whose leaderboard `user` may see listed, with what they may see of it.
    The phases come with their leaderboards; no query."""
    found = []
    for phase in phases:
        if phase.leaderboard is None:
            continue
        view = score_view(user, phase.leaderboard, organizer=organizer, now=now)
        if view.listed:
            found.append((phase, view))
    return found


def chosen(choices: list[tuple[Phase, ScoreView]], wanted: str | None, now: datetime) -> int:
    """The position in `choices` of the phase asked for (its id), else of the current
    phase, else of the last one that has ended, else the first."""
    for position, (phase, _) in enumerate(choices):
        if wanted is not None and str(phase.pk) == wanted:
            return position
    statuses = [phase.status_at(now) for phase, _ in choices]
    if Phase.Status.CURRENT in statuses:
        return statuses.index(Phase.Status.CURRENT)
    ended = [at for at, status in enumerate(statuses) if status == Phase.Status.PREVIOUS]
    return ended[-1] if ended else 0


@dataclass(frozen=True)
class Plotted:
    """What the charts plot for one viewer: the primary column (the history), the frontier's
    score and cost columns; None where the leaderboard has none or the viewer may not see
    it."""

    primary: Column | None
    frontier: tuple[Column, Column] | None


def _plotted(found: services.PhaseBoard, columns: list[Column]) -> Plotted:
    """What the charts may plot among the `columns` a viewer sees."""
    by_key = {column.key: column for column in columns}
    primary = next(
        (column for column in columns if column.index == found.leaderboard.primary_index), None
    )
    keys = found.leaderboard.frontier
    frontier = None
    if keys is not None and keys[0] in by_key and keys[1] in by_key:
        frontier = (by_key[keys[0]], by_key[keys[1]])
    return Plotted(primary=primary, frontier=frontier)


def board(
    phase: Phase, view: ScoreView, user: Any, *, page: str | int | None, organizer: bool
) -> Board:
    """The phase's leaderboard for `user`: one page of rows, and whether it has charts (their
    data is `charts`'s, fetched by the page). The phase comes with its competition,
    leaderboard and tasks (prefetched); a handful of queries whatever the number of rows."""
    found = services.phase_board(phase)
    assert found is not None, "the phase has a leaderboard"
    result = Board(phase=phase, view=view, title=found.leaderboard.title)
    if not view.shown:
        return result
    entries = found.ranking.entries
    paginator = Paginator(entries, PAGE_SIZE)
    try:
        number = paginator.validate_number(page or 1)
    except PageNotAnInteger:
        number = 1
    except EmptyPage:
        number = paginator.num_pages
    start = (number - 1) * PAGE_SIZE
    stop = min(start + PAGE_SIZE, paginator.count)
    presented = services.present(found, view, user, entries[start:stop])
    by_key = {column.key: column for column in presented.columns}
    plotted = _plotted(found, presented.columns)
    result.headings = [_heading(column, plotted.primary) for column in presented.columns]
    if found.board.multi_task:
        result.task_names = [
            found.task_names.get(task, f"Task {task}") for task in found.board.tasks
        ]
        result.task_headings = [
            heading for heading in result.headings if not by_key[heading.key].computation
        ]
    questions = phase.competition.fact_sheet or {}
    result.questions = [
        str(questions[key].get("title", key)) if isinstance(questions.get(key), dict) else key
        for key in found.board.fact_sheet
    ]
    result.lines = [_line(row, result, found.board.fact_sheet) for row in presented.rows]
    result.page = Page(result.lines, number, paginator)
    result.hardware = found.ranking.hardware
    _link_details(result, user, organizer=organizer)
    if paginator.count:
        result.plots_history = plotted.primary is not None
        result.plots_frontier = plotted.frontier is not None
    return result


def charts(phase: Phase, view: ScoreView, user: Any) -> dict[str, Any]:
    """The data of the phase's charts for `user`, which the Results tab fetches: the best
    score over time (`history`) and score against cost (`frontier`), each None where there
    is nothing to plot or the viewer may not see it. Plots the best `CHART_ROWS` rows; a
    handful of queries whatever the number of rows."""
    nothing: dict[str, Any] = {"history": None, "frontier": None}
    found = services.phase_board(phase)
    if found is None or not view.shown:
        return nothing
    plotted = _plotted(found, services.visible_columns(found, view))
    if plotted.primary is not None:
        key = plotted.primary.key
    elif plotted.frontier is not None:
        key = plotted.frontier[0].key
    else:
        return nothing
    if not found.ranking.entries:
        return nothing
    rows = services.chart_rows(found, view, user, key, CHART_ROWS)
    return {
        "history": _history(rows, plotted.primary) if plotted.primary is not None else None,
        "frontier": _frontier(rows, *plotted.frontier) if plotted.frontier is not None else None,
    }


def _heading(column: Column, primary: Column | None) -> Heading:
    return Heading(
        key=column.key,
        title=column.title or column.key,
        unit=unit(column.key),
        hidden=column.hidden,
        primary=column is primary,
        sorting=column.sorting,
        precision=column.precision,
    )


def _cells(headings: list[Heading], scores: dict[str, float | None]) -> list[Cell]:
    return [
        Cell(
            text=shown(heading.key, scores.get(heading.key), heading.precision),
            exact=exact(heading.key, scores.get(heading.key)),
        )
        for heading in headings
    ]


def _line(row: dict[str, Any], result: Board, questions: tuple[str, ...]) -> Line:
    return Line(
        rank=row["rank_label"],
        participant=row["participant"],
        organization=row["organization"] or "",
        is_baseline=row["is_baseline"],
        is_mine=row["is_mine"],
        on_frontier=bool(row["on_frontier"]),
        hardware_note=row["hardware_note"] or "",
        cells=_cells(result.headings, row["scores"]),
        tasks=[_cells(result.task_headings, task["scores"]) for task in row["tasks"]],
        answers=[_answer(row["fact_sheet"].get(key)) for key in questions],
        submission=row["submission"],
    )


def _answer(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _link_details(result: Board, user: Any, *, organizer: bool) -> None:
    """Marks the rows whose detailed results the viewer may open from the leaderboard: where
    the competition shows them there, of the submissions the viewer may see. One query."""
    competition: Competition = result.phase.competition
    if not competition.enable_detailed_results:
        return
    if not organizer and (
        not competition.show_detailed_results_in_leaderboard or result.phase.hide_output
    ):
        return
    wanted = [line.submission for line in result.lines if line.submission is not None]
    if not wanted:
        return
    with_details = set(
        Submission.objects.visible_to(user)
        .filter(pk__in=wanted)
        .filter(Q(detailed_result__isnull=False) | Q(children__detailed_result__isnull=False))
        .values_list("pk", flat=True)
    )
    for line in result.lines:
        line.details = line.submission in with_details


def _millis(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _history(rows: list[ChartRow], primary: Column) -> dict[str, Any] | None:
    """The best value of the primary column over time among the participants' rows (each
    at the moment its submission was made), the rows themselves, and the baselines. `rows`
    hold the primary column's values."""
    key = primary.key
    points = sorted(
        (_millis(row.made), scaled(key, row.value))
        for row in rows
        if not row.is_baseline and row.value is not None
    )
    if not points:
        return None
    higher = primary.sorting != Column.Sorting.ASC
    best: list[tuple[int, float]] = []
    for moment, value in points:
        if not best or (value > best[-1][1] if higher else value < best[-1][1]):
            best.append((moment, value))
    if best[-1][0] != points[-1][0]:
        best.append((points[-1][0], best[-1][1]))
    baselines = [
        {"name": row.name, "value": scaled(key, row.value)}
        for row in rows
        if row.is_baseline and row.value is not None
    ]
    label = primary.title or key
    suffix = f" ({unit(key)})" if unit(key) else ""
    first, last = best[0][1], best[-1][1]
    precision = max(primary.precision, 1) if unit(key) == "MiB" else primary.precision
    return {
        "label": f"{label}{suffix}",
        "precision": precision,
        "points": [list(point) for point in points],
        "best": [list(point) for point in best],
        "baselines": baselines,
        "summary": f"Best {label} over time, from {first:.{precision}f} to "
        f"{last:.{precision}f}, over {len(points)} leaderboard entries.",
    }


def _frontier(rows: list[ChartRow], score: Column, cost: Column) -> dict[str, Any] | None:
    """Each row's (cost, score) and whether it is on the efficiency frontier."""
    points: list[dict[str, Any]] = [
        {
            "x": scaled(cost.key, row.cost),
            "y": row.score,
            "name": row.name,
            "frontier": row.on_frontier,
            "baseline": row.is_baseline,
        }
        for row in rows
        if row.score is not None and row.cost is not None
    ]
    if not points:
        return None
    on = sum(point["frontier"] for point in points)
    cost_title = cost.title or cost.key
    score_title = score.title or score.key
    return {
        "x_label": f"{cost_title} ({unit(cost.key)})" if unit(cost.key) else cost_title,
        "y_label": score_title,
        "points": points,
        "summary": f"{score_title} against {cost_title} for {len(points)} leaderboard "
        f"entries; {on} on the efficiency frontier.",
    }
