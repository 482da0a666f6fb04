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
index alone and with the words. `B/row` is the peak RSS above the peak after the first
batch (the batch's own working set), per further row; with --more, what each further
row adds between the two sizes. The clusters of the two routes are compared and must be the same.

Run:  python benchmarks/bench_near.py [--work DIR] [--rows 200000] [--more 1000000]
      (--more: the new route again at that size, for the marginal memory per row)
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
    before = warm = 0
    words = indexing = 0.0
    done = 0
    for batch in pq.ParquetFile(path).iter_batches(10_000, columns=["input", "output"]):
        batch = batch.slice(0, rows - done)
        if not batch.num_rows:
            break
        if done and not before:  # after one batch: the batch's own working set is in
            before, warm = _peak(), done
        started = time.process_time()
        in_words = Words.of(normalize(batch.column("input")))
        out_words = Words.of(normalize(batch.column("output")))
        keys = np.arange(done, done + batch.num_rows)
        split = time.process_time()
        words += split - started
        if name == "new":
            index.add_batch(keys, in_words, out_words)
        else:
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
        "bytes_per_row": (_peak() - before) / max(1, done - warm),
        "clusters": len(clusters),
        "in_clusters": int(sum(len(c) for c in clusters)),
        "digest": digest.hexdigest(),
    }


def run_child(name: str, path: Path, rows: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, "--path", str(path), "--rows", str(rows)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/meadow-bench-quality"))
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--more", type=int, default=0)
    parser.add_argument("--child", choices=["old", "new"])
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
    runs = [("old", args.rows), ("new", args.rows)] + ([("new", args.more)] if args.more else [])
    print(
        f"{'route':<6}{'rows':>11}{'words s':>9}{'index s':>9}{'index rows/s':>14}"
        f"{'with words':>12}{'peak MiB':>10}{'B/row':>8}  clusters"
    )
    results = []
    for name, rows in runs:
        r = run_child(name, path, rows)
        results.append((name, r))
        print(
            f"{name:<6}{r['rows']:>11,}{r['words_s']:>9.1f}{r['index_s']:>9.1f}"
            f"{r['rows'] / r['index_s']:>14,.0f}{r['rows'] / (r['index_s'] + r['words_s']):>12,.0f}"
            f"{r['peak_mib']:>10,.0f}{r['bytes_per_row']:>8,.0f}  {r['clusters']:,} "
            f"({r['in_clusters']:,} rows, {r['digest']})"
        )
    (_, old), (_, new) = results[:2]
    same = old["digest"] == new["digest"]
    print(
        f"new / old: {old['index_s'] / new['index_s']:.1f}× the index speed, "
        f"{new['bytes_per_row'] / old['bytes_per_row']:.3f}× the memory per row; "
        f"clusters {'identical' if same else 'DIFFERENT'}"
    )
    if args.more:
        big = results[2][1]
        marginal = (big["peak_mib"] - new["peak_mib"]) * 2**20 / (big["rows"] - new["rows"])
        print(f"new, {new['rows']:,} -> {big['rows']:,} rows: {marginal:.0f} bytes a further row")
    if not same:
        raise SystemExit("the clusters differ")


def pq_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return pq.ParquetFile(path).metadata.num_rows


if __name__ == "__main__":
    main()
