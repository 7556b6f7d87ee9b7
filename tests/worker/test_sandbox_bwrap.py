"""The bubblewrap sandbox, run for real: the layout, isolation and measurements, and
HOSTILE.md part B at the sandbox level, each hostile step next to the verdict it is owed.

These run on the cgroup v1 hierarchies this machine lets root write (memory, pids,
cpuacct); the rlimit fallback has its own tests at the end.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from podium_worker.sandbox import make_sandbox
from podium_worker.sandbox.base import MIB, LimitHit, Limits, Mount, SandboxError, StepSpec
from podium_worker.sandbox.bwrap import BwrapSandbox
from tests.worker.conftest import Workspace, processes_with


def snapshot(root: Path, *skip: str) -> dict[str, str]:
    """Every file under `root` (but the `skip` folders) with the hash of its content."""
    files = {}
    for folder, _, names in os.walk(root):
        relative = os.path.relpath(folder, root)
        if relative.split(os.sep)[0] in skip:
            continue
        for name in names:
            path = Path(folder) / name
            files[f"{relative}/{name}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def write_probe(workspace: Workspace, name: str, source: str) -> str:
    """Puts a Python script among the participant's code; returns how to run it."""
    (workspace.folder("submission") / name).write_text(source)
    return f"python3 /app/ingested_program/{name}"


# --- the layout, the user, the exit code --------------------------------------------------


def test_the_layout_mounts_appear_at_their_targets_and_the_step_starts_in_app_program(workspace):
    ran = workspace.run("pwd; ls /app; cat /app/input_data/test.csv; python3 ingestion.py")

    assert ran.result.exit_code == 0
    assert ran.result.limit_hit is None
    assert ran.stdout == (
        "/app/program\n"
        "ingested_program\ninput_data\noutput\nprogram\nshared\n"
        "id,x\n1,2\n"
        "ingesting\n"
    )


def test_the_scoring_layout_shows_reference_data_and_predictions_only(workspace):
    (workspace.folder("predictions") / "predictions.csv").write_text("id,y\n1,2\n")

    ran = workspace.run("ls /app /app/input; cat /app/input/ref/truth.csv", scoring=True)

    assert ran.result.exit_code == 0
    assert ran.stdout == ("/app:\ninput\noutput\nprogram\n\n/app/input:\nref\nres\nid,y\n1,2\n")


def test_the_step_runs_as_an_unprivileged_user_inside_and_on_the_host(workspace):
    ran = workspace.run("id -u; id -g; grep CapEff /proc/self/status; touch /app/output/mine")

    assert ran.stdout == "65534\n65534\nCapEff:\t0000000000000000\n"
    written = os.stat(workspace.folder("predictions") / "mine")
    assert (written.st_uid, written.st_gid) == (65534, 65534)


@pytest.mark.parametrize(("command", "exit_code"), [
    ("exit 0", 0),
    ("exit 3", 3),
    ("false", 1),
    ("exit 255", 255),
    ("kill -9 $$", 137),  # killed by a signal: 128 + the signal, as a shell reports it
])  # fmt: skip
def test_the_exit_code_passes_through(workspace, command, exit_code):
    ran = workspace.run(command)

    assert ran.result.exit_code == exit_code
    assert ran.result.limit_hit is None
    assert ran.result.succeeded is (exit_code == 0)


def test_the_environment_holds_only_path_home_lang_and_the_given_variables(workspace, monkeypatch):
    monkeypatch.setenv("PODIUM_SECRET_KEY", "worker-secret")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "worker-secret")

    ran = workspace.run("env", env=(("PODIUM_STEP", "prediction"),))

    variables = dict(line.split("=", 1) for line in ran.stdout.splitlines())
    assert variables == {
        "PATH": "/usr/bin:/usr/local/bin:/bin",
        "HOME": "/tmp",  # noqa: S108 (the sandbox's own)
        "LANG": "C.UTF-8",
        "PWD": "/app/program",
        "PODIUM_STEP": "prediction",
    }


