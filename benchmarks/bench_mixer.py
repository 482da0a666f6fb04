"""The mixer's `select()` on a million-row source: ids in Arrow/numpy against Python lists.

Writes (once, into --work) a parsed-source cache of ROWS rows in 100k-row parquet parts,
laid out as PubMedQA's: ids `pubmedqa/<subset>/<pmid>` with 8-digit PMIDs, its four
subsets (two evaluation-only) and about 2% repeated ids, plus an `input` column the
mixer must not read. Each route runs `select()` in its own process, with a recipe that
uses subset quotas (a count, a fraction, 'all'), a source fraction and validation/test
fractions:

* `old`: `meadow/mixer.py` as of --baseline (a git revision; default: the mixer before
  issue 17 moved its ids out of Python lists), loaded from `git show` as a module;
* `new`: `meadow/mixer.py` of this working tree.

Printed: select()'s wall seconds, and the process's peak RSS during select() above its
RSS just before, with the parquet reader already loaded: the mixer's own memory (the ids,
subsets and licenses it reads, its keys and masks). Both routes' rows, splits and stats
must be identical.

Run:  python benchmarks/bench_mixer.py [--rows 1000000] [--work DIR] [--baseline REV]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fresh_process import run_route  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

BASELINE = "81749f9"  # the last commit whose mixer read ids into Python lists
PART_ROWS = 100_000
SUBSETS = ("artificial", "artificial_reasoning", "labelled", "labelled_reasoning")


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def generate(work: Path, rows: int) -> Path:
    """A parsed-source cache (parquet parts and stats.json) of `rows` PubMedQA-like rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = work / f"pubmedqa-{rows}"
    if (folder / "stats.json").is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(17)
    parts, counts = [], dict.fromkeys(SUBSETS, 0)
    made: list[str] = []
    for start in range(0, rows, PART_ROWS):
        ids, subsets = [], []
        for _ in range(min(PART_ROWS, rows - start)):
            if made and rng.random() < 0.02:
                row_id = rng.choice(made)
            else:
                subset = rng.choices(SUBSETS, weights=(60, 30, 1, 1))[0]
                row_id = f"pubmedqa/{subset}/{rng.randrange(10**7, 4 * 10**7)}"
                made.append(row_id)
            subset = row_id.split("/")[1]
            ids.append(row_id)
            subsets.append(subset)
            counts[subset] += 1
        n = len(ids)
        table = pa.table(
            {
                "id": ids,
                "subset": subsets,
                "license": ["MIT"] * n,
                "input": [f"Does the abstract {i} support the claim?" for i in range(n)],
            }
        )
        name = f"part-{len(parts):05d}.parquet"
        pq.write_table(table, folder / name)
        parts.append(name)
    stats = {
        "source": "pubmedqa",
        "fingerprint": "bench",
        "parts": parts,
        "rows": rows,
        "skipped": {},
        "subsets": counts,
        "raw_files": [],
        "version": "bench",
    }
    (folder / "stats.json").write_text(json.dumps(stats))
    return folder


def _mixer(route: str, baseline: str):
    if route == "new":
        from meadow import mixer

        return mixer
    text = subprocess.run(
        ["git", "show", f"{baseline}:meadow/mixer.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path = Path(tempfile.mkdtemp(prefix="bench-mixer-")) / "mixer_baseline.py"
    path.write_text(text)
    spec = importlib.util.spec_from_file_location("mixer_baseline", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def child(route: str, folder: Path, baseline: str) -> dict:
    import pyarrow.parquet as pq

    from meadow.parse_runner import SourceCache
    from meadow.recipe import Recipe, SourceSpec

    mixer = _mixer(route, baseline)
    cache = SourceCache.load(folder)
    spec = SourceSpec(
        "pubmedqa",
        quota=0.9,
        subsets={"artificial": 0.75, "artificial_reasoning": 200_000, "labelled": "all"},
    )
    recipe = Recipe("bench", {"pubmedqa": spec}, seed=42, validation=0.05, test=0.05)
    # load the parquet reader's code first: its pages are no part of the mixer's memory
    pq.read_table(cache.part_paths[0], columns=["id"]).slice(0, 1)
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts from here
    before = _kib("VmRSS")
    started = time.perf_counter()
    selection = mixer.select(recipe, {"pubmedqa": cache})
    wall = time.perf_counter() - started
    peak = _kib("VmHWM")
    sel = selection.sources[0]
    digest = hashlib.blake2b(digest_size=8)
    digest.update(sel.rows.astype("int64").tobytes())
    digest.update(sel.splits.astype("int8").tobytes())
    stats = json.dumps(sel.stats, sort_keys=False, default=str)
    digest.update(stats.encode())
    return {
        "wall_s": wall,
        "select_mib": (peak - before) / 1024,
        "peak_mib": peak / 1024,
        "taken": len(sel.rows),
        "splits": sel.stats["splits"],
        "digest": digest.hexdigest(),
    }


def run_child(route: str, folder: Path, baseline: str) -> dict:
    return run_route(__file__, route, ["--folder", str(folder), "--baseline", baseline])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/meadow-bench-mixer"))
    parser.add_argument("--baseline", default=BASELINE)
    parser.add_argument("--child", choices=["old", "new"])
    parser.add_argument("--folder", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.folder, args.baseline)))
        return
    folder = generate(args.work, args.rows)
    print(f"select() on {args.rows:,} rows ({folder}); baseline {args.baseline}")
    print(f"{'route':<6}{'wall s':>8}{'select MiB':>12}{'peak MiB':>10}{'taken':>10}  digest")
    results = {}
    for route in ("old", "new"):
        r = results[route] = run_child(route, folder, args.baseline)
        print(
            f"{route:<6}{r['wall_s']:>8.2f}{r['select_mib']:>12.1f}{r['peak_mib']:>10.1f}"
            f"{r['taken']:>10,}  {r['digest']}"
        )
    old, new = results["old"], results["new"]
    print(
        f"new/old: wall {new['wall_s'] / old['wall_s']:.2f}x, "
        f"select memory {new['select_mib'] / max(old['select_mib'], 1e-9):.2f}x"
    )
    if old["digest"] != new["digest"]:
        raise SystemExit("the two routes selected different rows, splits or stats")
    print("same rows, splits and stats")


if __name__ == "__main__":
    main()
