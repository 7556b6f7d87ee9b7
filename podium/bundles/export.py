"""Writing a competition back as a version 2 bundle that re-imports to an equal competition."""

from __future__ import annotations

import re
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO, Any

import yaml

from podium.competitions.models import Competition, Solution, Task
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium_bundle.spec import FLAGS


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "page"


class _Writer:
    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self._written: dict[int, str] = {}

    def text(self, name: str, content: str) -> str:
        self.archive.writestr(name, content.encode("utf-8"))
        return name

    def data(self, data: Data | None, folder: str) -> str | None:
        if data is None:
            return None
        if data.pk not in self._written:
            suffix = PurePosixPath(data.name).suffix or ".zip"
            name = f"{folder}/{data.kind}-{data.pk}{suffix}"
            with self.archive.open(name, "w") as out:
                for chunk in datasets.read_chunks(data):
                    out.write(chunk)
            self._written[data.pk] = name
        return self._written[data.pk]


def bundle_file_name(competition: Competition) -> str:
    """The name a downloaded bundle gets: the title's letters and digits, and the id."""
    slug = re.sub(r"[^a-z0-9]+", "-", competition.title.lower()).strip("-")[:60]
    return f"{slug or 'competition'}-{competition.pk}.zip"


def export_to_temporary_file(competition: Competition) -> IO[bytes]:
    """The competition's bundle in a temporary file, open and read from its start, for a
    download to stream; the file goes when it is closed."""
    archive = tempfile.NamedTemporaryFile(prefix="podium-export-", suffix=".zip")  # noqa: SIM115
    try:
        export_bundle(competition, Path(archive.name))
        archive.seek(0)
    except BaseException:
        archive.close()
        raise
    return archive


def export_bundle(competition: Competition, target: Path) -> None:
    """Writes `competition` as a bundle zip at `target`."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        writer = _Writer(archive)
        archive.writestr(
            "competition.yaml",
            yaml.safe_dump(_document(competition, writer), sort_keys=False, allow_unicode=True),
        )


def _document(competition: Competition, writer: _Writer) -> dict[str, Any]:
    phases = list(competition.phases.prefetch_related("phase_tasks__task").order_by("index"))
    boards = list(competition.leaderboards.prefetch_related("columns").order_by("index"))
    tasks: list[Task] = []
    for phase in phases:
        for link in phase.phase_tasks.all():
            if link.task not in tasks:
                tasks.append(link.task)
    task_index = {task.pk: position for position, task in enumerate(tasks)}
    solutions = list(
        Solution.objects.filter(tasks__in=tasks).distinct().order_by("pk").prefetch_related("tasks")
    )
    document: dict[str, Any] = {
        "version": 2,
        "title": competition.title,
        "description": competition.description,
    }
    if competition.logo is not None:
        document["image"] = writer.data(competition.logo, "assets")
    document["terms"] = writer.text("terms.md", competition.terms)
    document["pages"] = [
        {
            "title": page.title,
            "file": writer.text(f"pages/{page.index:02d}-{_slug(page.title)}.md", page.content),
        }
        for page in competition.pages.order_by("index")
    ]
    for name in (*FLAGS, "docker_image", "competition_type", "contact_email", "reward"):
        document[name] = getattr(competition, name)
    if competition.queue is not None:
        document["queue"] = str(competition.queue.key)
    if competition.fact_sheet:
        document["fact_sheet"] = competition.fact_sheet
    document["tasks"] = [_task(task, position, writer) for position, task in enumerate(tasks)]
    if solutions:
        document["solutions"] = [
            {
                "index": position,
                "name": solution.name,
                "description": solution.description,
                "tasks": sorted(
                    task_index[task.pk] for task in solution.tasks.all() if task.pk in task_index
                ),
                "path": writer.data(solution.data, "solutions"),
            }
            for position, solution in enumerate(solutions)
        ]
    default_board = boards[0].pk if boards else None
    document["phases"] = []
    for phase in phases:
        entry: dict[str, Any] = {
            "index": phase.index,
            "name": phase.name,
            "description": phase.description,
            "start": _when(phase.start),
        }
        if phase.end is not None:
            entry["end"] = _when(phase.end)
        entry.update(
            tasks=[task_index[link.task_id] for link in phase.phase_tasks.all()],
            max_submissions=phase.max_submissions or 0,
            max_submissions_per_day=phase.max_submissions_per_day or 0,
            execution_time_limit=phase.execution_time_limit,
            auto_migrate_to_this_phase=phase.auto_migrate_to_this_phase,
            hide_output=phase.hide_output,
            hide_prediction_output=phase.hide_prediction_output,
            hide_score_output=phase.hide_score_output,
        )
        for name in ("starting_kit", "public_data"):
            path = writer.data(getattr(phase, name), "phases")
            if path is not None:
                entry[name] = path
        if phase.leaderboard_id is not None and phase.leaderboard_id != default_board:
            entry["leaderboard"] = phase.leaderboard.key if phase.leaderboard else None
        document["phases"].append(entry)
    document["leaderboards"] = [
        {
            "title": board.title,
            "key": board.key,
            "hidden": board.hidden,
            "submission_rule": board.submission_rule,
            "primary_index": board.primary_index,
            # Podium's own keys, written only when set so that Codabench reads the rest.
            **({"release_date": _when(board.release_date)} if board.release_date else {}),
            **({"anonymous": True} if board.anonymous else {}),
            **({"frontier": board.frontier_columns} if board.frontier else {}),
            "columns": [
                {
                    "title": column.title,
                    "key": column.key,
                    "index": column.index,
                    "sorting": column.sorting,
                    **(
                        {
                            "computation": column.computation,
                            "computation_indexes": column.computation_indexes,
                        }
                        if column.computation
                        else {}
                    ),
                    "hidden": column.hidden,
                    "precision": column.precision,
                }
                for column in board.columns.all()
            ],
        }
        for board in boards
    ]
    return document


def _task(task: Task, position: int, writer: _Writer) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "index": position,
        "name": task.name,
        "description": task.description,
        "scoring_program": writer.data(task.scoring_program, "tasks"),
    }
    for name in ("ingestion_program", "input_data", "reference_data"):
        path = writer.data(getattr(task, name), "tasks")
        if path is not None:
            entry[name] = path
    entry["ingestion_only_during_scoring"] = task.ingestion_only_during_scoring
    entry["is_public"] = task.is_public
    return entry
