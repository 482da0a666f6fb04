"""Write a large, realistic CORD-19 `metadata.csv`, and measure the cord19 source on it.

The file has CORD-19's 19 columns in release order, multi-valued cells joined by "; "
(sha, source_x, authors, pdf_json_files, url), abstracts with quoted commas, doubled
quotes and newlines inside quotes, about a quarter of the abstracts empty, and a few
percent of rows repeating an earlier `cord_uid` (as CORD-19 does when a paper comes from
several sources). Titles are composed per row from benchmarks/medtext.py's vocabulary
(drugs, diseases, populations, outcomes, numbers); abstracts join per-row picks from a
pool of 50,000 such sentences (composing every sentence per row would cost more than
writing the file). No text repeats on purpose: exact duplicates are under 0.1%.

    python benchmarks/gen_cord19.py OUT.csv --rows 1000000 [--seed 0]
    python benchmarks/gen_cord19.py OUT.csv --rows 1000000 --bench [--repeat 3]

`--bench` measures, each in a fresh process so peak memory is its own, the cord19
source's parse and map (`Cord19Source().records`), its whole build (with the parquet
cache the runner writes), a bare `pyarrow.csv.open_csv` pass over the same columns (the
ceiling) and a `csv.DictReader` pass (what a user writes).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import medtext  # noqa: E402

from meadow.sources.cord19 import COLUMNS  # noqa: E402  (the one list of columns)

POOL = 4096
SENTENCES = 50_000
LICENSES = (
    ("cc-by", 20),
    ("els-covid", 18),
    ("unk", 25),
    ("no-cc", 8),
    ("medrxiv", 4),
    ("biorxiv", 2),
    ("arxiv", 2),
    ("cc-by-nc", 5),
    ("cc-by-nc-nd", 3),
    ("cc0", 1),
    ("pd", 1),
    ("cc-by-nc-sa", 1),
    ("cc-by-sa", 1),
    ("cc-by-nd", 1),
    ("green-oa", 3),
    ("bronze-oa", 3),
    ("hybrid-oa", 1),
    ("gold-oa", 1),
)
SOURCES = ("PMC", "Medline", "WHO", "Elsevier; Medline; PMC", "Medline; PMC", "MedRxiv; WHO")
JOURNALS = ("Lancet", "BMJ", "J Virol", "Vaccine", "PLoS One", "Nature", "Clin Infect Dis", "")
LABELS = ("BACKGROUND: ", "METHODS: ", "RESULTS: ", "CONCLUSIONS: ", "", "", "")
SURNAMES = ("Wang", "Smith", "Garcia", "Müller", "Rossi", "Kim", "Okafor", "Dubois", "Singh")
INITIALS = ("A.", "B. C.", "J.", "M.", "Y.", "L. K.")


def _abstract(rng: random.Random, sentences: list[str]) -> str:
    parts = rng.choices(sentences, k=rng.randint(14, 26))
    if rng.random() < 0.15:
        parts[0] = rng.choice(LABELS) + parts[0]
    sep = "\n" if rng.random() < 0.08 else " "
    text = sep.join(parts)
    if rng.random() < 0.1:
        text = "Abstract " + text
    elif rng.random() < 0.05:
        text += ' The authors called it "the second wave".'
    return text


def _title(rng: random.Random) -> str:
    return medtext.title(rng)


def _authors(rng: random.Random) -> str:
    return "; ".join(
        f"{rng.choice(SURNAMES)}, {rng.choice(INITIALS)}" for _ in range(rng.randint(1, 8))
    )


def _uid(rng: random.Random) -> str:
    return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))


def make_metadata(path: Path, n_rows: int, seed: int = 0) -> Path:
    """Write a CORD-19 `metadata.csv` of `n_rows` rows to `path`; return the path."""
    rng = random.Random(seed)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    sentences = [medtext.sentence(rng) for _ in range(SENTENCES)]
    authors = [_authors(rng) for _ in range(POOL)]
    licenses = rng.choices([name for name, _ in LICENSES], [w for _, w in LICENSES], k=POOL)
    uids: list[str] = []
    random_ = rng.random
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")  # csv.writer quotes as pandas does
        writer.writerow(COLUMNS)
        for i in range(n_rows):
            pick = int(random_() * POOL)
            if uids and random_() < 0.04:  # the same paper from another source
                uid = uids[int(random_() * len(uids))]
            else:
                uid = _uid(rng) if i < POOL else f"{i:08x}"[-8:]
                if len(uids) < 100_000:
                    uids.append(uid)
            shas = [f"{rng.getrandbits(160):040x}"] if random_() < 0.6 else []
            if shas and random_() < 0.05:
                shas.append(f"{rng.getrandbits(160):040x}")
            pmcid = f"PMC{7_000_000 + i}" if random_() < 0.5 else ""
            doi = f"10.1016/j.jinf.2020.{i:07d}"
            writer.writerow(
                (
                    uid,
                    "; ".join(shas),
                    SOURCES[pick % len(SOURCES)],
                    _title(rng),
                    doi,
                    pmcid,
                    str(30_000_000 + i) if random_() < 0.7 else "",
                    licenses[pick],
                    _abstract(rng, sentences) if random_() >= 0.25 else "",
                    f"2020-{1 + i % 12:02d}-{1 + i % 28:02d}",
                    authors[pick],
                    JOURNALS[pick % len(JOURNALS)],
                    "",
                    f"#{i % 90_000}" if random_() < 0.2 else "",
                    "",
                    "; ".join(f"document_parses/pdf_json/{sha}.json" for sha in shas),
                    f"document_parses/pmc_json/{pmcid}.xml.json" if pmcid else "",
                    f"https://doi.org/{doi}"
                    + (f"; https://www.ncbi.nlm.nih.gov/pmc/articles/{pmcid}/" if pmcid else ""),
                    str(200_000_000 + i),
                )
            )
    return path


# -- measurements, each run in its own process ---------------------------------------------


def measure_ceiling(path: Path) -> int:
    """A bare Arrow pass: the same columns, as strings, in batches; no Python per row."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    from meadow.sources.cord19 import _BLOCK_SIZE

    wanted = ["cord_uid", "title", "abstract", "license", "pdf_json_files"]
    reader = pa_csv.open_csv(
        path,
        read_options=pa_csv.ReadOptions(block_size=_BLOCK_SIZE),
        parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        convert_options=pa_csv.ConvertOptions(
            include_columns=wanted, column_types=dict.fromkeys(wanted, pa.string())
        ),
    )
    return sum(batch.num_rows for batch in reader)


