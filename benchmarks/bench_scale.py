"""Whole builds at medAlpaca's and PMC-LLaMA's scale: wall, CPU, peak RSS and time per stage.

Generates (once, cached in --work) the raw files of both recipes in their upstream layouts,
at medAlpaca's and PMC-LLaMA's sizes times --scale:

* medalpaca: 33,955 Anki notes (.apkg), 7,936 Wikidoc pages (.html), ~1 GB of Stack
  Exchange Posts.xml over the five sites (split as the recipe's quotas are), a 1M-row
  CORD-19 metadata.csv, 119,486 ChatDoctor rows (HealthCareMagic-100k.json); the small
  sources (mediqa, mmlu, health_advice, pubmed_causal, oasst, usmle: ~38k rows at full
  size) read meadow's bundled samples, so nothing downloads;
* pmc-llama: MedQA US (10,178 / 1,272 / 1,273 questions), MedMCQA (182,822 / 4,183 / 6,150
  JSON lines), PubMedQA's ori_pqaa.json (211,269 items), UMLS RRF files with a 5M-line
  MRREL (300k concepts).

Then, for each recipe and each --num-proc, it runs `meadow build --mixture RECIPE --raw …`
three times, each in a fresh process (its wall, user+sys CPU and peak RSS are read with
os.wait4, so they are that build's alone; peak RSS is the largest single process):

* cold: a fresh MEADOW_HOME (parse, mixing, quality, writing);
* warm: the parse cache kept, the store emptied (mixing, quality and writing again);
* unchanged: the same build again, the revision already there.

The time per stage is the build's own `time:` line (stderr). Next to the builds, from the
same run: the bare streaming parse of each format (the ceiling, benchmarks/bench_build.py's
routes) and the naive route (pandas / json.load, then datasets.Dataset.from_*) for the
JSON, CSV and RRF sources. The revision of every --num-proc must be the same.

Run:  python benchmarks/bench_scale.py [--scale 0.1] [--recipe both] [--num-proc 1,2]
      [--work DIR] [--no-baselines]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

SAMPLES = ROOT / "meadow" / "samples"
# full-size counts (scaled by --scale)
ANKI_NOTES = 33_955
WIKIDOC_PAGES = 7_936
SE_BYTES = 1_000_000_000
SE_SITES = {  # site: share of the bytes, as the recipe's quotas
    "academia": 40_865,
    "biology": 27_887,
    "fitness": 9_833,
    "medicalsciences": 7_721,
    "bioinformatics": 5_407,
}
CORD19_ROWS = 1_000_000
CHATDOCTOR_ROWS = 119_486
MEDQA = {"train": 10_178, "dev": 1_272, "test": 1_273}
MEDMCQA = {"train": 182_822, "dev": 4_183, "test": 6_150}
PQAA_ITEMS = 211_269
MRREL_LINES = 5_000_000
UMLS_CONCEPTS = 300_000
SMALL_MEDALPACA = ("mediqa", "mmlu", "health_advice", "pubmed_causal", "oasst", "usmle")


def _n(full: int, scale: float, least: int = 5) -> int:
    return max(least, round(full * scale))


def _once(target: Path, make) -> Path:
    """Run `make(tmp)` into a temporary sibling of `target`, then rename: an interrupted
    generation is never mistaken for a finished one."""
    if target.exists():
        return target
    tmp = target.with_name(target.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    make(tmp)
    tmp.rename(target)
    return target


# -- generated inputs ------------------------------------------------------------------------


def medalpaca_raw(work: Path, scale: float) -> dict[str, Path]:
    """Raw files for every source of the medalpaca recipe, generated once per scale."""
    from gen_anki import make_deck
    from gen_chatdoctor import make_file as make_chatdoctor
    from gen_cord19 import make_metadata
    from gen_stackexchange import make_posts
    from gen_wikidoc import make_pages

    base = work / f"medalpaca-{scale:g}"
    raw = {
        "anki": _once(base / "anki", lambda d: make_deck(d / "deck.apkg", _n(ANKI_NOTES, scale))),
        "wikidoc": _once(base / "wikidoc", lambda d: make_pages(d, _n(WIKIDOC_PAGES, scale))),
    }

    def stackexchange(folder: Path) -> None:
        total = sum(SE_SITES.values())
        for seed, (site, share) in enumerate(SE_SITES.items()):
            target = max(200_000, int(SE_BYTES * scale * share / total))
            make_posts(folder / f"{site}.stackexchange.com" / "Posts.xml", target, seed=seed)

    raw["stackexchange"] = _once(base / "stackexchange", stackexchange)
    raw["cord19"] = _once(
        base / "cord19", lambda d: make_metadata(d / "metadata.csv", _n(CORD19_ROWS, scale))
    )
    raw["chatdoctor"] = _once(
        base / "chatdoctor", lambda d: make_chatdoctor(d, _n(CHATDOCTOR_ROWS, scale))
    )
    raw.update({name: SAMPLES / name for name in SMALL_MEDALPACA})
    return raw


def _write_medqa(folder: Path, scale: float) -> None:
    """MedQA's data_clean/questions/US layout: SPLIT.jsonl with five options and
    4_options/phrases_no_exclude_SPLIT.jsonl with four (and metamap phrases), {question,
    answer, options, meta_info, answer_idx} per line, ~110-word vignettes."""
    import numpy as np
    from gen_quality import Texts

    texts = Texts(7)
    (folder / "4_options").mkdir()
    for split, full in MEDQA.items():
        n = _n(full, scale)
        questions = texts.many(np.maximum(texts.lengths(n, 110), 8), rare=0.3)
        options = texts.many(texts.lengths(5 * n, 3), rare=0.5)
        five = (folder / f"{split}.jsonl").open("w", encoding="utf-8")
        four = (folder / "4_options" / f"phrases_no_exclude_{split}.jsonl").open("w")
        with five, four:
            for i, question in enumerate(questions):
                for letters, out in (("ABCDE", five), ("ABCD", four)):
                    choices = dict(zip(letters, options[5 * i : 5 * i + 5], strict=False))
                    key = letters[i % len(letters)]
                    item = {
                        "question": question,
                        "answer": choices[key],
                        "options": choices,
                        "meta_info": "step1" if i % 2 else "step2&3",
                        "answer_idx": key,
                    }
                    if out is four:
                        item["metamap_phrases"] = question.split(".")[:3]
                    out.write(json.dumps(item) + "\n")


def _write_medmcqa(folder: Path, scale: float) -> None:
    """MedMCQA's data.zip layout (train/dev/test.json, JSON lines): one-line questions with
    four short options, an explanation on most training rows, no answer in test."""
    import numpy as np
    from gen_quality import Texts

    texts = Texts(11)
    subjects = ["Anatomy", "Pharmacology", "Medicine", "Surgery", "Pathology", "Microbiology"]
    for split, full in MEDMCQA.items():
        n = _n(full, scale)
        questions = texts.many(np.maximum(texts.lengths(n, 14), 4), rare=0.4)
        options = texts.many(texts.lengths(4 * n, 3), rare=0.5)
        explanations = texts.many(texts.lengths(n, 60))
        with (folder / f"{split}.json").open("w", encoding="utf-8") as out:
            for i, question in enumerate(questions):
                item: dict = {"question": question}
                if split != "test":
                    if i % 6:  # about one in six has no explanation, as upstream
                        item["exp"] = explanations[i]
                    item["cop"] = i % 4 + 1
                item.update(
                    zip(("opa", "opb", "opc", "opd"), options[4 * i : 4 * i + 4], strict=True)
                )
                item.update(
                    subject_name=subjects[i % len(subjects)],
                    topic_name=None,
                    id=f"{split}-{i:08x}-0000-4000-8000-000000000000",
                    choice_type="single" if i % 5 else "multi",
                )
                out.write(json.dumps(item) + "\n")


def pmc_llama_raw(work: Path, scale: float) -> dict[str, Path]:
    """Raw files for every source of the pmc-llama recipe, generated once per scale."""
    from gen_pubmedqa import make_file as make_pqaa
    from gen_umls import make_meta

    base = work / f"pmc-llama-{scale:g}"
    return {
        "medqa": _once(base / "medqa", lambda d: _write_medqa(d, scale)),
        "medmcqa": _once(base / "medmcqa", lambda d: _write_medmcqa(d, scale)),
        "pubmedqa": _once(base / "pubmedqa", lambda d: make_pqaa(d, _n(PQAA_ITEMS, scale))),
        "umls": _once(
            base / "umls",
            lambda d: make_meta(d, _n(UMLS_CONCEPTS, scale, 50), _n(MRREL_LINES, scale, 50)),
        ),
    }


# -- one build in its own process ------------------------------------------------------------


def _wait(command: list[str], env: dict[str, str], logs: Path) -> tuple[dict, str, str]:
    """Run `command`, its output into files; its wall, CPU and peak RSS from os.wait4."""
    out_path, err_path = logs.with_suffix(".out"), logs.with_suffix(".err")
    with out_path.open("w") as out, err_path.open("w") as err:
        started = time.perf_counter()
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = out_path.read_text(), err_path.read_text()
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command[:6])} … failed ({child.returncode}):\n{stderr}")
    measured = {
        "wall": wall,
        "cpu": usage.ru_utime + usage.ru_stime,
        "peak_mib": usage.ru_maxrss / 1024,
    }
    return measured, stdout, stderr


def parse_time_line(stderr: str) -> dict[str, float]:
    """The build's `time:` line as {stage: seconds}: groups (`parse`, `quality`) and their
    parts (`parse anki`, `quality near_dedup`), `total` last."""
    line = next((ln for ln in stderr.splitlines() if ln.startswith("time: ")), "")
    if not line:
        return {}
    stages, _, total = line[len("time: ") :].rpartition("; total ")
    seconds: dict[str, float] = {}
    for group, value, parts in re.findall(r"([^,(]+) ([\d.]+)s(?: \(([^)]*)\))?", stages):
        group = group.strip(" ,")
        seconds[group] = float(value)
        for part in filter(None, parts.split(", ")):
            name, _, part_value = part.rpartition(" ")
            name = name.removesuffix(" cached")
            seconds[f"{group} {name}"] = float(part_value.rstrip("s"))
    seconds["total"] = float(total.rstrip("s"))
    return seconds


def build(recipe: str, raw: dict[str, Path], home: Path, num_proc: int, logs: Path) -> dict:
    """`meadow build --mixture RECIPE` in a fresh process: its figures, rows and revision."""
    command = [sys.executable, "-m", "meadow.cli", "build", "--mixture", recipe]
    for name, path in raw.items():
        command += ["--raw", f"{name}={path}"]
    command += ["--num-proc", str(num_proc)]
    env = {
        **os.environ,
        "MEADOW_HOME": str(home),
        "MEADOW_DISABLE_PROGRESS_BARS": "1",
        "COLUMNS": "10000",  # the time: line on one line
        "HF_HUB_OFFLINE": "1",
        "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    measured, _, stderr = _wait(command, env, logs)
    revisions = sorted((home / "store" / recipe / "revisions").glob("*/manifest.json"))
    manifest = json.loads(revisions[-1].read_text()) if revisions else {}
    measured["rows"] = sum(manifest.get("splits", {}).values())
    measured["revision"] = revisions[-1].parent.name if revisions else ""
    measured["stages"] = parse_time_line(stderr)
    return measured


def run_builds(
    recipe: str,
    raw: dict[str, Path],
    work: Path,
    procs: list[int],
    modes: tuple[str, ...] = ("cold", "warm", "unchanged"),
) -> list[dict]:
    """Cold, warm and unchanged builds (or those of `modes`, in that order) for every
    --num-proc; each build's figures."""
    results = []
    for num_proc in procs:
        home = work / "homes" / f"{recipe}-np{num_proc}"
        shutil.rmtree(home, ignore_errors=True)
        for mode in modes:
            if mode == "warm":  # keep the parse cache, drop what was built
                shutil.rmtree(home / "store", ignore_errors=True)
            logs = work / "logs" / f"{recipe}-np{num_proc}-{mode}"
            logs.parent.mkdir(parents=True, exist_ok=True)
            got = build(recipe, raw, home, num_proc, logs)
            got.update(recipe=recipe, mode=mode, num_proc=num_proc)
            print(_build_row(got), flush=True)
            results.append(got)
        shutil.rmtree(home, ignore_errors=True)
    revisions = {r["revision"] for r in results}
    if len(revisions) != 1:
        raise SystemExit(f"{recipe}: the revision differs between builds: {sorted(revisions)}")
    return results


