"""Hygiene on inputs that once merged distinct facts (issue 14, section 2).

* `signs-apart`: 20,000 flashcard-like rows in 10,000 pairs one sign or sharp apart
  (`HER2+`/`HER2-`, `C#`/`C`, `K+ < n`/`K+ > n`, `10%`/`10`, …), plus 1,000 true copies
  (case, spacing, trailing punctuation): a default build must keep every distinct row and
  remove exactly the copies, each listed in removed.parquet.
* `symbol-flood`: `normalize` over 3 MB of adversarial symbol and dash runs (`-a-a-…`,
  `+-+-…`, `a--b--…`): linear, reported in ms per 100 KB.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow.parquet as pq

from meadow import build
from meadow.errors import MeadowError

PAIRS = [
    ("HER2+", "HER2-"),
    ("ER+/PR-", "ER-/PR+"),
    ("K+ < {n}", "K+ > {n}"),
    ("↑ TSH", "↓ TSH"),
    ("C#", "C"),
    ("{n}%", "{n}"),
    ("Rh+ mother", "Rh- mother"),
    ("F♯ minor", "F minor"),
]


def signs_apart(work: Path) -> str:
    rows = []
    for i in range(10_000):
        a, b = PAIRS[i % len(PAIRS)]
        for fact in (a, b):
            fact = fact.format(n=i)
            rows.append({"instruction": "Answer.", "input": f"Card {i}: {fact}?", "output": fact})
    for i in range(1_000):  # true copies of the first cards
        row = rows[i]
        rows.append({**row, "input": "  " + row["input"].upper().rstrip("?") + " !"})
    path = work / "cards.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    try:
        result = build(sources=["local"], raw={"local": path}, name="signs", progress=False)
    except MeadowError as err:
        return f"{type(err).__name__}: {err}"
    removed = result.manifest["sources"]["local"].get("removed", {})
    if "by_step" not in removed:  # a meadow from before the removal list (--baseline)
        return f"built: {result.rows} of {len(rows)} rows; removed {removed}; none listed"
    from meadow.quality.removed import REMOVED_FILE

    listed = pq.read_metadata(result.path / REMOVED_FILE).num_rows
    steps = ", ".join(f"{step} {n}" for step, n in removed["by_step"].items())
    return f"built: {result.rows} of {len(rows)} rows; removed {steps}; listed {listed}"


def symbol_flood(work: Path) -> str:
    from meadow.quality.text import normalize

    texts = ["-a" * 500_000, "+-" * 500_000, "a--b " * 200_000]
    size = sum(len(t.encode()) for t in texts)
    start = time.perf_counter()
    tokens = sum(len(t.split()) for t in normalize(texts).to_pylist())
    seconds = time.perf_counter() - start
    return (
        f"normalize: {size / 1e6:.1f} MB of symbol runs, {tokens:,} tokens, "
        f"{1000 * seconds / (size / 100_000):.2f} ms per 100 KB"
    )


CASES = {"signs-apart": signs_apart, "symbol-flood": symbol_flood}
