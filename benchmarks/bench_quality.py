"""Speed and peak memory of meadow's quality steps, each against a plain baseline.

Generates (once, cached in --work) 1M mixture rows and 14,731 benchmark items with
benchmarks/gen_quality.py, then runs each route in its own process (its peak RSS is its
own, read with `resource`):

* decontamination: meadow's `BenchmarkIndex` (13-grams of every item's question and
  options, plus short questions with their options) over every row, in 10k-row Arrow
  batches; baseline: the plain route, a Python set of the items' 13-gram tuples and a
  lookup of every row's 13-grams (Python regex normalisation and split);
* near duplicates: meadow's MinHash LSH (batched numpy) over every row; baseline: exact-hash
  dedup, a Python set of the blake2b of each row's normalised input and output;
* language: meadow's English check (function-word share first, py3langid for the rest) on
  50,000 ChatDoctor-like answers, one in ten in another language; baseline: py3langid on
  every text;
* the medAlpaca-sized mixture (160k rows, a third of them ChatDoctor-like with PII
  scrubbing, boilerplate and the language filter on): every default step of a build,
  benchmark index included.
* per batch (`--only per_batch`, 100k ChatDoctor-like rows: the generator's vocabulary,
  greetings and sign-offs, one question in six carrying a labelled PII message): the quality
  pass but near dedup, before a change (`--before DIR`, a checkout of the older meadow:
  `git worktree add DIR REV`), then with `num_proc` 1 and 2; the seconds per step too;
  `--only with_near`: the same with near dedup on; `--only medalpaca_n`: the
  medAlpaca-sized route (every step, decontamination included) before a change, then with
  `num_proc` 1 and 2, the seconds per step too.

* language_rows (`--child language_rows`, not the 1M rows): `other_language` on the rows a
  build parses (benchmarks/build_rows.py, made once in --work: every input and output of its
  five sources), py3langid
  text by text (the check before issue 17) and then batched, CPU seconds of each in one
  process, for "en" and for "fr" (every text of 20 letters or more identified); it stops
  if the two decide differently. One run, the full test suite running beside it:

      83,432 texts   en: 13.47 s -> 4.46 s CPU (3.0x)   fr: 41.22 s -> 11.13 s (3.7x)

Run:  python benchmarks/bench_quality.py [--work DIR] [--rows 1000000] [--only NAME]
      [--before DIR]  (NAME: decontamination, near, language, language_rows, medalpaca,
      medalpaca_n, per_batch, with_near)

Measured on this machine (2 cores, 23 GiB, Python 3.11), one run, one process per route:

    route                         rows   seconds   rows/s   peak MiB   found
    decontamination  meadow   1,000,000     35.9   27,852        622   2,986 rows (index of
                                                                         14,731 items: 1.1 s)
    decontamination  baseline   200,000     12.5   15,972        333     595 rows
      -> 1.74x the rows/s of plain set lookups, 1.9x the memory
    near duplicates  meadow   1,000,000    167.1    5,983      3,230   24,462 rows in clusters
    near duplicates  baseline 1,000,000     33.9   29,485        500   19,379 exact copies
      -> 0.20x the rows/s of exact-hash dedup, 6.5x the memory (the LSH index, ~3 KiB a row)
      (before issue 17's batched index: benchmarks/bench_near.py measures it, 11x faster)
    language         meadow      50,000      1.8   27,967        237   5,000 other-language
    language         baseline    50,000     11.5    4,366        168   5,000
      -> 6.4x the rows/s of py3langid on every text
    medAlpaca-sized, all steps  160,000     43.0    3,721        914   155,581 rows kept

Per batch, one run on this machine while other jobs kept its 2 cores busy (load ~9), so
N=2 shows only the contention: before (5b460cd) 59.0 s, 1,696 rows/s (PII and boilerplate
38.6 s, filters 15.0 s); N=1 33.3 s, 3,003 rows/s (1.77×; PII and boilerplate 19.3 s);
N=2 51.7 s, 1,935 rows/s (the workers' CPU seconds tripled under the load). The same
10,009 PII replacements in all three.

With near dedup (`--only with_near --rows 100000`, before: 81749f9; load ~2.2 on the 2
cores): before 23.4 s, 4,270 rows/s, near dedup 6.9 s after pass 1 (re-reading the spool,
normalising and splitting the words again); N=1 20.7 s, 4,834 rows/s (1.13×): the band
keys in pass 1 5.4 s, clustering 0.1 s; N=2 25.3 s (the workers' CPU seconds doubled under
the load). The same rows removed (tests/quality/test_near_keys.py).

Every step over the first 160,000 rows (1c9e1f9 against decontamination moved into the
per-batch work on the words split once for near dedup, faster `normalize`/`Words.of`, no
datasketch/scipy import), one run, load ~5 on the 2 cores (CPU seconds, driver and
workers, are the measure; wall is the contention):

    N=1  before  CPU 24.8 s  wall 52.7 s  peak 550 MiB  (near keys 11.8 s, decontamination 12.1 s)
         after   CPU 18.0 s  wall 45.3 s  peak 507 MiB  (near keys  5.7 s, decontamination 12.3 s,
                                                          the latter now with the word split)
    N=2  before  CPU 27.2 s  wall 62.3 s
         after   CPU 20.7 s  wall 47.7 s

The same rows removed and the same benchmark items matched in all four.

The planted rows are found: 2,986 of the 3,000 contaminated rows (in the others the copied
20-word run came from a question shorter than 13 words), every exact copy, and the near
copies above the threshold. So a medAlpaca-sized mixture (~160k rows) is checked in well
under a minute on one core, in under 1 GiB; 1M rows take about 3.5 minutes in all, the
LSH index peaking at 3.2 GiB.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from fresh_process import run_route  # benchmarks/ is on sys.path when a script runs

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

NGRAM = 13
MEDALPACA_ROWS = 160_000
BASELINE_DECONTAMINATION_ROWS = 200_000


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _batches(path: Path, limit: int):
    """Arrow tables of the generated rows, 10k at a time, up to `limit` rows."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    seen = 0
    for batch in pq.ParquetFile(path).iter_batches(10_000):
        if seen >= limit:
            return
        table = pa.Table.from_batches([batch]).slice(0, limit - seen)
        seen += table.num_rows
        yield table


