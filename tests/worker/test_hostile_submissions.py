"""HOSTILE.md part B as a corpus of whole jobs, each hostile submission next to its verdict.

Each case is a real submission archive run through the real `run_job` with the real
bubblewrap sandbox, its inputs unpacked with the worker's archive checks; the recorded
reporter keeps all the server would receive (tests/worker/hostile/harness.py). Every run,
hostile or not, is also checked for what must never happen: one final report, the job
folder removed, what a step sees read-only unchanged, and no worker environment variable,
job secret, other job's file or reference data in any heartbeat, upload, detail or score.
After each hostile case the worker is alive: a normal submission on the same sandbox object
finishes with its score.

The organizers' programs here use the standard library only (`python3` in the sandbox is
the host's). The task: double each number of the input; the normal submission scores 1.0.
"""

from __future__ import annotations

import functools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from podium_worker.layout import remove_tree
from podium_worker.protocol import Output, Status
from podium_worker.runner import run_job
from podium_worker.sandbox.base import MIB
from podium_worker.sandbox.logs import MARKER
from tests.worker.conftest import processes_with
from tests.worker.hostile.archives import (
    code,
    fifo_member,
    many_members,
    model,
    patch_central,
    program,
    renamed,
    shell,
    symlink_member,
    zipped,
)
from tests.worker.hostile.harness import (
    ENV_CANARY,
    HOST_CANARY,
    INGESTION,
    INPUT_DATA,
    LIMITS,
    OTHER_JOB,
    PREDICT,
    REFERENCE_DATA,
    SCORE,
    SCORING,
    RecordingReporter,
    Run,
    Worker,
    ZipTransfer,
    ingestion,
    make_job,
)

FAILED, FINISHED = Status.FAILED, Status.FINISHED
PERFECT = {"accuracy": 1.0}
WRONG = "from pathlib import Path\nPath('/app/output/predictions.txt').write_text('0\\n0\\n0\\n')\n"


@pytest.fixture(autouse=True)
def worker_secrets(monkeypatch):
    """The worker's own configuration, which no step may see."""
    monkeypatch.setenv("PODIUM_SECRET_KEY", ENV_CANARY)
    monkeypatch.setenv("PODIUM_DATABASE_URL", f"postgres://podium:{ENV_CANARY}@127.0.0.1/podium")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", ENV_CANARY)


@pytest.fixture
def workdir() -> Iterator[Path]:
    """The worker's folder for job folders, searchable by the sandbox's host user (as
    podium_worker.app.make_workdir leaves it), holding another job's reference data as
    open as a job folder can be."""
    root = Path(tempfile.mkdtemp(prefix="podium-hostile-"))
    os.chmod(root, 0o711)  # noqa: S103
    other = root / OTHER_JOB / "reference_data"
    other.mkdir(parents=True)
    for folder in (root / OTHER_JOB, other):
        os.chmod(folder, 0o755)  # noqa: S103
    (other / "truth.txt").write_text(f"{HOST_CANARY}\n")
    os.chmod(other / "truth.txt", 0o644)
    yield root
    remove_tree(root)


@pytest.fixture
def worker(sandbox, workdir) -> Worker:
    return Worker(sandbox, workdir)


def other_job_file(worker: Worker) -> str:
    return str(worker.workdir / OTHER_JOB / "reference_data" / "truth.txt")


def findings(run: Run) -> dict[str, Any]:
    """What a probe found, as it wrote it among its predictions."""
    found: dict[str, Any] = json.loads(run.uploaded(Output.PREDICTIONS)["findings.json"])
    return found


def stopped(step: str, limit: str) -> tuple[Status, str, dict[str, float]]:
    return FAILED, f"{step}: {limit}", {}


# --- B11: code that looks for reference data, other jobs, the worker's configuration ------

LOOK_AROUND = """
import json, os, sys
from pathlib import Path

def attempt(path):
    try:
        return "read: " + Path(path).read_text(errors="replace")
    except OSError as error:
        return type(error).__name__

def environ(pid):
    try:
        entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\\0")
    except OSError as error:
        return type(error).__name__
    return sorted(entry.split(b"=")[0].decode() for entry in entries if entry)

SYSTEM = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/dev", "/etc"}
files = []
for folder, folders, names in os.walk("/"):
    folders[:] = [name for name in folders if os.path.join(folder, name) not in SYSTEM]
    files += [os.path.join(folder, name) for name in names]
found = {
    "argv": sys.argv,
    "variables": sorted(os.environ),
    "environ of each process": {pid: environ(pid) for pid in os.listdir("/proc") if pid.isdigit()},
    "files": sorted(files),
    "other job": attempt("OTHER_JOB_FILE"),
    "reference": attempt("/app/input/ref/truth.txt"),
    "hidden": attempt(sys.argv[3] + "/truth.txt") if len(sys.argv) > 3 else None,
    "shadow": attempt("/etc/shadow"),
    "worker's home": attempt("/root/.bash_history"),
}
Path("/app/output/findings.json").write_text(json.dumps(found))
"""
# Only what the sandbox documents: PATH, HOME, LANG (and PWD, which the shell sets).
DOCUMENTED = {"PATH", "HOME", "LANG", "PWD"}


def assert_saw_nothing_of_the_host(found: dict[str, Any]) -> None:
    assert set(found["variables"]) <= DOCUMENTED
    for pid, names in found["environ of each process"].items():
        assert names == "PermissionError" or set(names) <= DOCUMENTED, f"pid {pid}: {names}"
    for what in ("other job", "reference", "shadow", "worker's home"):
        assert found[what] == "FileNotFoundError", what


def test_b11_code_sees_only_its_own_job_folder_and_documented_variables(worker):
    source = LOOK_AROUND.replace("OTHER_JOB_FILE", other_job_file(worker)) + PREDICT

    run = worker.run(code(source))

    assert run.verdict() == (FINISHED, "", PERFECT)
    found = findings(run)
    assert_saw_nothing_of_the_host(found)
    assert found["files"] == [
        "/app/input_data/test.txt",
        "/app/program/main.py",
        "/app/program/metadata",
    ]
    worker.assert_next_submission_finishes()


