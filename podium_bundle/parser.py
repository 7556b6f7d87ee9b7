"""The pure bundle parser: an unpacked bundle folder in, a validated BundleSpec out.

Every problem is collected with its key path (`phases[1].end: before start`) and reported
at once; unknown keys are warnings. Nothing here touches the database.
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from podium_bundle import boards, dates, legacy, yamlsafe
from podium_bundle.fields import Reader, describe
from podium_bundle.files import JUNK, Resolver
from podium_bundle.problems import BundleInvalid, Problem, Problems, join
from podium_bundle.spec import (
    FLAGS,
    BundleSpec,
    PageSpec,
    PhaseSpec,
    SolutionSpec,
    TaskSpec,
)
from podium_worker import archive

YAML_NAMES = ("competition.yaml", "competition.yml")
TOP_LEVEL = (
    "version",
    "title",
    "image",
    "terms",
    "description",
    "pages",
    "registration_auto_approve",
    "docker_image",
    "queue",
    "make_programs_available",
    "make_input_data_available",
    "enable_detailed_results",
    "show_detailed_results_in_submission_panel",
    "show_detailed_results_in_leaderboard",
    "auto_run_submissions",
    "can_participants_make_submissions_public",
    "competition_type",
    "forum_enabled",
    "contact_email",
    "reward",
    "fact_sheet",
    "tasks",
    "phases",
    "leaderboards",
    "solutions",
)
TASK_KEYS = (
    "index",
    "name",
    "description",
    "key",
    "is_public",
    "scoring_program",
    "ingestion_program",
    "input_data",
    "reference_data",
    "ingestion_only_during_scoring",
)
PHASE_KEYS = (
    "index",
    "name",
    "description",
    "start",
    "end",
    "tasks",
    "max_submissions",
    "max_submissions_per_day",
    "execution_time_limit",
    "auto_migrate_to_this_phase",
    "hide_output",
    "hide_prediction_output",
    "hide_score_output",
    "starting_kit",
    "public_data",
    "leaderboard",
    "solutions",
)
MAX_EXECUTION_TIME = 7 * 24 * 3600


@contextmanager
def unpacked(source: Path, workspace: Path, budget: archive.Budget) -> Iterator[Path]:
    """Yields the bundle's folder: `source` itself, or a zip unpacked under `workspace`."""
    if source.is_dir():
        try:
            archive.check_tree(source, budget, where=source.name)
        except archive.ArchiveError as exc:
            raise BundleInvalid([Problem("", str(exc))]) from None
        yield source
        return
    if not zipfile.is_zipfile(source):
        raise BundleInvalid([Problem("", f"{source.name} is not a zip archive or a folder")])
    target = workspace / "bundle"
    target.mkdir()
    try:
        archive.extract(source, target, budget, where=source.name)
    except archive.ArchiveError as exc:
        raise BundleInvalid([Problem("", str(exc))]) from None
    yield target


def find_yaml(root: Path, problems: Problems) -> Path:
    """competition.yaml at the root, or inside one wrapping folder (with a warning)."""
    for name in YAML_NAMES:
        if (root / name).is_file():
            return root / name
    entries = [entry for entry in root.iterdir() if entry.name not in JUNK]
    if len(entries) == 1 and entries[0].is_dir():
        for name in YAML_NAMES:
            if (entries[0] / name).is_file():
                problems.warn(
                    "",
                    f"competition.yaml found inside the folder '{entries[0].name}/'; "
                    "that folder is used as the bundle's root",
                )
                return entries[0] / name
    raise BundleInvalid([Problem("", "no competition.yaml at the bundle's root")])


