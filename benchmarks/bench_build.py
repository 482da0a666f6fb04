"""Build speed and peak memory of the anki and wikidoc sources, against their ceilings.

Generates large inputs once (100k Anki notes, 20k Wikidoc pages; cached in --work) and
measures, each in a fresh process so peak memory is its own, every route --repeat times
interleaved (median time, largest peak):

* ceiling: the bare streaming parse of the same files (SQLite row scan of the collection;
  lxml parse + text of every page) — the fastest a reader of that format can go here;
* meadow: the source's real build (parse, map, clean, write the zstd parquet cache), with
  one process and with --num-proc 2 where there are many files;
* naive (wikidoc): BeautifulSoup's get_text, what a user would write instead (on a slice).

Run:  python benchmarks/bench_build.py [--notes 100000] [--pages 20000] [--work .bench]
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def _peak_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def _input_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


# -- measurements, each run in its own process --------------------------------------------


def measure_anki_ceiling(path: Path) -> int:
    """Unzip the collection and scan every note's fields: no mapping, no cleaning."""
    import sqlite3

    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(path) as deck, deck.open("collection.anki2") as src:
            target = Path(tmp) / "c.db"
            with target.open("wb") as out:
                shutil.copyfileobj(src, out)
        con = sqlite3.connect(target)
        rows = 0
        for (flds,) in con.execute("SELECT flds FROM notes"):
            flds.split("\x1f")
            rows += 1
        con.close()
    return rows


def measure_wikidoc_ceiling(folder: Path) -> int:
    """Parse every page with lxml and take its text: the bare HTML cost."""
    import lxml.html

    pages = 0
    for page in sorted(folder.glob("*.html")):
        lxml.html.parse(str(page)).getroot().text_content()
        pages += 1
    return pages


def measure_wikidoc_naive(folder: Path, limit: int) -> int:
    """BeautifulSoup text of each page, as a user would write it."""
    from bs4 import BeautifulSoup

    pages = 0
    for page in sorted(folder.glob("*.html"))[:limit]:
        BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").get_text()
        pages += 1
    return pages


def measure_meadow(source_name: str, raw: Path, num_proc: int) -> dict[str, int]:
    """The real per-source build into a fresh cache: parse, map, clean, write parquet."""
    from meadow.progress import ProgressBars
    from meadow.source_cache import plan_source, run_plans
    from meadow.sources import get_source

    with tempfile.TemporaryDirectory() as cache:
        plan = plan_source(get_source(source_name)(), raw, Path(cache), workers=num_proc)
        started = time.perf_counter()
        built = run_plans([plan], num_proc=num_proc, bars=ProgressBars(enabled=False))
        elapsed = time.perf_counter() - started
        result = built[source_name]
        return {
            "rows": result.rows,
            "units": len(plan.raw_files),
            "build_seconds": elapsed,
            "skipped": sum(result.skipped.values()),
        }


def _child(args: argparse.Namespace) -> None:
    import multiprocessing

    import meadow.source_cache

    # Workers as direct children (not forkserver's), so RUSAGE_CHILDREN sees their memory.
    meadow.source_cache._mp_context = lambda: multiprocessing.get_context("spawn")
    from meadow.sources import list_sources

    list_sources()  # imports every adapter: not part of any route's time

    raw = Path(args.input)
    started = time.perf_counter()
    extra: dict = {}
    if args.measure == "anki-ceiling":
        rows = measure_anki_ceiling(raw)
    elif args.measure == "wikidoc-ceiling":
        rows = measure_wikidoc_ceiling(raw)
    elif args.measure == "wikidoc-naive":
        rows = measure_wikidoc_naive(raw, args.limit)
    else:
        source = args.measure.split("-")[1]
        extra = measure_meadow(source, raw, args.num_proc)
        rows = extra["rows"]
    seconds = time.perf_counter() - started
    own, children = _peak_mib()
    print(
        json.dumps(
            {
                "rows": rows,
                "seconds": seconds,
                "peak_mib": own,
                "workers_peak_mib": children,
                **extra,
            }
        )
    )