@pytest.mark.parametrize("together", [False, True], ids=["before-scoring", "during-scoring"])
def test_b11_a_module_imported_by_the_ingestion_program_never_reaches_the_reference_data(
    worker, together
):
    # CodaLab ingestion programs take `$hidden`, the reference data; here it names nothing.
    # During scoring, the scorer holds the reference data in a sandbox of its own, meanwhile.
    source = LOOK_AROUND.replace("OTHER_JOB_FILE", other_job_file(worker))
    submission = model(source + "\ndef predict(x):\n    return 2 * x\n")

    run = worker.run(submission, ingestion=INGESTION, together=together)

    assert run.verdict() == (FINISHED, "", PERFECT)
    found = findings(run)
    assert_saw_nothing_of_the_host(found)
    assert found["argv"][3] == "/app/unavailable/hidden"
    assert found["hidden"] == "FileNotFoundError"
    assert {path for path in found["files"] if not path.startswith("/app/shared/")} == {
        "/app/input_data/test.txt",
        "/app/ingested_program/model.py",
        "/app/program/ingest.py",
        "/app/program/metadata",
    }
    worker.assert_next_submission_finishes(ingestion=True)


# --- B12: network ------------------------------------------------------------------------

NETWORK = """
import errno, json, socket, time
from pathlib import Path

def attempt(family, address):
    start = time.monotonic()
    try:
        with socket.socket(family, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(address)
        outcome = "connected"
    except OSError as error:
        outcome = errno.errorcode.get(error.errno, str(error))
    return outcome, time.monotonic() - start

found = {
    "host's listener": attempt(socket.AF_INET, ("127.0.0.1", PORT)),
    "database": attempt(socket.AF_INET, ("127.0.0.1", 5432)),
    "broker": attempt(socket.AF_INET, ("127.0.0.1", 5672)),
    "external": attempt(socket.AF_INET, ("1.1.1.1", 443)),
    "host's abstract socket": attempt(socket.AF_UNIX, "\\0ABSTRACT"),
    "host's socket file": attempt(socket.AF_UNIX, "SOCKET_FILE"),
    "database socket": attempt(socket.AF_UNIX, "/var/run/postgresql/.s.PGSQL.5432"),
}
start = time.monotonic()
try:
    socket.getaddrinfo("example.com", 443)
    found["dns"] = ("resolved", time.monotonic() - start)
except socket.gaierror:
    found["dns"] = ("no address", time.monotonic() - start)
Path("/app/output/findings.json").write_text(json.dumps(found))
"""


@pytest.fixture
def host_services(workdir) -> Iterator[dict[str, object]]:
    """What listens on the host: a TCP port on loopback, an abstract Unix socket, a socket
    file open to everyone."""
    tcp = socket.socket()
    tcp.bind(("127.0.0.1", 0))
    tcp.listen()
    tcp.setblocking(False)
    abstract = socket.socket(socket.AF_UNIX)
    name = f"podium-test-{uuid.uuid4().hex}"
    abstract.bind("\0" + name)
    abstract.listen()
    abstract.setblocking(False)
    path = workdir / OTHER_JOB / "broker.sock"
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(path))
    os.chmod(path, 0o777)  # noqa: S103
    unix.listen()
    unix.setblocking(False)
    listening = (tcp, abstract, unix)
    yield {
        "port": tcp.getsockname()[1],
        "abstract": name,
        "path": str(path),
        "listening": listening,
    }
    for server in listening:
        server.close()


def probe(services: dict[str, object]) -> bytes:
    source = (
        NETWORK.replace("PORT", str(services["port"]))
        .replace("ABSTRACT", str(services["abstract"]))
        .replace("SOCKET_FILE", str(services["path"]))
    )
    return code(source + PREDICT)


def accepted(services: dict[str, object]) -> int:
    """How many connections reached the host's listeners."""
    count = 0
    for server in services["listening"]:  # type: ignore[attr-defined]
        try:
            server.accept()[0].close()
            count += 1
        except BlockingIOError:
            pass
    return count


def test_b12_without_network_every_connection_fails_at_once(worker, host_services):
    run = worker.run(probe(host_services))

    assert run.verdict() == (FINISHED, "", PERFECT)
    found = findings(run)
    assert {name: outcome for name, (outcome, _) in found.items()} == {
        "host's listener": "ECONNREFUSED",  # the sandbox's own loopback: nothing listens
        "database": "ECONNREFUSED",
        "broker": "ECONNREFUSED",
        "external": "ENETUNREACH",
        "host's abstract socket": "ECONNREFUSED",  # abstract sockets belong to a network
        "host's socket file": "ENOENT",
        "database socket": "ENOENT",
        "dns": "no address",
    }
    assert max(seconds for _, seconds in found.values()) < 1.0
    assert accepted(host_services) == 0
    worker.assert_next_submission_finishes()


def test_b12_with_network_allowed_by_the_competition_the_host_is_reachable(worker, host_services):
    run = worker.run(probe(host_services), network=True)

    assert run.verdict() == (FINISHED, "", PERFECT)
    assert findings(run)["host's listener"][0] == "connected"
    worker.assert_next_submission_finishes()


# --- B13: fork bombs ---------------------------------------------------------------------

THREADS = """
import threading, time
for _ in range(1000):
    threading.Thread(target=time.sleep, args=(60,)).start()
"""


