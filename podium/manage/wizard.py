"""The step-by-step form (the seed's GUI wizard): the steps a new competition goes through,
which of them are done, and what still stands between it and its first submission.

Each step is one of the competition's settings pages, saved as it goes: the competition is
an unpublished draft from the first step on, and its organizers come back to it whenever
they like. Nothing here decides anything: it reads the competition and says what it sees.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from podium.competitions.models import Competition


@dataclass(frozen=True)
class Step:
    name: str  # the page's URL name in the `manage` namespace
    title: str
    done: bool
    note: str = ""


@dataclass(frozen=True)
class Progress:
    steps: list[Step]
    problems: list[str]  # what keeps participants from submitting, in words

    def step(self, name: str) -> tuple[int, Step]:
        for number, step in enumerate(self.steps, start=1):
            if step.name == name:
                return number, step
        raise KeyError(name)

    def after(self, name: str) -> Step | None:
        number, _ = self.step(name)
        return self.steps[number] if number < len(self.steps) else None

    def before(self, name: str) -> Step | None:
        number, _ = self.step(name)
        return self.steps[number - 2] if number > 1 else None

    def first_to_do(self) -> Step:
        return next((step for step in self.steps if not step.done), self.steps[-1])


ORDER = (
    ("details", "Details"),
    ("pages", "Pages"),
    ("phases", "Phases"),
    ("tasks", "Tasks"),
    ("leaderboards", "Leaderboards"),
    ("fact-sheet", "Fact sheet"),
    ("registration", "Registration"),
    ("competition", "Review and publish"),
)


def progress(competition: Competition) -> Progress:
    """Which steps are done and what is missing. Three queries."""
    phases = list(
        competition.phases.annotate(task_count=Count("phase_tasks")).order_by("index", "pk")
    )
    pages = competition.pages.count()
    boards = competition.leaderboards.count()
    problems = []
    if not phases:
        problems.append("It has no phase: participants submit to a phase.")
    for phase in phases:
        if not phase.task_count:  # type: ignore[attr-defined]
            problems.append(f"Phase {phase.name!r} has no task to evaluate submissions on.")
        if phase.leaderboard_id is None:
            problems.append(f"Phase {phase.name!r} has no leaderboard to rank them on.")
    untasked = [phase for phase in phases if not phase.task_count]  # type: ignore[attr-defined]
    unranked = [phase for phase in phases if phase.leaderboard_id is None]
    done = {
        "details": (
            bool(competition.title.strip() and competition.terms.strip()),
            "" if competition.terms.strip() else "Add the terms participants accept.",
        ),
        "pages": (pages > 0, f"{pages} page{'s' if pages != 1 else ''}" if pages else "Optional"),
        "phases": (bool(phases), f"{len(phases)} phase{'s' if len(phases) != 1 else ''}"),
        "tasks": (
            bool(phases) and not untasked,
            f"{len(untasked)} phase{'s' if len(untasked) != 1 else ''} without a task"
            if untasked
            else "",
        ),
        "leaderboards": (
            boards > 0 and bool(phases) and not unranked,
            f"{len(unranked)} phase{'s' if len(unranked) != 1 else ''} without a leaderboard"
            if unranked
            else "",
        ),
        "fact-sheet": (True, f"{len(competition.fact_sheet or {})} question(s)"),
        "registration": (
            True,
            "Approved at once" if competition.registration_auto_approve else "Approved by you",
        ),
        "competition": (competition.published, "Published" if competition.published else ""),
    }
    steps = [Step(name, title, *done[name]) for name, title in ORDER]
    return Progress(steps=steps, problems=problems)
