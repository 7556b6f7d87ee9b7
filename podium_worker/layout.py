"""The `/app` layout of DESIGN.md: a job's folders, the mounts of each step, program commands.

Every step of a job sees the same paths (working directory `/app/program`):

| path                    | prediction step                       | scoring step                 |
|-------------------------|---------------------------------------|------------------------------|
| `/app/program`          | ingestion program, or the submission  | scoring program              |
|                         | when it runs its own command          |                              |
| `/app/ingested_program` | the submission (with ingestion)       | -                            |
| `/app/input_data`       | task input data                       | -                            |
| `/app/input/ref`        | - (never visible to participant code) | reference data               |
| `/app/input/res`        | -                                     | the prediction step's output |
| `/app/output`           | predictions                           | scores, detailed results     |
| `/app/shared`           | with ingestion during scoring         | with ingestion during scoring|

Programs and data are mounted read-only, the step's output writable. When ingestion runs
during scoring, the ingestion program runs in a sandbox of its own with the prediction layout
(writing the predictions, sharing `/app/shared`) at the same time as the scoring program, so
the participant's code and the reference data never share a process.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
import tempfile
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from podium_worker.sandbox.base import Mount

PROGRAM = "/app/program"
INGESTED_PROGRAM = "/app/ingested_program"
INPUT_DATA = "/app/input_data"
INPUT = "/app/input"
REFERENCE = "/app/input/ref"
RESULTS = "/app/input/res"
OUTPUT = "/app/output"
SHARED = "/app/shared"
# What a legacy variable becomes when the step must not see what it names: a path that does
# not exist and says why in the program's own "No such file or directory" error.
UNAVAILABLE = "/app/unavailable"

PRIVATE = ("logs", "uploads")  # job folders the sandbox never sees
METADATA_NAMES = ("metadata", "metadata.yaml", "metadata.yml")  # the bundle parser's order
METADATA_MAX_BYTES = 64 * 1024  # the bundle parser's limit for the same files
METADATA_MAX_DEPTH = 32
STEP_METADATA = "metadata"


class Step(StrEnum):
    PREDICTION = "prediction"
    SCORING = "scoring"


class LayoutError(ValueError):
    pass


# The legacy `$variables` of CodaLab and Codabench commands, per step. The choices, where
# the two platforms differ or where the name could reach what a step must not see:
# - `$input` is the input data in prediction (Codabench's mapping for ingestion programs);
#   in scoring it is /app/input, the folder holding `ref` and `res`, as CodaLab scorers expect.
# - `$tmp` is the step's output, as in Codabench (v1.8 compatibility): the layout has no other
#   writable folder, and CodaLab's separate temp folder was never kept.
# - `$hidden` is the reference data in scoring only. CodaLab handed it to ingestion programs,
#   which import participant code: in prediction it names an absent path instead.
# - `$ingestion_program` and `$submission_program` name nothing the scoring program may see.
# - `$predictions` is what the step writes in prediction and what it reads in scoring.
# The ingestion program running during scoring has the prediction layout and mapping.
LEGACY_VARIABLES: dict[Step, dict[str, str]] = {
    Step.PREDICTION: {
        "input": INPUT_DATA,
        "output": OUTPUT,
        "tmp": OUTPUT,
        "program": PROGRAM,
        "ingestion_program": PROGRAM,
        "submission_program": INGESTED_PROGRAM,
        "hidden": f"{UNAVAILABLE}/hidden",
        "shared": SHARED,
        "predictions": OUTPUT,
    },
    Step.SCORING: {
        "input": INPUT,
        "output": OUTPUT,
        "tmp": OUTPUT,
        "program": PROGRAM,
        "ingestion_program": f"{UNAVAILABLE}/ingestion_program",
        "submission_program": f"{UNAVAILABLE}/submission_program",
        "hidden": REFERENCE,
        "shared": SHARED,
        "predictions": RESULTS,
    },
}

_NAMES = "|".join(sorted(LEGACY_VARIABLES[Step.SCORING], key=len, reverse=True))
# `$name` as a whole word (`$inputs` and `$input_dir` are not `$input`), or `${name}`.
_VARIABLE = re.compile(rf"\$(?:\{{(?P<braced>{_NAMES})\}}|(?P<bare>{_NAMES})(?![A-Za-z0-9_]))")


def rewrite_legacy(command: str, step: Step) -> str:
    """`command` with each legacy `$variable` replaced by its `/app` path for `step`.

    Other variables (`$HOME`, `$PATH`, `$1`) are left to the shell.
    """
    mapping = LEGACY_VARIABLES[step]
    return _VARIABLE.sub(lambda match: mapping[match["braced"] or match["bare"]], command)


def read_command(program_dir: Path) -> str | None:
    """The `command:` of the program's metadata file, or None when it has none.

    A submission without one is a results submission. The first of `metadata`,
    `metadata.yaml`, `metadata.yml` that exists is read, skipping folders of those names as
    the bundle parser does; a link or any other special file there is refused.
    """
    for name in METADATA_NAMES:
        try:
            info = os.lstat(program_dir / name)
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            continue
        if not stat.S_ISREG(info.st_mode):
            kind = "a symbolic link" if stat.S_ISLNK(info.st_mode) else "not a regular file"
            raise LayoutError(f"{name} is {kind}; a program's metadata must be a plain file")
        return _command_in(name, _load_metadata(program_dir / name, name))
    return None


def _command_in(name: str, document: Any) -> str | None:
    # Metadata that is not a mapping or has no command is what a results submission may
    # carry (CodaLab's prediction output holds a `metadata` of exit codes): not a command.
    if not isinstance(document, dict):
        return None
    command = document.get("command")
    if command is None or (isinstance(command, str) and not command.strip()):
        return None
    if not isinstance(command, str):
        kinds = {list: "a list", dict: "a mapping", bool: str(command).lower()}
        kind = kinds.get(type(command), type(command).__name__)
        raise LayoutError(f"the command in {name} must be text (got {kind})")
    return command.strip()


class _MetadataLoader(yaml.SafeLoader):
    """The safe loader with numbers and dates kept as text: only the command is read, so
    nothing needs converting, and a 5,000-digit number or an impossible date cannot fail the
    load of an otherwise good file."""


# libyaml's parser keeps its own stack (no recursion) and makes the depth check cheap.
_EventLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _as_text(loader: _MetadataLoader, node: yaml.Node) -> str:
    # An explicitly tagged collection (`!!int [1]`) lands here too; construct_scalar refuses it.
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


for _tag in ("int", "float", "timestamp"):
    _MetadataLoader.add_constructor(f"tag:yaml.org,2002:{_tag}", _as_text)


def _load_metadata(path: Path, name: str) -> Any:
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise LayoutError(f"{name} cannot be read ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LayoutError(f"{name} is not a regular file; a program's metadata must be one")
        if info.st_size > METADATA_MAX_BYTES:
            raise LayoutError(f"{name} is larger than {METADATA_MAX_BYTES // 1024} KB")
        raw = os.read(fd, METADATA_MAX_BYTES + 1)
    finally:
        os.close(fd)
    if len(raw) > METADATA_MAX_BYTES:
        raise LayoutError(f"{name} is larger than {METADATA_MAX_BYTES // 1024} KB")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise LayoutError(f"{name} is not UTF-8 text") from None
    try:
        _check_depth(text, name)
        return yaml.load(text, Loader=_MetadataLoader)  # noqa: S506 (a safe loader subclass)
    except yaml.constructor.ConstructorError as exc:
        raise LayoutError(f"{name}: unsupported YAML ({exc.problem})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "unreadable"
        raise LayoutError(f"{name} is not valid YAML ({problem}{where})") from None


def _check_depth(text: str, name: str) -> None:
    """One pass over the event stream before anything is built: the loader recurses once per
    level, and 64 KB of `[` would take seconds to reach Python's recursion limit."""
    depth = 0
    for event in yaml.parse(text, Loader=_EventLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > METADATA_MAX_DEPTH:
                raise LayoutError(f"{name} is nested more than {METADATA_MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


@dataclass(frozen=True)
class JobFolders:
    """A fresh folder tree for one job, one subfolder per thing mounted.

    The job runner fills the inputs (programs, submission, data) before the steps run; the
    steps write `predictions`, `scoring_output` and `shared`. `logs` and `uploads` (the
    archives sent to the server) are never mounted.
    """

    root: Path
    ingestion_program: Path
    scoring_program: Path
    submission: Path
    input_data: Path
    reference_data: Path
    predictions: Path
    scoring_output: Path
    shared: Path
    logs: Path
    uploads: Path

    @classmethod
    def create(cls, parent: Path) -> JobFolders:
        """Makes the tree under `parent`, open to the sandbox's host user where it must be:
        the root searchable but not listable (0711), each mounted folder readable (0755;
        the sandbox hands writable ones to the step's user before it runs), the logs the
        worker's alone (0700)."""
        root = Path(tempfile.mkdtemp(prefix="job-", dir=parent))
        os.chmod(root, 0o711)  # noqa: S103 (searchable, so the sandbox user reaches its mounts)
        names = [field.name for field in fields(cls) if field.name != "root"]
        for name in names:
            (root / name).mkdir()
            os.chmod(root / name, 0o700 if name in PRIVATE else 0o755)
        return cls(root, **{name: root / name for name in names})

    def prediction_mounts(self, *, ingestion: bool, shared: bool = False) -> tuple[Mount, ...]:
        """The prediction layout: the ingestion program importing the submission, or (without
        `ingestion`) the submission running its own command. Never the reference data.

        `shared` is for the ingestion program that runs during scoring, beside the scorer.
        """
        mounts = [Mount(self.ingestion_program if ingestion else self.submission, PROGRAM)]
        if ingestion:
            mounts.append(Mount(self.submission, INGESTED_PROGRAM))
        mounts += [
            Mount(self.input_data, INPUT_DATA),
            Mount(self.predictions, OUTPUT, writable=True),
        ]
        if shared:
            mounts.append(Mount(self.shared, SHARED, writable=True))
        return tuple(mounts)

    def scoring_mounts(self, *, shared: bool = False) -> tuple[Mount, ...]:
        """The scoring layout. Its output is a folder of its own, empty until the scorer runs,
        never the predictions: scores are read from there only (HOSTILE.md B19).

        With `shared` (ingestion during scoring) the participant's code writes the
        predictions and the shared folder while the scorer reads them, so no check made
        beforehand holds: links there are never followed in the scorer's sandbox, or a link
        to `/app/input/ref/...` would hand it its own reference data as an answer."""
        mounts = [
            Mount(self.scoring_program, PROGRAM),
            Mount(self.reference_data, REFERENCE),
            Mount(self.predictions, RESULTS, nosymfollow=shared),
            Mount(self.scoring_output, OUTPUT, writable=True),
        ]
        if shared:
            mounts.append(Mount(self.shared, SHARED, writable=True, nosymfollow=True))
        return tuple(mounts)

    def remove(self) -> None:
        """Deletes the tree, whatever a step left in it: links are removed, never followed;
        folders a step made unreadable are opened up first; any depth (coreutils walks the
        tree without a descriptor per level, where shutil.rmtree would run out)."""
        remove_tree(self.root)


def remove_tree(root: Path) -> None:
    if not os.path.lexists(root):
        return
    # chmod -R never follows the links it meets inside the tree; root ignores modes anyway.
    subprocess.run(  # noqa: S603 (fixed programs, a path of our own)
        ["chmod", "-R", "u+rwX", "--", str(root)],  # noqa: S607
        capture_output=True,
        check=False,
    )
    done = subprocess.run(  # noqa: S603
        ["rm", "-rf", "--one-file-system", "--", str(root)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )
    if os.path.lexists(root):
        raise OSError(f"could not remove {root}: {done.stderr.strip() or 'unknown error'}")


def write_step_metadata(
    output_dir: Path,
    exit_code: int | None,
    elapsed: float,
    *,
    ingestion_exit_code: int | None = None,
    ingestion_elapsed: float | None = None,
) -> None:
    """Writes `output_dir/metadata`, the YAML legacy scorers read after a step.

    The keys are CodaLab's, which Codabench writes too (its "v1.5 compatibility"):

        exitCode: 0              # the step's program; null when it was killed
        elapsedTime: 12.345678   # seconds of wall time
        ingestionExitCode: null  # the ingestion program's, when one ran in the step
        ingestionElapsedTime: null

    CodaLab scorers read `elapsedTime` from `/app/input/res/metadata` (the prediction step's
    copy) to report a duration. A `metadata` the step wrote itself is replaced: the worker's
    measurement is the one legacy scorers must see. Written through a descriptor of the
    folder with `O_NOFOLLOW | O_EXCL`, so a link the step left there is never written through.
    """
    content = {
        "exitCode": exit_code,
        "elapsedTime": round(elapsed, 6),
        "ingestionExitCode": ingestion_exit_code,
        "ingestionElapsedTime": None if ingestion_elapsed is None else round(ingestion_elapsed, 6),
    }
    text = yaml.safe_dump(content, default_flow_style=False, sort_keys=False)
    directory_fd = os.open(output_dir, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        _remove_entry(directory_fd)
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        fd = os.open(STEP_METADATA, flags, 0o644, dir_fd=directory_fd)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    finally:
        os.close(directory_fd)


def _remove_entry(directory_fd: int) -> None:
    try:
        info = os.stat(STEP_METADATA, dir_fd=directory_fd, follow_symlinks=False)
    except FileNotFoundError:
        return
    if stat.S_ISDIR(info.st_mode):
        raise LayoutError(
            f"the step left a folder named '{STEP_METADATA}' in its output, where the worker "
            "writes the step's exit code and time"
        )
    os.unlink(STEP_METADATA, dir_fd=directory_fd)
