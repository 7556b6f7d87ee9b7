"""The analytics page's charts: the figures of `podium.audit.analytics` shaped for
hosting.js (labels, one list of values per series) with a sentence that says what each
chart shows, for its caption and for screen readers. Pure: no queries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.template.defaultfilters import filesizeformat


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]
    drawn: bool = True  # False: in the table only


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    summary: str
    kind: str  # "line" or "bar"
    labels: list[str]
    series: list[Series]
    unit: str = "count"  # or "bytes"
    horizontal: bool = False

    @property
    def data_id(self) -> str:
        return f"{self.key}-data"

    def spec(self) -> dict[str, Any]:
        """What hosting.js draws, through a json_script element."""
        return {
            "kind": self.kind,
            "labels": self.labels,
            "series": [{"label": s.label, "values": s.values} for s in self.series if s.drawn],
            "unit": self.unit,
            "horizontal": self.horizontal,
        }

    def rows(self) -> list[tuple[str, list[int]]]:
        """The same figures as a table: one row per label, one value per series."""
        return [
            (label, [series.values[index] for series in self.series])
            for index, label in enumerate(self.labels)
        ]


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def activity(counts: dict[str, Any], interval: str) -> Chart:
    periods = [period.isoformat() for period in counts["periods"]]
    users, competitions, submissions = (
        counts["users_joined"],
        counts["competitions_created"],
        counts["submissions_made"],
    )
    first, last = (periods[0], periods[-1]) if periods else ("", "")
    return Chart(
        key="activity",
        title=f"Activity per {interval}",
        summary=(
            f"From {first} to the {interval} of {last}: {_plural(sum(users), 'user')} joined, "
            f"{_plural(sum(competitions), 'competition')} created, "
            f"{_plural(sum(submissions), 'submission')} made."
        ),
        kind="line",
        labels=periods,
        series=[
            Series("Users joined", users),
            Series("Competitions created", competitions),
            Series("Submissions made", submissions),
        ],
    )


def workers(busy: dict[str, Any]) -> Chart:
    queues = busy["queues"]
    return Chart(
        key="workers",
        title="Jobs on workers now",
        summary=(
            f"{_plural(busy['running'], 'job')} held by workers and "
            f"{busy['waiting']:,} waiting, on {_plural(len(queues), 'queue')} with jobs."
        ),
        kind="bar",
        labels=[queue["name"] for queue in queues],
        series=[
            Series("Held by a worker", [queue["running"] for queue in queues]),
            Series("Waiting", [queue["waiting"] for queue in queues]),
        ],
    )


def storage_by_user(stored: dict[str, Any]) -> Chart:
    users = stored["by_user"]
    heaviest = (
        f"; the most, {users[0]['username']}: {filesizeformat(users[0]['bytes'])}" if users else ""
    )
    return Chart(
        key="storage-users",
        title="Storage by user",
        summary=(
            f"{filesizeformat(stored['bytes'])} in {_plural(stored['files'], 'file')} in all"
            + heaviest
            + "."
        ),
        kind="bar",
        labels=[user["username"] for user in users],
        series=[
            Series("Stored", [user["bytes"] for user in users]),
            # Quotas dwarf most users' files on one scale: the table shows them.
            Series("Quota", [user["quota_bytes"] for user in users], drawn=False),
        ],
        unit="bytes",
        horizontal=True,
    )


def storage_by_competition(stored: dict[str, Any]) -> Chart:
    competitions = stored["by_competition"]
    heaviest = (
        f"The most: {competitions[0]['title']}, {filesizeformat(competitions[0]['bytes'])}."
        if competitions
        else "No competition stores files yet."
    )
    return Chart(
        key="storage-competitions",
        title="Storage by competition",
        summary=f"{_plural(len(competitions), 'competition')} shown. {heaviest}",
        kind="bar",
        labels=[competition["title"] for competition in competitions],
        series=[Series("Stored", [competition["bytes"] for competition in competitions])],
        unit="bytes",
        horizontal=True,
    )