@pytest.mark.parametrize(("submission", "ingestion_tag"), [
    pytest.param(lambda m: shell(f"bomb() {{ bomb | bomb & }}; bomb; sleep 5 # {m}"), False,
                 id="shell"),
    pytest.param(lambda m: shell(f"python3 -c 'import os\nwhile True: os.fork()' {m}"), False,
                 id="python-fork"),
    pytest.param(lambda m: code(THREADS, command=f"python3 /app/program/main.py {m}"), False,
                 id="threads"),
    pytest.param(lambda m: model("import os\nwhile True:\n    os.fork()\n"), True,
                 id="imported-by-ingestion"),
])  # fmt: skip
def test_b13_a_fork_bomb_is_stopped_at_the_process_limit(worker, marker, submission, ingestion_tag):
    program = ingestion(tag=marker) if ingestion_tag else None

    run = worker.run(submission(marker), ingestion=program)

    assert run.verdict() == stopped("prediction", "process limit exceeded")
    assert run.outcome.metrics["prediction"]["limit_hit"] == "process limit exceeded"
    assert run.outcome.metrics["prediction"]["wall_time"] < 5
    assert len(run.steps) == 1  # never scored
    assert processes_with(marker) == []
    worker.assert_next_submission_finishes(ingestion=ingestion_tag)


# --- B14: memory -------------------------------------------------------------------------

PEAK = re.compile(r"prediction: memory limit exceeded \(peak (\d+) MiB\)")


@pytest.mark.parametrize(("submission", "imported"), [
    pytest.param(code("hoard = bytearray(1024 * 2**20)\n"), False, id="four-times-the-limit"),
    pytest.param(code("hoard = [bytearray(2**20) for _ in range(1024)]\n"), False,
                 id="a-megabyte-at-a-time"),
    pytest.param(shell("python3 -c 'hoard = bytearray(1024 * 2**20)' & wait"), False,
                 id="in-a-child"),
    # Files of 32 MB each: one file stops at the 64 MiB file size limit, in /tmp too.
    pytest.param(shell("i=0; while :; do i=$((i+1)); head -c 33554432 /dev/zero > /tmp/f$i; done"),
                 False, id="in-tmp"),
    pytest.param(model("hoard = bytearray(1024 * 2**20)\n"), True, id="imported-by-ingestion"),
])  # fmt: skip
def test_b14_far_more_memory_than_allowed_is_killed_with_its_peak(worker, submission, imported):
    run = worker.run(submission, ingestion=INGESTION if imported else None)

    assert (run.status, run.scores) == (FAILED, {})
    match = PEAK.fullmatch(run.detail)
    assert match is not None, run.detail
    assert 200 <= int(match[1]) <= 256  # the limit is 256 MiB
    assert run.outcome.metrics["prediction"]["peak_memory"] <= LIMITS.memory_bytes
    worker.assert_next_submission_finishes(ingestion=imported)


# --- B15: gigabytes, millions of files ---------------------------------------------------

SPREAD_OUT = """
import json, os
from pathlib import Path
tried = {}
for folder in ["/tmp", "/dev/shm", "/var/tmp", "/", "/app", "/app/program", "/usr", "/etc"]:
    try:
        Path(folder, "MARKER").write_bytes(bytes(2**20))
        tried[folder] = "written"
    except OSError as error:
        tried[folder] = error.strerror
print(json.dumps(tried), flush=True)
number = 0
while True:
    number += 1
    Path(f"/app/output/part{number}").write_bytes(bytes(16 * 2**20))
"""
DEEP_FOLDERS = """
import os
os.chdir("/app/output")
while True:
    os.mkdir("d")
    os.chdir("d")
"""


def test_b15_writing_gigabytes_is_stopped_and_nothing_reaches_the_host_disk(worker, marker):
    run = worker.run(code(SPREAD_OUT.replace("MARKER", marker)))

    assert run.verdict() == stopped("prediction", "output too large")
    assert json.loads(run.log("prediction.stdout")) == {
        "/tmp": "written",  # noqa: S108 (the sandbox's own, in its memory)
        "/dev/shm": "written",  # noqa: S108
        "/var/tmp": "No such file or directory",  # noqa: S108
        "/": "Read-only file system",
        "/app": "Read-only file system",
        "/app/program": "Read-only file system",
        "/usr": "Read-only file system",
        "/etc": "Read-only file system",
    }
    for folder in ("/tmp", "/dev/shm", "/var/tmp", "/", "/app", "/usr", "/etc", "/root"):  # noqa: S108
        assert not os.path.lexists(os.path.join(folder, marker)), folder
    assert Output.PREDICTIONS not in run.reporter.uploads  # too large to keep
    worker.assert_next_submission_finishes()


@pytest.mark.parametrize(("submission", "verdict"), [
    pytest.param(shell("i=0; while :; do i=$((i+1)); : > /app/output/f$i; done"),
                 "output too large", id="millions-of-files"),
    pytest.param(code(DEEP_FOLDERS), "output too large", id="folders-without-end"),
    pytest.param(shell("yes > /app/output/big"), "file size limit exceeded", id="one-huge-file"),
])  # fmt: skip
def test_b15_writing_without_end_is_stopped_at_a_limit(worker, submission, verdict):
    run = worker.run(submission)

    assert run.verdict() == stopped("prediction", verdict)
    worker.assert_next_submission_finishes()


def test_b15_a_sparse_gigabyte_file_is_refused_by_the_file_size_limit(worker):
    sparse = "f = open('/app/output/sparse', 'wb')\nf.seek(2**30)\nf.write(b'x')\nf.close()\n"

    run = worker.run(code(sparse))

    assert (run.status, run.scores) == (FAILED, {})
    assert run.detail.startswith("prediction failed with exit code 1:\nTraceback")
    assert run.detail.endswith("OSError: [Errno 27] File too large")
    worker.assert_next_submission_finishes()


def test_b15_a_scoring_program_writing_without_end_is_stopped(worker):
    writer = "import os\nos.system('yes > /app/output/a & yes > /app/output/b; wait')\n"
    scorer = program(writer, command="python3 /app/program/score.py")

    run = worker.run(code(PREDICT), scoring=scorer)

    assert run.verdict() == stopped("scoring", "output too large")
    worker.assert_next_submission_finishes()


# --- B16: time ---------------------------------------------------------------------------