# -- baselines: the bare parse of each format, and the naive route ---------------------------


def naive_json_array(paths: list[Path]) -> int:
    """json.load of each file, then datasets.Dataset.from_list: what a user writes."""
    import datasets

    items = []
    for path in paths:
        with path.open("rb") as f:
            loaded = json.load(f)
        items += list(loaded.values()) if isinstance(loaded, dict) else loaded
    if items and isinstance(items[0], dict) and "final_decision" in items[0]:
        items = [{k: str(v) for k, v in item.items()} for item in items]  # mixed types
    return datasets.Dataset.from_list(items).num_rows


def naive_json_lines(paths: list[Path]) -> int:
    """pandas.read_json(lines=True) of each file, then datasets.Dataset.from_pandas."""
    import datasets
    import pandas

    frame = pandas.concat([pandas.read_json(p, lines=True, dtype=False) for p in paths])
    frame = frame.astype(str)
    return datasets.Dataset.from_pandas(frame, preserve_index=False).num_rows


def naive_csv(paths: list[Path]) -> int:
    """pandas.read_csv, then datasets.Dataset.from_pandas."""
    import datasets
    import pandas

    frame = pandas.concat([pandas.read_csv(p, dtype=str, keep_default_na=False) for p in paths])
    return datasets.Dataset.from_pandas(frame, preserve_index=False).num_rows


