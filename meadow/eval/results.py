"""What an evaluation writes: one JSON line per item, `results.json`, and a table.

Every file is a function of the model and the items alone: keys sorted, scores rounded
(`meadow.eval.scoring.DECIMALS`), no timestamps, so the same model on the same items gives
byte-identical files. Items are scored in fixed batches (item 0 to B-1, B to 2B-1, …
whatever `--limit` or an interruption did), and the summaries are computed from the JSON
lines, so a run that was interrupted and resumed, or first limited and then completed,
writes the same files as one that ran straight through.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.table import Table

from meadow.errors import EvalError
from meadow.eval.benchmarks import get_benchmark

Z_95 = 1.959964  # the normal quantile of a two-sided 95% interval
DECIMALS = 6


def dumps(value: Any) -> str:
    """JSON as every result file writes it: sorted keys, no ASCII escaping."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, sort_keys=True, ensure_ascii=False, indent=2) + "\n")


def wilson(correct: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval of `correct` of `n` (0 to 1 when n is 0)."""
    if n == 0:
        return 0.0, 1.0
    p = correct / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return round(max(0.0, centre - half), DECIMALS), round(min(1.0, centre + half), DECIMALS)


# -- the item lines ---------------------------------------------------------------------------


class ItemLog:
    """The JSON lines of one benchmark, resumable: complete lines count, the rest is cut.

    `done` is how many lines the file holds (after checking that they are the first items
    of this run, in order); `append` writes more and flushes them.
    """

    def __init__(self, path: Path, ids: list[str]):
        self.path = path
        self.lines: list[dict[str, Any]] = _read_complete(path)
        for number, (line, expected) in enumerate(zip(self.lines, ids, strict=False), start=1):
            if line.get("id") != expected:
                raise EvalError(
                    f"{path}: line {number} is item {line.get('id')!r}, but this run's item "
                    f"{number} is {expected!r}: the file is from other items or settings; "
                    "pass a new --output or remove the file"
                )
        if len(self.lines) > len(ids):
            raise EvalError(
                f"{path} holds {len(self.lines)} items, more than the {len(ids)} of this run: "
                "it is from other items; pass a new --output or remove the file"
            )

    @property
    def done(self) -> int:
        return len(self.lines)

    def append(self, lines: Iterable[dict[str, Any]]) -> None:
        new = list(lines)
        if not new:
            return
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write("".join(dumps(line) + "\n" for line in new))
            handle.flush()
        self.lines += new


def _read_complete(path: Path) -> list[dict[str, Any]]:
    """The complete, valid lines of `path`; the file is cut after the last of them."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        return []
    data = path.read_bytes()
    lines: list[dict[str, Any]] = []
    kept = 0
    for raw in data.split(b"\n")[:-1]:  # the last piece has no newline: not complete
        try:
            line = json.loads(raw)
        except ValueError:
            break
        if not isinstance(line, dict):
            break
        lines.append(line)
        kept += len(raw) + 1
    if kept != len(data):
        with path.open("r+b") as handle:
            handle.truncate(kept)
    return lines


# -- summaries --------------------------------------------------------------------------------


def accuracy_of(lines: list[dict[str, Any]], key: str = "correct") -> dict[str, Any]:
    """Accuracy and its Wilson 95% interval over `lines`."""
    correct = sum(1 for line in lines if line[key])
    n = len(lines)
    return {
        "scored": n,
        "correct": correct,
        "accuracy": round(correct / n, DECIMALS) if n else 0.0,
        "ci95": list(wilson(correct, n)),
    }


def summarize(lines: list[dict[str, Any]], mode: str, *, grouped: bool = False) -> dict[str, Any]:
    """A benchmark's (or a group's) numbers from its item lines."""
    summary = accuracy_of(lines)
    if mode == "loglik":
        summary["accuracy_sum"] = accuracy_of(lines, "correct_sum")["accuracy"]
    else:
        summary["unparsed"] = sum(1 for line in lines if line["prediction"] is None)
    if grouped:
        groups: dict[str, list[dict[str, Any]]] = {}
        for line in lines:
            groups.setdefault(line["group"], []).append(line)
        summary["groups"] = {
            name: summarize(members, mode) for name, members in sorted(groups.items())
        }
    return summary


def results_table(results: dict[str, Any]) -> Table:
    """One row per benchmark (and per USMLE step, MMLU subject): accuracy, 95% interval,
    items scored and excluded; the reasons for exclusion in the caption."""
    generate = results["mode"] == "generate"
    table = Table(title=f"meadow eval ({_mode_title(results['mode'])})", title_justify="left")
    for column in ("benchmark", "accuracy", "95% interval", "scored", "excluded"):
        table.add_column(column, justify="left" if column == "benchmark" else "right")
    if generate:
        table.add_column("unparsed", justify="right")
    reasons = []
    for name, bench in results["benchmarks"].items():
        label = get_benchmark(name).group_label
        rows = [(name, bench, f"{sum(bench['excluded'].values()):,}")]
        rows += [
            (f"  {label(key)}", numbers, "") for key, numbers in bench.get("groups", {}).items()
        ]
        for title, numbers, excluded in rows:
            low, high = numbers["ci95"]
            cells = [
                title,
                f"{numbers['accuracy']:.1%}",
                f"{low:.1%} – {high:.1%}",
                f"{numbers['scored']:,}",
                excluded,
            ]
            if generate:
                cells.append(f"{numbers['unparsed']:,}")
            table.add_row(*cells)
        if bench["excluded"]:
            counts = ", ".join(f"{reason} {n:,}" for reason, n in bench["excluded"].items())
            reasons.append(f"{name}: {counts}")
    if reasons:
        table.caption = "excluded: " + "; ".join(reasons)
        table.caption_justify = "left"
    return table


def _mode_title(mode: str) -> str:
    return {"loglik": "option log-likelihood", "generate": "greedy generation"}[mode]


__all__ = [
    "ItemLog",
    "accuracy_of",
    "results_table",
    "summarize",
    "wilson",
    "write_json",
]