# -- routes, each in its own process ---------------------------------------------------------


def route_decontamination_meadow(work: Path, rows: int) -> dict:
    from gen_quality import read_items

    from meadow.quality import BenchmarkIndex
    from meadow.quality.text import normalize

    start = time.perf_counter()
    index = BenchmarkIndex(read_items(work / "items.jsonl"), NGRAM)
    built = time.perf_counter() - start
    flagged = done = 0
    start = time.perf_counter()
    for table in _batches(work / "rows.parquet", rows):
        masks, _ = index.match(normalize(table["input"]), normalize(table["output"]))
        flagged += int((masks > 0).sum())
        done += table.num_rows
    return {
        "rows": done,
        "seconds": time.perf_counter() - start,
        "index_seconds": built,
        "items": len(index),
        "found": flagged,
    }


def _plain_words(text: str) -> list[str]:
    import re

    return re.sub(r"[\W_]+", " ", text.lower()).split()


def route_decontamination_baseline(work: Path, rows: int) -> dict:
    """A Python set of the items' 13-gram tuples; every row's 13-grams looked up in it."""
    grams: set[tuple[str, ...]] = set()
    for line in (work / "items.jsonl").open():
        item = json.loads(line)
        for text in (item["question"], *item["options"].values()):
            words = _plain_words(text)
            grams.update(tuple(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1))
    flagged = done = 0
    start = time.perf_counter()
    for table in _batches(work / "rows.parquet", min(rows, BASELINE_DECONTAMINATION_ROWS)):
        for a, b in zip(table["input"].to_pylist(), table["output"].to_pylist(), strict=True):
            hit = False
            for text in (a, b):
                words = _plain_words(text)
                if any(tuple(words[i : i + NGRAM]) in grams for i in range(len(words) - NGRAM + 1)):
                    hit = True
            flagged += hit
            done += 1
    return {"rows": done, "seconds": time.perf_counter() - start, "found": flagged}


def route_near_meadow(work: Path, rows: int) -> dict:
    import tempfile

    import numpy as np

    from meadow.quality.near import NearDuplicates
    from meadow.quality.settings import NearDedup
    from meadow.quality.text import Words, normalize

    settings = NearDedup()
    spill = tempfile.TemporaryDirectory(dir=work)  # the band keys, as a build spills them
    index = NearDuplicates(settings, folder=Path(spill.name))
    done = 0
    start = time.perf_counter()
    for table in _batches(work / "rows.parquet", rows):
        ins = Words.of(normalize(table["input"]))
        outs = Words.of(normalize(table["output"]))
        index.add_batch(np.arange(done, done + table.num_rows), ins, outs)
        done += table.num_rows
    clusters = index.clusters()
    seconds = time.perf_counter() - start
    in_clusters = int(sum(len(c) for c in clusters)) - len(clusters)
    return {
        "rows": done,
        "seconds": seconds,
        "found": in_clusters,
        "bands": [index.bands, index.width],
        "largest_cluster": int(max((len(c) for c in clusters), default=0)),
    }