def test_an_image_runs_on_its_mapped_runtime_and_any_other_on_the_default(workspace):
    runtime = workspace.folder("runtime")
    (runtime / "bin").mkdir(parents=True)
    (runtime / "bin" / "python3").write_text("#!/bin/sh\necho mapped runtime\n")
    (runtime / "bin" / "python3").chmod(0o755)
    mapped = BwrapSandbox(runtimes={"codalab/codalab-legacy:py39": runtime})

    with_image = workspace.run("python3", image="codalab/codalab-legacy:py39", sandbox=mapped)
    other = workspace.run("python3 -c 'print(6 * 7)'", image="unknown:latest", sandbox=mapped)

    assert with_image.stdout == "mapped runtime\n"
    assert other.stdout == "42\n"


def test_a_runtime_without_python_is_refused_when_the_backend_is_made(tmp_path):
    with pytest.raises(SandboxError, match="is not an absolute folder holding bin/python3"):
        BwrapSandbox(runtimes={"some/image": tmp_path})


def test_a_bubblewrap_too_old_or_missing_is_refused_when_the_backend_is_made(tmp_path):
    old = tmp_path / "bwrap"
    old.write_text("#!/bin/sh\necho bubblewrap 0.6.1\n")
    old.chmod(0o755)

    with pytest.raises(SandboxError, match=r"0\.8 or later is needed \(.*: bubblewrap 0\.6\.1\)"):
        BwrapSandbox(bwrap=str(old))
    with pytest.raises(SandboxError, match="bubblewrap not found"):
        BwrapSandbox(bwrap="podium-no-such-bwrap")


def test_make_sandbox_builds_the_backend_by_name_and_refuses_an_unknown_one():
    assert make_sandbox("bwrap").name == "bwrap"
    with pytest.raises(SandboxError, match="unknown sandbox backend 'firecracker': choose one"):
        make_sandbox("firecracker")


def test_a_folder_the_sandbox_user_cannot_reach_is_refused_with_a_reason(workspace):
    closed = Path(tempfile.mkdtemp(prefix="podium-closed-"))  # mode 0700, root's
    try:
        (closed / "data").mkdir()
        spec = StepSpec(command="true", mounts=(Mount(closed / "data", "/app/input_data"),))

        with pytest.raises(SandboxError, match=f"cannot reach {closed}/data: {closed} is not"):
            workspace.sandbox.run(spec)
    finally:
        os.rmdir(closed / "data")
        os.rmdir(closed)


@pytest.mark.parametrize("target", ["/usr/lib/x", "/etc", "app/program", "/app/../etc", "/"])
def test_a_mount_over_the_system_or_a_bad_path_is_refused(workspace, target):
    spec = StepSpec(command="true", mounts=(Mount(workspace.folder("input_data"), target),))

    with pytest.raises(SandboxError):
        workspace.sandbox.run(spec)


# --- measurements -------------------------------------------------------------------------


def test_a_sleep_is_measured_in_wall_time_not_cpu_time(workspace):
    result = workspace.run("sleep 1").result

    assert 1.0 <= result.wall_time <= 1.5
    assert 0.0 <= result.cpu_time <= 0.2


def test_the_cpu_time_of_a_child_process_counts(workspace):
    loop = "import time\nwhile time.process_time() < 1.0: pass\n"
    result = workspace.run(f"python3 -c '{loop}' & wait").result

    assert result.exit_code == 0
    assert 0.8 <= result.cpu_time <= 1.5


def test_the_peak_memory_of_a_child_process_counts(workspace):
    allocate = "b = bytearray(200 * 2**20); import time; time.sleep(0.2)"
    result = workspace.run(f"python3 -c '{allocate}' & wait", memory_bytes=512 * MIB).result

    assert result.exit_code == 0
    assert 180 * MIB <= result.peak_memory_bytes <= 400 * MIB


# --- B11: code that looks around ---------------------------------------------------------


