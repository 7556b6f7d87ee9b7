"""The /app layout: legacy $variables, program commands, job folders, mounts, step metadata.

HOSTILE.md B19 lives here: scores are only ever read from the scoring step's own output, a
fresh folder that is never the predictions, and no step mounts what it must not see.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import stat
import time
import warnings
from pathlib import Path

import pytest
import yaml

from podium_worker.layout import (
    LEGACY_VARIABLES,
    UNAVAILABLE,
    JobFolders,
    LayoutError,
    Step,
    read_command,
    rewrite_legacy,
    write_step_metadata,
)
from podium_worker.sandbox.base import Mount
from podium_worker.scores import ScoresError, parse_scores

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

# --- legacy $variables --------------------------------------------------------------------

# (variable, prediction step, scoring step): the table the compatibility docs promise.
MAPPING = [
    ("$input", "/app/input_data", "/app/input"),
    ("$output", "/app/output", "/app/output"),
    ("$tmp", "/app/output", "/app/output"),
    ("$program", "/app/program", "/app/program"),
    ("$ingestion_program", "/app/program", "/app/unavailable/ingestion_program"),
    ("$submission_program", "/app/ingested_program", "/app/unavailable/submission_program"),
    ("$hidden", "/app/unavailable/hidden", "/app/input/ref"),
    ("$shared", "/app/shared", "/app/shared"),
    ("$predictions", "/app/output", "/app/input/res"),
]


@pytest.mark.parametrize(("variable", "prediction", "scoring"), MAPPING)
def test_each_legacy_variable_maps_to_its_path_in_each_step(variable, prediction, scoring):
    assert rewrite_legacy(f"run {variable}", Step.PREDICTION) == f"run {prediction}"
    assert rewrite_legacy(f"run {variable}", Step.SCORING) == f"run {scoring}"


@pytest.mark.parametrize(("variable", "prediction", "scoring"), MAPPING)
def test_the_braced_form_maps_the_same_way(variable, prediction, scoring):
    braced = "${" + variable[1:] + "}"
    assert rewrite_legacy(f"{braced}/x", Step.PREDICTION) == f"{prediction}/x"
    assert rewrite_legacy(f"{braced}_x", Step.SCORING) == f"{scoring}_x"


def test_the_table_covers_exactly_the_documented_variables():
    documented = {variable[1:] for variable, _, _ in MAPPING}
    assert set(LEGACY_VARIABLES[Step.PREDICTION]) == documented
    assert set(LEGACY_VARIABLES[Step.SCORING]) == documented


def test_a_codalab_scoring_command_is_rewritten_whole():
    command = "python $program/evaluate.py $input $output"
    expected = "python /app/program/evaluate.py /app/input /app/output"
    assert rewrite_legacy(command, Step.SCORING) == expected


def test_a_codalab_ingestion_command_is_rewritten_whole():
    command = (
        "python $ingestion_program/ingestion.py $input $output $ingestion_program "
        "$submission_program"
    )
    expected = (
        "python /app/program/ingestion.py /app/input_data /app/output /app/program "
        "/app/ingested_program"
    )
    assert rewrite_legacy(command, Step.PREDICTION) == expected


@pytest.mark.parametrize(
    "command",
    [
        "echo $inputs $input_dir $input2 $outputs $programs $hiddenness $tmpdir $shared_x",
        "echo ${inputs} ${input_dir} ${ input} $INPUT $Input",
        "echo $HOME $PATH $1 $$ $@ ${HOME}",
        "python3 /app/program/score.py",
        "echo input output program $ input",
    ],
)
def test_other_words_and_variables_are_left_to_the_shell(command):
    assert rewrite_legacy(command, Step.PREDICTION) == command
    assert rewrite_legacy(command, Step.SCORING) == command


def test_every_occurrence_is_rewritten_and_nothing_else_moves():
    command = "cp $input/a $output/a && cp ${input}/b $output/b; echo '$hidden' \"$shared\""
    assert rewrite_legacy(command, Step.SCORING) == (
        "cp /app/input/a /app/output/a && cp /app/input/b /app/output/b; "
        "echo '/app/input/ref' \"/app/shared\""
    )


def test_hidden_never_names_the_reference_data_in_prediction():
    rewritten = rewrite_legacy("$hidden ${hidden}", Step.PREDICTION)
    assert rewritten == "/app/unavailable/hidden /app/unavailable/hidden"
    assert "/app/input/ref" not in rewritten


def test_every_path_a_variable_names_is_mounted_in_its_step_or_plainly_unavailable(tmp_path):
    folders = JobFolders.create(tmp_path)
    layouts = {
        Step.PREDICTION: folders.prediction_mounts(ingestion=True, shared=True),
        Step.SCORING: folders.scoring_mounts(shared=True),
    }
    for step, mounts in layouts.items():
        targets = {mount.target for mount in mounts}
        for path in LEGACY_VARIABLES[step].values():
            holds_a_mount = any(target.startswith(f"{path}/") for target in targets)
            assert path in targets or holds_a_mount or path.startswith(f"{UNAVAILABLE}/"), path


# --- program commands ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("program", "command"),
    [
        ("iris-results/scoring_program", "python3 /app/program/score.py"),
        ("code-submission/ingestion_program", "python3 /app/program/ingestion.py"),
        ("code-submission/scoring_program", "python3 /app/program/score.py"),
        ("efficiency/ingestion_program", "python3 /app/program/ingestion.py"),
        ("multi-task/scoring_program", "python3 /app/program/score.py"),
    ],
)
def test_it_reads_the_command_of_each_example_program(program, command):
    assert read_command(EXAMPLES / program) == command


@pytest.mark.parametrize("name", ["metadata", "metadata.yaml", "metadata.yml"])
def test_each_metadata_file_name_is_read(tmp_path, name):
    (tmp_path / name).write_text("description: x\ncommand: python run.py $input\n")
    assert read_command(tmp_path) == "python run.py $input"


def test_metadata_wins_over_metadata_yaml_as_in_the_bundle_parser(tmp_path):
    (tmp_path / "metadata").write_text("command: first\n")
    (tmp_path / "metadata.yaml").write_text("command: second\n")
    (tmp_path / "metadata.yml").write_text("command: third\n")
    assert read_command(tmp_path) == "first"


def test_a_folder_named_metadata_is_passed_over(tmp_path):
    (tmp_path / "metadata").mkdir()
    (tmp_path / "metadata.yaml").write_text("command: second\n")
    assert read_command(tmp_path) == "second"


def test_a_multi_line_command_is_kept(tmp_path):
    (tmp_path / "metadata.yaml").write_text("command: |\n  cd x\n  python run.py\n")
    assert read_command(tmp_path) == "cd x\npython run.py"


@pytest.mark.parametrize(
    "content",
    [
        "description: my results\n",  # a mapping without a command
        "command:\n",
        "command: null\n",
        "command: '   '\n",
        "exitCode: 0\nelapsedTime: 1.5\n",  # CodaLab's prediction output, resubmitted
        "just some notes about our method\n",
        "- a\n- b\n",
        "",
    ],
)
def test_metadata_without_a_command_means_a_results_submission(tmp_path, content):
    (tmp_path / "metadata").write_text(content)
    assert read_command(tmp_path) is None


def test_a_folder_without_metadata_is_a_results_submission(tmp_path):
    (tmp_path / "predictions.csv").write_text("id,label\n")
    assert read_command(tmp_path) is None


def test_numbers_and_dates_elsewhere_in_metadata_do_not_matter(tmp_path):
    content = f"version: {'9' * 5000}\ndate: 2024-02-30\nratio: 1e999\ncommand: run\n"
    (tmp_path / "metadata").write_text(content)
    assert read_command(tmp_path) == "run"


def test_an_alias_bomb_in_metadata_loads_quickly(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    (tmp_path / "metadata").write_text("\n".join([*lines, "command: run", ""]))
    started = time.monotonic()
    assert read_command(tmp_path) == "run"
    assert time.monotonic() - started < 1


def hostile_metadata(folder: Path, content: str | bytes) -> None:
    path = folder / "metadata"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


METADATA_REFUSALS = [
    # (metadata content, the refusal)
    ("command: [python, run.py]\n", "the command in metadata must be text (got a list)"),
    ("command: {a: b}\n", "the command in metadata must be text (got a mapping)"),
    ("command: yes\n", "the command in metadata must be text (got true)"),
    (
        "command: !!python/object/apply:os.system ['touch pwned']\n",
        "metadata: unsupported YAML (could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system')",
    ),
    (
        "command: !!int [1]\n",
        "metadata: unsupported YAML (expected a scalar node, but found sequence)",
    ),
    (
        "command: 'unclosed\n",
        "metadata is not valid YAML (found unexpected end of stream at line 2)",
    ),
    ("[" * 60_000, "metadata is not valid YAML (exceeded maximum nesting depth at line 1)"),
    ("[" * 40 + "]" * 40, "metadata is nested more than 32 levels deep"),
    (
        "a:\n" + "".join(" " * n + "b:\n" for n in range(1, 40)),
        "metadata is nested more than 32 levels deep",
    ),
    (b"command: caf\xe9\n", "metadata is not UTF-8 text"),
    ("#" * (64 * 1024) + "\n", "metadata is larger than 64 KB"),
]


@pytest.mark.parametrize(("content", "message"), METADATA_REFUSALS)
def test_it_refuses_hostile_metadata(tmp_path, content, message):
    hostile_metadata(tmp_path, content)
    with pytest.raises(LayoutError) as caught:
        read_command(tmp_path)
    assert str(caught.value) == message


def test_python_tagged_metadata_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    hostile_metadata(tmp_path, f"command: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(LayoutError):
        read_command(tmp_path)
    assert not marker.exists()


def test_a_metadata_link_is_refused_without_being_read(tmp_path):
    host = tmp_path / "host.yaml"
    host.write_text("command: cat /etc/shadow\n")
    program = tmp_path / "program"
    program.mkdir()
    (program / "metadata.yaml").symlink_to(host)
    with pytest.raises(LayoutError) as caught:
        read_command(program)
    assert str(caught.value) == (
        "metadata.yaml is a symbolic link; a program's metadata must be a plain file"
    )


def test_a_metadata_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "metadata")
    with pytest.raises(LayoutError) as caught:
        read_command(tmp_path)
    assert str(caught.value) == (
        "metadata is not a regular file; a program's metadata must be a plain file"
    )


# --- job folders and mounts ---------------------------------------------------------------


def test_create_makes_a_fresh_tree_of_empty_folders(tmp_path):
    first = JobFolders.create(tmp_path)
    second = JobFolders.create(tmp_path)
    assert first.root != second.root
    assert first.root.parent == tmp_path
    names = sorted(path.name for path in first.root.iterdir())
    assert names == [
        "ingestion_program",
        "input_data",
        "logs",
        "predictions",
        "reference_data",
        "scoring_output",
        "scoring_program",
        "shared",
        "submission",
        "uploads",
    ]
    assert all(not any((first.root / name).iterdir()) for name in names)


def test_the_sandbox_user_reaches_the_mounted_folders_but_not_the_private_ones(tmp_path):
    folders = JobFolders.create(tmp_path)
    assert stat.S_IMODE(folders.root.stat().st_mode) == 0o711  # searchable, not listable
    for name in ("submission", "scoring_program", "reference_data", "predictions"):
        assert stat.S_IMODE(getattr(folders, name).stat().st_mode) == 0o755
    for name in ("logs", "uploads"):
        assert stat.S_IMODE(getattr(folders, name).stat().st_mode) == 0o700


def test_remove_deletes_a_tree_deeper_than_the_descriptor_limit_without_following_links(
    tmp_path,
):
    folders = JobFolders.create(tmp_path)
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me")
    deep = folders.predictions
    for _ in range(1500):  # a hostile step nests deep; rm walks it without a path per level
        deep = deep / "d"
        deep.mkdir()
    (deep / "link").symlink_to(outside)
    locked = folders.shared / "locked"
    (locked / "inner").mkdir(parents=True)
    locked.chmod(0)

    folders.remove()

    assert not folders.root.exists()
    assert outside.read_text() == "keep me"


def test_prediction_with_an_ingestion_program(tmp_path):
    f = JobFolders.create(tmp_path)
    assert f.prediction_mounts(ingestion=True) == (
        Mount(f.ingestion_program, "/app/program"),
        Mount(f.submission, "/app/ingested_program"),
        Mount(f.input_data, "/app/input_data"),
        Mount(f.predictions, "/app/output", writable=True),
    )


def test_prediction_of_a_submission_with_its_own_command(tmp_path):
    f = JobFolders.create(tmp_path)
    assert f.prediction_mounts(ingestion=False) == (
        Mount(f.submission, "/app/program"),
        Mount(f.input_data, "/app/input_data"),
        Mount(f.predictions, "/app/output", writable=True),
    )


def test_the_ingestion_program_running_during_scoring_shares_a_folder(tmp_path):
    f = JobFolders.create(tmp_path)
    assert f.prediction_mounts(ingestion=True, shared=True) == (
        Mount(f.ingestion_program, "/app/program"),
        Mount(f.submission, "/app/ingested_program"),
        Mount(f.input_data, "/app/input_data"),
        Mount(f.predictions, "/app/output", writable=True),
        Mount(f.shared, "/app/shared", writable=True),
    )


def test_scoring(tmp_path):
    f = JobFolders.create(tmp_path)
    assert f.scoring_mounts() == (
        Mount(f.scoring_program, "/app/program"),
        Mount(f.reference_data, "/app/input/ref"),
        Mount(f.predictions, "/app/input/res"),
        Mount(f.scoring_output, "/app/output", writable=True),
    )
    # Beside a running ingestion program, what it writes is read with links never followed.
    assert f.scoring_mounts(shared=True) == (
        Mount(f.scoring_program, "/app/program"),
        Mount(f.reference_data, "/app/input/ref"),
        Mount(f.predictions, "/app/input/res", nosymfollow=True),
        Mount(f.scoring_output, "/app/output", writable=True),
        Mount(f.shared, "/app/shared", writable=True, nosymfollow=True),
    )


def every_layout(f: JobFolders) -> dict[str, tuple[Mount, ...]]:
    return {
        "prediction with ingestion": f.prediction_mounts(ingestion=True),
        "prediction of the submission": f.prediction_mounts(ingestion=False),
        "ingestion during scoring": f.prediction_mounts(ingestion=True, shared=True),
        "scoring": f.scoring_mounts(),
        "scoring beside ingestion": f.scoring_mounts(shared=True),
    }


def test_participant_code_and_reference_data_never_share_a_layout(tmp_path):
    f = JobFolders.create(tmp_path)
    for name, mounts in every_layout(f).items():
        sources = {mount.source for mount in mounts}
        targets = {mount.target for mount in mounts}
        assert not (f.submission in sources and f.reference_data in sources), name
        if f.submission in sources:
            assert not any(target.startswith("/app/input/ref") for target in targets), name


def test_programs_and_inputs_are_read_only_and_only_outputs_writable(tmp_path):
    f = JobFolders.create(tmp_path)
    for name, mounts in every_layout(f).items():
        writable = {mount.target for mount in mounts if mount.writable}
        assert writable <= {"/app/output", "/app/shared"}, name
        assert "/app/output" in writable, name


def test_every_mount_is_inside_the_job_folder_and_targets_are_unique(tmp_path):
    f = JobFolders.create(tmp_path)
    for name, mounts in every_layout(f).items():
        assert all(mount.source.parent == f.root for mount in mounts), name
        assert len({mount.target for mount in mounts}) == len(mounts), name


def test_scores_are_read_from_the_scoring_output_never_the_predictions(tmp_path):
    """HOSTILE.md B19: a submission drops its own scores.json among its predictions."""
    f = JobFolders.create(tmp_path)
    (f.predictions / "predictions.csv").write_text("id,label\n1,ripe\n")
    (f.predictions / "scores.json").write_text('{"accuracy": 1.0}')
    mounts = {mount.target: mount for mount in f.scoring_mounts()}
    assert mounts["/app/output"].source == f.scoring_output
    assert mounts["/app/input/res"].source == f.predictions
    assert f.scoring_output != f.predictions
    assert not f.scoring_output.is_relative_to(f.predictions)
    assert not f.predictions.is_relative_to(f.scoring_output)
    # The scorer wrote nothing: the planted file does not stand in for its scores.
    with pytest.raises(ScoresError) as caught:
        parse_scores(mounts["/app/output"].source)
    message = "invalid scores: the scoring program wrote no scores.json or scores.txt"
    assert str(caught.value) == message
    (f.scoring_output / "scores.json").write_text('{"accuracy": 0.25}')
    assert parse_scores(mounts["/app/output"].source) == {"accuracy": 0.25}


def plant_hostile_tree(f: JobFolders, outside: Path) -> None:
    (outside / "keep.txt").write_text("host file")
    (f.predictions / "link").symlink_to(outside / "keep.txt")
    (f.predictions / "dir-link").symlink_to(outside)
    os.mkfifo(f.predictions / "pipe")
    locked = f.scoring_output / "locked" / "deeper"
    locked.mkdir(parents=True)
    (locked / "file").write_text("x")
    (f.scoring_output / "locked" / "deeper").chmod(0)
    (f.scoring_output / "locked").chmod(0o500)
    (f.shared / "ro-file").write_text("x")
    f.shared.chmod(0o500)


def test_remove_deletes_the_tree_without_following_links(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    f = JobFolders.create(jobs)
    plant_hostile_tree(f, outside)
    f.remove()
    assert not f.root.exists()
    assert (outside / "keep.txt").read_text() == "host file"


def test_remove_opens_up_folders_a_step_locked_when_the_worker_is_not_root(tmp_path):
    """Root ignores folder permissions, so a worker running as `nobody` is played by a forked
    child that drops to that user (or, run as non-root, the test's own user)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    jobs = tmp_path / "jobs"
    jobs.mkdir()
    f = JobFolders.create(jobs)
    plant_hostile_tree(f, outside)
    user = pwd.getpwnam("nobody")
    if os.geteuid() == 0:
        for path in [jobs, f.root, *f.root.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
    # The child reaches the tree by a relative path: tmp_path's parents are root's alone.
    relative = Path(f.root.name)
    names = [field.name for field in dataclasses.fields(JobFolders) if field.name != "root"]
    as_nobody = JobFolders(relative, *(relative / name for name in names))
    with warnings.catch_warnings():
        # Python warns about fork() in a process with threads (pytest-xdist has some); the
        # child only calls os and shutil functions, then exits without returning to pytest.
        warnings.simplefilter("ignore", DeprecationWarning)
        child = os.fork()
    if child == 0:
        code = 1
        try:
            os.chdir(jobs)
            if os.geteuid() == 0:
                os.setgroups([])
                os.setgid(user.pw_gid)
                os.setuid(user.pw_uid)
            as_nobody.remove()
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert not f.root.exists()
    assert (outside / "keep.txt").read_text() == "host file"


# --- output/metadata ----------------------------------------------------------------------


def test_step_metadata_has_codalab_keys_in_a_fixed_order(tmp_path):
    write_step_metadata(tmp_path, 0, 12.3456789)
    assert (tmp_path / "metadata").read_text() == (
        "exitCode: 0\nelapsedTime: 12.345679\ningestionExitCode: null\ningestionElapsedTime: null\n"
    )


def test_step_metadata_reads_back_as_legacy_scorers_read_it(tmp_path):
    write_step_metadata(tmp_path, None, 3.0, ingestion_exit_code=137, ingestion_elapsed=2.5)
    with (tmp_path / "metadata").open() as handle:
        metadata = yaml.load(handle, Loader=yaml.SafeLoader)
    assert metadata == {
        "exitCode": None,
        "elapsedTime": 3.0,
        "ingestionExitCode": 137,
        "ingestionElapsedTime": 2.5,
    }
    assert "Duration: %0.6f" % metadata["elapsedTime"] == "Duration: 3.000000"  # noqa: UP031


def test_step_metadata_replaces_one_the_step_wrote(tmp_path):
    (tmp_path / "metadata").write_text("elapsedTime: 0.000001\n")
    write_step_metadata(tmp_path, 0, 42.0)
    assert yaml.safe_load((tmp_path / "metadata").read_text())["elapsedTime"] == 42.0


def test_step_metadata_never_writes_through_a_link(tmp_path):
    host = tmp_path / "host.txt"
    host.write_text("host file")
    output = tmp_path / "output"
    output.mkdir()
    (output / "metadata").symlink_to(host)
    write_step_metadata(output, 0, 1.0)
    assert host.read_text() == "host file"
    assert not (output / "metadata").is_symlink()
    assert yaml.safe_load((output / "metadata").read_text())["exitCode"] == 0


def test_step_metadata_replaces_a_fifo_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "metadata")
    write_step_metadata(tmp_path, 1, 1.0)
    assert yaml.safe_load((tmp_path / "metadata").read_text())["exitCode"] == 1


def test_step_metadata_replaces_a_hard_link_without_touching_the_other_name(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("kept")
    os.link(other, tmp_path / "metadata")
    write_step_metadata(tmp_path, 0, 1.0)
    assert other.read_text() == "kept"
    assert os.stat(tmp_path / "metadata").st_nlink == 1


def test_a_folder_named_metadata_in_the_output_is_refused(tmp_path):
    (tmp_path / "metadata").mkdir()
    with pytest.raises(LayoutError) as caught:
        write_step_metadata(tmp_path, 0, 1.0)
    assert str(caught.value) == (
        "the step left a folder named 'metadata' in its output, where the worker writes the "
        "step's exit code and time"
    )