def naive_rrf(paths: list[Path]) -> int:
    """pandas.read_csv of MRREL.RRF, then datasets.Dataset.from_pandas."""
    import csv

    import datasets
    import pandas

    frame = pandas.read_csv(
        paths[0] / "MRREL.RRF", sep="|", header=None, dtype=str, quoting=csv.QUOTE_NONE
    )
    frame.columns = [f"f{i}" for i in range(frame.shape[1])]
    return datasets.Dataset.from_pandas(frame, preserve_index=False).num_rows


def ceiling_json_lines(paths: list[Path]) -> int:
    """json.loads of every line: the bare parse of a JSON-lines file."""
    rows = 0
    for path in paths:
        with path.open("rb") as f:
            for line in f:
                json.loads(line)
                rows += 1
    return rows


NAIVE = {
    "json-array": naive_json_array,
    "json-lines": naive_json_lines,
    "csv": naive_csv,
    "rrf": naive_rrf,
    "jsonl-ceiling": ceiling_json_lines,
}

# source: (format, ceiling route, its inputs in the raw folder (a glob; "" the folder itself),
# naive route or None)
BASELINES = {
    "anki": ("Anki .apkg", "anki-ceiling", "*.apkg", None),
    "wikidoc": ("HTML pages", "wikidoc-ceiling", "", None),
    "stackexchange": ("Posts.xml", "posts-ceiling", "*/Posts.xml", None),
    "cord19": ("CSV", "csv-ceiling", "metadata.csv", "csv"),
    "chatdoctor": ("JSON array", "json-array-ceiling", "*.json", "json-array"),
    "medqa": ("JSON lines", "jsonl-ceiling", "4_options/*.jsonl", "json-lines"),
    "medmcqa": ("JSON lines", "jsonl-ceiling", "*.json", "json-lines"),
    "pubmedqa": ("JSON object", "json-object-ceiling", "ori_pqaa.json", "json-array"),
    "umls": ("RRF", "rrf-arrow-ceiling", "", "rrf"),
}


