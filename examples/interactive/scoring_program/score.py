"""Play the forecasting game with the ingestion program and score the forecasts: MAE and RMSE.

This scoring program runs at the same time as the ingestion program (the task sets
`ingestion_only_during_scoring: true`), in a sandbox of its own. The two talk only through the
shared folder, in rounds:

1. this program writes question-NNNN.json: the round, the day to forecast, and the true value
   of the previous day (revealed only now);
2. the ingestion program asks the participant's model and writes answer-NNNN.json;
3. this program checks the answer, keeps the forecast, and writes the next question.

After the last round it writes done.json ({"status": "over"}); if anything goes wrong it writes
done.json with {"status": "aborted", "reason": ...} so the ingestion program stops too. Every
file is written under a temporary name and renamed, so the other side never reads half a file.
The reference data never leaves this process: the participant's code only ever sees values of
days it has already forecast.

Inside the sandbox the paths are fixed: reference data in /app/input/ref, the shared folder
/app/shared, scores to /app/output. To run it on your own machine, pass them instead (and start
the ingestion program at the same time, with the same shared folder):

    python3 score.py REFERENCE_DIR SHARED_DIR OUTPUT_DIR [--timeout SECONDS]

Writes scores.json ({"mae": ..., "rmse": ...}) and detailed_results.html. A missing or malformed
answer, or no answer within the timeout, ends the program with exit status 1 and a message on
stderr.
"""

import argparse
import contextlib
import csv
import errno
import json
import math
import os
import stat
import sys
import time

REFERENCE_FILE = "future.csv"
DONE_FILE = "done.json"
INGESTION_FAILED_FILE = "ingestion_failed.json"
# An answer is a few dozen bytes; anything this large is not an answer.
MAX_ANSWER_BYTES = 64 * 1024
MAX_REASON_CHARS = 2000


class ScoringError(Exception):
    """Why the game stopped, in words the participant (or the organizer) can act on."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Play the forecasting game and score it.")
    parser.add_argument(
        "reference_dir",
        nargs="?",
        default="/app/input/ref",
        help="folder holding future.csv (default: /app/input/ref)",
    )
    parser.add_argument(
        "shared_dir",
        nargs="?",
        default="/app/shared",
        help="folder shared with the ingestion program (default: /app/shared)",
    )
    parser.add_argument(
        "output_dir",
        nargs="?",
        default="/app/output",
        help="folder to write scores.json into (default: /app/output)",
    )
    parser.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to wait for each answer (default: 30)"
    )
    return parser.parse_args(argv)


def question_name(round_number):
    return f"question-{round_number:04d}.json"


def answer_name(round_number):
    return f"answer-{round_number:04d}.json"


def read_reference(path):
    """The hidden future, as a list of (day, value). Problems here are the organizer's."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except OSError as error:
        raise ScoringError(
            f"cannot read the reference data {REFERENCE_FILE}: "
            f"{error.strerror} (organizer: check the reference data)"
        ) from None
    try:
        days = [(int(row["day"]), float(row["loaves"])) for row in rows]
    except (KeyError, TypeError, ValueError):
        raise ScoringError(
            f"{REFERENCE_FILE} must have the columns day,loaves with numbers "
            "(organizer: check the reference data)"
        ) from None
    if not days:
        raise ScoringError(f"{REFERENCE_FILE} has no rows (organizer: check the reference data)")
    return days


