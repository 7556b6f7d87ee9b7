"""Importing a bundle: unpack and parse (pure), resolve reused objects, save in one transaction."""

from __future__ import annotations

import tempfile
import uuid
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from podium.accounts.models import User
from podium.competitions.models import Competition, Page, Phase, PhaseTask, Solution, Task
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.leaderboards.models import Column, Leaderboard
from podium.queues.models import Queue
from podium.submissions import lifecycle
from podium.submissions.models import Submission
from podium_bundle import parser
from podium_bundle.problems import BundleInvalid, Problem, Problems
from podium_bundle.spec import BundleSpec, FileRef
from podium_worker import archive


@dataclass
class ImportResult:
    competition: Competition
    warnings: list[str] = field(default_factory=list)
    baselines: list[Submission] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        competition = self.competition
        phases = list(competition.phases.prefetch_related("phase_tasks").order_by("index"))
        tasks = Task.objects.filter(phases__competition=competition).distinct().order_by("pk")
        boards = competition.leaderboards.prefetch_related("columns").order_by("index")
        return {
            "competition": competition.pk,
            "title": competition.title,
            "phases": [
                {
                    "id": phase.pk,
                    "name": phase.name,
                    "tasks": [link.task_id for link in phase.phase_tasks.all()],
                }
                for phase in phases
            ],
            "tasks": [{"id": task.pk, "name": task.name} for task in tasks],
            "leaderboards": [
                {"key": board.key, "columns": [column.key for column in board.columns.all()]}
                for board in boards
            ],
            "solutions": Solution.objects.filter(tasks__in=tasks).distinct().count(),
            "warnings": self.warnings,
        }


def budget() -> archive.Budget:
    return archive.Budget(
        max_bytes=settings.BUNDLE_MAX_BYTES, max_entries=settings.BUNDLE_MAX_ENTRIES
    )


def check_bundle(*, source: Path) -> BundleSpec:
    """Parses a bundle without saving anything, within this instance's limits; raises
    BundleInvalid listing every problem. `podium bundle check` runs the same parser."""
    return parser.check(
        source, max_bytes=settings.BUNDLE_MAX_BYTES, max_entries=settings.BUNDLE_MAX_ENTRIES
    )


def import_bundle(*, source: Path, owner: User, run_solutions: bool = False) -> ImportResult:
    """Imports the bundle at `source` (a zip or a folder) as a new competition of `owner`.

    All or nothing: on any problem, BundleInvalid lists them all and nothing is saved,
    neither rows nor files. The unpacked copy always lives in a temporary folder that is
    removed afterwards. With `run_solutions`, the bundle's solutions are then submitted as
    `owner`'s baselines on the phases whose tasks they cover, queued once it is all saved.
    """
    baselines: list[Submission] = []
    with tempfile.TemporaryDirectory(prefix="podium-bundle-") as temporary:
        workspace = Path(temporary)
        shared_budget = budget()
        with parser.unpacked(source, workspace, shared_budget) as root:
            spec = parser.parse(root, workspace, shared_budget)
            reused = _resolve_reused(spec, owner)
            saver = _Saver(owner, workspace, reused)
            try:
                with transaction.atomic():
                    competition = saver.save(spec)
                    if source.is_file() and zipfile.is_zipfile(source):
                        competition.bundle = saver.store_file(source, Data.Kind.BUNDLE)
                        competition.save(update_fields=["bundle"])
                    if run_solutions:
                        baselines = lifecycle.run_solutions(competition, by=owner)
            except datasets.QuotaExceeded as exc:
                saver.forget_blobs()
                raise BundleInvalid([Problem("", str(exc))], spec.warnings) from None
            except BaseException:
                saver.forget_blobs()
                raise
    return ImportResult(competition=competition, warnings=spec.warnings, baselines=baselines)


@dataclass
class _Reused:
    tasks: dict[str, Task]
    data: dict[str, Data]
    solutions: dict[str, Solution]
    queue: Queue | None