def test_b11_the_step_sees_no_host_folder_no_secret_file_and_no_other_job(workspace):
    other_job = Path(tempfile.mkdtemp(prefix="podium-other-job-"))
    os.chmod(other_job, 0o755)  # noqa: S103 (as open as a job folder could be)
    (other_job / "reference.csv").write_text("the other job's answers\n")
    try:
        ran = workspace.run(
            f"ls -A /; cat /etc/shadow; cat {other_job}/reference.csv; ls /work /root /home; "
            "ls /etc; ls /app/input; exit 0"
        )
    finally:
        (other_job / "reference.csv").unlink()
        other_job.rmdir()

    listing, _, etc = ran.stdout.partition("alternatives\n")
    system = {name for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
              if os.path.lexists(f"/{name}")}  # fmt: skip
    assert set(listing.split()) == {"app", "dev", "etc", "proc", "tmp", "usr"} | system
    assert "shadow" not in etc
    assert set(etc.split()) <= {
        "ca-certificates", "group", "hosts", "ld.so.cache", "ld.so.conf", "ld.so.conf.d",
        "localtime", "mime.types", "nsswitch.conf", "passwd", "ssl",
    }  # fmt: skip
    assert "the other job's answers" not in ran.stdout
    for absent in ("/etc/shadow", f"{other_job}/reference.csv", "/work", "/root", "/home",
                   "/app/input"):  # fmt: skip
        assert any(
            absent in line and line.endswith("No such file or directory")
            for line in ran.stderr.splitlines()
        )


def test_b11_the_step_sees_its_own_processes_only(workspace):
    ran = workspace.run("echo /proc/[0-9]*")  # expanded by the shell itself: no other process

    assert ran.stdout == "/proc/1 /proc/2\n"  # bwrap's reaper and the step's shell


def test_b11_a_passwd_of_its_own_and_no_host_account(workspace):
    ran = workspace.run("cat /etc/passwd /etc/group")

    assert ran.stdout == (
        "root:x:0:0::/:/usr/sbin/nologin\nnobody:x:65534:65534::/tmp:/usr/sbin/nologin\n"
        "root:x:0:\nnogroup:x:65534:\n"
    )


# --- B12: network ------------------------------------------------------------------------

NETWORK_PROBE = """
import errno, json, socket, sys, time
port = int(sys.argv[1])
targets = {"postgres": ("127.0.0.1", 5432), "redis": ("127.0.0.1", 6379),
           "worker's listener": ("127.0.0.1", port), "external": ("1.1.1.1", 443)}
outcome = {}
for name, address in targets.items():
    start = time.monotonic()
    try:
        socket.create_connection(address, timeout=5).close()
        outcome[name] = "connected"
    except OSError as error:
        outcome[name] = errno.errorcode.get(error.errno, str(error))
    outcome[name + " seconds"] = time.monotonic() - start
start = time.monotonic()
try:
    socket.getaddrinfo("example.com", 443)
    outcome["dns"] = "resolved"
except socket.gaierror:
    outcome["dns"] = "no address"
outcome["dns seconds"] = time.monotonic() - start
print(json.dumps(outcome))
"""


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP port listening on the host's loopback, as a database or broker would."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def test_b12_without_network_every_connection_and_lookup_fails_at_once(workspace, listener):
    probe = write_probe(workspace, "probe.py", NETWORK_PROBE)

    outcome = json.loads(workspace.run(f"{probe} {listener}").stdout)

    assert {key: value for key, value in outcome.items() if "seconds" not in key} == {
        "postgres": "ECONNREFUSED",  # the sandbox's own loopback: nothing listens there
        "redis": "ECONNREFUSED",
        "worker's listener": "ECONNREFUSED",
        "external": "ENETUNREACH",
        "dns": "no address",
    }
    assert max(value for key, value in outcome.items() if "seconds" in key) < 1.0


def test_b12_with_network_allowed_the_host_loopback_is_reachable(workspace, listener):
    probe = write_probe(workspace, "probe.py", NETWORK_PROBE)

    outcome = json.loads(workspace.run(f"{probe} {listener}", network=True).stdout)

    assert outcome["worker's listener"] == "connected"


# --- B13: fork bomb ------------------------------------------------------------------------


@pytest.mark.parametrize("bomb", [
    "bomb() {{ bomb | bomb & }}; bomb; sleep 5 # {marker}",
    "python3 -c 'import os\nwhile True: os.fork()' {marker}",  # the marker in every argv
])  # fmt: skip
def test_b13_a_fork_bomb_is_stopped_at_the_process_limit_and_the_next_step_runs(
    workspace, bomb, marker
):
    result = workspace.run(bomb.format(marker=marker)).result
    after = workspace.run("echo next")

    assert result.limit_hit is LimitHit.PROCESSES
    assert result.exit_code is None
    assert result.wall_time < 5
    assert processes_with(marker) == []
    assert (after.result.exit_code, after.result.limit_hit, after.stdout) == (0, None, "next\n")


# --- B14: memory ---------------------------------------------------------------------------


