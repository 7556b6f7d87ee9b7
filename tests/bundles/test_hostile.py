"""HOSTILE.md part A as a corpus: each hostile bundle next to the verdict it is owed.

Whole bundles go through the public entry points (`import_bundle`, `check_bundle`); the
archive and YAML limits are also driven directly (`archive.extract`, `yamlsafe.load`),
where time and memory can be measured on the one step that must stay bounded. A refused
import leaves nothing: no rows, no stored files, no temporary folder, nothing outside it.
"""

from __future__ import annotations

import os
import stat
import time
import tracemalloc
import uuid
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest

from podium.accounts.models import User
from podium.bundles.services import ImportResult, check_bundle, import_bundle
from podium.competitions.models import Competition, Page, Phase, PhaseTask, Solution, Task
from podium.datasets import services as datasets
from podium.datasets.models import Data
from podium.leaderboards.models import Column, Leaderboard
from podium_bundle import yamlsafe
from podium_bundle.problems import BundleInvalid
from podium_worker import archive
from tests.bundles.hostile_corpus import (
    MB,
    Member,
    billion_laughs,
    bundle_files,
    document,
    members,
    merge_bomb,
    overlap,
    patch_member,
    phase,
    png,
    rename,
    understate_entries,
    with_phases,
    write_folder,
    write_zip,
    zip_bytes,
)

NOTHING = {
    "competitions": 0,
    "phases": 0,
    "phase tasks": 0,
    "tasks": 0,
    "data": 0,
    "leaderboards": 0,
    "columns": 0,
    "pages": 0,
    "solutions": 0,
}
SUBMISSION_RULES = "Add, Add_And_Delete, Add_And_Delete_Multiple, Force_Last, Force_Latest_Multiple"


def rows() -> dict[str, int]:
    return {
        "competitions": Competition.objects.count(),
        "phases": Phase.objects.count(),
        "phase tasks": PhaseTask.objects.count(),
        "tasks": Task.objects.count(),
        "data": Data.objects.count(),
        "leaderboards": Leaderboard.objects.count(),
        "columns": Column.objects.count(),
        "pages": Page.objects.count(),
        "solutions": Solution.objects.count(),
    }


def stored_files(storage: Path) -> list[str]:
    return sorted(str(path.relative_to(storage)) for path in storage.rglob("*") if path.is_file())


def refuse(source: Path, owner: User) -> BundleInvalid:
    with pytest.raises(BundleInvalid) as caught:
        import_bundle(source=source, owner=owner)
    return caught.value


def check_errors(source: Path) -> list[str]:
    with pytest.raises(BundleInvalid) as caught:
        check_bundle(source=source)
    return caught.value.errors


@contextmanager
def measured() -> Iterator[dict[str, float]]:
    """Wall time and traced peak memory (MB) of the block. Tracing slows Python down, so
    time bounds that matter are measured in a run of their own."""
    figures: dict[str, float] = {}
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield figures
    finally:
        figures["seconds"] = time.perf_counter() - started
        figures["peak_mb"] = tracemalloc.get_traced_memory()[1] / MB
        tracemalloc.stop()


@pytest.fixture
def left_behind(storage: Path, scratch: Path, organizer: User) -> Callable[[], dict[str, object]]:
    """What a refused import left: rows, stored files, temporary folders."""

    def look() -> dict[str, object]:
        return {
            "rows": rows(),
            "stored": stored_files(storage),
            "temporary": sorted(path.name for path in scratch.iterdir()),
        }

    return look


CLEAN = {"rows": NOTHING, "stored": [], "temporary": []}


# A1. Archive members that point outside the upload folder: the whole bundle is refused
# before any member is written. `{tmp}` is the test's folder, where two of them would land.
ESCAPES = [
    pytest.param(
        "../../../escaped.txt",
        "bundle.zip: member '../../../escaped.txt' points outside the archive ('..')",
        id="parent-folders",
    ),
    pytest.param(
        "scoring/../../../../escaped.txt",
        "bundle.zip: member 'scoring/../../../../escaped.txt' points outside the archive ('..')",
        id="parent-folders-inside-a-path",
    ),
    pytest.param(
        "{tmp}/escaped.txt",
        "bundle.zip: member '{tmp}/escaped.txt' has an absolute path",
        id="absolute",
    ),
    pytest.param(
        "C:/escaped.txt",
        "bundle.zip: member 'C:/escaped.txt' has an absolute path",
        id="drive-letter",
    ),
    pytest.param(
        "c:escaped.txt",
        "bundle.zip: member 'c:escaped.txt' has an absolute path",
        id="drive-relative",
    ),
    pytest.param(
        r"..\..\..\escaped.txt",
        r"bundle.zip: member '..\\..\\..\\escaped.txt' uses backslashes; archives must use '/'",
        id="backslashes",
    ),
    pytest.param(
        "escaped.txt\x00.md",
        r"bundle.zip: member 'escaped.txt\x00.md' has a NUL byte in its name",
        id="nul-byte",
    ),
]


