"""One progress-bar helper for all long work, with an off switch.

Set `MEADOW_DISABLE_PROGRESS_BARS=1` (or pass `enabled=False`) to silence every bar,
as `HF_HUB_DISABLE_PROGRESS_BARS` does for huggingface_hub.

The default bar counts rows (count, rate, elapsed time); work counted in steps that shows
its own numbers beside the bar (training: loss, tokens/s, ETA) passes `step_columns(...)`
with `field_column`s and sets the fields with `add(..., loss=…)` and `update(task, loss=…)`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

_TRUE = {"1", "true", "yes", "on"}


def progress_bars_disabled() -> bool:
    return os.environ.get("MEADOW_DISABLE_PROGRESS_BARS", "").strip().lower() in _TRUE


class _RateColumn(ProgressColumn):
    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} {self.unit}/s" if speed else f"- {self.unit}/s", style="cyan")


class _CountColumn(ProgressColumn):
    def __init__(self, unit: str):
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        done = f"{int(task.completed):,}"
        total = f"/{int(task.total):,}" if task.total is not None else ""
        return Text(f"{done}{total} {self.unit}", style="green")


def field_column(template: str, style: str = "none") -> ProgressColumn:
    """A column that shows a task's own fields, e.g. `"loss {task.fields[loss]}"`; the
    fields are given to `ProgressBars.add` and changed with `ProgressBars.update`."""
    return TextColumn(template, style=style)


def step_columns(*fields: ProgressColumn, bar_width: int = 28) -> list[ProgressColumn]:
    """A layout for work counted in steps: description, bar, done/total, the `fields`
    columns, elapsed time, and "ETA" with the time left."""
    return [
        TextColumn("{task.description}"),
        BarColumn(bar_width=bar_width),
        MofNCompleteColumn(),
        *fields,
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    ]


class ProgressBars:
    """A group of bars (one per source, say); a no-op when progress bars are disabled.

    `columns` replaces the default layout (description, bar, count, rate and elapsed time
    in `unit`s), e.g. with `step_columns(...)`.
    """

    def __init__(
        self,
        unit: str = "rows",
        *,
        enabled: bool | None = None,
        console: Console | None = None,
        columns: Sequence[ProgressColumn] | None = None,
    ):
        self.enabled = (not progress_bars_disabled()) if enabled is None else enabled
        self._progress: Progress | None = None
        if self.enabled:
            if columns is None:
                columns = [
                    TextColumn("{task.description:<24}"),
                    BarColumn(bar_width=24),
                    _CountColumn(unit),
                    _RateColumn(unit),
                    TimeElapsedColumn(),
                ]
            self._progress = Progress(
                *columns,
                console=console or Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> ProgressBars:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start drawing (what `with` does; for bars that live across callbacks)."""
        if self._progress is not None:
            self._progress.start()

    def stop(self) -> None:
        """Stop drawing, leaving the bars' last state on the console."""
        if self._progress is not None:
            self._progress.stop()

    def add(
        self, description: str, total: int | None = None, *, completed: int = 0, **fields: Any
    ) -> TaskID | None:
        """A new bar; `fields` are what its `field_column`s show."""
        if self._progress is None:
            return None
        return self._progress.add_task(description, total=total, completed=completed, **fields)

    def update(self, task: TaskID | None, *, completed: int | None = None, **fields: Any) -> None:
        """Set a bar's count (when given) and its fields while it runs."""
        if self._progress is not None and task is not None:
            self._progress.update(task, completed=completed, **fields)

    def print(self, message: str) -> None:
        """A line above the bars (nothing when they are disabled)."""
        if self._progress is not None:
            self._progress.console.print(message)

    def advance(self, task: TaskID | None, n: int = 1) -> None:
        if self._progress is not None and task is not None:
            self._progress.advance(task, n)

    def finish(self, task: TaskID | None, description: str | None = None) -> None:
        if self._progress is not None and task is not None:
            state = next(t for t in self._progress.tasks if t.id == task)
            self._progress.update(
                task,
                total=state.completed,
                completed=state.completed,
                description=description or state.description,
            )


@contextmanager
def quiet_datasets() -> Iterator[None]:
    """`datasets`' own bars ("Generating train split") and notes hidden while meadow reads
    its parquet shards: meadow reports what it loaded itself. Restored afterwards."""
    from datasets.utils import logging as ds_logging

    bars, verbosity = ds_logging.is_progress_bar_enabled(), ds_logging.get_verbosity()
    ds_logging.disable_progress_bar()
    ds_logging.set_verbosity_error()
    try:
        yield
    finally:
        ds_logging.set_verbosity(verbosity)
        if bars:
            ds_logging.enable_progress_bar()
