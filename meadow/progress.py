"""One progress-bar helper for all long work, with an off switch.

Set `MEADOW_DISABLE_PROGRESS_BARS=1` (or pass `enabled=False`) to silence every bar,
as `HF_HUB_DISABLE_PROGRESS_BARS` does for huggingface_hub.
"""

from __future__ import annotations

import os
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
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


class ProgressBars:
    """A group of bars (one per source, say); a no-op when progress bars are disabled."""

    def __init__(
        self, unit: str = "rows", *, enabled: bool | None = None, console: Console | None = None
    ):
        self.enabled = (not progress_bars_disabled()) if enabled is None else enabled
        self._progress: Progress | None = None
        if self.enabled:
            self._progress = Progress(
                TextColumn("{task.description:<24}"),
                BarColumn(bar_width=24),
                _CountColumn(unit),
                _RateColumn(unit),
                TimeElapsedColumn(),
                console=console or Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> ProgressBars:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def add(self, description: str, total: int | None = None) -> TaskID | None:
        if self._progress is None:
            return None
        return self._progress.add_task(description, total=total)

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