def route_near_baseline(work: Path, rows: int) -> dict:
    """Exact-hash dedup: a set of the blake2b of each row's normalised input and output."""
    import hashlib

    seen: set[bytes] = set()
    duplicates = done = 0
    start = time.perf_counter()
    for table in _batches(work / "rows.parquet", rows):
        for a, b in zip(table["input"].to_pylist(), table["output"].to_pylist(), strict=True):
            key = " ".join(_plain_words(a)) + "\x1f" + " ".join(_plain_words(b))
            digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
            duplicates += digest in seen
            seen.add(digest)
            done += 1
    return {"rows": done, "seconds": time.perf_counter() - start, "found": duplicates}


OTHER_LANGUAGES = [
    "Hola doctor, tengo dolor de cabeza desde hace tres días y fiebre por la noche.",
    "Bonjour docteur, j'ai de la fièvre depuis trois jours et mal à la gorge.",
    "Guten Tag, ich habe seit drei Tagen Fieber und starke Halsschmerzen.",
    "मुझे तीन दिन से बुखार है और सिर में दर्द है, क्या करूँ?",
]


def _language_texts(count: int) -> list[str]:
    """ChatDoctor-like English answers (gen_chatdoctor's sentences), one in ten in another
    language."""
    import random

    from gen_chatdoctor import ANSWERS

    rng = random.Random(0)
    return [
        rng.choice(OTHER_LANGUAGES) * 3
        if i % 10 == 9
        else "Hi, " + " ".join(rng.choice(ANSWERS) for _ in range(11))
        for i in range(count)
    ]


def route_language_meadow(work: Path, rows: int) -> dict:
    """meadow's check: English recognised by its function words, the rest by py3langid."""
    from meadow.quality.filters import LanguageCheck

    texts = _language_texts(min(rows, 50_000))
    start = time.perf_counter()
    other = LanguageCheck().other_language(texts, "en")
    return {"rows": len(texts), "seconds": time.perf_counter() - start, "found": int(other.sum())}


def route_language_baseline(work: Path, rows: int) -> dict:
    """py3langid on every text, as a user would call it."""
    import py3langid

    texts = _language_texts(min(rows, 50_000))
    start = time.perf_counter()
    other = sum(py3langid.classify(t[:1000])[0] != "en" for t in texts)
    return {"rows": len(texts), "seconds": time.perf_counter() - start, "found": other}


def route_medalpaca(work: Path, rows: int, num_proc: int = 1) -> dict:
    """Every default quality step of a build over a medAlpaca-sized mixture, with
    `num_proc` processes."""
    from gen_quality import read_items

    from meadow.quality import BenchmarkIndex, QualityRun, QualitySettings, SourcePolicy

    count = min(rows, MEDALPACA_ROWS)
    start = time.perf_counter()
    index = BenchmarkIndex(read_items(work / "items.jsonl"), NGRAM)
    policies = {
        "wikidoc": SourcePolicy(),
        "chatdoctor": SourcePolicy(pii=True, language="en", boilerplate=True),
    }
    pieces = (("train", t) for t in _batches(work / "rows.parquet", count))
    options = {"num_proc": num_proc} if num_proc > 1 else {}
    with QualityRun(QualitySettings(), policies, index=index, work_dir=work, **options) as run:
        run.run(pieces, progress=False)
        written = sum(t.num_rows for _, t in run.iter_tables())
        stats = run.source_stats()
    removed = {name: s["removed"] for name, s in stats.items()}
    return {
        "rows": count,
        "seconds": time.perf_counter() - start,
        "kept": written,
        "removed": removed,
        "steps": {k: round(v, 1) for k, v in run.timings.items()},
    }


