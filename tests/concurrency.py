"""Races for the concurrency tests: calls released together, each on its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection


def race(
    calls: Sequence[Callable[[], object]],
    *,
    refused: type[Exception] | tuple[type[Exception], ...],
    done: str = "done",
    describe: Callable[[Any], str] = str,
) -> list[str]:
    """Runs every call in a thread of its own, all released at once by a barrier, and
    answers what each came to, sorted: `done`, or `describe(exc)` for a refusal. Each thread
    uses (and closes) a database connection of its own, as parallel requests do."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
            outcome = done
        except refused as exc:
            outcome = describe(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)
