"""What a batch shows a person on standard error: a progress bar, a line per dossier in trouble, the end table.

The logic of a batch is `engine.running.batch`; this is only its terminal view,
on rich. At a terminal, a live bar with the rate and the time left; in a log
or a pipe, no bar, and the end table as aligned plain text.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from types import TracebackType
from typing import Any, Self

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from engine.running.batch import DossierResult, Tally
from engine.running.runtimes import REFERENCE_RUNTIME


def stderr_console() -> Console:
    """Standard error, with nothing of the dossiers' texts read as markup or emoji."""
    return Console(stderr=True, markup=False, emoji=False, highlight=False, soft_wrap=True)


def progress_shown(console: Console) -> bool:
    """A live bar for a person at a terminal; in a log file or a pipe it would only be noise."""
    return console.is_interactive


class _Rate(ProgressColumn):
    """Dossiers per second (rich's own speed column counts bytes)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} dossiers/s" if speed else "- dossiers/s")


def batch_progress(console: Console, **options: Any) -> Progress:
    """The bar of a batch: done of total, rate, ETA.

    It is refreshed by its caller, never by a thread of its own: the workers are forked while it
    shows, and a fork must not copy a thread that may hold standard error's lock.
    """
    columns = (TextColumn("judging"), BarColumn(), MofNCompleteColumn(), _Rate(), TextColumn("ETA"), TimeRemainingColumn())
    return Progress(*columns, console=console, auto_refresh=False, redirect_stdout=False, **options)  # stdout: decisions only


class BatchView:
    """What a batch shows on standard error: the bar, one line per dossier in trouble, the end table."""

    REFRESH = 0.1  # seconds between two renderings of the bar

    def __init__(self, console: Console, total: int):
        self.console = console
        self.progress = batch_progress(console) if progress_shown(console) else None
        self.task = self.progress.add_task("judging", total=total) if self.progress else TaskID(0)
        self.shown_at = 0.0

    def __enter__(self) -> Self:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        if self.progress is not None:
            self.progress.stop()

    def show(self, result: DossierResult) -> None:
        bug = "a bug in referee; please report it with this dossier"
        if result.invalid is not None:
            self.console.print(Text(result.invalid, style="yellow"))  # styled text, not print(style=): that would colour the bar too
        if result.internal is not None:
            self.console.print(Text(f"internal error: {result.source}: {result.internal} — {bug}", style="bold red"))
        if result.difference is not None:
            self.console.print(Text(f"DIFFERENCE: {result.source}: {result.difference} — {bug}", style="bold red"))
        if self.progress is not None:
            self.progress.advance(self.task)
            if time.monotonic() - self.shown_at >= self.REFRESH:
                self.progress.refresh()
                self.shown_at = time.monotonic()

    def end(self, tally: Tally, seconds: float, jobs: int, runtime: str) -> None:
        """The outcomes per scheme and procedure, then the counts, the time and the rate."""
        rows = [(scheme, procedure, outcome, str(count)) for (scheme, procedure, outcome), count in sorted(tally.outcomes.items())]
        if rows:
            self._table(("scheme", "procedure", "outcome", "dossiers"), rows)
        rate = tally.total / seconds if seconds > 0 else 0.0
        counts = f"{tally.decided} decided, {tally.invalid} invalid" + (f", {_count(tally.internal, 'internal error')}" if tally.internal else "")
        if tally.stored:
            counts += f", {tally.stored} decided before (in the store already, not judged again)"
        self.console.print(f"{_count(tally.total, 'dossier')} in {seconds:.1f} s ({rate:,.0f} dossiers/s, {runtime}, {_count(jobs, 'job')}): {counts}")
        if tally.checked:
            verdict = f"{tally.differences} DIFFERENT — a bug in referee" if tally.differences else "no difference"
            line = f"checked against {REFERENCE_RUNTIME}: {_count(tally.checked, 'dossier')}, {verdict}"
            self.console.print(Text(line, style="bold red" if tally.differences else ""))

    def _table(self, header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
        """A rich table at a terminal; aligned plain text in a log, where box drawing would be noise."""
        if self.console.is_terminal:
            table = Table(*header[:-1], box=box.SIMPLE_HEAD)
            table.add_column(header[-1], justify="right")
            for row in rows:
                table.add_row(*row)
            self.console.print(table)
            return
        widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]
        for row in (header, *rows):
            self.console.print("  ".join([*(cell.ljust(w) for cell, w in zip(row[:-1], widths)), row[-1].rjust(widths[-1])]))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")