SLEEPER = "python3 -c 'import time; time.sleep(300)' {marker}"
STUCK = """
print("started", flush=True)

def predict(x):
    while True:
        pass
"""


@pytest.mark.parametrize(("command", "imported"), [
    pytest.param("echo started; while :; do :; done # {marker}", False, id="infinite-loop"),
    pytest.param("echo started; " + SLEEPER, False, id="long-sleep"),
    pytest.param("echo started; {sleeper} & {sleeper} & while :; do :; done # {marker}", False,
                 id="children-and-a-loop"),
    pytest.param("", True, id="imported-by-ingestion"),
])  # fmt: skip
def test_b16_past_the_time_limit_the_whole_tree_is_killed_and_the_logs_so_far_kept(
    worker, marker, command, imported
):
    sleeper = SLEEPER.format(marker=marker)
    if imported:
        run = worker.run(model(STUCK), ingestion=ingestion(tag=marker), time_limit=2)
    else:
        run = worker.run(shell(command.format(marker=marker, sleeper=sleeper)), time_limit=2)

    assert run.verdict() == stopped("prediction", "time limit exceeded")
    assert 2.0 <= run.outcome.metrics["prediction"]["wall_time"] <= 4.0
    assert run.log("prediction.stdout") == b"started\n"
    assert processes_with(marker) == []
    worker.assert_next_submission_finishes(ingestion=imported)


def test_b16_a_scoring_program_past_the_time_limit_is_killed(worker, marker):
    stuck = "import time\nprint('scoring', flush=True)\ntime.sleep(300)\n"
    scorer = program(stuck, command=f"python3 /app/program/score.py {marker}")

    run = worker.run(code(PREDICT), scoring=scorer, time_limit=2)

    assert run.verdict() == stopped("scoring", "time limit exceeded")
    assert run.log("scoring.stdout") == b"scoring\n"
    assert processes_with(marker) == []
    worker.assert_next_submission_finishes()


def test_b16_children_left_running_after_the_command_ends_are_killed_with_it(worker, marker):
    sleeper = SLEEPER.format(marker=marker)
    # One in the background holding the log pipes, one in a session of its own.
    command = f"{sleeper} & (setsid {sleeper} &); python3 /app/program/main.py"

    run = worker.run(code(PREDICT, command=command))

    assert run.verdict() == (FINISHED, "", PERFECT)
    assert run.outcome.metrics["prediction"]["wall_time"] < 2.0
    assert processes_with(marker) == []
    worker.assert_next_submission_finishes()


# --- B17: floods of output on stdout and stderr ------------------------------------------

FLOOD = 256 * MIB
HALF = LIMITS.log_bytes // 2


def capped(head: bytes, tail: bytes, total: int) -> bytes:
    return head + MARKER.format(cut=total - len(head) - len(tail)).encode() + tail


