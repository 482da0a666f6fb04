"""Near dedup: the batched numpy index against datasketch's per-row MinHash LSH, same rows.

Uses (and generates once, with benchmarks/gen_quality.py) the mixture rows of
benchmarks/bench_quality.py: Zipf vocabulary of 60,000 words, inputs of ~30 and outputs of
~70 words, 1% planted near copies. Each route runs in its own process (its peak RSS is its
own) over the first ROWS rows, 10k-row Arrow batches, as `QualityRun._near` reads them:

* `old`: datasketch's `MinHash.update_batch` and `MinHashLSH` insert and query per row, a
  Python union-find (`tests/quality/near_reference.py`, the index before issue 17);
* `new`: `meadow.quality.near.NearDuplicates`, band keys spilled to a temporary folder.

Both get the same words (`normalize` + `Words.of`, timed apart as `words`); rows/s (CPU
seconds of the one process: per core, whatever else the machine runs) are given for the
index alone and with the words. `index B/row` is the peak RSS above that of the same
rows read and split into words without an index (route `words`), per row. The clusters
of the two routes are compared and must be the same.

Run:  python benchmarks/bench_near.py [--work DIR] [--rows 200000] [--more 1000000]
      (--more: the new route again at a larger size)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fresh_process import run_route  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def _peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def route(name: str, path: Path, rows: int) -> dict:
    import numpy as np
    import pyarrow.parquet as pq

    from meadow.quality.near import NearDuplicates, fact_salt
    from meadow.quality.settings import NearDedup
    from meadow.quality.text import Words, normalize, shingles
    from tests.quality.near_reference import ReferenceNearDuplicates

    settings = NearDedup()
    folder = tempfile.TemporaryDirectory(prefix="bench-near-")
    index = (
        NearDuplicates(settings, folder=Path(folder.name))
        if name == "new"
        else ReferenceNearDuplicates(settings)
    )
    words = indexing = 0.0
    done = 0
    for batch in pq.ParquetFile(path).iter_batches(10_000, columns=["input", "output"]):
        batch = batch.slice(0, rows - done)
        if not batch.num_rows:
            break
        started = time.process_time()
        in_words = Words.of(normalize(batch.column("input")))
        out_words = Words.of(normalize(batch.column("output")))
        keys = np.arange(done, done + batch.num_rows)
        split = time.process_time()
        words += split - started
        if name == "new":
            index.add_batch(keys, in_words, out_words)
        elif name == "old":
            ins, outs = shingles(in_words, 5), shingles(out_words, 5)
            salts = fact_salt(in_words.fact_keys(), out_words.fact_keys()).tolist()
            for row, a, b, salt in zip(keys.tolist(), ins, outs, salts, strict=True):
                index.add(row, a, b, salt)
        indexing += time.process_time() - split
        done += batch.num_rows
    started = time.process_time()
    clusters = index.clusters()
    indexing += time.process_time() - started
    digest = hashlib.blake2b(digest_size=8)
    for cluster in clusters:
        digest.update(np.asarray(cluster, np.int64).tobytes() + b"|")
    return {
        "rows": done,
        "words_s": words,
        "index_s": indexing,
        "peak_mib": _peak() / 2**20,
        "clusters": len(clusters),
        "in_clusters": int(sum(len(c) for c in clusters)),
        "digest": digest.hexdigest(),
    }


def run_child(name: str, path: Path, rows: int) -> dict:
    return run_route(__file__, name, ["--path", str(path), "--rows", str(rows)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/meadow-bench-quality"))
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--more", type=int, default=0)
    parser.add_argument("--child", choices=["words", "old", "new"])
    parser.add_argument("--path", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(route(args.child, args.path, args.rows)))
        return
    path = args.work / "rows.parquet"
    wanted = max(args.rows, args.more)
    if not path.is_file() or pq_rows(path) < wanted:
        args.work.mkdir(parents=True, exist_ok=True)
        print(f"generating {wanted:,} rows in {args.work} …")
        subprocess.run(
            [sys.executable, str(HERE / "gen_quality.py"), str(args.work), "--rows", str(wanted)],
            check=True,
        )
    sizes = [args.rows] + ([args.more] if args.more else [])
    runs = [("words", args.rows), ("old", args.rows), ("new", args.rows)]
    runs += [("words", args.more), ("new", args.more)] if args.more else []
    print(
        f"{'route':<6}{'rows':>11}{'words s':>9}{'index s':>9}{'index rows/s':>14}"
        f"{'with words':>12}{'peak MiB':>10}{'index B/row':>13}  clusters"
    )
    results = {}
    for name, rows in runs:
        r = results[name, rows] = run_child(name, path, rows)
        if name == "words":
            continue
        # the index's own memory: the peak above that of the same run without an index
        extra = (r["peak_mib"] - results["words", rows]["peak_mib"]) * 2**20 / r["rows"]
        r["index_bytes_per_row"] = extra
        print(
            f"{name:<6}{r['rows']:>11,}{r['words_s']:>9.1f}{r['index_s']:>9.1f}"
            f"{r['rows'] / r['index_s']:>14,.0f}{r['rows'] / (r['index_s'] + r['words_s']):>12,.0f}"
            f"{r['peak_mib']:>10,.0f}{extra:>13,.0f}  {r['clusters']:,} "
            f"({r['in_clusters']:,} rows, {r['digest']})"
        )
    for rows in sizes:
        w = results["words", rows]
        print(f"words  {rows:>11,} rows without an index: peak {w['peak_mib']:,.0f} MiB")
    if args.more:  # what each further row costs, the fixed working set left out
        grown = results["new", args.more]["peak_mib"] - results["new", args.rows]["peak_mib"]
        words = results["words", args.more]["peak_mib"] - results["words", args.rows]["peak_mib"]
        further = (grown - words) * 2**20 / (args.more - args.rows)
        print(f"new, {args.rows:,} -> {args.more:,} rows: {further:,.0f} index bytes a further row")
    old, new = results["old", args.rows], results["new", args.rows]
    same = old["digest"] == new["digest"]
    print(
        f"new / old: {old['index_s'] / new['index_s']:.1f}× the index speed, "
        f"{new['index_bytes_per_row'] / old['index_bytes_per_row']:.3f}× the index memory "
        f"per row; clusters {'identical' if same else 'DIFFERENT'}"
    )
    if not same:
        raise SystemExit("the clusters differ")


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


if __name__ == "__main__":
    main()