def parse(root: Path, workspace: Path, budget: archive.Budget) -> BundleSpec:
    """Parses an unpacked bundle folder, or raises BundleInvalid listing every problem."""
    problems = Problems()
    yaml_path = find_yaml(root, problems)
    try:
        document = yamlsafe.load(yaml_path.read_bytes(), name=yaml_path.name)
    except yamlsafe.YamlError as exc:
        raise BundleInvalid([Problem("", str(exc))]) from None
    if not isinstance(document, dict):
        raise BundleInvalid(
            [Problem("", f"{yaml_path.name} must be a mapping, got {describe(document)}")]
        )
    version = _version(document, problems)
    if version == "1.5":
        document = legacy.to_v2(document, problems)
    spec = _Parser(Resolver(yaml_path.parent, workspace, budget, problems), problems).bundle(
        document, version
    )
    problems.raise_if_any()
    spec.warnings = [str(warning) for warning in problems.warnings]
    return spec


def check(source: Path, *, max_bytes: int, max_entries: int) -> BundleSpec:
    """Parses the bundle at `source` (a zip or a folder) as an import would, within one
    budget for the bundle and the zips inside it (bytes unpacked, files and folders), and
    keeps nothing: what it unpacks lives in a temporary folder removed before returning, so
    the spec's folders no longer exist. Raises BundleInvalid listing every problem."""
    budget = archive.Budget(max_bytes=max_bytes, max_entries=max_entries)
    with tempfile.TemporaryDirectory(prefix="podium-bundle-") as temporary:
        workspace = Path(temporary)
        with unpacked(source, workspace, budget) as root:
            return parse(root, workspace, budget)


def _version(document: dict[str, Any], problems: Problems) -> str:
    value = document.get("version")
    if value is None:
        if isinstance(document.get("phases"), dict) or "html" in document:
            problems.warn("version", "missing; read as a CodaLab 1.5 bundle")
            return "1.5"
        problems.error("version", "required (2 for Codabench bundles)")
        return "2"
    text = str(value).strip()
    if text in ("2", "2.0"):
        return "2"
    if text in ("1", "1.0", "1.5", "1.8"):
        return "1.5"
    problems.error("version", f"unsupported version {value!r}; Podium reads 2 and CodaLab's 1.5")
    return "2"


