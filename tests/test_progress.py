"""meadow.progress: the default bar, a bar with its own columns and fields, the off switch."""

from __future__ import annotations

import io

from rich.console import Console

from meadow.progress import ProgressBars, field_column, step_columns


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, width=120, force_terminal=False), out


def test_the_default_bar_counts_rows() -> None:
    console, out = _console()
    with ProgressBars(enabled=True, console=console) as bars:
        task = bars.add("toy", total=3)
        bars.advance(task, 3)
    line = out.getvalue().strip().splitlines()[-1]
    assert line.startswith("toy") and "3/3 rows" in line and "rows/s" in line


def test_fields_shown_beside_the_bar_change_while_it_runs() -> None:
    console, out = _console()
    columns = step_columns(field_column("loss {task.fields[loss]}"))
    bars = ProgressBars(enabled=True, console=console, columns=columns)
    bars.start()
    task = bars.add("training", total=4, completed=1, loss="–")
    bars.update(task, completed=4, loss="0.5000")
    bars.print("a line above the bar")
    bars.stop()
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == "a line above the bar"
    assert lines[-1].startswith("training") and "4/4" in lines[-1]
    assert "loss 0.5000" in lines[-1] and "ETA" in lines[-1]


def test_disabled_bars_do_nothing(monkeypatch) -> None:
    monkeypatch.setenv("MEADOW_DISABLE_PROGRESS_BARS", "1")
    console, out = _console()
    with ProgressBars(console=console) as bars:
        task = bars.add("toy", total=1, loss="–")
        assert task is None
        bars.update(task, completed=1, loss="1")
        bars.print("nothing")
    assert out.getvalue() == ""
