"""Let the participant's model play the forecasting game against the scoring program.

The participant submits `model.py` defining `class Model` with `fit(history)`, `predict()` and
`update(value)`. This program runs at the same time as the scoring program (the task sets
`ingestion_only_during_scoring: true`), each in a sandbox of its own: it never sees the
reference data, and the two talk only through the shared folder. It:

1. imports model.py, creates Model() and calls fit(history) with the public history;
2. waits for question-NNNN.json from the scoring program; when the question reveals the true
   value of the previous day, calls update(value);
3. calls predict() and writes answer-NNNN.json ({"round": N, "forecast": NUMBER}) under a
   temporary name, renamed into place so the scorer never reads half a file;
4. repeats until the scoring program writes done.json: {"status": "over"} ends the game (exit
   status 0, the forecasts saved to predictions.csv), {"status": "aborted"} ends it with the
   scorer's reason (exit status 1).

When the participant's code fails, this program writes ingestion_failed.json with the reason,
so the scorer stops at once instead of waiting for an answer that will never come.

Inside the sandbox the paths are fixed. To run it on your own machine, pass them instead (and
start the scoring program at the same time, with the same shared folder):

    python3 ingestion.py INPUT_DATA_DIR OUTPUT_DIR SUBMISSION_DIR SHARED_DIR [--timeout SECONDS]

Problems end the program with exit status 1 and a message on stderr.
"""

import argparse
import contextlib
import csv
import importlib.util
import json
import math
import os
import sys
import time
import traceback

HISTORY_FILE = "history.csv"
DONE_FILE = "done.json"
INGESTION_FAILED_FILE = "ingestion_failed.json"


class IngestionError(Exception):
    """A problem with the submission (or the game), explained so it can be fixed."""


class GameAborted(Exception):
    """The scoring program ended the game early; its reason is the message."""


def parse_args(argv):
    parser = argparse.ArgumentParser(description="Play a participant's model.py, round by round.")
    parser.add_argument(
        "input_data_dir",
        nargs="?",
        default="/app/input_data",
        help="folder with history.csv (default: /app/input_data)",
    )
    parser.add_argument(
        "output_dir",
        nargs="?",
        default="/app/output",
        help="folder to write predictions.csv into (default: /app/output)",
    )
    parser.add_argument(
        "submission_dir",
        nargs="?",
        default="/app/ingested_program",
        help="folder holding the participant's model.py (default: /app/ingested_program)",
    )
    parser.add_argument(
        "shared_dir",
        nargs="?",
        default="/app/shared",
        help="folder shared with the scoring program (default: /app/shared)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        help="seconds to wait for each question from the scoring program (default: 30)",
    )
    return parser.parse_args(argv)


def read_history(path):
    """The public history: one value per day, oldest first."""
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            return [float(row["loaves"]) for row in csv.DictReader(handle)]
    except (OSError, KeyError, TypeError, ValueError) as error:
        raise IngestionError(
            f"cannot read {HISTORY_FILE}: {error} (organizer: check the input data)"
        ) from None


def find_model_file(submission_dir):
    """Locate model.py at the top of the submission or inside its only folder.

    Zipping the folder instead of its content wraps everything in one extra folder; that is the
    most common mistake, and accepting it costs nothing.
    """
    direct = os.path.join(submission_dir, "model.py")
    if os.path.isfile(direct):
        return direct
    entries = (
        [e for e in os.listdir(submission_dir) if not e.startswith(".") and e != "__MACOSX"]
        if os.path.isdir(submission_dir)
        else []
    )
    if len(entries) == 1 and os.path.isfile(os.path.join(submission_dir, entries[0], "model.py")):
        return os.path.join(submission_dir, entries[0], "model.py")
    found = ", ".join(sorted(entries)) or "nothing"
    raise IngestionError(
        f"model.py not found in the submission (it holds: {found}); "
        "put model.py at the top level of your zip"
    )


def load_model_class(model_path):
    # The submission's folder goes first on sys.path so model.py can import its own helpers.
    sys.path.insert(0, os.path.dirname(model_path))
    # Leave the submission folder as it came: no __pycache__ written into it (it is read-only in
    # the sandbox, and locally it is the folder that gets zipped).
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
    for method in ("fit", "predict", "update"):
        if not callable(getattr(model_class, method, None)):
            raise IngestionError(f"Model must have a method {method}()")
    return model_class