def measure_csv_reader(path: Path) -> int:
    """What a user writes: `csv.DictReader` rows, abstract and title read per row."""
    rows = 0
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["abstract"] and row["title"]:
                rows += 1
    return rows


def measure_meadow(path: Path) -> int:
    """The cord19 source's parse and map: every record made, skips counted."""
    from meadow.sources.base import Skip
    from meadow.sources.cord19 import Cord19Source

    source = Cord19Source()
    rows = 0
    for shard in source.shards(path):
        for item in source.records(shard):
            if not isinstance(item, Skip):
                rows += 1
    return rows


def measure_build(path: Path) -> int:
    """The source's real build: hash, parse, map, write the zstd parquet cache."""
    from meadow.parse_runner import plan_source, run_plans
    from meadow.progress import ProgressBars
    from meadow.sources.cord19 import Cord19Source

    with tempfile.TemporaryDirectory() as cache:
        plan = plan_source(Cord19Source(), path, Path(cache))
        built = run_plans([plan], bars=ProgressBars(enabled=False))
        return built["cord19"].rows


ROUTES = {
    "ceiling": ("ceiling: pyarrow.csv.open_csv", measure_ceiling),
    "meadow": ("meadow: Cord19Source().records", measure_meadow),
    "build": ("meadow build (records + parquet cache)", measure_build),
    "csv": ("naive: csv.DictReader", measure_csv_reader),
}


def _child(route: str, path: Path) -> None:
    import pyarrow.csv  # noqa: F401  (imports are not part of any route's time)

    import meadow.parse_runner  # noqa: F401
    import meadow.sources.cord19  # noqa: F401

    started = time.perf_counter()
    rows = ROUTES[route][1](path)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": rows, "seconds": seconds, "peak_mib": peak}))


def bench(path: Path, repeat: int) -> str:
    """Run every route `repeat` times, interleaved; a table of medians (largest peak)."""
    runs: dict[str, list[dict]] = {name: [] for name in ROUTES}
    for _ in range(repeat):
        for name in ROUTES:
            cmd = [sys.executable, __file__, str(path), "--measure", name]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"{name} failed:\n{done.stderr}")
            runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
    mb = path.stat().st_size / 1e6
    ceiling = sorted(r["seconds"] for r in runs["ceiling"])[repeat // 2]
    input_rows = runs["ceiling"][0]["rows"]  # the bare pass counts every row of the file
    lines = [
        f"metadata.csv: {mb:,.0f} MB",
        "| route | rows out | seconds | rows/s (input) | MB/s | peak MiB | vs ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, results in runs.items():
        results.sort(key=lambda r: r["seconds"])
        median = results[len(results) // 2]
        peak = max(r["peak_mib"] for r in results)
        seconds = median["seconds"]
        lines.append(
            f"| {ROUTES[name][0]} | {median['rows']:,} | {seconds:.2f} | "
            f"{input_rows / seconds:,.0f} | {mb / seconds:,.0f} | {peak:.0f} | "
            f"{ceiling / seconds:.0%} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the metadata.csv to write (or measure)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="number of rows")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--bench", action="store_true", help="measure the routes after writing")
    parser.add_argument("--repeat", type=int, default=3, help="runs per route (median)")
    parser.add_argument("--measure", choices=sorted(ROUTES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        _child(args.measure, args.out)
        return
    if not args.out.exists():
        start = time.perf_counter()
        make_metadata(args.out, args.rows, args.seed)
        size = args.out.stat().st_size / 1e6
        took = time.perf_counter() - start
        print(f"wrote {args.out} ({args.rows:,} rows, {size:,.0f} MB) in {took:.1f} s")
    if args.bench:
        print(bench(args.out, args.repeat))


if __name__ == "__main__":
    main()
