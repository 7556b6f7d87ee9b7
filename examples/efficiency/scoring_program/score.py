"""Score nearest-neighbour answers: the fraction of queries answered with the true nearest point.

Inside the sandbox the paths are fixed: true answers in /app/input/ref/answers.csv, the
ingestion program's output in /app/input/res/predictions.csv, scores to /app/output. Locally:

    python3 score.py REFERENCE_DIR RESULTS_DIR OUTPUT_DIR

Writes scores.json as {"score": ...}. Run time is not scored here: the platform measures the
prediction step and fills the leaderboard's `podium:prediction.wall_time` column itself.
A missing or malformed predictions file ends the program with exit status 1 and a message on stderr.
"""

import argparse
import csv
import json
import os
import sys

MAX_FILE_BYTES = 10 * 1024 * 1024


class ScoringError(Exception):
    pass


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Score nearest-neighbour answers.")
    parser.add_argument("reference_dir", nargs="?", default="/app/input/ref",
                        help="folder holding answers.csv (default: /app/input/ref)")
    parser.add_argument("results_dir", nargs="?", default="/app/input/res",
                        help="folder holding predictions.csv (default: /app/input/res)")
    parser.add_argument("output_dir", nargs="?", default="/app/output",
                        help="folder to write scores.json into (default: /app/output)")
    return parser.parse_args(argv)


def read_answers(path):
    """Read an id,nearest CSV into {query id: point id}."""
    name = os.path.basename(path)
    if not os.path.isfile(path):
        raise ScoringError(f"{name} not found; did the ingestion step produce it?")
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise ScoringError(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as error:
        raise ScoringError(f"{name} is not a readable UTF-8 CSV file: {error}") from None
    if not rows or [cell.strip() for cell in rows[0]] != ["id", "nearest"]:
        raise ScoringError(f"{name} must start with the header line 'id,nearest'")
    answers = {}
    for line_number, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise ScoringError(f"{name} line {line_number}: expected 'id,nearest', got {row!r}")
        query_id = row[0].strip()
        if query_id in answers:
            raise ScoringError(f"{name} line {line_number}: id {query_id!r} appears twice")
        answers[query_id] = row[1].strip()
    return answers


def score(truth, answers):
    if not truth:
        raise ScoringError("answers.csv has no rows (organizer: check the reference data)")
    missing = [query_id for query_id in truth if query_id not in answers]
    if missing:
        raise ScoringError(f"no answer for {len(missing)} of {len(truth)} queries "
                           f"(first: {missing[0]})")
    correct = sum(answers[query_id] == nearest for query_id, nearest in truth.items())
    return {"score": correct / len(truth)}


def main(argv=None):
    args = parse_args(argv)
    try:
        truth = read_answers(os.path.join(args.reference_dir, "answers.csv"))
        answers = read_answers(os.path.join(args.results_dir, "predictions.csv"))
        scores = score(truth, answers)
    except ScoringError as error:
        print(f"Scoring failed: {error}", file=sys.stderr)
        return 1
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "scores.json"), "w", encoding="utf-8") as handle:
        json.dump(scores, handle)
    print(json.dumps(scores))
    return 0


if __name__ == "__main__":
    sys.exit(main())
