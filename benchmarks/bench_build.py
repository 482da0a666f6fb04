"""Build speed and peak memory of the anki and wikidoc sources, against their ceilings.

Generates large inputs once (100k Anki notes, 20k Wikidoc pages; cached in --work) and
measures, each in a fresh process so peak memory is its own, every route --repeat times
interleaved (median time, largest peak):

* ceiling: the bare streaming parse of the same files (SQLite row scan of the collection;
  lxml parse + text of every page) — the fastest a reader of that format can go here;
* meadow: the source's real build (parse, map, clean, write the zstd parquet cache), with
  one process and with --num-proc 2 where there are many files;
* naive (wikidoc): BeautifulSoup's get_text, what a user would write instead (on a slice).

Also (issue 3): a 1 GB Stack Exchange Posts.xml (plain and .7z) against a bare lxml
iterparse and pandas.read_xml, and a 1M-row CORD-19 metadata.csv against a bare
pyarrow.csv stream, csv.reader and pandas.read_csv.

Also (issue 4): PubMedQA's `ori_pqaa.json` (211k items) against a bare ijson pass and
json.load; UMLS RRF files with a 5M-line MRREL (and 1M, to show memory stays flat) against
a bare Python line split, pyarrow.csv and pandas.read_csv; a full-size PMC-LLaMA
`release.json` against a bare ijson pass, json.load and datasets.load_dataset("json").

Run:  python benchmarks/bench_build.py [--only NAME] [--repeat 3]
      (NAME: anki, wikidoc, stackexchange, cord19, pubmedqa, umls, pmc_llama)
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


def measure_posts_ceiling(path: Path) -> int:
    """lxml iterparse over the rows, clearing as it goes: the streaming XML ceiling."""
    from lxml import etree

    rows = 0
    for _, elem in etree.iterparse(str(path), tag="row", resolve_entities=False):
        elem.get("Body")
        rows += 1
        elem.clear()
        while elem.getprevious() is not None:
            del elem.getparent()[0]
    return rows


def measure_posts_naive(path: Path) -> int:
    """pandas.read_xml, what a user would write instead."""
    import pandas

    return len(pandas.read_xml(path, xpath="//row", parser="lxml"))


def measure_csv_ceiling(path: Path) -> int:
    """pyarrow's streaming CSV reader, every column as text: the CSV ceiling."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = pacsv.open_csv(path).schema.names
    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(block_size=16 << 20),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
    )
    return sum(batch.num_rows for batch in reader)


def measure_csv_reader(path: Path) -> int:
    """Python's csv module, one row at a time."""
    import csv

    with path.open(newline="", encoding="utf-8") as f:
        return sum(1 for _ in csv.reader(f)) - 1


def measure_csv_naive(path: Path) -> int:
    """pandas.read_csv of the whole file, what a user would write instead."""
    import pandas

    return len(pandas.read_csv(path, dtype=str, keep_default_na=False))


def measure_json_object_ceiling(path: Path) -> int:
    """ijson's C backend over a top-level object's members: the streaming JSON ceiling."""
    import ijson

    with path.open("rb") as f:
        return sum(1 for _ in ijson.kvitems(f, "", use_float=True))


def measure_json_array_ceiling(path: Path) -> int:
    """ijson's C backend over a top-level array's items: the streaming JSON ceiling."""
    import ijson

    with path.open("rb") as f:
        return sum(1 for _ in ijson.items(f, "item", use_float=True))


def measure_json_load(path: Path) -> int:
    """json.load of the whole file, what a user would write instead."""
    with path.open("rb") as f:
        return len(json.load(f))


def measure_datasets_json(path: Path) -> int:
    """datasets.load_dataset("json") of a JSON array, the other route users take."""
    import datasets

    with tempfile.TemporaryDirectory() as cache:
        loaded = datasets.load_dataset("json", data_files=str(path), cache_dir=cache)
        return loaded["train"].num_rows


RRF_FILES = ("MRCONSO.RRF", "MRDEF.RRF", "MRREL.RRF")


def measure_rrf_split_ceiling(folder: Path) -> int:
    """Every line of the three RRF files split on '|': the bare Python line parse."""
    lines = 0
    for name in RRF_FILES:
        with (folder / name).open(encoding="utf-8") as f:
            for line in f:
                line.split("|")
                lines += 1
    return lines


