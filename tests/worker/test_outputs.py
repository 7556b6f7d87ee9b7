"""Walking and zipping a step's output: HOSTILE.md B18 as a corpus.

Each hostile output is built in a test folder the way a step could leave it, next to the
exact refusal it is owed. Nothing a link points to ever reaches an archive.
"""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from podium_worker import outputs
from podium_worker.outputs import OutputError, OutputFile, collect, zip_outputs

SECRET = b"PODIUM_SECRET=do-not-leak"


def ordinary_output(folder: Path) -> Path:
    folder.mkdir()
    (folder / "predictions.csv").write_bytes(b"id,label\n1,ripe\n")
    (folder / "detailed_results.html").write_bytes(b"<p>fine</p>")
    (folder / "b").mkdir()
    (folder / "b" / "nested.txt").write_bytes(b"x" * 1000)
    (folder / "b" / "empty").mkdir()
    (folder / "a.bin").write_bytes(b"")
    return folder


EXPECTED = [
    OutputFile("a.bin", 0),
    OutputFile("b/nested.txt", 1000),
    OutputFile("detailed_results.html", 11),
    OutputFile("predictions.csv", 16),
]


# --- ordinary outputs -------------------------------------------------------------------


def test_collect_lists_regular_files_in_name_order(tmp_path):
    assert collect(ordinary_output(tmp_path / "out")) == EXPECTED


def test_collect_of_an_empty_folder_is_empty(tmp_path):
    assert collect(tmp_path) == []


def test_zip_holds_exactly_the_regular_files_with_their_bytes(tmp_path):
    folder = ordinary_output(tmp_path / "out")
    target = tmp_path / "out.zip"
    assert zip_outputs(folder, target, max_bytes=10_000) == EXPECTED
    with zipfile.ZipFile(target) as archive:
        assert archive.namelist() == [file.name for file in EXPECTED]
        assert archive.read("b/nested.txt") == b"x" * 1000
        assert archive.read("predictions.csv") == b"id,label\n1,ripe\n"
        assert archive.testzip() is None


def test_the_same_output_gives_the_same_archive_bytes(tmp_path):
    folder = ordinary_output(tmp_path / "out")
    zip_outputs(folder, tmp_path / "first.zip", max_bytes=10_000)
    time.sleep(0.01)
    os.utime(folder / "predictions.csv")  # a later timestamp changes nothing
    zip_outputs(folder, tmp_path / "second.zip", max_bytes=10_000)
    first = hashlib.sha256((tmp_path / "first.zip").read_bytes()).hexdigest()
    assert hashlib.sha256((tmp_path / "second.zip").read_bytes()).hexdigest() == first


def test_zip_keeps_the_executable_bit_and_nothing_else(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "run.sh").write_bytes(b"#!/bin/sh\n")
    (folder / "run.sh").chmod(0o4777)
    (folder / "data.txt").write_bytes(b"d")
    (folder / "data.txt").chmod(0o600)
    zip_outputs(folder, tmp_path / "out.zip", max_bytes=100)
    with zipfile.ZipFile(tmp_path / "out.zip") as archive:
        modes = {info.filename: info.external_attr >> 16 for info in archive.infolist()}
    assert modes == {"data.txt": stat.S_IFREG | 0o644, "run.sh": stat.S_IFREG | 0o755}


def test_zip_refuses_an_output_over_the_cap_before_writing(tmp_path):
    folder = ordinary_output(tmp_path / "out")
    target = tmp_path / "out.zip"
    with pytest.raises(OutputError) as caught:
        zip_outputs(folder, target, max_bytes=1026)
    assert str(caught.value) == "output too large: 1027 bytes; the limit is 1026 bytes"
    assert not target.exists()


def test_zip_accepts_an_output_exactly_at_the_cap(tmp_path):
    folder = ordinary_output(tmp_path / "out")
    assert zip_outputs(folder, tmp_path / "out.zip", max_bytes=1027) == EXPECTED


