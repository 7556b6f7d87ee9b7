"""Score iris species predictions: accuracy and macro-averaged F1.

Inside the sandbox the paths are fixed (reference labels in /app/input/ref, the participant's
results in /app/input/res, scores go to /app/output). To run it on your own machine, pass the
three folders instead:

    python3 score.py REFERENCE_DIR RESULTS_DIR OUTPUT_DIR

Writes scores.json ({"accuracy": ..., "f1": ...}) and detailed_results.html. Any problem with the
participant's file ends the program with exit status 1 and a message on stderr that says what to fix.
"""

import argparse
import csv
import html
import json
import os
import sys

PREDICTIONS_FILE = "predictions.csv"
REFERENCE_FILE = "reference.csv"
ID_COLUMN = "id"
LABEL_COLUMN = "species"
# A predictions file for 30 rows is about 1 KB; anything this large is not a predictions file.
MAX_FILE_BYTES = 10 * 1024 * 1024


class ScoringError(Exception):
    """A problem the participant (or the organizer, for reference data) can fix."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Score iris species predictions.")
    parser.add_argument("reference_dir", nargs="?", default="/app/input/ref",
                        help="folder holding reference.csv (default: /app/input/ref)")
    parser.add_argument("results_dir", nargs="?", default="/app/input/res",
                        help="folder holding predictions.csv (default: /app/input/res)")
    parser.add_argument("output_dir", nargs="?", default="/app/output",
                        help="folder to write scores.json into (default: /app/output)")
    return parser.parse_args(argv)


def find_file(folder, name):
    """Return the path of `name` in `folder`, or in its only subfolder.

    Participants often zip the folder rather than its content, which wraps the file in one
    extra folder; accepting that saves them a failed submission.
    """
    if not os.path.isdir(folder):
        raise ScoringError(f"folder {folder} does not exist")
    direct = os.path.join(folder, name)
    if os.path.isfile(direct):
        return direct
    entries = [e for e in os.listdir(folder) if not e.startswith(".") and e != "__MACOSX"]
    if len(entries) == 1 and os.path.isdir(os.path.join(folder, entries[0])):
        nested = os.path.join(folder, entries[0], name)
        if os.path.isfile(nested):
            return nested
    found = ", ".join(sorted(entries)) or "nothing"
    raise ScoringError(f"{name} not found in the submission (it holds: {found}); "
                       f"put {name} at the top level of your zip")


def read_labels(path):
    """Read an id,species CSV into a dict, refusing anything ambiguous."""
    what = os.path.basename(path)
    if os.path.getsize(path) > MAX_FILE_BYTES:
        raise ScoringError(f"{what} is larger than "
                           f"{MAX_FILE_BYTES // (1024 * 1024)} MB")
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except UnicodeDecodeError:
        raise ScoringError(f"{what} is not UTF-8 text") from None
    except csv.Error as error:
        raise ScoringError(f"{what} is not valid CSV: {error}") from None
    if not rows:
        raise ScoringError(f"{what} is empty")
    header = [cell.strip().lower() for cell in rows[0]]
    if ID_COLUMN not in header or LABEL_COLUMN not in header:
        raise ScoringError(f"{what} must start with the header line "
                           f"'{ID_COLUMN},{LABEL_COLUMN}' (found: {','.join(rows[0])})")
    id_at, label_at = header.index(ID_COLUMN), header.index(LABEL_COLUMN)
    labels = {}
    for line_number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ScoringError(f"{what} line {line_number}: expected {len(header)} values, "
                               f"found {len(row)}")
        row_id, label = row[id_at].strip(), row[label_at].strip()
        if not row_id or not label:
            raise ScoringError(f"{what} line {line_number}: empty {ID_COLUMN} or {LABEL_COLUMN}")
        if row_id in labels:
            raise ScoringError(f"{what} line {line_number}: id {row_id!r} appears twice")
        labels[row_id] = label
    return labels


def align(reference, predictions):
    """Pair each reference label with its prediction; every reference id needs one."""
    missing = [row_id for row_id in reference if row_id not in predictions]
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        raise ScoringError(f"predictions are missing for {len(missing)} of {len(reference)} "
                           f"ids: {shown}")
    # Ids that are not in this reference are ignored on purpose: one predictions file covers the
    # whole test set, and each phase scores its own part of it.
    return [(reference[row_id], predictions[row_id]) for row_id in reference]


def confusion(pairs):
    classes = sorted({truth for truth, _ in pairs} | {guess for _, guess in pairs})
    counts = {(truth, guess): 0 for truth in classes for guess in classes}
    for truth, guess in pairs:
        counts[(truth, guess)] += 1
    return classes, counts


def per_class(classes, counts):
    """Precision, recall and F1 for each class (0 where a ratio is undefined, as scikit-learn does)."""
    stats = {}
    for label in classes:
        true_positive = counts[(label, label)]
        predicted = sum(counts[(other, label)] for other in classes)
        actual = sum(counts[(label, other)] for other in classes)
        precision = true_positive / predicted if predicted else 0.0
        recall = true_positive / actual if actual else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        stats[label] = {"precision": precision, "recall": recall, "f1": f1, "support": actual}
    return stats


def score(pairs):
    classes, counts = confusion(pairs)
    stats = per_class(classes, counts)
    accuracy = sum(truth == guess for truth, guess in pairs) / len(pairs)
    # Macro F1 averages over every class seen in the reference or in the predictions, so
    # inventing a label costs a point instead of going unnoticed.
    macro_f1 = sum(s["f1"] for s in stats.values()) / len(stats)
    return {"accuracy": accuracy, "f1": macro_f1}, classes, counts, stats


def detailed_html(scores, classes, counts, stats, pair_count):
    escape = html.escape
    head = "".join(f"<th>{escape(label)}</th>" for label in classes)
    matrix_rows = "".join(
        f"<tr><th>{escape(truth)}</th>"
        + "".join(f"<td>{counts[(truth, guess)]}</td>" for guess in classes)
        + "</tr>"
        for truth in classes
    )
    class_rows = "".join(
        f"<tr><th>{escape(label)}</th><td>{s['precision']:.3f}</td><td>{s['recall']:.3f}</td>"
        f"<td>{s['f1']:.3f}</td><td>{s['support']}</td></tr>"
        for label, s in stats.items()
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Detailed results</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #bbb; padding: 0.3em 0.7em; text-align: right; }}
caption {{ text-align: left; font-weight: bold; margin-bottom: 0.3em; }}
</style></head>
<body>
<h1>Detailed results</h1>
<p>{pair_count} flowers scored. Accuracy <strong>{scores['accuracy']:.4f}</strong>,
macro F1 <strong>{scores['f1']:.4f}</strong>.</p>
<table>
<caption>Confusion matrix (rows: true species, columns: predicted species)</caption>
<tr><th></th>{head}</tr>
{matrix_rows}
</table>
<table>
<caption>Per-class scores</caption>
<tr><th>species</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>
{class_rows}
</table>
</body>
</html>
"""


def main(argv=None):
    args = parse_args(argv)
    try:
        reference = read_labels(find_file(args.reference_dir, REFERENCE_FILE))
        if not reference:
            raise ScoringError("reference.csv has no rows (organizer: check the reference data)")
        predictions = read_labels(find_file(args.results_dir, PREDICTIONS_FILE))
        pairs = align(reference, predictions)
    except ScoringError as error:
        print(f"Scoring failed: {error}", file=sys.stderr)
        return 1
    scores, classes, counts, stats = score(pairs)
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "scores.json"), "w", encoding="utf-8") as handle:
        json.dump(scores, handle)
    with open(os.path.join(args.output_dir, "detailed_results.html"), "w",
              encoding="utf-8") as handle:
        handle.write(detailed_html(scores, classes, counts, stats, len(pairs)))
    print(f"Scored {len(pairs)} predictions: accuracy={scores['accuracy']:.4f} "
          f"f1={scores['f1']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
