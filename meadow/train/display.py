"""What a training run shows while it runs: a bar with steps, loss, tokens/s and ETA.

It follows meadow's one off switch (`MEADOW_DISABLE_PROGRESS_BARS=1`, read through
`meadow.progress`), and measures this run's tokens/s, which the run reports.
"""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from transformers import TrainerCallback

from meadow.progress import progress_bars_disabled


class ProgressDisplay(TrainerCallback):
    """A progress bar with loss, tokens/s and ETA on the main process.

    It also measures this run's tokens/s (a resumed run counts from where it resumed).
    Silent when progress bars are disabled (MEADOW_DISABLE_PROGRESS_BARS=1).
    """

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._start = 0.0
        self._start_tokens = 0
        self.start_step = 0
        self._progress: Any = None
        self._task: Any = None
        self._loss = "–"

    def elapsed(self) -> float:
        """Seconds since this run's training began (0 before)."""
        return time.perf_counter() - self._start if self._start else 0.0

    def tokens(self, state: Any) -> int:
        """Non-padding tokens seen in this run (not a resumed run's earlier ones)."""
        return int(state.num_input_tokens_seen) - self._start_tokens

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._start = time.perf_counter()
        self._start_tokens = int(state.num_input_tokens_seen)
        self.start_step = state.global_step
        if not (self.enabled and state.is_world_process_zero):
            return
        self._progress = Progress(
            TextColumn("training"),
            BarColumn(bar_width=28),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[rate]} tok/s", style="cyan"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._progress.start()
        self._task = self._progress.add_task(
            "training", total=state.max_steps, completed=state.global_step, loss="–", rate="–"
        )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is None:
            return
        elapsed = self.elapsed()
        rate = f"{self.tokens(state) / elapsed:,.0f}" if elapsed > 0 else "–"
        self._progress.update(self._task, completed=state.global_step, loss=self._loss, rate=rate)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any
    ) -> None:
        logs = logs or {}
        if "loss" in logs:
            self._loss = f"{logs['loss']:.4f}"
            if self._progress is not None:
                self._progress.update(self._task, loss=self._loss)
        if self._progress is not None and "eval_loss" in logs:
            self._progress.console.print(
                f"step {state.global_step}: validation loss {logs['eval_loss']:.4f}"
            )

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def progress_display() -> ProgressDisplay:
    """The display, silent when progress bars are disabled."""
    return ProgressDisplay(enabled=not progress_bars_disabled())


__all__ = ["ProgressDisplay", "progress_display"]
