"""What a parsed bundle is: plain data classes, validated, with no ORM in sight."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FileRef:
    """A file the bundle refers to: a folder in the unpacked bundle, or an existing file's key."""

    written: str  # as written in competition.yaml, for messages
    folder: Path | None = None
    data_key: str | None = None


@dataclass
class TaskSpec:
    index: int
    name: str
    description: str = ""
    key: str | None = None  # reuse of an existing task
    scoring_program: FileRef | None = None
    ingestion_program: FileRef | None = None
    input_data: FileRef | None = None
    reference_data: FileRef | None = None
    ingestion_only_during_scoring: bool = False
    is_public: bool = False


@dataclass
class SolutionSpec:
    index: int
    name: str
    tasks: list[int]
    description: str = ""
    file: FileRef | None = None
    key: str | None = None


@dataclass
class PageSpec:
    title: str
    content: str


@dataclass
class PhaseSpec:
    index: int
    name: str
    start: datetime
    end: datetime | None
    tasks: list[int]
    description: str = ""
    max_submissions: int | None = 100
    max_submissions_per_day: int | None = 5
    execution_time_limit: int = 600
    auto_migrate_to_this_phase: bool = False
    hide_output: bool = False
    hide_prediction_output: bool = False
    hide_score_output: bool = False
    starting_kit: FileRef | None = None
    public_data: FileRef | None = None
    leaderboard: str | None = None  # a leaderboard key; None means the first leaderboard


@dataclass
class ColumnSpec:
    index: int
    title: str
    key: str
    sorting: str = "desc"
    computation: str = ""
    computation_indexes: list[int] | None = None
    hidden: bool = False
    precision: int = 2


@dataclass
class LeaderboardSpec:
    title: str
    key: str
    columns: list[ColumnSpec]
    hidden: bool = False
    submission_rule: str = "Add"
    primary_index: int = 0
    release_date: datetime | None = None  # before it, only the organizers see its scores
    anonymous: bool = False
    frontier: tuple[str, str] | None = None  # (score column key, cost column key)


# The competition's on/off settings, with Codabench's defaults. Parsed, saved and exported
# by this one table.
FLAGS: dict[str, bool] = {
    "registration_auto_approve": False,
    "make_programs_available": False,
    "make_input_data_available": False,
    "enable_detailed_results": False,
    "show_detailed_results_in_submission_panel": True,
    "show_detailed_results_in_leaderboard": True,
    "auto_run_submissions": True,
    "can_participants_make_submissions_public": True,
    "forum_enabled": True,
}


@dataclass
class BundleSpec:
    version: str
    title: str
    terms: str
    logo: Path | None
    tasks: list[TaskSpec]
    phases: list[PhaseSpec]
    leaderboards: list[LeaderboardSpec]
    description: str = ""
    pages: list[PageSpec] = field(default_factory=list)
    solutions: list[SolutionSpec] = field(default_factory=list)
    docker_image: str = "codalab/codalab-legacy:py37"
    queue: str | None = None
    flags: dict[str, bool] = field(default_factory=lambda: dict(FLAGS))
    competition_type: str = "competition"
    contact_email: str = ""
    reward: str = ""
    fact_sheet: dict[str, dict[str, Any]] | None = None
    warnings: list[str] = field(default_factory=list)