def _resolve_reused(spec: BundleSpec, owner: User) -> _Reused:
    """Objects named by key must exist and be the importer's to use (HOSTILE.md A9).

    Absent and not-allowed read the same, so keys of other users' objects do not leak.
    """
    problems = Problems()
    usable_tasks = (
        Task.objects.all()
        if owner.is_superuser
        else Task.objects.filter(Q(created_by=owner) | Q(is_public=True))
    )
    # A file whose upload never completed is not there to reuse.
    usable_data = (
        Data.objects.all()
        if owner.is_superuser
        else Data.objects.filter(Q(owner=owner) | Q(is_public=True))
    ).filter(upload_completed=True)
    usable_solutions = (
        Solution.objects.all() if owner.is_superuser else Solution.objects.filter(created_by=owner)
    )
    reused = _Reused(tasks={}, data={}, solutions={}, queue=None)
    for position, task in enumerate(spec.tasks):
        if task.key:
            found = _by_key(usable_tasks, task.key)
            if found is None:
                problems.error(f"tasks[{position}].key", f"no task {task.key!r} that you may use")
            else:
                reused.tasks[task.key] = found
        for name in ("scoring_program", "ingestion_program", "input_data", "reference_data"):
            _reuse_data(
                getattr(task, name), f"tasks[{position}].{name}", usable_data, reused, problems
            )
    for position, phase in enumerate(spec.phases):
        for name in ("starting_kit", "public_data"):
            _reuse_data(
                getattr(phase, name), f"phases[{position}].{name}", usable_data, reused, problems
            )
    for position, solution in enumerate(spec.solutions):
        if solution.key:
            found_solution = _by_key(usable_solutions, solution.key)
            if found_solution is None:
                problems.error(
                    f"solutions[{position}].key", f"no solution {solution.key!r} that you may use"
                )
            else:
                reused.solutions[solution.key] = found_solution
    if spec.queue:
        reused.queue = _by_key(Queue.objects.visible_to(owner), spec.queue)
        if reused.queue is None:
            problems.error("queue", f"no queue {spec.queue!r} that you may use")
    if problems.errors:
        raise BundleInvalid(problems.errors, spec.warnings)
    return reused


def _by_key(queryset: Any, key: str) -> Any:
    """The object with this key, or None (a malformed key is simply not found)."""
    try:
        return queryset.filter(key=uuid.UUID(key)).first()
    except ValueError:
        return None


def _reuse_data(
    ref: FileRef | None, path: str, usable: Any, reused: _Reused, problems: Problems
) -> None:
    if ref is None or ref.data_key is None:
        return
    found = _by_key(usable, ref.data_key)
    if found is None:
        problems.error(path, f"no data file {ref.data_key!r} that you may use")
    else:
        reused.data[ref.data_key] = found


