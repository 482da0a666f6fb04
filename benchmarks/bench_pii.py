"""CPU time of the PII scrub on realistic rows: per text alone; with the relation prefilter
only (`may_name_relatives`, the baseline: scan.py before `may_match`); with both batch
prefilters (`may_name_relatives`, `may_match`) as `quality/scan.py` passes them now.

The rows: the input and output columns of the Stack Exchange and ChatDoctor rows a build
parses (by default made once by benchmarks/build_rows.py in --work), or any parquet files
with `input`/`output` columns given as arguments. The three run in one process,
interleaved, best of `--repeat`; CPU time (process_time), not wall: the machine is shared.
The outputs and counts must be identical (checked).

Run:  python benchmarks/bench_pii.py [--repeat 3] [--batch 10000] [FILES...]

Measured on this machine (2 cores shared with other jobs, Python 3.11; 40,000 texts, 31 M
characters, none with PII), CPU seconds:

    alone (no prefilter)          10.56-12.75 s
    relatives (the baseline)      10.61-11.91 s
    batched (both prefilters)      4.29-4.61 s   -> 2.3x-2.8x less CPU (three runs)
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import pyarrow as pa  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from meadow.quality.pii import Scrubber, may_match, may_name_relatives  # noqa: E402

WORK = HERE.parent / ".bench"


def alone(texts: list[str | None]) -> tuple[list[str | None], Counter[str]]:
    """Each text scrubbed with no prefilter at all (every keyword-gated pattern runs)."""
    scrubber = Scrubber()
    return [scrubber.scrub(t) if t else t for t in texts], scrubber.counts


def batched(
    texts: list[str | None], batch: int, *, digits: bool = True
) -> tuple[list[str | None], Counter[str]]:
    """As scan.py does: the RE2 prefilters once per batch, then each text (`digits=False`:
    the relation prefilter only, as before `may_match`)."""
    scrubber, out = Scrubber(), []
    for start in range(0, len(texts), batch):
        part = texts[start : start + batch]
        array = pa.array(part, pa.string())
        relatives = may_name_relatives(array)
        may = may_match(array) if digits else [None] * len(part)
        out += [
            scrubber.scrub(t, relatives=bool(relatives[k]), may=may[k]) if t else t
            for k, t in enumerate(part)
        ]
    return out, scrubber.counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--work", type=Path, default=WORK, help="where build_rows caches rows")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    if not args.files:
        from build_rows import build_rows

        made = build_rows(args.work)
        args.files = [made["stackexchange"], made["chatdoctor"]]
    texts: list[str | None] = []
    for path in args.files:
        table = pq.read_table(path, columns=["input", "output"])
        texts += table["input"].to_pylist() + table["output"].to_pylist()
    chars = sum(len(t or "") for t in texts)
    print(f"{len(texts):,} texts, {chars / 1e6:.1f} M characters")
    runs = {
        "alone": alone,
        "relatives": lambda t: batched(t, args.batch, digits=False),
        "batched": lambda t: batched(t, args.batch),
    }
    best = dict.fromkeys(runs, float("inf"))
    results = {}
    for _ in range(args.repeat):
        for name, run in runs.items():
            started = time.process_time()
            results[name] = run(texts)
            best[name] = min(best[name], time.process_time() - started)
    for name in runs:
        assert results[name] == results["alone"], f"{name}: the prefilters changed the output"
    print(f"replacements: {dict(results['alone'][1])}")
    for name, seconds in best.items():
        print(f"{name:9s} {seconds:6.2f} s CPU  {len(texts) / seconds:,.0f} texts/s")
    print(
        f"-> {best['relatives'] / best['batched']:.2f}x less CPU than the relation prefilter alone"
    )


if __name__ == "__main__":
    main()