def _one_by_one(texts: list[str], language: str) -> list[bool]:
    """`LanguageCheck.other_language` before the batch path: py3langid text by text."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from meadow.quality import filters as f

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    out = []
    for text in texts:
        sample = text[: f._SAMPLE_CHARS]
        if language == "en":
            words = sample.lower().split()
            common = sum(w.strip(f._WORD_PUNCTUATION) in f._ENGLISH_WORDS for w in words)
            english = bool(words) and common / len(words) >= f._ENGLISH_SHARE
        if (language == "en" and english) or sum(map(str.isalpha, sample)) < f._MIN_LETTERS:
            out.append(False)
        else:
            found, probability = identifier.classify(sample)
            out.append(found != language and probability >= f._CONFIDENCE)
    return out


def route_language_rows(work: Path, rows: int) -> dict:
    """`other_language` on the rows of `build_rows(work)` (every input and output, up to `rows`),
    py3langid text by text, then batched: CPU seconds of each, in one process; "en" (the
    build's case, most texts settled by their function words) and "fr" (every text of 20
    letters or more identified)."""
    import pyarrow.parquet as pq
    from build_rows import build_rows

    from meadow.quality.filters import LanguageCheck

    texts: list[str] = []
    for path in build_rows(work).values():
        table = pq.read_table(path, columns=["input", "output"])
        texts += [t for column in table.columns for t in column.to_pylist() if t]
    texts = texts[:rows]
    check = LanguageCheck()
    check.other_language(["warm up: the model loads once, untimed " * 3], "fr")
    result: dict = {"rows": len(texts)}
    for language in ("en", "fr"):
        start = time.process_time()
        before = _one_by_one(texts, language)
        old = time.process_time() - start
        start = time.process_time()
        after = check.other_language(texts, language).tolist()
        new = time.process_time() - start
        if after != before:
            raise SystemExit(f"language {language}: the batch path decided differently")
        result[language] = {
            "cpu_one_by_one": round(old, 2),
            "cpu_batched": round(new, 2),
            "speedup": round(old / new, 2),
            "other_language": sum(after),
        }
    result["seconds"] = result["en"]["cpu_batched"] + result["fr"]["cpu_batched"]
    result["found"] = "the same decisions both ways"
    return result


PER_BATCH_ROWS = 100_000


def _chat_rows(work: Path, count: int) -> Path:
    """ChatDoctor-like rows, written once: the generator's Zipf vocabulary, greetings and
    sign-offs around the answers, and one question in six with personal details (a labelled
    patient message of tests/quality/pii_snippets.yaml); half the rows are wikidoc's."""
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq
    import yaml
    from gen_quality import Texts

    from meadow.schema import ARROW_SCHEMA, record_id

    path = work / f"chat_rows_{count}.parquet"
    if path.is_file():
        return path
    snippets = HERE.parent / "tests" / "quality" / "pii_snippets.yaml"
    messages = [e["text"] for e in yaml.safe_load(snippets.read_text())]
    texts, rng = Texts(7), random.Random(7)
    inputs = texts.many(texts.lengths(count, 60))
    outputs = texts.many(texts.lengths(count, 120))
    sources = ["chatdoctor" if k % 2 == 0 else "wikidoc" for k in range(count)]
    for k in range(0, count, 2):
        extra = " " + rng.choice(messages) if rng.random() < 1 / 6 else ""
        inputs[k] = f"Hi doctor, {inputs[k]}{extra}"
        outputs[k] = (
            f"Hi, Thanks for your query. {outputs[k]} Hope this helps. Regards, Chat Doctor."
        )
    ids = [str(k) for k in range(count)]
    table = pa.table(
        {
            "id": [record_id(s, "", i) for s, i in zip(sources, ids, strict=True)],
            "instruction": ["Answer this question truthfully"] * count,
            "input": inputs,
            "output": outputs,
            "source": sources,
            "subset": [""] * count,
            "source_id": ids,
            "license": ["CC-BY-SA-4.0"] * count,
        },
        schema=ARROW_SCHEMA,
    )
    pq.write_table(table, path, compression="zstd")
    return path


def route_per_batch(work: Path, rows: int, num_proc: int = 1, near: bool = False) -> dict:
    """The quality pass but near dedup (PII, boilerplate, filters with the language check,
    exact keys) over ChatDoctor-like rows, with `num_proc` processes; `near`: with near
    dedup too (its band keys in pass 1 since issue 17, clustered after)."""
    from dataclasses import replace

    from meadow.quality import QualityRun, QualitySettings, SourcePolicy

    rows = min(rows, PER_BATCH_ROWS)
    path = _chat_rows(work, rows)
    policies = {
        "chatdoctor": SourcePolicy(pii=True, language="en", boilerplate=True),
        "wikidoc": SourcePolicy(),
    }
    settings = QualitySettings() if near else replace(QualitySettings(), near_dedup=None)
    options = {"num_proc": num_proc} if num_proc > 1 else {}
    start = time.perf_counter()
    with QualityRun(settings, policies, work_dir=work, **options) as run:
        run.run((("train", t) for t in _batches(path, rows)), progress=False)
        stats = run.source_stats()
    seconds = time.perf_counter() - start
    doctor = stats["chatdoctor"]
    return {
        "rows": rows,
        "seconds": seconds,
        "found": f"{sum(doctor['pii_replaced'].values()):,} PII replaced",
        "steps": {k: round(v, 1) for k, v in run.timings.items()},
    }


