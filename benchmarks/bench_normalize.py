"""Speed of `meadow.quality.text.normalize` on realistic rows, against the old rule.

The rows are the bundled sample mixture's inputs and outputs (wikidoc, anki, chatdoctor,
medqa, pubmedqa, umls, … as `meadow build --mixture sample` makes them), drawn 200,000
times with a fixed seed (~130 characters a text, 26 MB). The baseline is the rule before
issue 14: NFKC, lower case, every run of characters that are not letters or digits one
space (one regex pass, which merged `HER2+` with `HER2-`). Each is timed best of `--repeat`
runs, interleaved, in one process.

Run:  python benchmarks/bench_normalize.py [--rows 200000] [--repeat 5]

Measured on this machine (2 cores shared with other jobs, Python 3.11), best of 7:

    old rule (baseline)   0.83-1.14 s   175,000-242,000 rows/s
    normalize             1.01-1.14 s   176,000-197,000 rows/s
    -> 1.00x-1.23x the baseline's time (two runs), for eight RE2 passes instead of one:
       the passes that match often (every space) were made rare (runs of punctuation only).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def sample_texts() -> list[str]:
    """Every input and output of the sample mixture, built in a scratch MEADOW_HOME."""
    with tempfile.TemporaryDirectory(prefix="meadow-bench-normalize-") as home:
        os.environ["MEADOW_HOME"] = home
        from meadow import build
        from meadow.store import revision_rows

        result = build("sample", progress=False)
        texts: list[str] = []
        for _, table in revision_rows(result.path, result.name):
            texts += table.column("input").to_pylist() + table.column("output").to_pylist()
        return texts


def old_rule(texts):
    """The rule before issue 14 (the baseline): letters and digits only."""
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = pc.fill_null(texts.cast(pa.string()), "")
    lowered = pc.utf8_lower(pc.utf8_normalize(texts, "NFKC"))
    spaced = pc.replace_substring_regex(lowered, pattern=r"[^\p{L}\p{N}]+", replacement=" ")
    return pc.utf8_trim_whitespace(spaced)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import numpy as np
    import pyarrow as pa

    from meadow.quality.text import normalize

    texts = sample_texts()
    picks = np.random.default_rng(0).integers(0, len(texts), args.rows)
    rows = pa.array([texts[i] for i in picks], pa.string())
    print(f"{len(rows):,} rows from {len(texts)} sample texts, {rows.nbytes / 1e6:.1f} MB")
    times: dict[str, list[float]] = {"old rule (baseline)": [], "normalize": []}
    for _ in range(args.repeat):
        for name, function in (("old rule (baseline)", old_rule), ("normalize", normalize)):
            start = time.perf_counter()
            function(rows)
            times[name].append(time.perf_counter() - start)
    best = {name: min(values) for name, values in times.items()}
    for name, seconds in best.items():
        print(f"{name:<20} {seconds:6.3f} s  {len(rows) / seconds:>10,.0f} rows/s")
    print(f"-> {best['normalize'] / best['old rule (baseline)']:.2f}x the baseline's time")


if __name__ == "__main__":
    main()