def run_child(measure: str, raw: Path, *, num_proc: int = 1, limit: int = 0) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--measure",
        measure,
        "--input",
        str(raw),
        "--num-proc",
        str(num_proc),
        "--limit",
        str(limit),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{measure} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_routes(routes: dict[str, tuple], repeat: int) -> dict[str, dict]:
    """Run every route `repeat` times, interleaved so that machine noise hits all alike;
    keep the median time and the largest peak memory."""
    runs: dict[str, list[dict]] = {name: [] for name in routes}
    for _ in range(repeat):
        for name, (measure, raw, kwargs) in routes.items():
            runs[name].append(run_child(measure, raw, **kwargs))
    medians = {}
    for name, results in runs.items():
        results.sort(key=lambda r: r["seconds"])
        median = dict(results[len(results) // 2])
        median["peak_mib"] = max(r["peak_mib"] for r in results)
        median["workers_peak_mib"] = max(r["workers_peak_mib"] for r in results)
        medians[name] = median
    return medians


# -- the report ----------------------------------------------------------------------------


def _row(label: str, route: str, r: dict, mb: float, ceiling: dict | None, unit: str) -> str:
    rate = r["rows"] / r["seconds"]
    line = (
        f"| {label} | {route} | {r['rows']:,} {unit} | {r['seconds']:.2f} | {rate:,.0f} | "
        f"{mb / r['seconds']:.1f} | {r['peak_mib']:.0f}"
    )
    if r.get("workers_peak_mib"):
        line += f" (workers {r['workers_peak_mib']:.0f})"
    line += " | "
    if ceiling is not None:
        line += f"{ceiling['seconds'] / r['seconds']:.0%} of ceiling"
    return line + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--naive-pages", type=int, default=1_000)
    parser.add_argument("--work", type=Path, default=HERE.parent / ".bench")
    parser.add_argument("--only", choices=["anki", "wikidoc"])
    parser.add_argument("--repeat", type=int, default=3, help="runs per route (median)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--input", help=argparse.SUPPRESS)
    parser.add_argument("--num-proc", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _child(args)
        return

    args.work.mkdir(parents=True, exist_ok=True)
    lines = [
        "| input | route | rows | seconds | rows/s | MB/s | peak MiB | ratio |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    if args.only in (None, "anki"):
        from gen_anki import make_deck

        for notes in sorted({args.notes // 10, args.notes}):
            deck = args.work / f"anki-{notes}.apkg"
            if not deck.exists():
                make_deck(deck, notes)
            mb = _input_bytes(deck) / 1e6
            label = f"anki {notes:,} notes ({mb:.0f} MB)"
            got = run_routes(
                {"ceiling": ("anki-ceiling", deck, {}), "meadow": ("meadow-anki", deck, {})},
                args.repeat,
            )
            lines.append(_row(label, "ceiling: SQLite scan", got["ceiling"], mb, None, "notes"))
            lines.append(_row(label, "meadow build", got["meadow"], mb, got["ceiling"], "rows"))
            print("\n".join(lines[-2:]), flush=True)
    if args.only in (None, "wikidoc"):
        from gen_wikidoc import make_pages

        folder = args.work / f"wikidoc-{args.pages}"
        if not folder.is_dir() or len(list(folder.glob("*.html"))) != args.pages:
            shutil.rmtree(folder, ignore_errors=True)
            make_pages(folder, args.pages)
        mb = _input_bytes(folder) / 1e6
        label = f"wikidoc {args.pages:,} pages ({mb:.0f} MB)"
        got = run_routes(
            {
                "ceiling": ("wikidoc-ceiling", folder, {}),
                "naive": ("wikidoc-naive", folder, {"limit": args.naive_pages}),
                "one": ("meadow-wikidoc", folder, {}),
                "two": ("meadow-wikidoc", folder, {"num_proc": 2}),
            },
            args.repeat,
        )
        ceiling, naive, one, two = got["ceiling"], got["naive"], got["one"], got["two"]
        lines.append(_row(label, "ceiling: lxml parse + text", ceiling, mb, None, "pages"))
        naive_mb = mb * naive["rows"] / args.pages
        lines.append(
            _row(
                label,
                f"naive: BeautifulSoup ({args.naive_pages:,} pages)",
                naive,
                naive_mb,
                None,
                "pages",
            )
        )
        lines.append(_row(label, "meadow build", one, mb, ceiling, "rows"))
        lines.append(_row(label, "meadow build --num-proc 2", two, mb, ceiling, "rows"))
        pages_per_s = {
            "ceiling": args.pages / ceiling["seconds"],
            "meadow": args.pages / one["seconds"],
            "naive": naive["rows"] / naive["seconds"],
        }
        print("\n".join(lines[-4:]), flush=True)
        print(
            f"\nwikidoc pages/s: ceiling {pages_per_s['ceiling']:,.0f}, meadow "
            f"{pages_per_s['meadow']:,.0f}, naive {pages_per_s['naive']:,.0f}; "
            f"meadow/naive {pages_per_s['meadow'] / pages_per_s['naive']:.1f}x; "
            f"--num-proc 2 speed-up {one['seconds'] / two['seconds']:.2f}x"
        )
    print("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