def _measure_child(route: str, paths: list[Path]) -> None:
    """In a child process: one route over its inputs; rows and seconds as JSON."""
    import bench_build

    if route in NAIVE and route != "jsonl-ceiling":  # imports are not part of the route's time
        import datasets  # noqa: F401
        import pandas  # noqa: F401
    started = time.perf_counter()
    if route in NAIVE:
        rows = NAIVE[route](paths)
    else:
        rows = sum(bench_build.MEASURES[route](p) for p in paths)
    print(json.dumps({"rows": rows, "seconds": time.perf_counter() - started}))


def baselines(raw: dict[str, Path], work: Path) -> list[dict]:
    """The ceiling and naive routes of every generated source, each in its own process."""
    results = []
    for source, path in raw.items():
        if source not in BASELINES or path.is_relative_to(SAMPLES):
            continue
        fmt, ceiling, pattern, naive = BASELINES[source]
        paths = [str(p) for p in sorted(path.glob(pattern))] if pattern else [str(path)]
        for kind, route in (("ceiling", ceiling), ("naive", naive)):
            if route is None:
                continue
            command = [sys.executable, __file__, "--measure", route, *paths]
            logs = work / "logs" / f"baseline-{source}-{kind}"
            measured, stdout, _ = _wait(command, dict(os.environ), logs)
            child = json.loads(stdout.strip().splitlines()[-1])
            measured.update(source=source, format=fmt, kind=kind, route=route, **child)
            print(_baseline_row(measured), flush=True)
            results.append(measured)
    return results


# -- the report ------------------------------------------------------------------------------

BUILD_HEAD = (
    "| recipe | build | num-proc | wall s | CPU s | peak RSS MiB | rows | stages (s) |\n"
    "|---|---|---:|---:|---:|---:|---:|---|"
)
BASELINE_HEAD = (
    "| source | format | route | rows | seconds | rows/s | peak RSS MiB |\n"
    "|---|---|---|---:|---:|---:|---:|"
)


