"""How `podium` shows things: results on stdout (a table, or JSON with `--json`), everything
else (progress, status, messages, errors) on stderr, so that `podium ... --json | jq` sees
JSON only. Progress bars and live status draw only on a terminal; elsewhere they are a line
or two of plain text, without control characters.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import IO, Any

from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

Cell = str | int | float | bool | None


class Output:
    def __init__(
        self, *, as_json: bool, stdout: IO[str] | None = None, stderr: IO[str] | None = None
    ) -> None:
        self.as_json = as_json
        self._stdout = stdout or sys.stdout
        self.out = Console(file=self._stdout, highlight=False, soft_wrap=True)
        if not self.out.is_terminal:
            # Piped tables keep whole lines, for grep and friends, rather than 80 columns.
            self.out.width = 160
        self.err = Console(file=stderr or sys.stderr, highlight=False, soft_wrap=True)

    @property
    def live(self) -> bool:
        """Whether stderr is a terminal that progress bars and spinners may redraw."""
        return self.err.is_terminal

    def say(self, message: str, *, style: str | None = None) -> None:
        """A message for the person at the terminal (stderr); never markup, whatever it holds."""
        self.err.print(Text(message, style=style or ""))

    def error(self, message: str) -> None:
        self.err.print(Text("error: ", style="bold red") + Text(message))

    def result(self, data: Any, show: Callable[[], None]) -> None:
        """`data` as JSON with --json, otherwise whatever `show` prints."""
        if self.as_json:
            self._stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
            self._stdout.flush()
        else:
            show()

    def table(
        self, headers: Sequence[str], rows: Iterable[Sequence[Cell]], title: str = ""
    ) -> None:
        table = Table(
            title=title or None,
            title_justify="left",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
        )
        for header in headers:
            table.add_column(header, overflow="fold")
        count = 0
        for row in rows:
            table.add_row(*(Text(shown(cell)) for cell in row))
            count += 1
        if count:
            self.out.print(table)
        else:
            self.out.print(Text(f"{title + ': ' if title else ''}none"))

    def fields(self, pairs: Iterable[tuple[str, Cell]]) -> None:
        """Label: value lines, for one object."""
        pairs = list(pairs)
        width = max((len(label) for label, _ in pairs), default=0)
        for label, value in pairs:
            self.out.print(Text(f"{label + ':':<{width + 1}}  ", style="bold") + Text(shown(value)))

    @contextmanager
    def transfer(self, label: str) -> Iterator[Callable[[int, int], None]]:
        """A progress callback for an upload or a download: a bar on a terminal, a line at
        the start and at the end elsewhere."""
        if not self.live:
            self.say(f"{label}...")
            seen = {"done": 0}

            def quiet(done: int, total: int) -> None:
                seen["done"] = done

            yield quiet
            self.say(f"{label}: {human_size(seen['done'])} done")
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.err, transient=False) as progress:
            task = progress.add_task(label, total=None)

            def update(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total or None)

            yield update

    @contextmanager
    def status(self, first: str) -> Iterator[Callable[[str], None]]:
        """Live status while waiting: a spinner line redrawn on a terminal; elsewhere one
        line per change."""
        if not self.live:
            last = {"text": ""}

            def changed(text: str) -> None:
                if text != last["text"]:
                    self.say(text)
                    last["text"] = text

            changed(first)
            yield changed
            return
        started = time.monotonic()
        with self.err.status(Text(first)) as spinner:

            def redraw(text: str) -> None:
                spinner.update(Text(f"{text} ({time.monotonic() - started:.0f} s)"))

            yield redraw


def shown(value: Cell) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def when(value: Any) -> str:
    """An ISO date and time from the API as `2026-01-31 12:00` (the API speaks UTC)."""
    return value[:16].replace("T", " ") if isinstance(value, str) else shown(value)


def human_size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    size = count / 1000
    for unit in ("KB", "MB"):
        if size < 1000:
            return f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} GB"