@pytest.mark.parametrize(("name", "verdict"), ESCAPES)
def test_it_refuses_a_bundle_with_a_member_outside_the_upload_folder(
    tmp_path, organizer, left_behind, name, verdict
):
    name = name.format(tmp=tmp_path)
    files = bundle_files()
    if "\x00" in name:
        source = write_zip(tmp_path / "bundle.zip", {**files, "escaped.txt_.md": b"pwned"})
        source.write_bytes(rename(source.read_bytes(), "escaped.txt_.md", b"escaped.txt\x00.md"))
    else:
        source = write_zip(tmp_path / "bundle.zip", {**files, name: b"pwned"})

    refused = refuse(source, organizer)

    assert refused.errors == [verdict.format(tmp=tmp_path)]
    assert not (tmp_path / "escaped.txt").exists()
    assert left_behind() == CLEAN


def test_it_checks_every_member_before_writing_the_first(tmp_path):
    source = write_zip(
        tmp_path / "bundle.zip", {**bundle_files(), "zz/../../escaped.txt": b"pwned"}
    )
    destination = tmp_path / "unpacked"
    destination.mkdir()

    with pytest.raises(archive.ArchiveError) as caught:
        archive.extract(source, destination, archive.Budget(max_bytes=MB, max_entries=100))

    assert str(caught.value) == (
        "bundle.zip: member 'zz/../../escaped.txt' points outside the archive ('..')"
    )
    assert list(destination.iterdir()) == []


def test_it_refuses_a_nested_zip_with_a_member_outside_its_folder(tmp_path, organizer, left_behind):
    data = zip_bytes({"../../../../escaped.txt": b"pwned"})
    competition = document(
        tasks=[{"index": 0, "name": "T", "scoring_program": "scoring/", "input_data": "data.zip"}]
    )
    source = write_zip(tmp_path / "bundle.zip", {**bundle_files(competition), "data.zip": data})

    refused = refuse(source, organizer)

    assert refused.errors == [
        "tasks[0].input_data: data.zip: member '../../../../escaped.txt' points outside the "
        "archive ('..')"
    ]
    assert not (tmp_path / "escaped.txt").exists()
    assert left_behind() == CLEAN


def test_it_refuses_file_references_that_leave_the_bundle(tmp_path, organizer, left_behind):
    (tmp_path / "outside.md").write_text("# Not part of the bundle\n")
    competition = document(terms="../outside.md", image="/etc/hostname")
    competition["tasks"][0]["scoring_program"] = "C:/scoring"
    source = write_folder(tmp_path / "bundle", bundle_files(competition))

    refused = refuse(source, organizer)

    assert refused.errors == [
        "image: path '/etc/hostname' has an absolute path",
        "terms: path '../outside.md' points outside the archive ('..')",
        "tasks[0].scoring_program: path 'C:/scoring' has an absolute path",
    ]
    assert left_behind() == CLEAN


# A2. Links and special files: only regular files and folders are ever extracted.
ZIP_LINKS = [
    pytest.param(
        Member("scoring/score.py", b"/etc/passwd", mode=stat.S_IFLNK | 0o777),
        "bundle.zip: member 'scoring/score.py' is a symbolic link",
        id="symlink-to-a-host-file",
    ),
    pytest.param(
        Member("scoring/", b"/", mode=stat.S_IFLNK | 0o777),
        "bundle.zip: member 'scoring/' is a symbolic link",
        id="symlink-as-a-folder",
    ),
    pytest.param(
        Member("fifo", mode=stat.S_IFIFO | 0o644),
        "bundle.zip: member 'fifo' is not a regular file",
        id="fifo",
    ),
    pytest.param(
        Member("null", mode=stat.S_IFCHR | 0o666),
        "bundle.zip: member 'null' is not a regular file",
        id="character-device",
    ),
]


@pytest.mark.parametrize(("member", "verdict"), ZIP_LINKS)
def test_it_refuses_a_zip_with_links_or_special_files(
    tmp_path, organizer, left_behind, member, verdict
):
    files = bundle_files()
    files.pop(member.name, None)
    source = write_zip(tmp_path / "bundle.zip", [*members(files), member])

    refused = refuse(source, organizer)

    assert refused.errors == [verdict]
    assert left_behind() == CLEAN


def _symlinked_file(folder: Path, outside: Path) -> None:
    (folder / "terms.md").unlink()
    (folder / "terms.md").symlink_to(outside / "secret.md")


def _symlinked_folder(folder: Path, outside: Path) -> None:
    for path in (folder / "scoring").iterdir():
        (outside / path.name).write_bytes(path.read_bytes())
        path.unlink()
    (folder / "scoring").rmdir()
    (folder / "scoring").symlink_to(outside, target_is_directory=True)


def _hard_link(folder: Path, outside: Path) -> None:
    (folder / "terms.md").unlink()
    os.link(outside / "secret.md", folder / "terms.md")


def _fifo(folder: Path, outside: Path) -> None:
    os.mkfifo(folder / "pipe")


FOLDER_LINKS = [
    pytest.param(_symlinked_file, "bundle: terms.md is a symbolic link", id="symlinked-file"),
    pytest.param(_symlinked_folder, "bundle: scoring is a symbolic link", id="symlinked-folder"),
    pytest.param(_hard_link, "bundle: terms.md is a hard link", id="hard-link"),
    pytest.param(_fifo, "bundle: pipe is not a regular file", id="fifo"),
]


@pytest.mark.parametrize(("plant", "verdict"), FOLDER_LINKS)
def test_it_refuses_a_folder_bundle_with_links_or_special_files(
    tmp_path, organizer, left_behind, plant, verdict
):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("host secret\n")
    folder = write_folder(tmp_path / "bundle", bundle_files())
    plant(folder, outside)

    refused = refuse(folder, organizer)

    assert refused.errors == [verdict]
    assert left_behind() == CLEAN