def test_b17_floods_on_both_streams_are_capped_with_a_marker(worker):
    flood = f"head -c {FLOOD} /dev/zero; yes | head -c {FLOOD} >&2"

    run = worker.run(code(PREDICT, command=f"{flood}; python3 /app/program/main.py"))

    assert run.verdict() == (FINISHED, "", PERFECT)
    assert run.log("prediction.stdout") == capped(b"\0" * HALF, b"\0" * HALF, FLOOD)  # no newline
    lines = b"y\n" * (HALF // 2)
    assert run.log("prediction.stderr") == capped(lines, lines, FLOOD)
    worker.assert_next_submission_finishes()


def test_b17_a_flood_from_a_module_imported_by_the_ingestion_program_is_capped(worker):
    flood = f"import sys\nfor _ in range({FLOOD // MIB}):\n    sys.stdout.write('x' * 2**20)\n"
    submission = model(flood + "sys.stdout.flush()\n\ndef predict(x):\n    return 2 * x\n")

    run = worker.run(submission, ingestion=INGESTION)

    assert run.verdict() == (FINISHED, "", PERFECT)
    assert run.log("prediction.stdout") == capped(b"x" * HALF, b"x" * HALF, FLOOD)
    worker.assert_next_submission_finishes(ingestion=True)


def test_b17_a_flood_from_the_scoring_program_is_capped(worker):
    flood = f"import sys\nfor _ in range({FLOOD // MIB}):\n    sys.stderr.write('z' * 2**20)\n"
    scorer = program(flood + SCORE, command="python3 /app/program/score.py")

    run = worker.run(code(PREDICT), scoring=scorer)

    assert run.verdict() == (FINISHED, "", PERFECT)
    assert run.log("scoring.stderr") == capped(b"z" * HALF, b"z" * HALF, FLOOD)
    worker.assert_next_submission_finishes()


def test_b17_a_failing_flood_is_reported_with_the_end_of_its_log_only(worker):
    total = 100_000_000
    line = b"error line\n"

    run = worker.run(shell(f"yes 'error line' | head -c {total} >&2; exit 3"))

    stream_end = (line * (total // len(line) + 1))[:total][-2000:]
    assert run.verdict() == (
        FAILED,
        "prediction failed with exit code 3:\n" + stream_end.decode().strip(),
        {},
    )
    assert len(run.log("prediction.stderr")) <= LIMITS.log_bytes + 100
    worker.assert_next_submission_finishes()


# --- B18: links, hard links, pipes, devices, sockets in the output -----------------------


def odd_entry(snippet: str) -> bytes:
    """A submission that writes the right predictions and then something odd beside them."""
    return code(PREDICT + "import os, socket, stat\n" + snippet + "\n")


@pytest.mark.parametrize(("snippet", "verdict"), [
    pytest.param("os.symlink('/proc/self/environ', '/app/output/environ')",
                 "output holds a symbolic link: 'environ'", id="link-to-proc-environ"),
    pytest.param("os.symlink('OTHER_JOB_FILE', '/app/output/other.txt')",
                 "output holds a symbolic link: 'other.txt'", id="link-to-a-host-file"),
    pytest.param("os.symlink('/etc/shadow', '/app/output/shadow')",
                 "output holds a symbolic link: 'shadow'", id="link-to-etc-shadow"),
    pytest.param("os.remove('/app/output/predictions.txt')\n"
                 "os.symlink('/app/input/ref/truth.txt', '/app/output/predictions.txt')",
                 "output holds a symbolic link: 'predictions.txt'", id="reference-as-predictions"),
    pytest.param("os.makedirs('/app/output/deep/er')\nos.symlink('/', '/app/output/deep/er/root')",
                 "output holds a symbolic link: 'deep/er/root'", id="link-in-a-subfolder"),
    pytest.param("os.link('/app/output/predictions.txt', '/app/output/copy.txt')",
                 "output holds a hard link: 'copy.txt'", id="hard-link"),
    pytest.param("os.mkfifo('/app/output/pipe')",
                 "output holds a named pipe (FIFO): 'pipe'", id="fifo"),
    pytest.param("socket.socket(socket.AF_UNIX).bind('/app/output/sock')",
                 "output holds a socket: 'sock'", id="socket"),
    pytest.param("open(b'/app/output/\\xff.txt', 'w').close()",
                 "output holds a file name that is not UTF-8: '\\xff.txt'", id="name-not-utf8"),
])  # fmt: skip
def test_b18_predictions_holding_what_is_not_a_plain_file_are_refused_unread(
    worker, snippet, verdict
):
    run = worker.run(odd_entry(snippet.replace("OTHER_JOB_FILE", other_job_file(worker))))

    assert run.verdict() == (FAILED, f"predictions refused: {verdict}", {})
    assert len(run.steps) == 1  # the scorer never saw them
    assert Output.PREDICTIONS not in run.reporter.uploads
    worker.assert_next_submission_finishes()


def test_b18_a_device_cannot_be_made_in_the_output(worker):
    snippet = (
        "try:\n    os.mknod('/app/output/null', 0o666 | stat.S_IFCHR, os.makedev(1, 3))\n"
        "except OSError as error:\n    print(error.strerror)\n"
    )

    run = worker.run(odd_entry(snippet))

    assert run.verdict() == (FINISHED, "", PERFECT)
    assert run.log("prediction.stdout") == b"Operation not permitted\n"
    assert set(run.uploaded(Output.PREDICTIONS)) == {"predictions.txt", "metadata"}
    worker.assert_next_submission_finishes()


def test_b18_a_metadata_link_in_the_output_is_replaced_never_written_through(worker):
    run = worker.run(odd_entry("os.symlink('/etc/shadow', '/app/output/metadata')"))

    assert run.verdict() == (FINISHED, "", PERFECT)
    assert run.uploaded(Output.PREDICTIONS)["metadata"].startswith(b"exitCode: 0\n")
    worker.assert_next_submission_finishes()


def test_b18_a_metadata_folder_in_the_output_fails_the_job_and_the_worker_goes_on(worker):
    # The worker writes the step's `metadata` where the step left a folder of that name.
    run = worker.run(odd_entry("os.mkdir('/app/output/metadata')"))

    assert (run.status, run.scores) == (FAILED, {})
    assert "a folder named 'metadata'" in run.detail
    worker.assert_next_submission_finishes()


def test_b18_an_output_folder_the_step_locked_is_still_scored(worker):
    # The step owns its output folder while it runs; taking every permission away from it
    # must not stop the worker from handing the predictions to the scorer.
    run = worker.run(odd_entry("os.chmod('/app/output', 0)"))

    assert run.verdict() == (FINISHED, "", PERFECT)
    worker.assert_next_submission_finishes()


RACE = """
import os, time
from pathlib import Path
# The link resolves in whoever opens it: in the scorer's sandbox, to the reference data.
os.symlink("/app/input/ref/truth.txt", "/app/output/predictions.txt")
Path("/app/shared/done").touch()
time.sleep(3)  # the scorer reads meanwhile; then the link is swapped for a plain file
os.remove("/app/output/predictions.txt")
Path("/app/output/predictions.txt").write_text("0\\n0\\n0\\n")
os._exit(0)
"""


def test_b18_a_link_in_live_predictions_never_hands_the_scorer_the_reference_data(worker):
    # Ingestion during scoring: the scorer reads the predictions while they are written.
    run = worker.run(model(RACE), ingestion=INGESTION, together=True)

    # Refused (no score), or the plain file that the link became scored (0.0); never 1.0,
    # the reference data scored as the predictions.
    assert run.scores in ({}, {"accuracy": 0.0}), run.verdict()
    worker.assert_next_submission_finishes(ingestion=True)


# --- B19: read-only programs and data; scores only from the scoring step -----------------

TAMPER = """
import json, os
from pathlib import Path
tried = {}
for path in ["/app/program/main.py", "/app/program/metadata", "/app/input_data/test.txt",
             "/app/input_data/extra.txt", "/app/input/ref/truth.txt"]:
    try:
        Path(path).write_text("changed")
        tried[path] = "written"
    except OSError as error:
        tried[path] = error.strerror
for name, change in [("chmod", lambda: os.chmod("/app/input_data/test.txt", 0o777)),
                     ("remove", lambda: os.remove("/app/program/main.py")),
                     ("rename", lambda: os.rename("/app/input_data", "/app/output/data"))]:
    try:
        change()
        tried[name] = "done"
    except OSError as error:
        tried[name] = error.strerror
print(json.dumps(tried))
Path("/app/output/predictions.txt").write_text("0\\n0\\n0\\n")
Path("/app/output/scores.json").write_text(json.dumps({"accuracy": 1.0}))
Path("/app/output/scores.txt").write_text("accuracy: 1.0\\n")
"""


def test_b19_code_cannot_change_its_program_or_data_and_its_own_scores_are_ignored(worker):
    run = worker.run(code(TAMPER))

    assert run.verdict() == (FINISHED, "", {"accuracy": 0.0})
    assert json.loads(run.log("prediction.stdout")) == {
        "/app/program/main.py": "Read-only file system",
        "/app/program/metadata": "Read-only file system",
        "/app/input_data/test.txt": "Read-only file system",
        "/app/input_data/extra.txt": "Read-only file system",
        "/app/input/ref/truth.txt": "No such file or directory",
        "chmod": "Read-only file system",
        "remove": "Read-only file system",
        "rename": "Invalid cross-device link",
    }
    assert run.uploaded(Output.SCORING_OUTPUT) == {"scores.json": b'{"accuracy": 0.0}'}
    worker.assert_next_submission_finishes()


def test_b19_a_module_imported_by_the_ingestion_program_cannot_change_it_or_score_itself(worker):
    tamper = (
        "from pathlib import Path\n"
        "for path in ['/app/program/ingest.py', '/app/ingested_program/model.py']:\n"
        "    try:\n        Path(path).write_text('changed')\n"
        "    except OSError as error:\n        print(error.strerror, flush=True)\n"
        "Path('/app/output/scores.json').write_text('{\"accuracy\": 1.0}')\n"
        "def predict(x):\n    return 0\n"
    )

    run = worker.run(model(tamper), ingestion=INGESTION)

    assert run.verdict() == (FINISHED, "", {"accuracy": 0.0})
    assert run.log("prediction.stdout") == b"Read-only file system\n" * 2
    worker.assert_next_submission_finishes(ingestion=True)


def test_b19_a_results_submission_holding_its_own_scores_is_scored_by_the_scorer(worker):
    results = zipped(
        {
            "predictions.txt": "0\n0\n0\n",
            "scores.json": '{"accuracy": 1.0}',
            "scores.txt": "accuracy: 1.0\n",
        }
    )

    run = worker.run(results)

    assert run.verdict() == (FINISHED, "", {"accuracy": 0.0})
    worker.assert_next_submission_finishes()


def test_b19_scores_among_the_predictions_never_stand_in_for_the_scorers_own(worker):
    results = zipped({"predictions.txt": "6\n2\n8\n", "scores.json": '{"accuracy": 1.0}'})
    silent = program("print('no scores written')\n", command="python3 /app/program/score.py")

    run = worker.run(results, scoring=silent)

    assert run.verdict() == (
        FAILED,
        "invalid scores: the scoring program wrote no scores.json or scores.txt",
        {},
    )
    worker.assert_next_submission_finishes()


def test_b19_the_scorer_cannot_change_the_reference_data_or_the_predictions(worker):
    tamper = (
        "from pathlib import Path\n"
        "for path in ['/app/input/ref/truth.txt', '/app/input/res/predictions.txt']:\n"
        "    try:\n        Path(path).write_text('6\\n2\\n8\\n')\n"
        "    except OSError as error:\n        print(error.strerror, flush=True)\n"
    )
    scorer = program(tamper + SCORE, command="python3 /app/program/score.py")

    run = worker.run(code(WRONG), scoring=scorer)

    assert run.verdict() == (FINISHED, "", {"accuracy": 0.0})
    assert run.log("scoring.stdout") == b"Read-only file system\n" * 2
    worker.assert_next_submission_finishes()


# --- B20: submission archives with the tricks of A1 to A3 --------------------------------

ESCAPE = f"podium-escape-{uuid.uuid4().hex}"
ZIP = "submission: submission.zip"
BOMB = zipped({"zeros.bin": bytes(16 * MIB)})


@pytest.mark.parametrize(("archive", "verdict"), [
    pytest.param(zipped({f"../../{ESCAPE}": "x"}),
                 f"member '../../{ESCAPE}' points outside the archive ('..')", id="dot-dot"),
    pytest.param(zipped({f"/tmp/{ESCAPE}": "x"}),  # noqa: S108
                 f"member '/tmp/{ESCAPE}' has an absolute path", id="absolute-path"),
    pytest.param(zipped({f"C:/{ESCAPE}": "x"}),
                 f"member 'C:/{ESCAPE}' has an absolute path", id="drive-letter"),
    pytest.param(zipped({f"..\\{ESCAPE}": "x"}),
                 f"member '..\\\\{ESCAPE}' uses backslashes; archives must use '/'",
                 id="backslashes"),
    pytest.param(renamed(zipped({"evil#name.txt": "x"}), "evil#name.txt", "evil\0name.txt"),
                 "member 'evil\\x00name.txt' has a NUL byte in its name", id="nul-byte"),
    pytest.param(symlink_member("link", "/etc/shadow"),
                 "member 'link' is a symbolic link", id="symlink"),
    pytest.param(fifo_member("pipe"), "member 'pipe' is not a regular file", id="fifo"),
    pytest.param(zipped({"Predictions.txt": "1", "predictions.txt": "2"}),
                 "member 'predictions.txt' appears twice", id="same-name-twice"),
    pytest.param(zipped({"a": "x", "a/b": "y"}),
                 "member 'a/b' is both a file and a folder", id="file-and-folder"),
    pytest.param(BOMB, "member 'zeros.bin' compresses more than 200:1 (zip bomb?)",
                 id="high-ratio"),
    pytest.param(patch_central(zipped({"big.bin": "x"}), "big.bin", size=2**31),
                 f"declares {2**31} bytes uncompressed; the limit is {64 * MIB}",
                 id="declared-total"),
    pytest.param(patch_central(zipped({"data.txt": "0123456789" * 10_000}), "data.txt",
                               size=1000),
                 "member 'data.txt' is larger than it declares", id="size-that-lies"),
    pytest.param(patch_central(zipped({"a.txt": "A" * 100, "b.txt": "B" * 100}), "b.txt",
                               offset=0),
                 "members 'a.txt' and 'b.txt' overlap (zip bomb?)", id="overlapping-entries"),
    pytest.param(many_members(10_001), "too many files (10001; the limit is 10000)",
                 id="too-many-entries"),
    pytest.param(patch_central(zipped({"p.txt": "x"}), "p.txt", flags=1),
                 "member 'p.txt' is encrypted", id="encrypted"),
    pytest.param(b"PK\x03\x04 not a zip at all",
                 "not a readable zip archive (File is not a zip file)", id="not-a-zip"),
])  # fmt: skip
def test_b20_a_submission_archive_with_a_trick_is_refused_before_anything_runs(
    worker, archive, verdict
):
    run = worker.run(archive)

    assert run.verdict() == (FAILED, f"{ZIP}: {verdict}", {})
    assert run.steps == []
    assert run.reporter.uploads == {}
    for folder in (worker.workdir, worker.workdir.parent, Path("/"), Path(tempfile.gettempdir())):
        assert not os.path.lexists(folder / ESCAPE)
    worker.assert_next_submission_finishes()


def test_b20_an_archive_nested_in_a_submission_is_never_unpacked(worker):
    results = zipped({"inner.zip": BOMB, "predictions.txt": "6\n2\n8\n"})

    run = worker.run(results)

    assert run.verdict() == (FINISHED, "", PERFECT)
    assert run.uploaded(Output.PREDICTIONS) == {"inner.zip": BOMB, "predictions.txt": b"6\n2\n8\n"}
    worker.assert_next_submission_finishes()


PWNED = Path(tempfile.gettempdir()) / f"podium-pwned-{uuid.uuid4().hex}"


@pytest.mark.parametrize(("metadata", "verdict"), [
    pytest.param(f'command: !!python/object/apply:os.system ["touch {PWNED}"]\n',
                 re.escape("metadata: unsupported YAML (could not determine a constructor for "
                           "the tag 'tag:yaml.org,2002:python/object/apply:os.system')"),
                 id="python-tag"),
    # libyaml stops it first where PyYAML has it; the worker's own depth check otherwise.
    pytest.param("command: " + "[" * 5000 + "\n",
                 r"metadata is not valid YAML \(exceeded maximum nesting depth at line 1\)"
                 r"|metadata is nested more than 32 levels deep", id="nested-brackets"),
    pytest.param("command: [rm, -rf, /]\n",
                 re.escape("the command in metadata must be text (got a list)"), id="not-text"),
])  # fmt: skip
def test_b20_a_submission_metadata_with_yaml_tricks_is_refused_and_nothing_runs(
    worker, metadata, verdict
):
    run = worker.run(zipped({"metadata": metadata, "main.py": PREDICT}))

    assert (run.status, run.scores) == (FAILED, {})
    assert re.fullmatch(verdict, run.detail), run.detail
    assert run.steps == []
    assert not PWNED.exists()
    worker.assert_next_submission_finishes()


# --- B21: invalid scores -----------------------------------------------------------------


def writes(name: str, content: str | bytes) -> str:
    """A scorer's source that writes `content` into its output file `name`."""
    mode = "wb" if isinstance(content, bytes) else "w"
    return f"open('/app/output/{name}', {mode!r}).write({content!r})\n"


# Made by the scorer (a small program), and measured here the same way.
MILLION_KEYS = "'{' + ', '.join(f'\"k{n}\": 0' for n in range(10**6)) + '}'"
PADDED = "'{\"accuracy\": 0.5' + ' ' * (16 * 2**20) + '}'"
TAG = f'!!python/object/apply:os.system ["touch {PWNED}"]'
GIGABYTE = """
chunk = b" " * 2**20
with open("/app/output/scores.json", "wb") as out:
    for _ in range(1024):
        out.write(chunk)
"""
LIMIT = "the limit is 1048576 bytes"


@pytest.mark.parametrize(("scorer", "verdict"), [
    pytest.param(writes("scores.txt", f"accuracy: {TAG}\n"),
                 "invalid scores: 'accuracy' is not a number "
                 "(got text '!!python/object/apply:os.system [\"tou...')", id="python-tag"),
    pytest.param(writes("scores.json", '{"accuracy": NaN}'),
                 "invalid scores: 'accuracy' is not a finite number (got NaN)", id="nan"),
    pytest.param(writes("scores.json", '{"accuracy": Infinity}'),
                 "invalid scores: 'accuracy' is not a finite number (got Infinity)",
                 id="infinity"),
    pytest.param(writes("scores.json", '{"accuracy": -Infinity}'),
                 "invalid scores: 'accuracy' is not a finite number (got -Infinity)",
                 id="minus-infinity"),
    pytest.param(writes("scores.json", '{"accuracy": 1e999}'),
                 "invalid scores: 'accuracy' is not a finite number (got 1e999)", id="overflow"),
    pytest.param(writes("scores.txt", "accuracy: .nan\n"),
                 "invalid scores: 'accuracy' is not a finite number (got .nan)", id="yaml-nan"),
    pytest.param(writes("scores.txt", "accuracy: inf\n"),
                 "invalid scores: 'accuracy' is not a finite number (got inf)", id="text-inf"),
    pytest.param(writes("scores.json", json.dumps({f"k{n}": 0 for n in range(1001)})),
                 "invalid scores: more than 1000 keys", id="1001-keys"),
    pytest.param(f"open('/app/output/scores.json', 'w').write({MILLION_KEYS})\n",
                 f"invalid scores: scores.json is {len(eval(MILLION_KEYS))} bytes; {LIMIT}",  # noqa: S307
                 id="a-million-keys"),
    pytest.param(f"open('/app/output/scores.json', 'w').write({PADDED})\n",
                 f"invalid scores: scores.json is {len(eval(PADDED))} bytes; {LIMIT}",  # noqa: S307
                 id="16-mib"),
    pytest.param(GIGABYTE, "scoring: file size limit exceeded", id="a-gigabyte"),
    pytest.param(writes("scores.json", "[" * 100_000 + "]" * 100_000),
                 "invalid scores: scores.json is nested too deeply", id="nested"),
    pytest.param(writes("scores.json", "[0.5]"),
                 "invalid scores: scores.json must hold one object of key to number (got a list)",
                 id="not-an-object"),
    pytest.param(writes("scores.json", '{"accuracy": "high"}'),
                 "invalid scores: 'accuracy' is not a number (got text 'high')", id="text"),
    pytest.param(writes("scores.json", '{"accuracy": 0.5, "accuracy": 1.0}'),
                 "invalid scores: 'accuracy' appears twice", id="key-twice"),
    pytest.param(writes("scores.json", '{"podium:prediction.wall_time": 0.1}'),
                 "invalid scores: 'podium:prediction.wall_time' is reserved for the worker's "
                 "own measurements", id="reserved-key"),
    pytest.param(writes("scores.json", b'{"accuracy": "\xff"}'),
                 "invalid scores: scores.json is not UTF-8 text (bad byte at offset 14)",
                 id="not-utf8"),
    pytest.param("import os\nos.symlink('/proc/self/environ', '/app/output/scores.json')\n",
                 "invalid scores: scores.json is a symbolic link; only a regular file is read",
                 id="link-to-proc-environ"),
    pytest.param("import os\nos.symlink('/app/input/ref/truth.txt', '/app/output/scores.txt')\n",
                 "invalid scores: scores.txt is a symbolic link; only a regular file is read",
                 id="link-to-the-reference"),
    pytest.param("import os\nos.mkfifo('/app/output/scores.json')\n",
                 "invalid scores: scores.json is a named pipe (FIFO); only a regular file is read",
                 id="fifo"),
    pytest.param("import os\nos.mkdir('/app/output/scores.json')\n",
                 "invalid scores: scores.json is a folder; only a regular file is read",
                 id="folder"),
    pytest.param(writes("scores.json", '{"accuracy": 1.0}')
                 + "import os\nos.link('/app/output/scores.json', '/app/output/copy.json')\n",
                 "invalid scores: scores.json is a hard link; only a file of its own is read",
                 id="hard-link"),
    pytest.param("print('nothing written')\n",
                 "invalid scores: the scoring program wrote no scores.json or scores.txt",
                 id="no-scores"),
    pytest.param(writes("scores.json", "{}"), "invalid scores: scores.json holds no scores",
                 id="empty"),
])  # fmt: skip
def test_b21_a_scorer_writing_invalid_scores_fails_the_job_and_nothing_is_executed(
    worker, scorer, verdict
):
    run = worker.run(code(PREDICT), scoring=program(scorer, command="python3 /app/program/s.py"))

    assert run.verdict() == (FAILED, verdict, {})
    assert not PWNED.exists()
    worker.assert_next_submission_finishes()


# --- D30, D31: a worker that dies -------------------------------------------------------

KILLED_WORKER = """
import sys
from pathlib import Path
from podium_worker.runner import run_job
from podium_worker.sandbox.bwrap import BwrapSandbox
from tests.worker.hostile.archives import shell
from tests.worker.hostile.harness import (INPUT_DATA, LIMITS, REFERENCE_DATA, SCORING,
    RecordingReporter, ZipTransfer, make_job)
archives = {"submission.zip": shell(sys.argv[2]), "scoring_program.zip": SCORING,
            "input_data.zip": INPUT_DATA, "reference_data.zip": REFERENCE_DATA}
run_job(make_job(time_limit=60), sandbox=BwrapSandbox(), transfer=ZipTransfer(archives),
        reporter=RecordingReporter(), workdir=Path(sys.argv[1]), limits=LIMITS)
"""


def test_d30_a_worker_killed_mid_step_leaves_no_process_behind(worker, marker):
    sleeper = SLEEPER.format(marker=marker)
    command = f"{sleeper} & {sleeper} & (setsid {sleeper} &); wait"
    killed = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, str(worker.workdir), command],
        cwd=Path(__file__).parents[2],
    )
    try:
        deadline = time.monotonic() + 20
        while len(processes_with(marker)) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(processes_with(marker)) >= 4  # the shell and its three sleepers
    finally:
        killed.kill()
        killed.wait()

    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_with(marker) == []
    for leftover in os.listdir(worker.workdir):  # what a killed worker cannot clean up
        if leftover != OTHER_JOB:
            remove_tree(worker.workdir / leftover)
    worker.assert_next_submission_finishes()


class ReportLost(RecordingReporter):
    """Uploads reach the server, then the worker dies before its final report is sent."""

    def report(self, status, detail, scores, metrics) -> None:
        super().report(status, detail, scores, metrics)
        raise ConnectionError("the worker died before its report was sent")


def test_d31_a_report_lost_after_the_uploads_leaves_nothing_and_the_next_attempt_agrees(
    worker,
):
    archives = {
        "submission.zip": code(PREDICT),
        "scoring_program.zip": SCORING,
        "input_data.zip": INPUT_DATA,
        "reference_data.zip": REFERENCE_DATA,
    }
    lost, retried = ReportLost(), RecordingReporter()
    for attempt, reporter in enumerate([lost, retried]):
        run = functools.partial(
            run_job,
            replace(make_job(), attempt=attempt),
            sandbox=worker.sandbox,
            transfer=ZipTransfer(archives),
            reporter=reporter,
            workdir=worker.workdir,
            limits=LIMITS,
        )
        if reporter is lost:
            with pytest.raises(ConnectionError):
                run()
        else:
            run()
        assert os.listdir(worker.workdir) == [OTHER_JOB]

    assert [report.scores for report in lost.reports] == [PERFECT]
    assert [report.scores for report in retried.reports] == [PERFECT]
    kinds = {Output.PREDICTIONS, Output.SCORING_OUTPUT, Output.LOGS}
    assert set(lost.uploads) == set(retried.uploads) == kinds
    # The same scoring output, byte for byte: the retry's upload replaces the first unchanged.
    assert lost.uploads[Output.SCORING_OUTPUT] == retried.uploads[Output.SCORING_OUTPUT]
    worker.assert_next_submission_finishes()
