"""Score fruit ripeness predictions: accuracy and balanced accuracy.

Inside the sandbox the paths are fixed: reference labels in /app/input/ref, the ingestion
program's predictions in /app/input/res, scores to /app/output. Locally, pass them:

    python3 score.py REFERENCE_DIR RESULTS_DIR OUTPUT_DIR

Writes scores.json, e.g. {"accuracy": 0.88, "balanced_accuracy": 0.87}. A missing or malformed
predictions file ends the program with exit status 1 and a message on stderr.
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
    parser = argparse.ArgumentParser(description="Score fruit ripeness predictions.")
    parser.add_argument("reference_dir", nargs="?", default="/app/input/ref",
                        help="folder holding labels.csv (default: /app/input/ref)")
    parser.add_argument("results_dir", nargs="?", default="/app/input/res",
                        help="folder holding predictions.csv (default: /app/input/res)")
    parser.add_argument("output_dir", nargs="?", default="/app/output",
                        help="folder to write scores.json into (default: /app/output)")
    return parser.parse_args(argv)


def read_labels(path):
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
    if not rows or [cell.strip() for cell in rows[0]] != ["id", "label"]:
        raise ScoringError(f"{name} must start with the header line 'id,label'")
    labels = {}
    for line_number, row in enumerate(rows[1:], start=2):
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            raise ScoringError(f"{name} line {line_number}: expected 'id,label', got {row!r}")
        row_id = row[0].strip()
        if row_id in labels:
            raise ScoringError(f"{name} line {line_number}: id {row_id!r} appears twice")
        labels[row_id] = row[1].strip()
    return labels


def score(reference, predictions):
    if not reference:
        raise ScoringError("labels.csv has no rows (organizer: check the reference data)")
    missing = [row_id for row_id in reference if row_id not in predictions]
    if missing:
        raise ScoringError(f"no prediction for {len(missing)} of {len(reference)} test rows "
                           f"(first: {missing[0]})")
    pairs = [(reference[row_id], predictions[row_id]) for row_id in reference]
    accuracy = sum(truth == guess for truth, guess in pairs) / len(pairs)
    # Balanced accuracy is the mean recall over the true classes: a model that always answers
    # the majority class gets 0.5 here however unbalanced the test set is.
    recalls = []
    for label in sorted(set(reference.values())):
        rows = [guess for truth, guess in pairs if truth == label]
        recalls.append(sum(guess == label for guess in rows) / len(rows))
    return {"accuracy": accuracy, "balanced_accuracy": sum(recalls) / len(recalls)}


def main(argv=None):
    args = parse_args(argv)
    try:
        reference = read_labels(os.path.join(args.reference_dir, "labels.csv"))
        predictions = read_labels(os.path.join(args.results_dir, "predictions.csv"))
        scores = score(reference, predictions)
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
