"""Reading a scoring program's scores: both formats, and HOSTILE.md B21 as a corpus.

Each hostile scores file sits next to the exact message the submission fails with.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import time
from pathlib import Path

import pytest

from podium_worker.scores import MAX_BYTES, ScoresError, parse_scores

# --- ordinary scores ---------------------------------------------------------------------


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def test_it_reads_a_flat_scores_json(tmp_path):
    write(tmp_path, "scores.json", '{"accuracy": 0.875, "balanced_accuracy": 0.8}')
    assert parse_scores(tmp_path) == {"accuracy": 0.875, "balanced_accuracy": 0.8}


def test_it_reads_integers_negatives_and_exponents_from_json(tmp_path):
    write(tmp_path, "scores.json", '{"count": 3, "loss": -1.5, "tiny": 2.5e-7, "big": 1E3}')
    scores = parse_scores(tmp_path)
    assert scores == {"count": 3.0, "loss": -1.5, "tiny": 2.5e-7, "big": 1000.0}
    assert all(type(value) is float for value in scores.values())


def test_it_keeps_the_order_the_scorer_wrote(tmp_path):
    write(tmp_path, "scores.json", '{"z": 1, "a": 2, "m": 3}')
    assert list(parse_scores(tmp_path)) == ["z", "a", "m"]


def test_it_reads_scores_txt_the_way_codalab_scorers_write_it(tmp_path):
    write(tmp_path, "scores.txt", "set1_score: 0.912345678901\nDuration: 12.5\n")
    assert parse_scores(tmp_path) == {"set1_score": 0.912345678901, "Duration": 12.5}


def test_it_tolerates_no_space_blank_lines_comments_crlf_and_a_bom(tmp_path):
    text = "\ufeff# written by score.py\r\naccuracy:0.5\r\n\r\n  loss :  -2e-3  \r\ncount: 7\r\n"
    write(tmp_path, "scores.txt", text)
    assert parse_scores(tmp_path) == {"accuracy": 0.5, "loss": -0.002, "count": 7.0}


def test_a_scores_txt_key_may_hold_colons(tmp_path):
    write(tmp_path, "scores.txt", "task:1/accuracy: 0.5\ntask:2/accuracy:0.25\n")
    assert parse_scores(tmp_path) == {"task:1/accuracy": 0.5, "task:2/accuracy": 0.25}


def test_scores_json_wins_over_scores_txt(tmp_path):
    write(tmp_path, "scores.json", '{"from_json": 1}')
    write(tmp_path, "scores.txt", "from_txt: 2\n")
    assert parse_scores(tmp_path) == {"from_json": 1.0}


def test_it_accepts_a_thousand_keys_of_a_hundred_characters(tmp_path):
    scores = {f"{index:04d}".ljust(100, "k"): float(index) for index in range(1000)}
    write(tmp_path, "scores.json", json.dumps(scores))
    assert parse_scores(tmp_path) == scores


# --- refusals: each input next to its verdict --------------------------------------------

JSON_REFUSALS = [
    # (scores.json content, the message the submission fails with)
    ('{"accuracy": "high"}', "invalid scores: 'accuracy' is not a number (got text 'high')"),
    ('{"accuracy": true}', "invalid scores: 'accuracy' is not a number (got true)"),
    ('{"accuracy": false}', "invalid scores: 'accuracy' is not a number (got false)"),
    ('{"accuracy": null}', "invalid scores: 'accuracy' is not a number (got null)"),
    ('{"accuracy": [0.5]}', "invalid scores: 'accuracy' is not a number (got a list)"),
    ('{"accuracy": {"mean": 0.5}}', "invalid scores: 'accuracy' is not a number (got an object)"),
    ('{"accuracy": NaN}', "invalid scores: 'accuracy' is not a finite number (got NaN)"),
    ('{"accuracy": Infinity}', "invalid scores: 'accuracy' is not a finite number (got Infinity)"),
    (
        '{"accuracy": -Infinity}',
        "invalid scores: 'accuracy' is not a finite number (got -Infinity)",
    ),
    ('{"accuracy": 1e999}', "invalid scores: 'accuracy' is not a finite number (got 1e999)"),
    (
        '{"accuracy": ' + "9" * 5000 + "}",
        f"invalid scores: 'accuracy' is not a finite number (got {'9' * 37}...)",
    ),
    ('{"a": 1, "a": 2}', "invalid scores: 'a' appears twice"),
    ('{"": 1}', "invalid scores: a score has an empty key"),
    ('{"a\\nb": 1}', "invalid scores: the key 'a\\nb' holds unprintable characters"),
    (
        '{"podium:prediction.wall_time": 0.001}',
        "invalid scores: 'podium:prediction.wall_time' is reserved for the worker's own "
        "measurements",
    ),
    (
        "[0.5, 0.7]",
        "invalid scores: scores.json must hold one object of key to number (got a list)",
    ),
    ("0.5", "invalid scores: scores.json must hold one object of key to number (got 0.5)"),
    ("NaN", "invalid scores: scores.json must hold one object of key to number (got NaN)"),
    ("{}", "invalid scores: scores.json holds no scores"),
    (
        '{"accuracy": 0.5',
        "invalid scores: scores.json is not valid JSON (Expecting ',' delimiter at line 1, "
        "column 17)",
    ),
    ("", "invalid scores: scores.json is not valid JSON (Expecting value at line 1, column 1)"),
    ("[" * 200_000, "invalid scores: scores.json is nested too deeply"),
]


@pytest.mark.parametrize(("content", "message"), JSON_REFUSALS)
def test_it_refuses_a_hostile_scores_json(tmp_path, content, message):
    write(tmp_path, "scores.json", content)
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == message


TEXT_REFUSALS = [
    # (scores.txt content, the message the submission fails with)
    ("accuracy: high\n", "invalid scores: 'accuracy' is not a number (got text 'high')"),
    ("accuracy: true\n", "invalid scores: 'accuracy' is not a number (got text 'true')"),
    ("accuracy: nan\n", "invalid scores: 'accuracy' is not a finite number (got nan)"),
    ("accuracy: NaN\n", "invalid scores: 'accuracy' is not a finite number (got NaN)"),
    ("accuracy: inf\n", "invalid scores: 'accuracy' is not a finite number (got inf)"),
    ("accuracy: Infinity\n", "invalid scores: 'accuracy' is not a finite number (got Infinity)"),
    ("accuracy: -Infinity\n", "invalid scores: 'accuracy' is not a finite number (got -Infinity)"),
    ("accuracy: 1e999\n", "invalid scores: 'accuracy' is not a finite number (got 1e999)"),
    ("accuracy: .nan\n", "invalid scores: 'accuracy' is not a finite number (got .nan)"),
    ("accuracy: -.inf\n", "invalid scores: 'accuracy' is not a finite number (got -.inf)"),
    ("accuracy:\n", "invalid scores: 'accuracy' is not a number (got text '')"),
    ("accuracy: 0.5\naccuracy: 0.9\n", "invalid scores: 'accuracy' appears twice"),
    (": 0.5\n", "invalid scores: a score has an empty key"),
    ("0.5\n", "invalid scores: scores.txt line 1 is not 'key: value' (got '0.5')"),
    (
        "accuracy: 0.5\nthe model did well\n",
        "invalid scores: scores.txt line 2 is not 'key: value' (got 'the model did well')",
    ),
    (
        "podium:scoring.cpu_time: 1\n",
        "invalid scores: 'podium:scoring.cpu_time' is reserved for the worker's own measurements",
    ),
    ("\n# nothing\n\n", "invalid scores: scores.txt holds no scores"),
    # A Python-tagged YAML document: read as text, never executed.
    (
        "accuracy: !!python/object/apply:os.system ['touch /tmp/pwned']\n",
        "invalid scores: 'accuracy' is not a number "
        '(got text "!!python/object/apply:os.system [\'tou...")',
    ),
    (
        "!!python/object/apply:os.system ['touch /tmp/pwned']\n",
        "invalid scores: '!!python/object/apply' is not a number (got text \"os.system "
        "['touch /tmp/pwned']\")",
    ),
    (
        "{accuracy: 0.5}\n",
        "invalid scores: '{accuracy' is not a number (got text '0.5}')",
    ),
]


@pytest.mark.parametrize(("content", "message"), TEXT_REFUSALS)
def test_it_refuses_a_hostile_scores_txt(tmp_path, content, message):
    write(tmp_path, "scores.txt", content)
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == message


def test_python_tagged_yaml_is_never_executed(tmp_path):
    marker = tmp_path / "executed"
    payload = f"score: !!python/object/apply:os.system ['touch {marker}']\n"
    write(tmp_path, "scores.txt", payload)
    with pytest.raises(ScoresError):
        parse_scores(tmp_path)
    assert not marker.exists()


def test_a_missing_scores_file_names_both_files(tmp_path):
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    message = "invalid scores: the scoring program wrote no scores.json or scores.txt"
    assert str(caught.value) == message


def test_it_refuses_more_than_a_thousand_keys(tmp_path):
    write(tmp_path, "scores.txt", "".join(f"k{index}: {index}\n" for index in range(1001)))
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == "invalid scores: more than 1000 keys"


def test_it_refuses_a_key_longer_than_a_hundred_characters(tmp_path):
    write(tmp_path, "scores.json", json.dumps({"k" * 101: 1}))
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    expected = f"invalid scores: the key '{'k' * 37}...' is 101 characters long; the limit is 100"
    assert str(caught.value) == expected


def test_a_million_keys_are_refused_by_size_before_parsing(tmp_path):
    keys = ",".join(f'"k{index}":1' for index in range(1_000_000))
    write(tmp_path, "scores.json", "{" + keys + "}")
    size = (tmp_path / "scores.json").stat().st_size
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        f"invalid scores: scores.json is {size} bytes; the limit is {MAX_BYTES} bytes"
    )


def test_a_gigabyte_scores_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "scores.txt"
    with path.open("wb") as handle:
        handle.truncate(1024**3)  # sparse: no gigabyte is written or read
    started = time.monotonic()
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert time.monotonic() - started < 0.5
    assert str(caught.value) == (
        f"invalid scores: scores.txt is {1024**3} bytes; the limit is {MAX_BYTES} bytes"
    )


def test_a_file_one_byte_over_the_limit_is_refused_and_one_at_it_is_read(tmp_path):
    line = "accuracy: 0.5\n"
    padding = "#" * (MAX_BYTES - len(line) - 1) + "\n"
    write(tmp_path, "scores.txt", padding + line)
    assert parse_scores(tmp_path) == {"accuracy": 0.5}
    write(tmp_path, "scores.txt", padding + line + " ")
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        f"invalid scores: scores.txt is {MAX_BYTES + 1} bytes; the limit is {MAX_BYTES} bytes"
    )


def test_it_refuses_text_that_is_not_utf8(tmp_path):
    write(tmp_path, "scores.txt", b"accuracy: 0.5\n\xff\xfe: 1\n")
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert (
        str(caught.value) == "invalid scores: scores.txt is not UTF-8 text (bad byte at offset 14)"
    )


# --- refusals of what the file is, not what it says ---------------------------------------


def test_a_scores_json_linked_to_a_host_file_is_refused_without_being_read(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('{"accuracy": 1.0}')
    output = tmp_path / "output"
    output.mkdir()
    (output / "scores.json").symlink_to(secret)
    with pytest.raises(ScoresError) as caught:
        parse_scores(output)
    assert str(caught.value) == (
        "invalid scores: scores.json is a symbolic link; only a regular file is read"
    )


def test_a_scores_txt_linked_to_proc_self_environ_is_refused(tmp_path):
    (tmp_path / "scores.txt").symlink_to("/proc/self/environ")
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        "invalid scores: scores.txt is a symbolic link; only a regular file is read"
    )


def test_a_refused_scores_json_does_not_fall_back_to_scores_txt(tmp_path):
    (tmp_path / "scores.json").symlink_to("/etc/hostname")
    write(tmp_path, "scores.txt", "accuracy: 0.5\n")
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        "invalid scores: scores.json is a symbolic link; only a regular file is read"
    )


def test_a_dangling_link_counts_as_a_scores_file_and_is_refused(tmp_path):
    (tmp_path / "scores.json").symlink_to(tmp_path / "nowhere")
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        "invalid scores: scores.json is a symbolic link; only a regular file is read"
    )


def test_a_fifo_named_scores_json_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "scores.json")
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        "invalid scores: scores.json is a named pipe (FIFO); only a regular file is read"
    )


def test_a_folder_named_scores_json_is_refused(tmp_path):
    (tmp_path / "scores.json").mkdir()
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        "invalid scores: scores.json is a folder; only a regular file is read"
    )


def test_a_device_named_scores_txt_is_refused(tmp_path):
    os.mknod(tmp_path / "scores.txt", 0o600 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        "invalid scores: scores.txt is a device; only a regular file is read"
    )


def test_a_socket_named_scores_json_is_refused(tmp_path):
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "scores.json"))
        with pytest.raises(ScoresError) as caught:
            parse_scores(tmp_path)
    assert str(caught.value) == (
        "invalid scores: scores.json is a socket; only a regular file is read"
    )


def test_a_hard_linked_scores_json_is_refused(tmp_path):
    other = write(tmp_path, "other.json", '{"accuracy": 1.0}')
    os.link(other, tmp_path / "scores.json")
    with pytest.raises(ScoresError) as caught:
        parse_scores(tmp_path)
    assert str(caught.value) == (
        "invalid scores: scores.json is a hard link; only a file of its own is read"
    )