# A3. Zip bombs, refused on what they declare and on the bytes they really hold.
def _lying(tmp_path: Path) -> Path:
    """50 MB of zeros whose central directory says 1,000 bytes: under every declared limit."""
    source = write_zip(tmp_path / "lying.zip", [Member("zeros.bin", zeros=50 * MB)])
    source.write_bytes(patch_member(source.read_bytes(), "zeros.bin", file_size=1000))
    return source


def _overlapping(tmp_path: Path) -> Path:
    source = write_zip(tmp_path / "overlap.zip", [Member("a.bin", zeros=MB)])
    source.write_bytes(overlap(source.read_bytes(), "a.bin", "b.bin"))
    return source


def _understated(tmp_path: Path) -> Path:
    """300 entries whose end record claims one: the central directory still holds 300."""
    source = write_zip(tmp_path / "many.zip", [Member(f"f{n:04}") for n in range(300)])
    source.write_bytes(understate_entries(source.read_bytes(), 1))
    return source


def _patched(tmp_path: Path, **changes: int) -> Path:
    source = write_zip(tmp_path / "patched.zip", [Member("a.bin", b"data" * 100)])
    source.write_bytes(patch_member(source.read_bytes(), "a.bin", **changes))
    return source


def _damaged(tmp_path: Path) -> Path:
    source = write_zip(
        tmp_path / "damaged.zip", [Member("a.bin", b"honest data", method=zipfile.ZIP_STORED)]
    )
    source.write_bytes(source.read_bytes().replace(b"honest data", b"HONEST DATA"))
    return source


def _plain(name: str, entries: list[Member]) -> Callable[[Path], Path]:
    return lambda tmp_path: write_zip(tmp_path / name, entries)


BOMBS = [
    pytest.param(
        _plain("ratio.zip", [Member("zeros.bin", zeros=50 * MB)]),
        archive.Budget(max_bytes=10**9, max_entries=100),
        "ratio.zip: member 'zeros.bin' compresses more than 200:1 (zip bomb?)",
        id="high-ratio",
    ),
    pytest.param(
        _plain("count.zip", [Member(f"f{n}") for n in range(30)]),
        archive.Budget(max_bytes=10**9, max_entries=10),
        "count.zip: too many files (30; the limit is 10)",
        id="too-many-entries",
    ),
    pytest.param(
        _understated,
        archive.Budget(max_bytes=10**9, max_entries=10),
        "many.zip: its central directory is 15300 bytes, too large for 10 files at most "
        "(zip bomb?)",
        id="end-record-understates-entries",
    ),
    pytest.param(
        _plain("total.zip", [Member("a.bin", bytes(600)), Member("b.bin", bytes(600))]),
        archive.Budget(max_bytes=1000, max_entries=100),
        "total.zip: declares 1200 bytes uncompressed; the limit is 1000",
        id="declared-total-over-the-limit",
    ),
    pytest.param(
        _lying,
        archive.Budget(max_bytes=10**9, max_entries=100),
        "lying.zip: member 'zeros.bin' is larger than it declares",
        id="size-that-lies",
    ),
    pytest.param(
        _overlapping,
        archive.Budget(max_bytes=10**9, max_entries=100),
        "overlap.zip: members 'a.bin' and 'b.bin' overlap (zip bomb?)",
        id="overlapping-entries",
    ),
    pytest.param(
        lambda tmp_path: _patched(tmp_path, flags=0x1),
        archive.Budget(max_bytes=10**9, max_entries=100),
        "patched.zip: member 'a.bin' is encrypted",
        id="encrypted",
    ),
    pytest.param(
        lambda tmp_path: _patched(tmp_path, method=99),
        archive.Budget(max_bytes=10**9, max_entries=100),
        "patched.zip: member 'a.bin': That compression method is not supported",
        id="unknown-compression",
    ),
    pytest.param(
        _damaged,
        archive.Budget(max_bytes=10**9, max_entries=100),
        "damaged.zip: member 'a.bin' is damaged (checksum mismatch)",
        id="damaged-data",
    ),
    pytest.param(
        _plain("clash.zip", [Member("a", b"file"), Member("a/b.txt", b"inside a file")]),
        archive.Budget(max_bytes=10**9, max_entries=100),
        "clash.zip: member 'a/b.txt' is both a file and a folder",
        id="file-and-folder-of-one-name",
    ),
    pytest.param(
        _plain("twice.zip", [Member("terms.md", b"one"), Member("Terms.md", b"two")]),
        archive.Budget(max_bytes=10**9, max_entries=100),
        "twice.zip: member 'Terms.md' appears twice",
        id="same-name-twice",
    ),
]


@pytest.mark.parametrize(("build", "budget", "verdict"), BOMBS)
def test_it_refuses_zip_bombs_in_bounded_time_and_memory(tmp_path, build, budget, verdict):
    source = build(tmp_path)
    destination = tmp_path / "unpacked"
    destination.mkdir()

    with measured() as figures, pytest.raises(archive.ArchiveError) as caught:
        archive.extract(source, destination, budget)

    assert str(caught.value) == verdict
    assert figures["peak_mb"] < 4
    assert figures["seconds"] < 1.0


