"""Score regression predictions: RMSE, MAE and the largest absolute error.

One scoring program serves every task of the competition. The reference folder of a task holds
one file, NAME.csv (columns id,target); the scorer reads the participant's file of the same
name (columns id,prediction). A participant therefore uploads one zip with a file per task, and
each task picks out its own.

Inside the sandbox the paths are fixed (/app/input/ref, /app/input/res, /app/output). Locally:

    python3 score.py REFERENCE_DIR RESULTS_DIR OUTPUT_DIR

Writes scores.json, e.g. {"rmse": 1.08, "mae": 0.93, "max_abs_error": 2.9}. Lower is better for
all three. A missing or malformed file ends the program with exit status 1 and a message on stderr.
"""

import argparse
import csv
import json
import math
import os
import sys

MAX_FILE_BYTES = 10 * 1024 * 1024


class ScoringError(Exception):
    pass


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Score regression predictions.")
    parser.add_argument("reference_dir", nargs="?", default="/app/input/ref",
                        help="folder holding the task's NAME.csv (default: /app/input/ref)")
    parser.add_argument("results_dir", nargs="?", default="/app/input/res",
                        help="folder holding the participant's NAME.csv (default: /app/input/res)")
    parser.add_argument("output_dir", nargs="?", default="/app/output",
                        help="folder to write scores.json into (default: /app/output)")
    return parser.parse_args(argv)


def visible_entries(folder):
    return sorted(e for e in os.listdir(folder) if not e.startswith(".") and e != "__MACOSX")


def reference_file(reference_dir):
    if not os.path.isdir(reference_dir):
        raise ScoringError(f"reference folder {reference_dir} does not exist")
    csv_files = [e for e in visible_entries(reference_dir) if e.endswith(".csv")]
    if len(csv_files) != 1:
        raise ScoringError(f"the reference folder must hold exactly one .csv file, found "
                           f"{len(csv_files)} (organizer: check the task's reference data)")
    return os.path.join(reference_dir, csv_files[0])


def results_file(results_dir, name):
    """Find NAME.csv at the top of the submission or inside its only folder."""
    if not os.path.isdir(results_dir):
        raise ScoringError(f"results folder {results_dir} does not exist")
    direct = os.path.join(results_dir, name)
    if os.path.isfile(direct):
        return direct
    entries = visible_entries(results_dir)
    if len(entries) == 1 and os.path.isfile(os.path.join(results_dir, entries[0], name)):
        return os.path.join(results_dir, entries[0], name)
    found = ", ".join(entries) or "nothing"
    raise ScoringError(f"{name} not found in the submission (it holds: {found}); "
                       f"this task needs {name} at the top level of your zip")


def read_numbers(path, value_column):
    """Read an id,<value_column> CSV into {id: float}, refusing anything ambiguous."""
    name = os.path.basename(path)
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise ScoringError(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise ScoringError(f"{name} is not a readable UTF-8 CSV file: {error}") from None
    expected_header = ["id", value_column]
    if not rows or [cell.strip().lower() for cell in rows[0]] != expected_header:
        raise ScoringError(f"{name} must start with the header line '{','.join(expected_header)}'")
    values = {}
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise ScoringError(f"{name} line {line_number}: expected 2 values, found {len(row)}")
        row_id = row[0].strip()
        try:
            value = float(row[1])
        except ValueError:
            raise ScoringError(f"{name} line {line_number}: {row[1]!r} is not a number") from None
        if not math.isfinite(value):
            raise ScoringError(f"{name} line {line_number}: {row[1].strip()} is not a finite number")
        if row_id in values:
            raise ScoringError(f"{name} line {line_number}: id {row_id!r} appears twice")
        values[row_id] = value
    return values


def score(targets, predictions, name):
    if not targets:
        raise ScoringError(f"reference {name} has no rows (organizer: check the reference data)")
    missing = [row_id for row_id in targets if row_id not in predictions]
    if missing:
        raise ScoringError(f"{name} has no prediction for {len(missing)} of {len(targets)} ids "
                           f"(first: {missing[0]})")
    errors = [predictions[row_id] - target for row_id, target in targets.items()]
    return {
        "rmse": math.sqrt(sum(error * error for error in errors) / len(errors)),
        "mae": sum(abs(error) for error in errors) / len(errors),
        "max_abs_error": max(abs(error) for error in errors),
    }


def main(argv=None):
    args = parse_args(argv)
    try:
        reference_path = reference_file(args.reference_dir)
        name = os.path.basename(reference_path)
        targets = read_numbers(reference_path, "target")
        predictions = read_numbers(results_file(args.results_dir, name), "prediction")
        scores = score(targets, predictions, name)
    except ScoringError as error:
        print(f"Scoring failed: {error}", file=sys.stderr)
        return 1
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "scores.json"), "w", encoding="utf-8") as handle:
        json.dump(scores, handle)
    print(f"{name}: {json.dumps(scores)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