def test_a_sparse_gigabyte_is_refused_by_size_without_reading_it(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with (folder / "huge.bin").open("wb") as handle:
        handle.truncate(1024**3)
    started = time.monotonic()
    with pytest.raises(OutputError) as caught:
        zip_outputs(folder, tmp_path / "out.zip", max_bytes=1024**2)
    assert time.monotonic() - started < 0.5
    assert str(caught.value) == f"output too large: {1024**3} bytes; the limit is {1024**2} bytes"


def test_an_archive_inside_the_output_is_refused(tmp_path):
    folder = ordinary_output(tmp_path / "out")
    with pytest.raises(ValueError, match="must not be written inside"):
        zip_outputs(folder, folder / "out.zip", max_bytes=10_000)


def test_more_files_than_allowed_are_refused(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    for index in range(11):
        (folder / f"f{index:02d}").write_bytes(b"")
    assert len(collect(folder, max_files=11)) == 11
    with pytest.raises(OutputError) as caught:
        collect(folder, max_files=10)
    assert str(caught.value) == "output holds more than 10 files"


def test_a_folder_of_too_many_empty_folders_is_refused_while_listing_it(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    for index in range(11):
        (folder / f"d{index:02d}").mkdir()
    with pytest.raises(OutputError) as caught:
        collect(folder, max_files=10)
    assert str(caught.value) == "output holds more than 10 files"


def test_folders_nested_deeper_than_the_limit_are_refused(tmp_path):
    folder = tmp_path / "out"
    deep = folder.joinpath(*["d"] * 66)
    deep.mkdir(parents=True)
    with pytest.raises(OutputError) as caught:
        collect(folder)
    assert str(caught.value) == (f"output is nested more than 64 folders deep: {'d/' * 65!r}")


def test_a_file_name_that_is_not_utf8_is_refused(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    with open(os.path.join(os.fsencode(folder), b"bad\xffname"), "wb"):
        pass
    with pytest.raises(OutputError) as caught:
        collect(folder)
    assert str(caught.value) == "output holds a file name that is not UTF-8: 'bad\\xffname'"


# --- HOSTILE.md B18: each hostile entry next to its refusal --------------------------------


def symlink_to_environ(folder: Path) -> None:
    (folder / "env.txt").symlink_to("/proc/self/environ")


def symlink_to_host_file(folder: Path) -> None:
    host = folder.parent / "host-secret.txt"
    host.write_bytes(SECRET)
    (folder / "stolen.txt").symlink_to(host)


def symlink_to_host_folder(folder: Path) -> None:
    host = folder.parent / "host-folder"
    host.mkdir()
    (host / "secret.txt").write_bytes(SECRET)
    (folder / "sub").mkdir()
    (folder / "sub" / "etc").symlink_to(host)


def symlink_to_reference_data(folder: Path) -> None:
    # Inside the scoring sandbox this would read the reference labels as the predictions.
    (folder / "predictions.csv").unlink()
    (folder / "predictions.csv").symlink_to("/app/input/ref/labels.csv")


def hard_link(folder: Path) -> None:
    host = folder.parent / "host-secret.txt"
    host.write_bytes(SECRET)
    os.link(host, folder / "linked.txt")


def fifo(folder: Path) -> None:
    os.mkfifo(folder / "pipe")


def device(folder: Path) -> None:
    os.mknod(folder / "null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))


def block_device(folder: Path) -> None:
    os.mknod(folder / "disk", 0o600 | stat.S_IFBLK, os.makedev(7, 0))


def unix_socket(folder: Path) -> None:
    # The socket file stays after the socket is closed, as a step would leave it.
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(folder / "sock"))


B18: list[tuple[Callable[[Path], None], str]] = [
    (symlink_to_environ, "output holds a symbolic link: 'env.txt'"),
    (symlink_to_host_file, "output holds a symbolic link: 'stolen.txt'"),
    (symlink_to_host_folder, "output holds a symbolic link: 'sub/etc'"),
    (symlink_to_reference_data, "output holds a symbolic link: 'predictions.csv'"),
    (hard_link, "output holds a hard link: 'linked.txt'"),
    (fifo, "output holds a named pipe (FIFO): 'pipe'"),
    (device, "output holds a device: 'null'"),
    (block_device, "output holds a device: 'disk'"),
    (unix_socket, "output holds a socket: 'sock'"),
]


@pytest.mark.parametrize(("plant", "message"), B18, ids=[plant.__name__ for plant, _ in B18])
def test_collect_refuses_a_hostile_entry_without_following_it(tmp_path, plant, message):
    folder = ordinary_output(tmp_path / "out")
    plant(folder)
    with pytest.raises(OutputError) as caught:
        collect(folder)
    assert str(caught.value) == message


@pytest.mark.parametrize(("plant", "message"), B18, ids=[plant.__name__ for plant, _ in B18])
def test_zip_refuses_a_hostile_entry_and_leaves_no_archive(tmp_path, plant, message):
    folder = ordinary_output(tmp_path / "out")
    plant(folder)
    target = tmp_path / "out.zip"
    started = time.monotonic()
    with pytest.raises(OutputError) as caught:
        zip_outputs(folder, target, max_bytes=10**9)
    assert time.monotonic() - started < 1  # a FIFO is never opened, so nothing blocks
    assert str(caught.value) == message
    assert not target.exists()


def test_a_linked_output_folder_itself_is_refused(tmp_path):
    real = ordinary_output(tmp_path / "real")
    (tmp_path / "out").symlink_to(real)
    with pytest.raises(OutputError) as caught:
        collect(tmp_path / "out")
    assert str(caught.value) == "the output folder is a symbolic link"


def swap_for_a_link(path: Path) -> None:
    host = path.parent.parent / "host-secret.txt"
    host.write_bytes(SECRET)
    path.unlink()
    path.symlink_to(host)


def swap_for_a_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def swap_for_another_file(path: Path) -> None:
    replacement = path.with_name("replacement")
    replacement.write_bytes(b"b")
    os.replace(replacement, path)


@pytest.mark.parametrize(
    ("swap", "message"),
    [
        (swap_for_a_link, "output holds a symbolic link: 'a.txt'"),
        (swap_for_a_fifo, "output holds a named pipe (FIFO): 'a.txt'"),
        (swap_for_another_file, "output changed while it was archived: 'a.txt'"),
    ],
)
def test_an_entry_swapped_after_the_walk_is_never_followed(tmp_path, monkeypatch, swap, message):
    """The race a step still running could try: the walk saw a regular file, the archiver
    finds something else. The open does not follow a link and does not block on a FIFO, and
    the open file is checked against what the walk saw."""
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a")
    real_add = outputs._add

    def swap_then_add(archive, name, directory_fd, entry, listed, budget):
        swap(folder / name)
        return real_add(archive, name, directory_fd, entry, listed, budget)

    monkeypatch.setattr(outputs, "_add", swap_then_add)
    target = tmp_path / "out.zip"
    with pytest.raises(OutputError) as caught:
        zip_outputs(folder, target, max_bytes=100)
    assert str(caught.value) == message
    assert not target.exists()


def test_a_file_that_grows_past_the_cap_while_archived_is_refused(tmp_path, monkeypatch):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "a.txt").write_bytes(b"a" * 10)
    real_add = outputs._add

    def grow_then_add(archive, name, directory_fd, entry, listed, budget):
        with (folder / name).open("ab") as handle:
            handle.write(b"b" * 100)
        return real_add(archive, name, directory_fd, entry, listed, budget)

    monkeypatch.setattr(outputs, "_add", grow_then_add)
    target = tmp_path / "out.zip"
    with pytest.raises(OutputError) as caught:
        zip_outputs(folder, target, max_bytes=50)
    assert str(caught.value) == "output too large: 'a.txt' grew past the limit"
    assert not target.exists()