def test_it_extracts_an_honest_zip_whose_names_are_not_utf8(tmp_path):
    """Old Windows archivers store names in cp437, without the UTF-8 flag; counting such a
    name's UTF-8 bytes would overstate its header and report an overlap that is not there."""
    source = write_zip(
        tmp_path / "cp437.zip", [Member("résumé.txt", b"one"), Member("second.txt", b"two")]
    )
    source.write_bytes(patch_member(source.read_bytes(), "résumé.txt", flags=0))
    destination = tmp_path / "unpacked"
    destination.mkdir()

    archive.extract(source, destination, archive.Budget(max_bytes=MB, max_entries=10))

    assert sorted(path.name for path in destination.iterdir()) == ["r├⌐sum├⌐.txt", "second.txt"]


def test_it_streams_a_large_honest_member_in_bounded_memory(tmp_path):
    source = write_zip(tmp_path / "large.zip", [Member("zeros.bin", zeros=50 * MB)])
    destination = tmp_path / "unpacked"
    destination.mkdir()
    budget = archive.Budget(max_bytes=10**9, max_entries=10, max_ratio=10**6)

    with measured() as figures:
        archive.extract(source, destination, budget)

    assert (destination / "zeros.bin").stat().st_size == 50 * MB
    assert budget.bytes_used == 50 * MB
    assert figures["peak_mb"] < 4


def test_it_reads_the_entry_count_before_indexing_the_archive(tmp_path):
    source = write_zip(tmp_path / "many.zip", [Member(f"f{n:05}") for n in range(20_000)])
    destination = tmp_path / "unpacked"
    destination.mkdir()

    with measured() as figures, pytest.raises(archive.ArchiveError) as caught:
        archive.extract(source, destination, archive.Budget(max_bytes=10**9, max_entries=100))

    assert str(caught.value) == "many.zip: too many files (20000; the limit is 100)"
    assert figures["peak_mb"] < 1


def _with(tmp_path: Path, **extra: bytes) -> Path:
    return write_zip(tmp_path / "bundle.zip", bundle_files(**extra))


def _lying_bundle(tmp_path: Path) -> Path:
    source = write_zip(
        tmp_path / "bundle.zip",
        [*members(bundle_files()), Member("extra/zeros.bin", zeros=50 * MB)],
    )
    source.write_bytes(patch_member(source.read_bytes(), "extra/zeros.bin", file_size=1000))
    return source


def _overlapping_bundle(tmp_path: Path) -> Path:
    source = write_zip(tmp_path / "bundle.zip", [*members(bundle_files()), Member("a.bin", b"x")])
    source.write_bytes(overlap(source.read_bytes(), "a.bin", "b.bin"))
    return source


def _nested(tmp_path: Path, inner: list[Member]) -> Path:
    """A bundle whose scoring program is a zip inside the zip."""
    scoring = write_zip(tmp_path / "scoring.zip", inner).read_bytes()
    files = bundle_files(
        document(tasks=[{"index": 0, "name": "T", "scoring_program": "scoring.zip"}])
    )
    del files["scoring/metadata.yaml"], files["scoring/score.py"]
    return write_zip(tmp_path / "bundle.zip", {**files, "scoring.zip": scoring})


METADATA = Member("metadata.yaml", b"command: python3 score.py\n")
BUNDLE_BOMBS = [
    pytest.param(
        lambda tmp_path: write_zip(
            tmp_path / "bundle.zip",
            [*members(bundle_files()), Member("extra/zeros.bin", zeros=50 * MB)],
        ),
        {},
        "bundle.zip: member 'extra/zeros.bin' compresses more than 200:1 (zip bomb?)",
        id="high-ratio",
    ),
    pytest.param(
        lambda tmp_path: _with(tmp_path, **{f"extra__{n}.txt": b"x" for n in range(20)}),
        {"BUNDLE_MAX_ENTRIES": 10},
        "bundle.zip: too many files (25; the limit is 10)",
        id="too-many-entries",
    ),
    pytest.param(
        lambda tmp_path: _with(tmp_path, extra__padding=bytes(5000)),
        {"BUNDLE_MAX_BYTES": 5000},
        "bundle.zip: declares {total} bytes uncompressed; the limit is 5000",
        id="declared-total-over-the-limit",
    ),
    pytest.param(
        _lying_bundle,
        {},
        "bundle.zip: member 'extra/zeros.bin' is larger than it declares",
        id="size-that-lies",
    ),
    pytest.param(
        _overlapping_bundle,
        {},
        "bundle.zip: members 'a.bin' and 'b.bin' overlap (zip bomb?)",
        id="overlapping-entries",
    ),
    pytest.param(
        lambda tmp_path: _nested(tmp_path, [METADATA, Member("zeros.bin", zeros=50 * MB)]),
        {},
        "tasks[0].scoring_program: scoring.zip: member 'zeros.bin' compresses more than 200:1 "
        "(zip bomb?)",
        id="nested-zip-bomb",
    ),
    pytest.param(
        lambda tmp_path: _nested(tmp_path, [METADATA, Member("data.bin", bytes(100_000))]),
        {"BUNDLE_MAX_BYTES": 100_000},
        "tasks[0].scoring_program: scoring.zip: declares 100026 bytes uncompressed; "
        "the limit is 100000",
        id="nested-zip-over-the-shared-budget",
    ),
]


