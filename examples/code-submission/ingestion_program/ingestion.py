"""Train the participant's model and write its predictions for the test set.

The participant submits `model.py` defining `class Model` with `fit(X, y)` and `predict(X)`.
This program imports it, trains it on train.csv, asks it to predict test.csv, and writes
predictions.csv for the scoring program.

Inside the sandbox the paths are fixed. To run it on your own machine, pass them instead:

    python3 ingestion.py INPUT_DATA_DIR OUTPUT_DIR SUBMISSION_DIR

Problems with the participant's code end the program with exit status 1 and a message on stderr.
"""

import argparse
import csv
import importlib.util
import os
import sys
import traceback

FEATURES = ["firmness", "sugar", "colour"]
LABEL = "label"


class IngestionError(Exception):
    """A problem with the submission, explained so the participant can fix it."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Train and run a participant's model.py.")
    parser.add_argument("input_data_dir", nargs="?", default="/app/input_data",
                        help="folder with train.csv and test.csv (default: /app/input_data)")
    parser.add_argument("output_dir", nargs="?", default="/app/output",
                        help="folder to write predictions.csv into (default: /app/output)")
    parser.add_argument("submission_dir", nargs="?", default="/app/ingested_program",
                        help="folder holding the participant's model.py "
                             "(default: /app/ingested_program)")
    return parser.parse_args(argv)


def read_table(path, with_label):
    """Return (ids, X, y) from one of the organizer's CSV files."""
    ids, features, labels = [], [], []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ids.append(row["id"])
            features.append([float(row[name]) for name in FEATURES])
            if with_label:
                labels.append(row[LABEL])
    return ids, features, labels


def find_model_file(submission_dir):
    """Locate model.py at the top of the submission or inside its only folder.

    Zipping the folder instead of its content wraps everything in one extra folder; that is the
    most common mistake, and accepting it costs nothing.
    """
    direct = os.path.join(submission_dir, "model.py")
    if os.path.isfile(direct):
        return direct
    entries = [e for e in os.listdir(submission_dir)
               if not e.startswith(".") and e != "__MACOSX"] if os.path.isdir(submission_dir) else []
    if len(entries) == 1 and os.path.isfile(os.path.join(submission_dir, entries[0], "model.py")):
        return os.path.join(submission_dir, entries[0], "model.py")
    found = ", ".join(sorted(entries)) or "nothing"
    raise IngestionError(f"model.py not found in the submission (it holds: {found}); "
                         "put model.py at the top level of your zip")


def load_model_class(model_path):
    # The submission's folder goes first on sys.path so model.py can import its own helpers.
    sys.path.insert(0, os.path.dirname(model_path))
    # Leave the submission folder as it came: no __pycache__ written into it (it may be
    # read-only in the sandbox, and locally it is the folder that gets zipped).
    sys.dont_write_bytecode = True
    spec = importlib.util.spec_from_file_location("model", model_path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:
        traceback.print_exc()
        raise IngestionError("importing model.py failed (traceback above)") from None
    model_class = getattr(module, "Model", None)
    if not isinstance(model_class, type):
        raise IngestionError("model.py must define a class named Model")
    return model_class


def call(what, function, *args):
    """Run one call into participant code, turning any exception into a clear failure."""
    try:
        return function(*args)
    except Exception:
        traceback.print_exc()
        raise IngestionError(f"{what} raised an exception (traceback above)") from None


def check_predictions(predictions, expected_count):
    try:
        labels = [str(value).strip() for value in predictions]
    except TypeError:
        raise IngestionError("Model.predict must return a list of labels, "
                             f"got {type(predictions).__name__}") from None
    if len(labels) != expected_count:
        raise IngestionError(f"Model.predict returned {len(labels)} labels for "
                             f"{expected_count} test rows")
    empty = [index for index, label in enumerate(labels) if not label]
    if empty:
        raise IngestionError(f"Model.predict returned an empty label at position {empty[0]}")
    return labels


def run(args):
    train_ids, X_train, y_train = read_table(os.path.join(args.input_data_dir, "train.csv"), True)
    test_ids, X_test, _ = read_table(os.path.join(args.input_data_dir, "test.csv"), False)
    model_class = load_model_class(find_model_file(args.submission_dir))
    model = call("Model()", model_class)
    print(f"Training on {len(train_ids)} rows")
    call("Model.fit", model.fit, X_train, y_train)
    print(f"Predicting {len(test_ids)} rows")
    labels = check_predictions(call("Model.predict", model.predict, X_test), len(test_ids))
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "predictions.csv"), "w", newline="",
              encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", LABEL])
        writer.writerows(zip(test_ids, labels))
    print("Wrote predictions.csv")


def main(argv=None):
    try:
        run(parse_args(argv))
    except IngestionError as error:
        print(f"Ingestion failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