class _Parser:
    def __init__(self, resolver: Resolver, problems: Problems) -> None:
        self.files = resolver
        self.problems = problems

    def bundle(self, document: dict[str, Any], version: str) -> BundleSpec:
        top = Reader(document, "", self.problems)
        if version == "2":
            top.warn_unknown(TOP_LEVEL)
        title = top.text("title", required=True, limit=256)
        description = top.text("description")
        logo = self._logo(top)
        terms = self.files.text(top.raw("terms"), "terms") if top.has("terms") else None
        if terms is None:
            terms = self._required("terms")
        pages = self.pages(top)
        tasks = self.tasks(top)
        leaderboards = boards.leaderboards(top, self.problems)
        phases = self.phases(top, {task.index for task in tasks}, {lb.key for lb in leaderboards})
        return BundleSpec(
            version=version,
            title=title,
            description=description,
            logo=logo,
            terms=terms,
            pages=pages,
            flags={name: top.boolean(name, default) for name, default in FLAGS.items()},
            docker_image=top.text("docker_image", default="codalab/codalab-legacy:py37", limit=256),
            queue=top.text("queue") or None,
            competition_type=top.choice(
                "competition_type", ("competition", "benchmark"), "competition"
            ),
            contact_email=top.text("contact_email", limit=254),
            reward=top.text("reward", limit=500),
            fact_sheet=boards.fact_sheet(top, self.problems),
            tasks=tasks,
            phases=phases,
            leaderboards=leaderboards,
            solutions=self.solutions(top, {task.index for task in tasks}),
        )

    def _required(self, key: str) -> str:
        self.problems.error(key, "required")
        return ""

    def _logo(self, top: Reader) -> Path | None:
        if not top.has("image"):
            self.problems.error("image", "required (the path of the logo file)")
            return None
        return self.files.logo(top.raw("image"), "image")

    def pages(self, top: Reader) -> list[PageSpec]:
        pages = []
        for position, item in enumerate(top.items("pages")):
            path = join("pages", position)
            if not isinstance(item, dict):
                self.problems.error(
                    path, f"expected a mapping with title and file, got {describe(item)}"
                )
                continue
            page = Reader(item, path, self.problems)
            page.warn_unknown(("title", "file", "index"))
            title = page.text("title", required=True, limit=256)
            content = (
                self.files.text(page.raw("file"), page.at("file"), required=False)
                if page.has("file")
                else ""
            )
            if not page.has("file"):
                self.problems.error(page.at("file"), "required")
            pages.append(PageSpec(title=title, content=content))
        return pages

    def tasks(self, top: Reader) -> list[TaskSpec]:
        tasks: list[TaskSpec] = []
        seen: set[int] = set()
        for _, task in top.mapping_items("tasks"):
            task.warn_unknown(TASK_KEYS)
            index = task.integer("index", None, required=True)
            if index is not None and index in seen:
                self.problems.error(task.at("index"), f"another task already has index {index}")
            if index is not None:
                seen.add(index)
            if task.has("key"):
                key = task.text("key")
                if not task.has("name") and not task.has("scoring_program"):
                    tasks.append(TaskSpec(index=index or 0, name="", key=key))
                    continue
                self.problems.error(task.at("key"), "a reused task takes only 'index' and 'key'")
                continue
            if not task.has("scoring_program"):
                self.problems.error(task.at("scoring_program"), "required")
            tasks.append(
                TaskSpec(
                    index=index or 0,
                    name=task.text("name", required=True, limit=256),
                    description=task.text("description"),
                    scoring_program=self.files.program(
                        task.raw("scoring_program"), task.at("scoring_program")
                    )
                    if task.has("scoring_program")
                    else None,
                    ingestion_program=self.files.program(
                        task.raw("ingestion_program"), task.at("ingestion_program")
                    )
                    if task.has("ingestion_program")
                    else None,
                    input_data=self.files.reference(task.raw("input_data"), task.at("input_data"))
                    if task.has("input_data")
                    else None,
                    reference_data=self.files.reference(
                        task.raw("reference_data"), task.at("reference_data")
                    )
                    if task.has("reference_data")
                    else None,
                    ingestion_only_during_scoring=task.boolean(
                        "ingestion_only_during_scoring", False
                    ),
                    is_public=task.boolean("is_public", False),
                )
            )
        return tasks

    def solutions(self, top: Reader, task_indexes: set[int]) -> list[SolutionSpec]:
        solutions: list[SolutionSpec] = []
        seen: set[int] = set()
        for _, item in top.mapping_items("solutions") if top.has("solutions") else []:
            item.warn_unknown(("index", "tasks", "path", "key", "name", "description"))
            index = item.integer("index", None, required=True)
            if index is not None and index in seen:
                self.problems.error(item.at("index"), f"another solution already has index {index}")
            seen.add(index or 0)
            tasks = self._task_list(item, task_indexes)
            key = item.text("key") or None
            file = None
            if key is None:
                if not item.has("path"):
                    self.problems.error(
                        item.at("path"), "required (or 'key' of an existing solution)"
                    )
                else:
                    file = self.files.reference(item.raw("path"), item.at("path"), may_reuse=False)
            solutions.append(
                SolutionSpec(
                    index=index or 0,
                    name=item.text("name", limit=256) or f"Solution {index}",
                    description=item.text("description"),
                    tasks=tasks,
                    file=file,
                    key=key,
                )
            )
        return solutions

    def _task_list(self, item: Reader, task_indexes: set[int]) -> list[int]:
        indexes: list[int] = []
        raw = item.items("tasks", required=True)
        if item.has("tasks") and not raw and isinstance(item.raw("tasks"), list):
            self.problems.error(item.at("tasks"), "must name at least one task")
        for position, value in enumerate(raw):
            path = join(item.at("tasks"), position)
            if isinstance(value, bool) or not isinstance(value, int):
                self.problems.error(path, f"expected a task index, got {describe(value)}")
            elif value not in task_indexes:
                self.problems.error(path, f"no task has index {value}")
            elif value in indexes:
                self.problems.error(path, f"task {value} is listed twice")
            else:
                indexes.append(value)
        return indexes

    def phases(
        self, top: Reader, task_indexes: set[int], leaderboard_keys: set[str]
    ) -> list[PhaseSpec]:
        entries = top.mapping_items("phases")
        if top.has("phases") and not entries and isinstance(top.raw("phases"), list):
            self.problems.error("phases", "must hold at least one phase")
        # Codabench orders phases by their optional `index`, then by position.
        entries.sort(key=lambda entry: _sort_index(entry[1].raw("index"), entry[0]))
        phases: list[PhaseSpec] = []
        for order, (_, phase) in enumerate(entries):
            phase.warn_unknown(PHASE_KEYS)
            start = self._date(phase, "start", required=True)
            end = self._date(phase, "end", required=False)
            if start and end and end <= start:
                self.problems.error(
                    phase.at("end"),
                    f"before start ({end:%Y-%m-%d %H:%M} UTC is not after "
                    f"{start:%Y-%m-%d %H:%M} UTC)",
                )
            leaderboard = phase.text("leaderboard") or None
            if leaderboard is not None and leaderboard not in leaderboard_keys:
                self.problems.error(
                    phase.at("leaderboard"), f"no leaderboard has key {leaderboard!r}"
                )
            auto_migrate = phase.boolean("auto_migrate_to_this_phase", False)
            if auto_migrate and order == 0:
                self.problems.error(
                    phase.at("auto_migrate_to_this_phase"),
                    "the first phase has no phase to migrate from",
                )
            phases.append(
                PhaseSpec(
                    index=order,
                    name=phase.text("name", required=True, limit=256),
                    description=phase.text("description"),
                    start=start or dates.parse("2000-01-01"),
                    end=end,
                    tasks=self._task_list(phase, task_indexes),
                    max_submissions=_unlimited(phase.integer("max_submissions", 100)),
                    max_submissions_per_day=_unlimited(phase.integer("max_submissions_per_day", 5)),
                    execution_time_limit=phase.integer(
                        "execution_time_limit", 600, minimum=1, maximum=MAX_EXECUTION_TIME
                    )
                    or 600,
                    auto_migrate_to_this_phase=auto_migrate,
                    hide_output=phase.boolean("hide_output", False),
                    hide_prediction_output=phase.boolean("hide_prediction_output", False),
                    hide_score_output=phase.boolean("hide_score_output", False),
                    starting_kit=self.files.reference(
                        phase.raw("starting_kit"), phase.at("starting_kit")
                    )
                    if phase.has("starting_kit")
                    else None,
                    public_data=self.files.reference(
                        phase.raw("public_data"), phase.at("public_data")
                    )
                    if phase.has("public_data")
                    else None,
                    leaderboard=leaderboard,
                )
            )
        self._check_sequence(phases, [reader for _, reader in entries])
        return phases

    def _date(self, phase: Reader, key: str, *, required: bool) -> Any:
        value = phase.raw(key)
        if value is None:
            if required:
                self.problems.error(phase.at(key), "required")
            return None
        try:
            return dates.parse(value)
        except dates.DateError as exc:
            self.problems.error(phase.at(key), str(exc))
            return None

    def _check_sequence(self, phases: list[PhaseSpec], readers: list[Reader]) -> None:
        for position, (phase, reader) in enumerate(zip(phases, readers, strict=True)):
            if position + 1 == len(phases):
                break
            following = phases[position + 1]
            if phase.end is None:
                if reader.raw("end") is None:
                    self.problems.error(
                        reader.at("end"), "required: only the last phase may be open-ended"
                    )
                continue
            if following.start < phase.end:
                self.problems.error(
                    readers[position + 1].at("start"),
                    f"overlaps the phase before it ({following.start:%Y-%m-%d %H:%M} UTC is before "
                    f"its end, {phase.end:%Y-%m-%d %H:%M} UTC)",
                )


def _sort_index(value: object, position: int) -> tuple[int, int]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, position)
    return (position, position)


def _unlimited(value: int | None) -> int | None:
    """Codabench reads 0 as 'no limit'."""
    return value or None