class _Saver:
    def __init__(self, owner: User, workspace: Path, reused: _Reused) -> None:
        self.owner = owner
        self.workspace = workspace
        self.reused = reused
        self.created: list[Data] = []
        self._by_folder: dict[tuple[Path, str], Data] = {}

    def store_file(self, path: Path, kind: str, name: str | None = None) -> Data:
        data = datasets.store_path(owner=self.owner, kind=kind, path=path, name=name)
        self.created.append(data)
        return data

    def data(self, ref: FileRef | None, kind: str) -> Data | None:
        if ref is None:
            return None
        if ref.data_key is not None:
            return self.reused.data[ref.data_key]
        assert ref.folder is not None
        cache_key = (ref.folder, kind)
        if cache_key not in self._by_folder:
            target = self.workspace / f"zip-{len(self._by_folder)}.zip"
            archive.write_zip(ref.folder, target)
            name = Path(ref.written.rstrip("/")).name or kind
            if not name.endswith(".zip"):
                name += ".zip"
            self._by_folder[cache_key] = self.store_file(target, kind, name)
        return self._by_folder[cache_key]

    def forget_blobs(self) -> None:
        datasets.remove_orphan_blobs([str(data.file.name) for data in self.created])

    def save(self, spec: BundleSpec) -> Competition:
        competition = Competition.objects.create(
            title=spec.title,
            description=spec.description,
            terms=spec.terms,
            logo=self.store_file(spec.logo, Data.Kind.LOGO) if spec.logo else None,
            created_by=self.owner,
            docker_image=spec.docker_image,
            queue=self.reused.queue,
            competition_type=spec.competition_type,
            contact_email=spec.contact_email,
            reward=spec.reward,
            **spec.flags,
            fact_sheet=spec.fact_sheet,
        )
        Page.objects.bulk_create(
            Page(competition=competition, index=index, title=page.title, content=page.content)
            for index, page in enumerate(spec.pages)
        )
        boards = self._leaderboards(competition, spec)
        tasks = self._tasks(spec)
        for phase_spec in spec.phases:
            phase = Phase.objects.create(
                competition=competition,
                index=phase_spec.index,
                name=phase_spec.name,
                description=phase_spec.description,
                start=phase_spec.start,
                end=phase_spec.end,
                max_submissions=phase_spec.max_submissions,
                max_submissions_per_day=phase_spec.max_submissions_per_day,
                execution_time_limit=phase_spec.execution_time_limit,
                auto_migrate_to_this_phase=phase_spec.auto_migrate_to_this_phase,
                hide_output=phase_spec.hide_output,
                hide_prediction_output=phase_spec.hide_prediction_output,
                hide_score_output=phase_spec.hide_score_output,
                starting_kit=self.data(phase_spec.starting_kit, Data.Kind.STARTING_KIT),
                public_data=self.data(phase_spec.public_data, Data.Kind.PUBLIC_DATA),
                leaderboard=boards[phase_spec.leaderboard or spec.leaderboards[0].key],
            )
            PhaseTask.objects.bulk_create(
                PhaseTask(phase=phase, task=tasks[task_index], index=position)
                for position, task_index in enumerate(phase_spec.tasks)
            )
        for solution_spec in spec.solutions:
            if solution_spec.key:
                solution = self.reused.solutions[solution_spec.key]
            else:
                data = self.data(solution_spec.file, Data.Kind.SOLUTION)
                assert data is not None
                solution = Solution.objects.create(
                    name=solution_spec.name,
                    description=solution_spec.description,
                    data=data,
                    created_by=self.owner,
                )
            solution.tasks.add(*(tasks[index] for index in solution_spec.tasks))
        return competition

    def _leaderboards(self, competition: Competition, spec: BundleSpec) -> dict[str, Leaderboard]:
        boards = {}
        for index, board_spec in enumerate(spec.leaderboards):
            board = Leaderboard.objects.create(
                competition=competition,
                index=index,
                title=board_spec.title,
                key=board_spec.key,
                hidden=board_spec.hidden,
                submission_rule=board_spec.submission_rule,
                primary_index=board_spec.primary_index,
                release_date=board_spec.release_date,
                anonymous=board_spec.anonymous,
                frontier_score=board_spec.frontier[0] if board_spec.frontier else "",
                frontier_cost=board_spec.frontier[1] if board_spec.frontier else "",
            )
            Column.objects.bulk_create(
                Column(
                    leaderboard=board,
                    index=column.index,
                    title=column.title,
                    key=column.key,
                    sorting=column.sorting,
                    computation=column.computation,
                    computation_indexes=column.computation_indexes,
                    hidden=column.hidden,
                    precision=column.precision,
                )
                for column in board_spec.columns
            )
            boards[board.key] = board
        return boards

    def _tasks(self, spec: BundleSpec) -> dict[int, Task]:
        tasks = {}
        for task_spec in spec.tasks:
            if task_spec.key:
                tasks[task_spec.index] = self.reused.tasks[task_spec.key]
                continue
            scoring = self.data(task_spec.scoring_program, Data.Kind.SCORING_PROGRAM)
            assert scoring is not None
            tasks[task_spec.index] = Task.objects.create(
                name=task_spec.name,
                description=task_spec.description,
                created_by=self.owner,
                scoring_program=scoring,
                ingestion_program=self.data(
                    task_spec.ingestion_program, Data.Kind.INGESTION_PROGRAM
                ),
                input_data=self.data(task_spec.input_data, Data.Kind.INPUT_DATA),
                reference_data=self.data(task_spec.reference_data, Data.Kind.REFERENCE_DATA),
                ingestion_only_during_scoring=task_spec.ingestion_only_during_scoring,
                is_public=task_spec.is_public,
            )
        return tasks