@pytest.mark.parametrize("allocate", [
    "b = bytearray(640 * 2**20)",  # ten times the limit at once
    "b = [bytearray(2**20) for _ in range(640)]",  # ten times the limit, a megabyte at a time
])  # fmt: skip
def test_b14_far_more_memory_than_allowed_is_killed_with_its_peak(workspace, allocate):
    result = workspace.run(f"python3 -c '{allocate}'", memory_bytes=64 * MIB).result

    assert result.limit_hit is LimitHit.MEMORY
    assert result.exit_code is None
    assert 58 * MIB <= result.peak_memory_bytes <= 64 * MIB


def test_b14_memory_in_tmp_counts_as_memory(workspace):
    result = workspace.run("head -c 200000000 /dev/zero > /tmp/big", memory_bytes=64 * MIB)

    assert result.result.limit_hit is LimitHit.MEMORY


# --- B15: output ---------------------------------------------------------------------------


DEEP_FOLDERS = (
    'python3 -c \'import os\nos.chdir("/app/output")\nwhile 1: os.mkdir("d"); os.chdir("d")\''
)


@pytest.mark.parametrize("writer", [
    "yes > /app/output/big",
    "i=0; while :; do i=$((i+1)); : > /app/output/f$i; done",  # files without end
    DEEP_FOLDERS,
])  # fmt: skip
def test_b15_writing_past_the_output_limit_is_stopped_and_nothing_else_changes(workspace, writer):
    before = snapshot(workspace.root, "predictions", "logs")

    result = workspace.run(writer, output_bytes=8 * MIB).result

    assert result.limit_hit is LimitHit.OUTPUT
    assert result.exit_code is None
    assert snapshot(workspace.root, "predictions", "logs") == before


def test_b15_a_file_past_the_file_size_limit_stops_at_the_limit(workspace):
    write = 'open("/app/output/big", "wb").write(bytes(2 * 2**20))'
    ran = workspace.run(f"python3 -c '{write}'", file_size_bytes=1 * MIB)

    assert ran.result.limit_hit is LimitHit.FILE_SIZE
    assert ran.result.exit_code == 1  # the program's own error: "File too large"
    assert "File too large" in ran.stderr
    assert (workspace.folder("predictions") / "big").stat().st_size == 1 * MIB


# --- B16: time -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", [
    "echo started; while :; do :; done",
    "echo started; {sleeper}",
    "echo started; {sleeper} & {sleeper} & while :; do :; done",
])  # fmt: skip
def test_b16_a_step_past_its_time_is_killed_with_its_whole_tree_and_logs_so_far(
    workspace, command, marker
):
    sleeper = f"python3 -c 'import time; time.sleep(300)' {marker}"  # the marker in its argv

    ran = workspace.run(f"{command.format(sleeper=sleeper)} # {marker}", wall_time=1.0)

    assert ran.result.limit_hit is LimitHit.TIME
    assert ran.result.exit_code is None
    assert 1.0 <= ran.result.wall_time <= 1.5
    assert ran.stdout == "started\n"
    assert processes_with(marker) == []


def test_b16_children_left_running_when_the_command_ends_are_killed(workspace, marker):
    orphan = f"python3 -c 'import time; time.sleep(300)' {marker} &"

    ran = workspace.run(f"{orphan} {orphan} echo done")

    assert (ran.result.exit_code, ran.result.limit_hit, ran.stdout) == (0, None, "done\n")
    assert ran.result.wall_time < 1.0
    assert processes_with(marker) == []


def test_a_cancelled_step_is_stopped_with_its_whole_tree(workspace, marker):
    cancel = threading.Event()
    timer = threading.Timer(0.5, cancel.set)
    timer.start()
    sleeper = f"python3 -c 'import time; time.sleep(300)' {marker}"
    spec = StepSpec(
        f"{sleeper} & {sleeper}",
        workspace.prediction_mounts(),
        limits=Limits(wall_time=60.0),
        cancel=cancel,
    )

    result = workspace.sandbox.run(spec)

    timer.join()
    assert (result.cancelled, result.limit_hit, result.exit_code) == (True, None, None)
    assert 0.5 <= result.wall_time < 5.0
    assert not result.succeeded
    assert processes_with(marker) == []