def measure_rrf_arrow_ceiling(folder: Path) -> int:
    """pyarrow's streaming CSV reader over the three RRF files, every field as text."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    lines = 0
    for name in RRF_FILES:
        path = folder / name
        with path.open("rb") as f:
            width = f.readline().count(b"|") + 1
        names = [f"f{i}" for i in range(width)]
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, block_size=16 << 20),
            parse_options=pacsv.ParseOptions(delimiter="|", quote_char=False),
            convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}),
        )
        lines += sum(batch.num_rows for batch in reader)
    return lines


def measure_rrf_pandas(folder: Path) -> int:
    """pandas.read_csv of MRREL.RRF, what a user would write instead."""
    import csv

    import pandas

    frame = pandas.read_csv(
        folder / "MRREL.RRF", sep="|", header=None, dtype=str, quoting=csv.QUOTE_NONE
    )
    return len(frame)


def measure_meadow(source_name: str, raw: Path, num_proc: int) -> dict[str, int]:
    """The real per-source build into a fresh cache: parse, map, clean, write parquet."""
    from meadow.parse_runner import plan_source, run_plans
    from meadow.progress import ProgressBars
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


MEASURES = {
    "anki-ceiling": measure_anki_ceiling,
    "wikidoc-ceiling": measure_wikidoc_ceiling,
    "posts-ceiling": measure_posts_ceiling,
    "posts-naive": measure_posts_naive,
    "csv-ceiling": measure_csv_ceiling,
    "csv-reader": measure_csv_reader,
    "csv-naive": measure_csv_naive,
    "json-object-ceiling": measure_json_object_ceiling,
    "json-array-ceiling": measure_json_array_ceiling,
    "json-load": measure_json_load,
    "datasets-json": measure_datasets_json,
    "rrf-split-ceiling": measure_rrf_split_ceiling,
    "rrf-arrow-ceiling": measure_rrf_arrow_ceiling,
    "rrf-pandas": measure_rrf_pandas,
}


def _child(args: argparse.Namespace) -> None:
    import multiprocessing

    import meadow.parse_runner

    # Workers as direct children (not forkserver's), so RUSAGE_CHILDREN sees their memory.
    meadow.parse_runner._mp_context = lambda: multiprocessing.get_context("spawn")
    from meadow.sources import list_sources

    list_sources()  # imports every adapter: not part of any route's time

    raw = Path(args.input)
    started = time.perf_counter()
    extra: dict = {}
    if args.measure in MEASURES:
        rows = MEASURES[args.measure](raw)
    elif args.measure == "wikidoc-naive":
        rows = measure_wikidoc_naive(raw, args.limit)
    else:
        source = args.measure.split("-", 1)[1]
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
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if num_proc <= 1:  # children seen then are not workers (imports may start helpers)
        result["workers_peak_mib"] = 0
    return result


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
    parser.add_argument("--posts-mb", type=int, default=1000, help="Posts.xml size")
    parser.add_argument("--naive-posts-mb", type=int, default=100)
    parser.add_argument("--cord-rows", type=int, default=1_000_000)
    parser.add_argument("--pqaa-items", type=int, default=211_269, help="ori_pqaa.json items")
    parser.add_argument("--mrrel-lines", type=int, default=5_000_000)
    parser.add_argument("--umls-concepts", type=int, default=300_000)
    parser.add_argument("--release-rows", type=int, default=513_999, help="PMC-LLaMA rows")
    parser.add_argument("--only", choices=[*BENCHES, "anki", "wikidoc"])
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
    for name, bench in BENCHES.items():
        if args.only in (None, name):
            lines += bench(args)
    print("\n" + "\n".join(lines))


def bench_stackexchange(args: argparse.Namespace) -> list[str]:
    from gen_stackexchange import make_archive, make_posts

    site = "biology.stackexchange.com"
    folder = args.work / f"se-{args.posts_mb}mb"
    posts = folder / "xml" / site / "Posts.xml"
    archive = folder / "7z" / f"{site}.7z"
    if not posts.exists():
        posts.parent.mkdir(parents=True, exist_ok=True)
        make_posts(posts, args.posts_mb * 1_000_000)
    if not archive.exists():
        archive.parent.mkdir(parents=True, exist_ok=True)
        make_archive(posts, archive)
    small = args.work / f"se-{args.naive_posts_mb}mb" / "Posts.xml"
    if not small.exists():
        small.parent.mkdir(parents=True, exist_ok=True)
        make_posts(small, args.naive_posts_mb * 1_000_000)
    mb = posts.stat().st_size / 1e6
    label = f"Posts.xml ({mb:,.0f} MB)"
    got = run_routes(
        {
            "ceiling": ("posts-ceiling", posts, {}),
            "xml": ("meadow-stackexchange", posts.parent.parent, {}),
            "7z": ("meadow-stackexchange", archive.parent, {}),
        },
        args.repeat,
    )
    naive = run_routes({"naive": ("posts-naive", small, {})}, 1)["naive"]
    small_mb = small.stat().st_size / 1e6
    lines = [
        _row(label, "ceiling: lxml iterparse", got["ceiling"], mb, None, "posts"),
        _row(label, "meadow build (Posts.xml)", got["xml"], mb, got["ceiling"], "pairs"),
        _row(label, "meadow build (.7z)", got["7z"], mb, got["ceiling"], "pairs"),
        _row(
            f"Posts.xml ({small_mb:,.0f} MB)",
            "naive: pandas.read_xml",
            naive,
            small_mb,
            None,
            "posts",
        ),
    ]
    print("\n".join(lines), flush=True)
    return lines


def bench_cord19(args: argparse.Namespace) -> list[str]:
    from gen_cord19 import make_metadata

    csv_path = args.work / f"cord19-{args.cord_rows}" / "metadata.csv"
    if not csv_path.exists():
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        make_metadata(csv_path, args.cord_rows)
    mb = csv_path.stat().st_size / 1e6
    label = f"metadata.csv ({args.cord_rows:,} rows, {mb:,.0f} MB)"
    got = run_routes(
        {
            "ceiling": ("csv-ceiling", csv_path, {}),
            "reader": ("csv-reader", csv_path, {}),
            "meadow": ("meadow-cord19", csv_path, {}),
        },
        args.repeat,
    )
    naive = run_routes({"naive": ("csv-naive", csv_path, {})}, 1)["naive"]
    lines = [
        _row(label, "ceiling: pyarrow.csv stream", got["ceiling"], mb, None, "rows"),
        _row(label, "csv.reader", got["reader"], mb, got["ceiling"], "rows"),
        _row(label, "meadow build", got["meadow"], mb, got["ceiling"], "records"),
        _row(label, "naive: pandas.read_csv", naive, mb, None, "rows"),
    ]
    print("\n".join(lines), flush=True)
    return lines


def _generate(script: str, target: Path, *options: str) -> None:
    """Run a generator script once; its output is kept in --work for later runs."""
    if target.exists():
        return
    command = [sys.executable, str(HERE / script), str(target.parent), *options]
    subprocess.run(command, check=True)


def bench_pubmedqa(args: argparse.Namespace) -> list[str]:
    folder = args.work / f"pubmedqa-{args.pqaa_items}"
    path = folder / "ori_pqaa.json"
    _generate("gen_pubmedqa.py", path, "--items", str(args.pqaa_items))
    mb = path.stat().st_size / 1e6
    label = f"ori_pqaa.json ({args.pqaa_items:,} items, {mb:,.0f} MB)"
    got = run_routes(
        {
            "ceiling": ("json-object-ceiling", path, {}),
            "meadow": ("meadow-pubmedqa", path, {}),
        },
        args.repeat,
    )
    naive = run_routes({"naive": ("json-load", path, {})}, 1)["naive"]
    lines = [
        _row(label, "ceiling: ijson kvitems (yajl2_c)", got["ceiling"], mb, None, "items"),
        _row(label, "meadow build", got["meadow"], mb, got["ceiling"], "records"),
        _row(label, "naive: json.load", naive, mb, None, "items"),
    ]
    print("\n".join(lines), flush=True)
    return lines


def bench_umls(args: argparse.Namespace) -> list[str]:
    lines = []
    for mrrel in sorted({args.mrrel_lines // 5, args.mrrel_lines}):
        folder = args.work / f"umls-{args.umls_concepts}-{mrrel}"
        _generate(
            "gen_umls.py",
            folder / "MRREL.RRF",
            "--concepts",
            str(args.umls_concepts),
            "--mrrel-lines",
            str(mrrel),
        )
        mb = sum((folder / name).stat().st_size for name in RRF_FILES) / 1e6
        label = f"UMLS RRF, MRREL {mrrel:,} lines ({mb:,.0f} MB in all)"
        got = run_routes(
            {
                "split": ("rrf-split-ceiling", folder, {}),
                "arrow": ("rrf-arrow-ceiling", folder, {}),
                "meadow": ("meadow-umls", folder, {}),
            },
            args.repeat,
        )
        lines += [
            _row(label, "ceiling: Python line split", got["split"], mb, None, "lines"),
            _row(label, "ceiling: pyarrow.csv stream", got["arrow"], mb, None, "lines"),
            _row(label, "meadow build", got["meadow"], mb, got["split"], "records"),
        ]
        if mrrel == args.mrrel_lines:
            naive = run_routes({"naive": ("rrf-pandas", folder, {})}, 1)["naive"]
            lines.append(_row(label, "naive: pandas.read_csv(MRREL)", naive, mb, None, "lines"))
        print("\n".join(lines[-4:]), flush=True)
    return lines


def bench_pmc_llama(args: argparse.Namespace) -> list[str]:
    path = args.work / f"pmc_llama-{args.release_rows}" / "release.json"
    _generate("gen_pmc_llama.py", path, "--rows", str(args.release_rows))
    mb = path.stat().st_size / 1e6
    label = f"release.json ({args.release_rows:,} rows, {mb:,.0f} MB)"
    got = run_routes(
        {
            "ceiling": ("json-array-ceiling", path, {}),
            "meadow": ("meadow-pmc_llama", path, {}),
        },
        args.repeat,
    )
    naive = run_routes(
        {"load": ("json-load", path, {}), "datasets": ("datasets-json", path, {})}, 1
    )
    lines = [
        _row(label, "ceiling: ijson items (yajl2_c)", got["ceiling"], mb, None, "rows"),
        _row(label, "meadow build", got["meadow"], mb, got["ceiling"], "rows"),
        _row(label, "naive: json.load", naive["load"], mb, None, "rows"),
        _row(label, 'naive: load_dataset("json")', naive["datasets"], mb, None, "rows"),
    ]
    print("\n".join(lines), flush=True)
    return lines


BENCHES = {
    "stackexchange": bench_stackexchange,
    "cord19": bench_cord19,
    "pubmedqa": bench_pubmedqa,
    "umls": bench_umls,
    "pmc_llama": bench_pmc_llama,
}


if __name__ == "__main__":
    main()
