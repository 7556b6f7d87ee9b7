"""Capped logs: the head and the tail of a stream, the middle cut with a marker."""

from __future__ import annotations

import pytest

from podium_worker.sandbox.logs import CappedLog, TailRing


def capture(tmp_path, chunks: list[bytes], limit: int) -> tuple[bytes, CappedLog]:
    log = CappedLog(tmp_path / "log.txt", limit)
    for chunk in chunks:
        log.write(chunk)
    log.close()
    return (tmp_path / "log.txt").read_bytes(), log


def test_a_stream_within_the_limit_is_kept_whole(tmp_path):
    content, log = capture(tmp_path, [b"abc", b"def\n", b"ghij"], limit=11)

    assert content == b"abcdef\nghij"
    assert (log.total, log.truncated) == (11, False)


def test_a_stream_past_the_limit_keeps_its_head_and_tail_around_a_marker(tmp_path):
    stream = bytes(range(256)) * 40  # 10,240 bytes

    content, log = capture(tmp_path, [stream[i : i + 100] for i in range(0, 10240, 100)], 1000)

    assert content == stream[:500] + b"\n[... 9240 bytes cut by Podium ...]\n" + stream[-500:]
    assert (log.total, log.truncated) == (10240, True)


@pytest.mark.parametrize("chunk_size", [1, 7, 500, 999, 1000, 5000])
def test_the_tail_is_the_same_whatever_the_chunk_sizes(tmp_path, chunk_size):
    stream = b"".join(b"line %d\n" % n for n in range(2000))
    chunks = [stream[i : i + chunk_size] for i in range(0, len(stream), chunk_size)]

    content, _ = capture(tmp_path, chunks, 1001)

    cut = len(stream) - 1001
    assert content == stream[:500] + b"\n[... %d bytes cut by Podium ...]\n" % cut + stream[-501:]


def test_one_byte_past_the_limit_cuts_one_byte(tmp_path):
    content, _ = capture(tmp_path, [b"x" * 11], limit=10)

    assert content == b"xxxxx\n[... 1 bytes cut by Podium ...]\nxxxxx"


def test_a_stream_with_no_file_is_counted_only(tmp_path):
    log = CappedLog(None, 10)
    log.write(b"y" * 25)
    log.close()

    assert (log.total, log.truncated, log.tail(3)) == (25, True, b"yyy")


def test_the_ring_holds_the_last_bytes_across_its_end():
    ring = TailRing(4)
    for chunk in (b"ab", b"cde", b"f"):
        ring.write(chunk)

    assert ring.getvalue() == b"cdef"


def test_a_link_where_the_log_goes_is_refused(tmp_path):
    (tmp_path / "target").write_text("keep")
    (tmp_path / "log.txt").symlink_to(tmp_path / "target")

    with pytest.raises(OSError, match="Too many levels of symbolic links"):
        CappedLog(tmp_path / "log.txt", 10)
    assert (tmp_path / "target").read_text() == "keep"