@pytest.mark.parametrize("writable", [False, True])
def test_links_in_a_nosymfollow_mount_are_never_followed_inside(workspace, writable):
    folder = workspace.folder("shared")
    (folder / "answer.txt").symlink_to("/app/program/ingestion.py")
    (folder / "plain.txt").write_text("plain\n")
    mounts = (
        Mount(workspace.folder("ingestion_program"), "/app/program"),
        Mount(folder, "/app/shared", writable=writable, nosymfollow=True),
    )
    logs = workspace.root / "logs"
    spec = StepSpec(
        "cat /app/shared/plain.txt; cat /app/shared/answer.txt; echo $?; "
        "cat /app/program/ingestion.py",
        mounts,
        limits=Limits(wall_time=10),
        stdout_path=logs / "out",
        stderr_path=logs / "err",
    )

    result = workspace.sandbox.run(spec)

    assert result.succeeded
    assert (logs / "out").read_text() == "plain\n1\nprint('ingesting')\n"
    assert "Too many levels of symbolic links" in (logs / "err").read_text()
    # The mount lived in the launcher's namespace only: the host's folder is not a mount.
    assert not os.path.ismount(folder)


WORKER = """
import os, sys
from pathlib import Path
from podium_worker.sandbox.base import Mount, StepSpec
from podium_worker.sandbox.bwrap import BwrapSandbox
root, marker = Path(sys.argv[1]), os.environ["MARKER"]  # not in this process's command line
mounts = (Mount(root / "ingestion_program", "/app/program"),)
BwrapSandbox().run(StepSpec(f"python3 -c 'import time; time.sleep(300)' {marker}", mounts))
"""


def kill_worker_once(workspace: Workspace, marker: str, ready: Callable[[], object]) -> int:
    """Starts a worker running a step that sleeps, SIGKILLs it once `ready()` holds; its pid."""
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(workspace.root)], env={**os.environ, "MARKER": marker}
    )
    try:
        wait_for(ready, 10)
        assert ready()
    finally:
        worker.kill()
        worker.wait()
    return worker.pid


def step_commands(marker: str) -> list[int]:
    """The step's own processes: those holding `marker` that are not bwrap itself."""
    found = []
    for pid in processes_with(marker):
        with contextlib.suppress(OSError):
            program = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0]
            if os.path.basename(program) != b"bwrap":
                found.append(pid)
    return found