ROUTES = {
    "decontamination_meadow": route_decontamination_meadow,
    "decontamination_baseline": route_decontamination_baseline,
    "near_meadow": route_near_meadow,
    "near_baseline": route_near_baseline,
    "language_meadow": route_language_meadow,
    "language_baseline": route_language_baseline,
    "language_rows": route_language_rows,
    "medalpaca": route_medalpaca,
    "medalpaca_before": route_medalpaca,
    "medalpaca_n2": functools.partial(route_medalpaca, num_proc=2),
    "per_batch_before": route_per_batch,
    "per_batch_n1": route_per_batch,
    "per_batch_n2": functools.partial(route_per_batch, num_proc=2),
    "with_near_before": functools.partial(route_per_batch, near=True),
    "with_near_n1": functools.partial(route_per_batch, near=True),
    "with_near_n2": functools.partial(route_per_batch, num_proc=2, near=True),
}
GROUPS = {
    "decontamination": ["decontamination_meadow", "decontamination_baseline"],
    "near": ["near_meadow", "near_baseline"],
    "language": ["language_meadow", "language_baseline"],
    "language_rows": ["language_rows"],
    "medalpaca": ["medalpaca"],
    "medalpaca_n": ["medalpaca_before", "medalpaca", "medalpaca_n2"],
    "per_batch": ["per_batch_before", "per_batch_n1", "per_batch_n2"],
    "with_near": ["with_near_before", "with_near_n1", "with_near_n2"],
}


def run_child(route: str, work: Path, rows: int, before: Path | None = None) -> dict:
    where = ["--before", str(before)] if before and route.endswith("_before") else []
    return run_route(__file__, route, ["--work", str(work), "--rows", str(rows), *where])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/meadow-bench-quality"))
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--only", choices=sorted(GROUPS))
    parser.add_argument("--child", choices=sorted(ROUTES))
    parser.add_argument(
        "--before",
        type=Path,
        help="a checkout of meadow before a change (git worktree add DIR REV): the "
        "*_before routes run its code",
    )
    args = parser.parse_args()
    if args.child:
        if args.before:
            sys.path.insert(0, str(args.before.resolve()))
        result = ROUTES[args.child](args.work, args.rows)
        print(json.dumps({**result, "peak_mib": round(_peak_mib())}))
        return
    args.work.mkdir(parents=True, exist_ok=True)
    if not (args.work / "rows.parquet").is_file():
        print(f"generating {args.rows:,} rows and the benchmark items in {args.work} …")
        subprocess.run(
            [
                sys.executable,
                str(HERE / "gen_quality.py"),
                str(args.work),
                "--rows",
                str(args.rows),
            ],
            check=True,
        )
    print(f"{'route':<28}{'rows':>11}{'seconds':>10}{'rows/s':>10}{'peak MiB':>10}  found")
    for group in [args.only] if args.only else list(GROUPS):
        results = {}
        for route in GROUPS[group]:
            if route.endswith("_before") and not args.before:
                continue  # no checkout to compare with
            if route.startswith(("per_batch", "with_near")):
                _chat_rows(args.work, min(args.rows, PER_BATCH_ROWS))  # written once, untimed
            r = results[route] = run_child(route, args.work, args.rows, args.before)
            rate = r["rows"] / r["seconds"]
            print(
                f"{route:<28}{r['rows']:>11,}{r['seconds']:>10.1f}{rate:>10,.0f}"
                f"{r['peak_mib']:>10,}  {r.get('found', r.get('kept'))}"
            )
            extra = {
                k: v for k, v in r.items() if k not in ("rows", "seconds", "peak_mib", "found")
            }
            if extra:
                print(f"{'':<28}{json.dumps(extra)}")
        if group in ("per_batch", "with_near", "medalpaca_n") and len(results) > 1:
            (b, br), *others = results.items()
            for m, mr in others:
                speed = (mr["rows"] / mr["seconds"]) / (br["rows"] / br["seconds"])
                print(f"{'':<28}{m} / {b}: {speed:.2f}× the rows/s")
        elif len(results) == 2:
            (m, mr), (b, br) = results.items()
            speed = (mr["rows"] / mr["seconds"]) / (br["rows"] / br["seconds"])
            memory = mr["peak_mib"] / br["peak_mib"]
            print(f"{'':<28}{m} / {b}: {speed:.2f}× the rows/s, {memory:.1f}× the memory")


if __name__ == "__main__":
    main()