def _stages(stages: dict[str, float]) -> str:
    groups = [k for k in stages if " " not in k and k != "total"]
    return ", ".join(f"{k} {stages[k]:.1f}" for k in groups)


def _build_row(r: dict) -> str:
    return (
        f"| {r['recipe']} | {r['mode']} | {r['num_proc']} | {r['wall']:.1f} | {r['cpu']:.1f} "
        f"| {r['peak_mib']:.0f} | {r['rows']:,} | {_stages(r['stages'])} |"
    )


def _baseline_row(r: dict) -> str:
    rate = r["rows"] / r["seconds"] if r["seconds"] else 0.0
    return (
        f"| {r['source']} | {r['format']} | {r['kind']}: {r['route']} | {r['rows']:,} "
        f"| {r['seconds']:.2f} | {rate:,.0f} | {r['peak_mib']:.0f} |"
    )


def _stage_table(results: list[dict]) -> list[str]:
    """Every stage of every build, parts included: where the time goes."""
    names: list[str] = []
    for r in results:
        names += [k for k in r["stages"] if k not in names]
    head = "| stage | " + " | ".join(f"{r['mode']} np{r['num_proc']}" for r in results) + " |"
    lines = [head, "|---|" + "---:|" * len(results)]
    for name in names:
        cells = [f"{r['stages'][name]:.2f}" if name in r["stages"] else "" for r in results]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="sizes times this")
    parser.add_argument("--recipe", choices=["medalpaca", "pmc-llama", "both"], default="both")
    parser.add_argument("--num-proc", default="1,2", help="comma-separated, e.g. 1,2")
    parser.add_argument("--work", type=Path, default=ROOT / ".bench" / "scale")
    parser.add_argument("--no-baselines", action="store_true", help="builds only")
    parser.add_argument(
        "--modes", default="cold,warm,unchanged", help="which builds, e.g. cold (a baseline)"
    )
    parser.add_argument("--json", type=Path, help="also write every figure here")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args, rest = parser.parse_known_args()
    if args.measure:
        _measure_child(args.measure, [Path(p) for p in rest])
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        procs = [int(n) for n in args.num_proc.split(",")]
    except ValueError:
        parser.error(f"--num-proc: expected numbers like 1,2, got {args.num_proc!r}")
    if args.scale <= 0 or any(n < 1 for n in procs):
        parser.error("--scale and every --num-proc must be positive")
    modes = tuple(m for m in ("cold", "warm", "unchanged") if m in args.modes.split(","))
    if not modes or modes[0] != "cold" or set(args.modes.split(",")) - set(modes):
        parser.error(f"--modes: expected cold, then warm and/or unchanged, got {args.modes!r}")

    args.work = args.work.resolve()
    args.work.mkdir(parents=True, exist_ok=True)
    recipes = ["medalpaca", "pmc-llama"] if args.recipe == "both" else [args.recipe]
    makers = {"medalpaca": medalpaca_raw, "pmc-llama": pmc_llama_raw}
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    print(f"bench_scale --scale {args.scale:g} --num-proc {args.num_proc} (commit {commit})")
    builds: list[dict] = []
    base: list[dict] = []
    for recipe in recipes:
        started = time.perf_counter()
        raw = makers[recipe](args.work, args.scale)
        mb = sum(f.stat().st_size for p in raw.values() for f in [p, *p.rglob("*")] if f.is_file())
        print(f"{recipe}: inputs {mb / 1e6:,.0f} MB ready in {time.perf_counter() - started:.1f}s")
        print(BUILD_HEAD, flush=True)
        builds += run_builds(recipe, raw, args.work, procs, modes)
        if not args.no_baselines:
            print(BASELINE_HEAD, flush=True)
            base += baselines(raw, args.work)

    print("\n## builds\n" + BUILD_HEAD)
    print("\n".join(_build_row(r) for r in builds))
    for recipe in recipes:
        print(f"\n## {recipe}: seconds per stage\n")
        print("\n".join(_stage_table([r for r in builds if r["recipe"] == recipe])))
    if base:
        print("\n## the bare parse of each format (ceiling) and the naive route\n" + BASELINE_HEAD)
        print("\n".join(_baseline_row(r) for r in base))
    if args.json:
        args.json.write_text(json.dumps({"commit": commit, "builds": builds, "baselines": base}))


if __name__ == "__main__":
    main()
