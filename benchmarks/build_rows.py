"""Rows as a medAlpaca build parses them, for the quality benchmarks (PII, language).

`build_rows(work)` generates the medAlpaca raw files of benchmarks/bench_scale.py at a small
scale (their upstream layouts, realistic medical text), parses five sources with meadow's
own runner, and writes up to `per_source` rows of each to `work/texts/SOURCE.parquet`
(cached: a second call reads them). So a benchmark measures the rows a real build hands
the quality pass, not a toy generator's.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

SOURCES = ("stackexchange", "chatdoctor", "wikidoc", "anki", "cord19")


def build_rows(work: Path, per_source: int = 10_000, scale: float = 0.1) -> dict[str, Path]:
    """{source: parquet file of its first `per_source` parsed rows} (made once in `work`)."""
    import pyarrow.parquet as pq
    from bench_scale import medalpaca_raw

    from meadow.parse_runner import plan_source, run_plans
    from meadow.sources import get_source

    out = work / "texts"
    files = {name: out / f"{name}.parquet" for name in SOURCES}
    if all(f.is_file() for f in files.values()):
        return files
    raw = medalpaca_raw(work, scale)
    out.mkdir(parents=True, exist_ok=True)
    for name in SOURCES:
        plan = plan_source(get_source(name)(), raw[name], work / "parse-cache")
        cache = run_plans([plan])[name]
        table = pq.read_table(cache.part_paths[0])
        pq.write_table(table.slice(0, per_source), files[name])
    return files


if __name__ == "__main__":
    for name, path in build_rows(Path(sys.argv[1] if len(sys.argv) > 1 else ".bench")).items():
        print(name, path)
