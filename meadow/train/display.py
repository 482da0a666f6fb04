"""What a training run shows while it runs: a bar with steps, loss, tokens/s and ETA.

It is a `meadow.progress.ProgressBars` bar with its own columns, so it follows meadow's
one off switch (`MEADOW_DISABLE_PROGRESS_BARS=1`), and measures this run's tokens/s,
which the run reports.
"""

from __future__ import annotations

import time
from typing import Any

from transformers import TrainerCallback

from meadow.progress import ProgressBars, field_column, progress_bars_disabled, step_columns


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
        self._bars: ProgressBars | None = None
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
        columns = step_columns(
            field_column("loss {task.fields[loss]}"),
            field_column("{task.fields[rate]} tok/s", style="cyan"),
        )
        self._bars = ProgressBars(enabled=True, columns=columns)
        self._bars.start()
        self._task = self._bars.add(
            "training", total=state.max_steps, completed=state.global_step, loss="–", rate="–"
        )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._bars is None:
            return
        elapsed = self.elapsed()
        rate = f"{self.tokens(state) / elapsed:,.0f}" if elapsed > 0 else "–"
        self._bars.update(self._task, completed=state.global_step, loss=self._loss, rate=rate)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any
    ) -> None:
        logs = logs or {}
        if "loss" in logs:
            self._loss = f"{logs['loss']:.4f}"
            if self._bars is not None:
                self._bars.update(self._task, loss=self._loss)
        if self._bars is not None and "eval_loss" in logs:
            self._bars.print(f"step {state.global_step}: validation loss {logs['eval_loss']:.4f}")

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._bars is not None:
            self._bars.stop()
            self._bars = None


def progress_display() -> ProgressDisplay:
    """The display, silent when progress bars are disabled."""
    return ProgressDisplay(enabled=not progress_bars_disabled())


__all__ = ["ProgressDisplay", "progress_display"]