def call(what, function, *args):
    """Run one call into participant code, turning any exception into a clear failure."""
    try:
        return function(*args)
    except (Exception, SystemExit):
        traceback.print_exc()
        raise IngestionError(f"{what} raised an exception (traceback above)") from None


def check_forecast(forecast, round_number):
    if isinstance(forecast, bool) or not isinstance(forecast, (int, float)):
        raise IngestionError(
            f"Model.predict must return a number, got {type(forecast).__name__} "
            f"in round {round_number}"
        )
    forecast = float(forecast)
    if not math.isfinite(forecast):
        raise IngestionError(f"Model.predict returned {forecast} in round {round_number}")
    return forecast


def write_atomically(folder, name, document):
    """Write `document` as JSON under a temporary name, then rename it into place."""
    temporary = os.path.join(folder, f".{name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    os.rename(temporary, os.path.join(folder, name))


def read_json(path):
    """The JSON document at `path`, or None while it does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise IngestionError(f"cannot read {os.path.basename(path)}: {error}") from None


def wait_for_question(shared_dir, round_number, timeout):
    """The scoring program's question for `round_number`, or None when the game is over."""
    path = os.path.join(shared_dir, f"question-{round_number:04d}.json")
    deadline = time.monotonic() + timeout
    pause = 0.0005
    while True:
        question = read_json(path)
        if question is not None:
            revealed = question.get("revealed") if isinstance(question, dict) else None
            if (
                not isinstance(question, dict)
                or question.get("round") != round_number
                or not (revealed is None or (isinstance(revealed, dict) and "value" in revealed))
            ):
                raise IngestionError(
                    f"question {round_number} from the scoring program is malformed "
                    "(organizer: check the scoring program)"
                )
            return question
        done = read_json(os.path.join(shared_dir, DONE_FILE))
        if done is not None:
            if isinstance(done, dict) and done.get("status") == "over":
                return None
            reason = done.get("reason") if isinstance(done, dict) else None
            raise GameAborted(reason or "no reason given")
        if time.monotonic() >= deadline:
            raise IngestionError(
                f"no question for round {round_number} from the scoring program within "
                f"{timeout:g} seconds; it stopped answering"
            )
        time.sleep(pause)
        pause = min(pause * 2, 0.02)


def play(model, shared_dir, timeout):
    """Answer every question; return the list of (day, forecast)."""
    forecasts = []
    round_number = 1
    while True:
        question = wait_for_question(shared_dir, round_number, timeout)
        if question is None:
            return forecasts
        revealed = question.get("revealed")
        if revealed is not None:
            call("Model.update", model.update, revealed["value"])
        forecast = check_forecast(call("Model.predict", model.predict), round_number)
        write_atomically(
            shared_dir,
            f"answer-{round_number:04d}.json",
            {"round": round_number, "forecast": forecast},
        )
        forecasts.append((question.get("day"), forecast))
        round_number += 1


def run(args):
    os.makedirs(args.shared_dir, exist_ok=True)
    history = read_history(os.path.join(args.input_data_dir, HISTORY_FILE))
    model_class = load_model_class(find_model_file(args.submission_dir))
    model = call("Model()", model_class)
    print(f"Training on {len(history)} days of history")
    call("Model.fit", model.fit, list(history))
    forecasts = play(model, args.shared_dir, args.timeout)
    os.makedirs(args.output_dir, exist_ok=True)
    with open(
        os.path.join(args.output_dir, "predictions.csv"), "w", newline="", encoding="utf-8"
    ) as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["day", "forecast"])
        writer.writerows(forecasts)
    print(f"Game over after {len(forecasts)} rounds; wrote predictions.csv")


def main(argv=None):
    args = parse_args(argv)
    try:
        run(args)
    except GameAborted as reason:
        print(f"Ingestion stopped: the scoring program ended the game: {reason}", file=sys.stderr)
        return 1
    except IngestionError as error:
        # Tell the scorer, so it stops now rather than at its timeout. If even that fails, it
        # times out on its own.
        with contextlib.suppress(OSError):
            write_atomically(args.shared_dir, INGESTION_FAILED_FILE, {"reason": str(error)})
        print(f"Ingestion failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