@pytest.mark.parametrize(("build", "limits", "verdict"), BUNDLE_BOMBS)
def test_it_refuses_a_bundle_holding_a_zip_bomb_and_keeps_nothing(
    tmp_path, settings, organizer, left_behind, build, limits, verdict
):
    for name, value in limits.items():
        setattr(settings, name, value)
    source = build(tmp_path)
    with zipfile.ZipFile(source) as opened:
        total = sum(info.file_size for info in opened.infolist())

    with measured() as figures:
        refused = refuse(source, organizer)

    assert refused.errors == [verdict.format(total=total)]
    assert left_behind() == CLEAN
    assert figures["peak_mb"] < 8


# A4. competition.yaml itself as the weapon: a clear error in under a second, memory flat.
YAML_BOMBS = [
    pytest.param(
        b"title: x\n#" + b"padding " * (128 * 1024) + b"\n",
        "competition.yaml is 1048587 bytes; the limit is 1048576 bytes",
        id="over-one-megabyte",
    ),
    pytest.param(
        b"title: !!python/object/apply:os.system ['touch /tmp/podium-pwned']\n",
        "competition.yaml: unsupported YAML at line 1: could not determine a constructor for "
        "the tag 'tag:yaml.org,2002:python/object/apply:os.system'",
        id="python-apply-tag",
    ),
    pytest.param(
        b"title: !!python/name:os.system\n",
        "competition.yaml: unsupported YAML at line 1: could not determine a constructor for "
        "the tag 'tag:yaml.org,2002:python/name:os.system'",
        id="python-name-tag",
    ),
    pytest.param(
        b"title: !!python/object/new:subprocess.Popen [['id']]\n",
        "competition.yaml: unsupported YAML at line 1: could not determine a constructor for "
        "the tag 'tag:yaml.org,2002:python/object/new:subprocess.Popen'",
        id="python-new-tag",
    ),
    pytest.param(
        billion_laughs(),
        "competition.yaml: expands to more than 200000 nodes (alias bomb?)",
        id="billion-laughs",
    ),
    pytest.param(
        merge_bomb(),
        "competition.yaml: expands to more than 200000 nodes (alias bomb?)",
        id="merge-key-bomb",
    ),
    pytest.param(
        b"phases: &loop [*loop]\n",
        "competition.yaml: an alias at line 1 refers to a collection that holds it",
        id="recursive-alias",
    ),
    pytest.param(
        b"a: &a x\nb: [" + b", ".join([b"*a"] * 1001) + b"]\n",
        "competition.yaml: more than 1000 aliases",
        id="too-many-aliases",
    ),
    pytest.param(
        b"[" * 5000 + b"]" * 5000,
        "competition.yaml is not valid YAML: exceeded maximum nesting depth at line 1, column 1001",
        id="5000-nested-brackets",
    ),
    pytest.param(
        b"{a: " * 5000 + b"1" + b"}" * 5000,
        "competition.yaml: nested more than 64 levels deep",
        id="5000-nested-braces",
    ),
    pytest.param(
        b"".join(b"  " * level + b"k:\n" for level in range(100)) + b"  " * 100 + b"v\n",
        "competition.yaml: nested more than 64 levels deep",
        id="100-nested-mappings",
    ),
    pytest.param(
        b"tasks: [" + b"0, " * 300_000 + b"0]\n",
        "competition.yaml: has more than 20000 values",
        id="one-megabyte-of-tiny-values",
    ),
    pytest.param(
        b"version: " + b"9" * 5000 + b"\n",
        "competition.yaml: unsupported YAML at line 1: the number 99999999999999999999... "
        "is too long",
        id="5000-digit-number",
    ),
    pytest.param(
        b"version: " + b"1:" * 2000 + b"1\n",
        "competition.yaml: unsupported YAML at line 1: the number 1:1:1:1:1:1:1:1:1:1:... "
        "is too long",
        id="long-sexagesimal-number",
    ),
    pytest.param(
        b"version: 99999999999999999999\n",
        "competition.yaml: unsupported YAML at line 1: the number 99999999999999999999 is too "
        "large (at most 9223372036854775807)",
        id="number-over-64-bits",
    ),
    pytest.param(
        b"version: !!float two\n",
        "competition.yaml: a value cannot be read (could not convert string to float: 'two')",
        id="tagged-value-that-cannot-be-read",
    ),
    pytest.param(
        b"title: caf\xe9\n",
        "competition.yaml is not UTF-8 text (invalid continuation byte at byte 10)",
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("raw", "verdict"), YAML_BOMBS)
def test_it_refuses_hostile_yaml_quickly_with_flat_memory(raw, verdict):
    started = time.perf_counter()
    with pytest.raises(yamlsafe.YamlError) as caught:
        yamlsafe.load(raw)
    seconds = time.perf_counter() - started
    with measured() as figures, pytest.raises(yamlsafe.YamlError):
        yamlsafe.load(raw)

    assert str(caught.value) == verdict
    assert seconds < 1.0
    assert figures["peak_mb"] < 8


def test_it_never_runs_a_python_tag(tmp_path, organizer, left_behind, monkeypatch):
    ran: list[object] = []
    monkeypatch.setattr(os, "system", ran.append)
    text = b"version: 2\ntitle: !!python/object/apply:os.system ['echo pwned']\n"
    source = write_zip(tmp_path / "bundle.zip", bundle_files(text))

    refused = refuse(source, organizer)

    assert refused.errors == [
        "competition.yaml: unsupported YAML at line 2: could not determine a constructor for "
        "the tag 'tag:yaml.org,2002:python/object/apply:os.system'"
    ]
    assert ran == []
    assert left_behind() == CLEAN


def test_it_reads_program_metadata_with_the_same_safe_loader(
    tmp_path, organizer, left_behind, monkeypatch
):
    ran: list[object] = []
    monkeypatch.setattr(os, "system", ran.append)
    metadata = b"command: !!python/object/apply:os.system ['echo pwned']\n"
    source = write_zip(
        tmp_path / "bundle.zip", bundle_files(**{"scoring__metadata.yaml": metadata})
    )

    refused = refuse(source, organizer)

    assert refused.errors == [
        "tasks[0].scoring_program (metadata.yaml): metadata.yaml: unsupported YAML at line 1: "
        "could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'"
    ]
    assert ran == []
    assert left_behind() == CLEAN


def test_it_refuses_a_competition_yaml_over_one_megabyte(tmp_path, organizer, left_behind):
    text = bundle_files()["competition.yaml"] + b"#" + os.urandom(MB).hex().encode()[:MB] + b"\n"
    source = write_zip(tmp_path / "bundle.zip", bundle_files(text))

    started = time.perf_counter()
    refused = refuse(source, organizer)

    assert time.perf_counter() - started < 1.0
    assert refused.errors == [f"competition.yaml is {len(text)} bytes; the limit is 1048576 bytes"]
    assert left_behind() == CLEAN


def test_it_reads_the_largest_accepted_yaml_without_a_quadratic_blowup():
    # The mapping, its key and the list are three values of the limit.
    raw = b"values: [" + b"0, " * (yamlsafe.MAX_NODES - 4) + b"0]\n"

    started = time.perf_counter()
    loaded = yamlsafe.load(raw)

    # About 0.25 s alone; a quadratic loader took 50 s. The margin is for a loaded CI
    # machine running the suite in parallel, where this once took 1.7 s.
    assert time.perf_counter() - started < 5.0
    assert len(loaded["values"]) == yamlsafe.MAX_NODES - 3


# A5. YAML type traps: one error per field, with its key path; offsets converted.
TYPE_TRAPS = [
    pytest.param(
        "- {name: no, start: 2024-01-01, tasks: [0]}\n",
        [
            "phases[0].name: expected text, got a boolean (false); YAML reads unquoted "
            "yes/no/on/off as a boolean, so put the text in quotes"
        ],
        id="no-as-a-name",
    ),
    pytest.param(
        "- {name: P, start: 12:30:00, tasks: [0]}\n",
        [
            "phases[0].start: expected a date such as 2024-05-31, got int 45000 (YAML reads a "
            "time such as 12:30:00 as a number; quote the date)"
        ],
        id="sexagesimal-start",
    ),
    pytest.param(
        "- {name: P, start: 2024-01-01, tasks: [0], max_submissions: .nan}\n",
        ["phases[0].max_submissions: expected a whole number, got a number (nan)"],
        id="nan-limit",
    ),
    pytest.param(
        "- {name: P, start: 2024-01-01, tasks: [0], max_submissions_per_day: -.inf}\n",
        ["phases[0].max_submissions_per_day: expected a whole number, got a number (-inf)"],
        id="infinite-limit",
    ),
    pytest.param(
        "- {name: P, start: 2019-02-30, tasks: [0]}\n",
        [
            "phases[0].start: '2019-02-30' is not a real date or time (day is out of range "
            "for month)"
        ],
        id="impossible-date",
    ),
    pytest.param(
        "- {name: P, start: 2024-01-01T25:00:00, tasks: [0]}\n",
        [
            "phases[0].start: '2024-01-01T25:00:00' is not a real date or time (hour must be "
            "in 0..23)"
        ],
        id="impossible-time",
    ),
    pytest.param(
        "- {name: P, start: 2024-01-01T10:00:00+25:00, tasks: [0]}\n",
        [
            "phases[0].start: '2024-01-01T10:00:00+25:00' is not a real date or time (time "
            "zone offset '+25:00' is out of range)"
        ],
        id="impossible-offset",
    ),
    pytest.param(
        "- {name: P, start: 2024-02-01, end: 2024-01-01, tasks: [0]}\n",
        ["phases[0].end: before start (2024-01-01 00:00 UTC is not after 2024-02-01 00:00 UTC)"],
        id="end-before-start",
    ),
    pytest.param(
        "- {name: One, start: 2024-01-01, end: 2024-03-01, tasks: [0]}\n"
        "- {name: Two, start: 2024-02-01, tasks: [0]}\n",
        [
            "phases[1].start: overlaps the phase before it (2024-02-01 00:00 UTC is before "
            "its end, 2024-03-01 00:00 UTC)"
        ],
        id="overlapping-phases",
    ),
    pytest.param(
        "- {name: One, start: 2024-01-01T12:00:00+02:00, end: 2024-01-01T11:00:00Z, tasks: [0]}\n"
        "- {name: Two, start: 2024-01-01T12:30:00+02:00, tasks: [0]}\n",
        [
            "phases[1].start: overlaps the phase before it (2024-01-01 10:30 UTC is before "
            "its end, 2024-01-01 11:00 UTC)"
        ],
        id="overlap-visible-only-in-utc",
    ),
    pytest.param(
        "- {name: P, start: 2024-01-01, tasks: [0], max_submissions: 10000000000}\n",
        ["phases[0].max_submissions: must be at least 0 and at most 2147483647, not 10000000000"],
        id="limit-beyond-the-database-column",
    ),
    pytest.param(
        "- {name: P, start: 2024-01-01, tasks: [0], max_submissions_per_day: 3.0e+9}\n",
        [
            "phases[0].max_submissions_per_day: must be at least 0 and at most 2147483647, "
            "not 3000000000"
        ],
        id="float-limit-beyond-the-database-column",
    ),
]


@pytest.mark.parametrize(("phases", "verdicts"), TYPE_TRAPS)
def test_it_names_each_type_trap_with_its_key_path(tmp_path, phases, verdicts):
    source = write_folder(tmp_path / "bundle", bundle_files(with_phases(phases)))

    assert check_errors(source) == verdicts


def test_it_converts_a_time_zone_offset_to_utc(tmp_path, storage, organizer):
    text = with_phases(
        "- name: P\n"
        "  start: 2024-01-01T10:00:00+02:00\n"
        "  end: 2024-01-02 09:30:00 -05:30\n"
        "  tasks: [0]\n"
    )
    source = write_zip(tmp_path / "bundle.zip", bundle_files(text))

    result = import_bundle(source=source, owner=organizer)

    saved = Phase.objects.get(competition=result.competition)
    assert saved.start == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    assert saved.end == datetime(2024, 1, 2, 15, 0, tzinfo=UTC)


# A6. Every problem at once, each with its key path, before anything is saved.
def test_it_lists_every_problem_of_a_bundle_at_once(tmp_path, organizer, left_behind):
    competition = document(
        terms="missing-terms.md",
        descripton="misspelled",
        registration_auto_approve="sometimes",
        tasks=[{"index": 0, "name": "T", "scoring_program": "no-such-folder/", "input_dat": "x"}],
        phases=[phase(max_submissions="lots", tasks=[0, 7])],
        leaderboards=[
            {
                "title": "L",
                "key": "main",
                "submission_rule": "Force_Worst",
                "columns": [{"title": "Score", "key": "score", "index": 0, "sorting": "up"}],
            }
        ],
    )
    source = write_zip(tmp_path / "bundle.zip", bundle_files(competition))

    refused = refuse(source, organizer)

    assert refused.errors == [
        "terms: 'missing-terms.md' is not in the bundle",
        "tasks[0].scoring_program: 'no-such-folder/' is not in the bundle",
        "leaderboards[0].columns[0].sorting: must be one of desc, asc; got text ('up')",
        "leaderboards[0].submission_rule: must be one of "
        f"{SUBMISSION_RULES}, Force_Best; got text ('Force_Worst')",
        "phases[0].tasks[1]: no task has index 7",
        "phases[0].max_submissions: expected a whole number, got text ('lots')",
        "registration_auto_approve: expected true or false, got text ('sometimes')",
    ]
    assert refused.warnings == [
        "descripton: unknown key, ignored; did you mean 'description'?",
        "tasks[0].input_dat: unknown key, ignored; did you mean 'input_data'?",
    ]
    assert left_behind() == CLEAN


WRONG_TYPES = [
    pytest.param({"title": ["a", "list"]}, ["title: expected text, got a list"], id="title-list"),
    pytest.param(
        {"tasks": {"index": 0}},
        ["tasks: expected a list, got a mapping", "phases[0].tasks[0]: no task has index 0"],
        id="tasks-mapping",
    ),
    pytest.param(
        {"phases": ["just a name"]},
        [
            "phases[0]: expected a mapping, got text ('just a name')",
            "phases: must hold at least one phase",
        ],
        id="phase-as-text",
    ),
    pytest.param(
        {"phases": [phase(tasks="0")]},
        ["phases[0].tasks: expected a list, got text ('0')"],
        id="task-list-as-text",
    ),
    pytest.param(
        {"leaderboards": [{"title": "L", "key": "main", "columns": []}]},
        ["leaderboards[0].columns: must hold at least one column"],
        id="no-columns",
    ),
    pytest.param(
        {"competition_type": "tournament"},
        ["competition_type: must be one of competition, benchmark; got text ('tournament')"],
        id="bad-competition-type",
    ),
]


@pytest.mark.parametrize(("changes", "verdicts"), WRONG_TYPES)
def test_it_names_wrong_types_with_their_key_path(tmp_path, changes, verdicts):
    source = write_folder(tmp_path / "bundle", bundle_files(document(**changes)))

    assert check_errors(source) == verdicts


# A9. Objects named by key: only one's own or public ones; others read as absent.
def _scoring_data(owner: User, *, public: bool) -> Data:
    data = datasets.store_bytes(
        owner=owner,
        kind=Data.Kind.SCORING_PROGRAM,
        name=f"{owner.username}-scoring.zip",
        content=zip_bytes({"metadata.yaml": f"command: echo {owner.username}\n".encode()}),
    )
    data.is_public = public
    data.save(update_fields=["is_public"])
    return data


def _task(owner: User, *, public: bool) -> Task:
    return Task.objects.create(
        name=f"{owner.username}'s task",
        created_by=owner,
        scoring_program=_scoring_data(owner, public=False),
        is_public=public,
    )


def _reuse_task(key: object) -> dict[str, object]:
    return document(tasks=[{"index": 0, "key": str(key)}])


def _reuse_scoring(key: object) -> dict[str, object]:
    return document(tasks=[{"index": 0, "name": "T", "scoring_program": str(key)}])


def _reuse_reference_data(key: object) -> dict[str, object]:
    return document(
        tasks=[{"index": 0, "name": "T", "scoring_program": "scoring/", "reference_data": str(key)}]
    )


REFERENCES = [
    pytest.param(
        _reuse_task,
        lambda owner: _task(owner, public=False),
        "tasks[0].key: no task {key!r} that you may use",
        id="task",
    ),
    pytest.param(
        _reuse_scoring,
        lambda owner: _scoring_data(owner, public=False),
        "tasks[0].scoring_program: no data file {key!r} that you may use",
        id="scoring-program",
    ),
    pytest.param(
        _reuse_reference_data,
        lambda owner: _scoring_data(owner, public=False),
        "tasks[0].reference_data: no data file {key!r} that you may use",
        id="reference-data",
    ),
]


@pytest.mark.parametrize(("bundle", "create", "verdict"), REFERENCES)
def test_it_refuses_another_users_private_object_as_if_it_did_not_exist(
    tmp_path, storage, organizer, stranger, bundle, create, verdict
):
    private = create(stranger)
    missing = uuid.uuid4()
    before = rows()
    stored = stored_files(storage)

    refusals = []
    for number, key in enumerate((private.key, missing)):
        source = write_zip(tmp_path / f"bundle{number}.zip", bundle_files(bundle(key)))
        refusals.append(refuse(source, organizer))

    assert refusals[0].errors == [verdict.format(key=str(private.key))]
    assert refusals[1].errors == [verdict.format(key=str(missing))]
    assert rows() == before
    assert stored_files(storage) == stored


def _phase_task(result: ImportResult) -> Task:
    return Phase.objects.get(competition=result.competition).tasks.get()


ALLOWED = [
    pytest.param(
        _reuse_task,
        lambda owner: _task(owner, public=True),
        lambda task: task,
        id="public-task",
    ),
    pytest.param(
        _reuse_scoring,
        lambda owner: _scoring_data(owner, public=True),
        lambda task: task.scoring_program,
        id="public-scoring-program",
    ),
]


@pytest.mark.parametrize(("bundle", "create", "reused"), ALLOWED)
def test_it_accepts_another_users_public_object(
    tmp_path, storage, organizer, stranger, bundle, create, reused
):
    public = create(stranger)
    source = write_zip(tmp_path / "bundle.zip", bundle_files(bundle(public.key)))

    result = import_bundle(source=source, owner=organizer)

    assert reused(_phase_task(result)) == public


@pytest.mark.parametrize(
    ("bundle", "create", "reused"),
    [
        pytest.param(
            _reuse_task,
            lambda owner: _task(owner, public=False),
            lambda task: task,
            id="own-private-task",
        ),
        pytest.param(
            _reuse_scoring,
            lambda owner: _scoring_data(owner, public=False),
            lambda task: task.scoring_program,
            id="own-private-scoring-program",
        ),
    ],
)
def test_it_accepts_ones_own_private_object(tmp_path, storage, organizer, bundle, create, reused):
    own = create(organizer)
    source = write_zip(tmp_path / "bundle.zip", bundle_files(bundle(own.key)))

    result = import_bundle(source=source, owner=organizer)

    assert reused(_phase_task(result)) == own


# A10. Logos: no pixel floods, no SVG.
SCRIPTED_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    b"<script>fetch('/api/submissions/')</script></svg>"
)
LOGOS = [
    pytest.param(
        "logo.png",
        png(50_000, 50_000, rows=1),
        "image: 'logo.png' is not a readable image (Image size (2500000000 pixels) exceeds "
        "limit of 178956970 pixels, could be decompression bomb DOS attack.)",
        id="pixel-flood-50000x50000",
    ),
    pytest.param(
        "logo.png",
        png(5000, 5000, rows=1),
        "image: 'logo.png' is 5000x5000 pixels; the limit is 4096x4096",
        id="pixel-flood-5000x5000",
    ),
    pytest.param(
        "logo.svg",
        SCRIPTED_SVG,
        "image: SVG logos are not accepted (they can carry scripts); use PNG, JPEG, GIF or WebP",
        id="svg-with-script",
    ),
    pytest.param(
        "LOGO.SVG",
        SCRIPTED_SVG,
        "image: SVG logos are not accepted (they can carry scripts); use PNG, JPEG, GIF or WebP",
        id="svg-upper-case",
    ),
]


@pytest.mark.parametrize(("name", "content", "verdict"), LOGOS)
def test_it_refuses_a_hostile_logo(tmp_path, organizer, left_behind, name, content, verdict):
    files = bundle_files(document(image=name))
    files[name] = content
    source = write_zip(tmp_path / "bundle.zip", files)

    with measured() as figures:
        refused = refuse(source, organizer)

    assert refused.errors == [verdict]
    assert figures["peak_mb"] < 8
    assert left_behind() == CLEAN


def test_it_refuses_an_svg_named_like_a_png_without_showing_server_paths(
    tmp_path, organizer, left_behind
):
    source = write_zip(tmp_path / "bundle.zip", {**bundle_files(), "logo.png": SCRIPTED_SVG})

    refused = refuse(source, organizer)

    assert len(refused.errors) == 1
    assert refused.errors[0].startswith("image: 'logo.png' is not a readable image")
    assert str(tmp_path) not in refused.errors[0]
    assert "podium-bundle-" not in refused.errors[0]
    assert left_behind() == CLEAN