def wait_for(condition: Callable[[], object], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


def test_when_the_worker_is_killed_while_its_step_runs_the_sandbox_goes_with_it(workspace, marker):
    kill_worker_once(workspace, marker, ready=lambda: step_commands(marker))

    # Parent-death signals all the way down: launcher, bwrap, the sandbox's pid 1.
    wait_for(lambda: not processes_with(marker), 5)
    assert processes_with(marker) == []


def test_a_step_left_by_a_worker_killed_as_it_started_is_killed_by_the_next_sandbox(
    workspace, marker
):
    # Killed the instant bwrap starts, before bwrap's own child has asked to die with its
    # parent: that child can outlive everything above it. It runs in the step's groups,
    # and the next sandbox made on the host (a restarted worker) kills what is in them.
    worker = kill_worker_once(workspace, marker, ready=lambda: processes_with(marker))

    hierarchies = BwrapSandbox().hierarchies

    # Whatever it killed, or what died by itself, has its last moments to exit.
    wait_for(lambda: not processes_with(marker), 5)
    assert processes_with(marker) == []
    left = [h.base / name for h in hierarchies.values() for name in os.listdir(h.base)]
    assert [path for path in left if path.name.startswith(f"podium-step-{worker}-")] == []


# --- B17: logs -----------------------------------------------------------------------------


def peak_resident_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def test_b17_a_gigabyte_on_stdout_and_stderr_is_capped_with_a_marker_in_flat_memory(workspace):
    Path("/proc/self/clear_refs").write_text("5")  # restarts the peak resident memory
    before = peak_resident_bytes()

    ran = workspace.run(
        "head -c 1000000000 /dev/zero; yes | head -c 1000000000 >&2", wall_time=30.0
    )

    cut = 1_000_000_000 - 64 * 1024
    assert ran.result.exit_code == 0
    assert (ran.result.stdout_truncated, ran.result.stderr_truncated) == (True, True)
    marker = f"\n[... {cut} bytes cut by Podium ...]\n"
    assert ran.stdout == "\0" * 32768 + marker + "\0" * 32768  # no newline at all
    assert ran.stderr == "y\n" * 16384 + marker + "y\n" * 16384
    assert peak_resident_bytes() - before < 32 * MIB


def test_b17_a_log_under_the_cap_is_kept_whole(workspace):
    ran = workspace.run("seq 1 1000")

    assert ran.stdout == "".join(f"{n}\n" for n in range(1, 1001))
    assert ran.result.stdout_truncated is False


# --- B19: read-only programs and data ------------------------------------------------------


def test_b19_programs_and_input_data_cannot_be_changed(workspace):
    before = snapshot(workspace.root, "predictions", "logs", "shared")
    attempts = [
        "echo evil > /app/program/ingestion.py",
        "echo evil > /app/input_data/test.csv",
        "rm /app/ingested_program/model.py",
        "mkdir /app/input_data/more",
        "touch /usr/evil",
        "touch /evil",
        "chmod 777 /app/program",
    ]

    ran = workspace.run("; ".join(f"{attempt} || echo refused" for attempt in attempts))

    assert ran.stdout == "refused\n" * len(attempts)
    assert ran.stderr.count("Read-only file system") == len(attempts)
    assert snapshot(workspace.root, "predictions", "logs", "shared") == before


def test_b19_the_scorer_cannot_change_reference_data_or_predictions(workspace):
    (workspace.folder("predictions") / "predictions.csv").write_text("id,y\n1,2\n")
    before = snapshot(workspace.root, "scoring_output", "logs")
    attempts = ["echo 1 > /app/input/ref/truth.csv", "echo 1 > /app/input/res/predictions.csv",
                "echo '{\"score\": 1}' > /app/input/res/scores.json"]  # fmt: skip

    ran = workspace.run("; ".join(f"{a} || echo refused" for a in attempts), scoring=True)

    assert ran.stdout == "refused\n" * len(attempts)
    assert snapshot(workspace.root, "scoring_output", "logs") == before


# --- the rlimit fallback (no cgroup) -------------------------------------------------------


@pytest.fixture(scope="module")
def without_cgroups() -> BwrapSandbox:
    # RLIMIT_NPROC counts every process of the host user: a host user of its own keeps the
    # steps of other tests running at the same time out of this sandbox's count.
    return BwrapSandbox(use_cgroups=False, sandbox_uid=50000 + os.getpid() % 10000)


def test_fallback_memory_is_bounded_by_rlimit_as_and_reported_when_seen(workspace, without_cgroups):
    hold = (
        "import time\nheld = []\ntry:\n    while True: held.append(bytearray(2**20))\n"
        "except MemoryError:\n    time.sleep(0.5)\n    raise\n"
    )
    result = workspace.run(
        f"python3 -c '{hold}'", memory_bytes=128 * MIB, sandbox=without_cgroups
    ).result

    assert result.limit_hit is LimitHit.MEMORY
    assert 64 * MIB <= result.peak_memory_bytes <= 128 * MIB


def test_fallback_processes_are_bounded_by_rlimit_nproc_and_reported_when_seen(
    workspace, without_cgroups, marker
):
    # Sampled, not counted: the step must still hold its processes when /proc is read.
    spawn = (
        "import os, time\ntry:\n    for _ in range(200):\n        if os.fork() == 0:\n"
        "            time.sleep(3)\n            os._exit(0)\nexcept OSError:\n    time.sleep(3)\n"
    )
    result = workspace.run(
        f"python3 -c '{spawn}' {marker}", processes=32, sandbox=without_cgroups
    ).result

    assert result.limit_hit is LimitHit.PROCESSES
    assert processes_with(marker) == []


def test_fallback_measures_cpu_time_and_kills_the_tree_at_the_time_limit(
    workspace, without_cgroups, marker
):
    burn = "import time\nwhile time.process_time() < 0.5: pass\ntime.sleep(300)\n"

    result = workspace.run(
        f"sleep 300 & python3 -c '{burn}' {marker}", wall_time=3.0, sandbox=without_cgroups
    ).result

    assert result.limit_hit is LimitHit.TIME
    assert 0.5 <= result.cpu_time <= 1.0
    assert processes_with(marker) == []


def test_limits_default_to_what_protects_a_small_machine():
    assert Limits() == Limits(600.0, 4 * 1024**3, 256, 1024**3, 1024**3, 4 * MIB)
