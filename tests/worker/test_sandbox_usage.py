"""Measuring a step's output folders, and finding the cgroup hierarchies to put steps in."""

from __future__ import annotations

import os
from pathlib import Path

from podium_worker.sandbox.cgroups import find_hierarchies
from podium_worker.sandbox.usage import ENTRY_COST, MAX_PATH, OutputUsage, measure_output


def test_each_entry_counts_its_size_or_at_least_a_block(tmp_path):
    (tmp_path / "big").write_bytes(b"x" * 10_000)
    (tmp_path / "empty").touch()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "small").write_bytes(b"y")

    usage = measure_output([tmp_path], stop_after=10**9)

    # big: 10,000 bytes (12,288 allocated); empty, sub and small: a block each.
    assert usage == OutputUsage(12288 + 3 * ENTRY_COST, 10_000)


def test_links_count_as_entries_and_are_never_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "huge").write_bytes(b"z" * 100_000)
    output = tmp_path / "output"
    output.mkdir()
    (output / "to_file").symlink_to(outside / "huge")
    (output / "to_folder").symlink_to(outside)

    assert measure_output([output], stop_after=10**9) == OutputUsage(2 * ENTRY_COST, 0)


def test_a_sparse_file_counts_its_full_size(tmp_path):
    with open(tmp_path / "sparse", "wb") as handle:
        handle.truncate(50_000_000)

    assert measure_output([tmp_path], stop_after=10**9).bytes == 50_000_000


def test_the_walk_stops_once_past_the_limit(tmp_path):
    for n in range(1000):
        (tmp_path / f"f{n}").touch()

    usage = measure_output([tmp_path], stop_after=10 * ENTRY_COST)

    assert usage.bytes == 11 * ENTRY_COST


def test_folders_nested_past_the_path_limit_count_as_too_much(tmp_path):
    folder = tmp_path
    while len(str(folder)) <= MAX_PATH:
        folder = folder / ("d" * 100)
        folder.mkdir()

    assert measure_output([tmp_path], stop_after=10**9).bytes == 10**9 + 1


def test_a_missing_folder_counts_one_block(tmp_path):
    assert measure_output([tmp_path / "gone"], stop_after=10**9) == OutputUsage(ENTRY_COST, 0)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_hierarchies_are_found_under_the_process_own_groups(tmp_path):
    memory = tmp_path / "memory" / "jobs" / "worker-1"
    pids = tmp_path / "pids"
    memory.mkdir(parents=True)
    pids.mkdir()
    mountinfo = write(tmp_path / "mountinfo", (
        f"30 25 0:26 / {tmp_path}/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
        f"31 25 0:27 / {pids} rw,relatime shared:10 - cgroup cgroup rw,pids\n"
        f"32 25 0:28 / {tmp_path}/unified rw - cgroup2 cgroup2 rw\n"
        "33 25 0:29 / /proc rw - proc proc rw\n"
    ))  # fmt: skip
    own = write(tmp_path / "cgroup", "4:memory:/jobs/worker-1\n8:pids:/\n0::/\n")

    found = find_hierarchies(("memory", "pids", "cpuacct"), mountinfo, own)

    assert {name: hierarchy.base for name, hierarchy in found.items()} == {
        "memory": memory,
        "pids": pids,
    }
    assert os.listdir(memory) == []  # the probe group was removed


def test_a_hierarchy_mounted_from_a_subgroup_is_found_relative_to_its_root(tmp_path):
    base = tmp_path / "memory"
    base.mkdir()
    mountinfo = write(tmp_path / "mountinfo",
                      f"30 25 0:26 /docker/abc {base} rw - cgroup cgroup rw,memory\n")  # fmt: skip
    own = write(tmp_path / "cgroup", "4:memory:/docker/abc\n")

    assert find_hierarchies(("memory",), mountinfo, own)["memory"].base == base


def test_a_hierarchy_that_cannot_be_written_is_left_out(tmp_path):
    mountinfo = write(tmp_path / "mountinfo",
                      f"30 25 0:26 / {tmp_path}/absent rw - cgroup cgroup rw,pids\n")  # fmt: skip
    own = write(tmp_path / "cgroup", "8:pids:/\n")

    assert find_hierarchies(("pids",), mountinfo, own) == {}


def test_a_dead_workers_step_groups_are_emptied_and_removed_at_start():
    import subprocess
    import sys

    from podium_worker.sandbox.cgroups import PREFIX, remove_stale

    hierarchies = find_hierarchies(("pids",))
    assert "pids" in hierarchies, "this machine's workers have a writable pids hierarchy"
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    group = hierarchies["pids"].base / f"{PREFIX}{gone}-leftover"
    group.mkdir()
    left = subprocess.Popen(["sleep", "300"])  # what a killed worker's sandbox left running
    try:
        (group / "cgroup.procs").write_text(str(left.pid))

        remove_stale(hierarchies)

        assert left.wait(timeout=5) == -9
        assert not group.exists()
    finally:
        left.kill()
        left.wait()
        if group.exists():
            group.rmdir()