def write_atomically(folder, name, document):
    """Write `document` as JSON under a temporary name, then rename it into place."""
    temporary = os.path.join(folder, f".{name}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(document, handle)
        os.rename(temporary, os.path.join(folder, name))
    except OSError as error:
        raise ScoringError(
            f"cannot write {name} into the shared folder: {error.strerror}"
        ) from None


def read_small_file(path, limit):
    """The bytes of `path`, or None while it does not exist.

    The ingestion side runs participant code that can write anything into the shared folder, so
    the file must be a plain file of reasonable size: not a link (it could point at the
    reference data), not a pipe (opening it would block).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise ScoringError(
                f"{os.path.basename(path)} is a symbolic link; answers must be plain files"
            ) from None
        raise ScoringError(f"cannot open {os.path.basename(path)}: {error.strerror}") from None
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ScoringError(f"{os.path.basename(path)} is not a plain file")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ScoringError(f"{os.path.basename(path)} is larger than {limit} bytes")
    return data


class NotFinite(ValueError):
    """NaN or Infinity in an answer: JSON has no such numbers, Python's reader accepts them."""


def refuse_constant(name):
    raise NotFinite(name)


def ingestion_failure(shared_dir):
    """The reason the ingestion program gave for stopping, or None while it has not."""
    try:
        data = read_small_file(os.path.join(shared_dir, INGESTION_FAILED_FILE), MAX_ANSWER_BYTES)
    except ScoringError:
        return "(its message could not be read)"
    if data is None:
        return None
    try:
        reason = str(json.loads(data.decode("utf-8")).get("reason", ""))
    except (UnicodeDecodeError, ValueError, AttributeError):
        reason = ""
    return reason[:MAX_REASON_CHARS] or "(no reason given)"


def wait_for_answer(shared_dir, round_number, timeout):
    """The raw bytes of the answer to `round_number`, waiting up to `timeout` seconds."""
    path = os.path.join(shared_dir, answer_name(round_number))
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while True:
        data = read_small_file(path, MAX_ANSWER_BYTES)
        if data is not None:
            return data
        reason = ingestion_failure(shared_dir)
        if reason is not None:
            raise ScoringError(
                f"the ingestion program stopped before answering round {round_number}: {reason}"
            )
        if time.monotonic() >= deadline:
            raise ScoringError(
                f"no answer for round {round_number} within {timeout:g} seconds; "
                "the ingestion program (or your model) stopped answering"
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def parse_answer(data, round_number):
    """The forecast in an answer file, or a ScoringError that says what is wrong with it.

    The messages never quote the file: it could hold anything.
    """
    name = answer_name(round_number)
    try:
        answer = json.loads(data.decode("utf-8"), parse_constant=refuse_constant)
    except NotFinite:
        raise ScoringError(f"{name} holds NaN or Infinity; forecasts must be finite") from None
    except (UnicodeDecodeError, ValueError):
        raise ScoringError(
            f'{name} is not valid JSON; expected {{"round": N, "forecast": NUMBER}}'
        ) from None
    if not isinstance(answer, dict):
        raise ScoringError(f"{name} must hold a JSON object, not a {type(answer).__name__}")
    if answer.get("round") != round_number or isinstance(answer.get("round"), bool):
        raise ScoringError(f'{name} must say "round": {round_number}')
    forecast = answer.get("forecast")
    if isinstance(forecast, bool) or not isinstance(forecast, (int, float)):
        raise ScoringError(f'{name}: "forecast" must be a number, got {type(forecast).__name__}')
    forecast = float(forecast)
    if not math.isfinite(forecast):
        raise ScoringError(f'{name}: "forecast" must be a finite number')
    return forecast


def check_shared_folder_is_fresh(shared_dir):
    leftovers = sorted(
        name
        for name in os.listdir(shared_dir)
        if name == DONE_FILE or name.startswith(("question-", "answer-"))
    )
    if leftovers:
        raise ScoringError(
            f"the shared folder already holds {leftovers[0]} from an earlier "
            "game; start both programs with an empty shared folder"
        )


def play(reference, shared_dir, timeout):
    """Run every round; return the list of (day, forecast, truth)."""
    check_shared_folder_is_fresh(shared_dir)
    rounds = len(reference)
    played = []
    for round_number, (day, truth) in enumerate(reference, start=1):
        revealed = None
        if played:
            previous_day, _, previous_truth = played[-1]
            revealed = {"day": previous_day, "value": previous_truth}
        write_atomically(
            shared_dir,
            question_name(round_number),
            {"round": round_number, "rounds": rounds, "day": day, "revealed": revealed},
        )
        data = wait_for_answer(shared_dir, round_number, timeout)
        played.append((day, parse_answer(data, round_number), truth))
    return played


def score(played):
    errors = [forecast - truth for _, forecast, truth in played]
    return {
        "mae": sum(abs(error) for error in errors) / len(errors),
        "rmse": math.sqrt(sum(error * error for error in errors) / len(errors)),
    }


def detailed_html(scores, played):
    rows = "".join(
        f"<tr><td>{round_number}</td><td>{day}</td><td>{forecast:.1f}</td><td>{truth:g}</td>"
        f"<td>{forecast - truth:+.1f}</td></tr>"
        for round_number, (day, forecast, truth) in enumerate(played, start=1)
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Detailed results</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #bbb; padding: 0.2em 0.7em; text-align: right; }}
</style></head>
<body>
<h1>Detailed results</h1>
<p>{len(played)} rounds played. MAE <strong>{scores["mae"]:.4f}</strong>,
RMSE <strong>{scores["rmse"]:.4f}</strong> loaves.</p>
<table>
<tr><th>round</th><th>day</th><th>forecast</th><th>actual</th><th>error</th></tr>
{rows}
</table>
<p>Error = forecast &minus; actual: positive means too many loaves were baked.</p>
</body>
</html>
"""


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.shared_dir, exist_ok=True)
    try:
        reference = read_reference(os.path.join(args.reference_dir, REFERENCE_FILE))
        played = play(reference, args.shared_dir, args.timeout)
    except ScoringError as error:
        message = str(error)
        # If even that fails, the ingestion program times out on its own.
        with contextlib.suppress(ScoringError):
            write_atomically(args.shared_dir, DONE_FILE, {"status": "aborted", "reason": message})
        print(f"Scoring failed: {message}", file=sys.stderr)
        return 1
    try:
        write_atomically(args.shared_dir, DONE_FILE, {"status": "over", "rounds": len(played)})
    except ScoringError as error:
        # Every answer is in: score anyway; the ingestion program will time out on its own.
        print(f"Warning: {error}", file=sys.stderr)
    scores = score(played)
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "scores.json"), "w", encoding="utf-8") as handle:
        json.dump(scores, handle)
    with open(
        os.path.join(args.output_dir, "detailed_results.html"), "w", encoding="utf-8"
    ) as handle:
        handle.write(detailed_html(scores, played))
    print(f"Scored {len(played)} rounds: mae={scores['mae']:.4f} rmse={scores['rmse']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
