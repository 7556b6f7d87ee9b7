"""Run the participant's nearest-neighbour search and write its answers.

The participant submits `model.py` defining `class Model` with `fit(points)` and
`predict(queries)`: `fit` receives the reference points as a list of (x, y) tuples, and
`predict` returns, for each query point, the position in that list of the nearest point.

This program deliberately measures nothing: the platform's worker times the whole prediction
step itself and reports it under the leaderboard key `podium:prediction.wall_time`, so every
submission is timed the same way and no submission can report its own time.

Inside the sandbox the paths are fixed. To run it on your own machine, pass them instead:

    python3 ingestion.py INPUT_DATA_DIR OUTPUT_DIR SUBMISSION_DIR
"""

import argparse
import csv
import importlib.util
import os
import sys
import traceback


class IngestionError(Exception):
    """A problem with the submission, explained so the participant can fix it."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Run a participant's nearest-neighbour model.")
    parser.add_argument("input_data_dir", nargs="?", default="/app/input_data",
                        help="folder with points.csv and queries.csv (default: /app/input_data)")
    parser.add_argument("output_dir", nargs="?", default="/app/output",
                        help="folder to write predictions.csv into (default: /app/output)")
    parser.add_argument("submission_dir", nargs="?", default="/app/ingested_program",
                        help="folder holding the participant's model.py "
                             "(default: /app/ingested_program)")
    return parser.parse_args(argv)


def read_points(path):
    """Return (ids, [(x, y), ...]) from one of the organizer's CSV files."""
    ids, points = [], []
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            ids.append(row["id"])
            points.append((float(row["x"]), float(row["y"])))
    return ids, points


def find_model_file(submission_dir):
    """Locate model.py at the top of the submission or inside its only folder."""
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


def check_answers(answers, query_count, point_count):
    try:
        answers = list(answers)
    except TypeError:
        raise IngestionError("Model.predict must return a list of point positions, "
                             f"got {type(answers).__name__}") from None
    if len(answers) != query_count:
        raise IngestionError(f"Model.predict returned {len(answers)} answers for "
                             f"{query_count} queries")
    for position, answer in enumerate(answers):
        # bool is an int subclass, but True as a point position is surely a bug.
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise IngestionError(f"answer {position} is {answer!r}; Model.predict must return "
                                 "integer positions in the list of points")
        if not 0 <= answer < point_count:
            raise IngestionError(f"answer {position} is {answer}, outside 0..{point_count - 1}")
    return answers


def run(args):
    point_ids, points = read_points(os.path.join(args.input_data_dir, "points.csv"))
    query_ids, queries = read_points(os.path.join(args.input_data_dir, "queries.csv"))
    model_class = load_model_class(find_model_file(args.submission_dir))
    model = call("Model()", model_class)
    call("Model.fit", model.fit, list(points))
    answers = check_answers(call("Model.predict", model.predict, list(queries)),
                            len(queries), len(points))
    os.makedirs(args.output_dir, exist_ok=True)
    with open(os.path.join(args.output_dir, "predictions.csv"), "w", newline="",
              encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["id", "nearest"])
        writer.writerows((query_id, point_ids[answer]) for query_id, answer in zip(query_ids, answers))
    print(f"Answered {len(queries)} queries over {len(points)} points")


def main(argv=None):
    try:
        run(parse_args(argv))
    except IngestionError as error:
        print(f"Ingestion failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
