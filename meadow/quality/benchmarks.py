"""The benchmarks decontamination checks against: where their raw files are, and their items.

A benchmark's raw files are found as a build finds any source's: the recipe's `raw:` or
`--raw NAME=PATH` (the bundled samples, for the `sample` recipe), or files already
downloaded into MEADOW_HOME/downloads (nothing is downloaded for a check). A benchmark
whose files are not found is not checked, and the manifest and the card say so; one the
recipe requires stops the build with where to get its files. Items come from each source's
own `contamination_items`: the items `meadow eval` scores (USMLE (all), MedQA test,
MedMCQA dev, PubMedQA's labelled set, MMLU's health subjects' test questions) and the
questions whose answers are withheld (MedMCQA's test split).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from meadow.converters.multiple_choice import parse_question
from meadow.errors import BenchmarkMissingError, MissingRawFilesError
from meadow.parse_runner import plan_source
from meadow.paths import source_cache_root
from meadow.raw import resolve_raw
from meadow.schema import EvalItem
from meadow.sources import get_source
from meadow.sources.base import Skip, Source


@dataclass
class BenchmarkQuestions:
    """One benchmark's questions, the ones decontamination checks the training rows against,
    and the files they came from.

    Attributes:
        name: the source name (`usmle`, `medqa`, …).
        items: its evaluation items, in file order.
        files: the raw files that hold items: `{"name", "sha256", "items"}`.
        raw_files: every raw file of the folder (name, sha256, size): the revision covers them.
        skipped: items the source could not use, by reason (as in its own build).
    """

    name: str
    items: list[EvalItem]
    files: list[dict[str, Any]]
    raw_files: list[dict[str, Any]]
    skipped: dict[str, int] = field(default_factory=dict)


@dataclass
class Benchmarks:
    """The benchmarks found (with their items) and those that were not, with why."""

    found: dict[str, BenchmarkQuestions] = field(default_factory=dict)
    # name -> (why it was not checked, where to get its files)
    missing: dict[str, tuple[str, str]] = field(default_factory=dict)

    def manifest(self) -> dict[str, Any]:
        """What the manifest and the card say about each benchmark: checked or not."""
        out: dict[str, Any] = {}
        for name, bench in self.found.items():
            out[name] = {
                "checked": True,
                "items": len(bench.items),
                "files": bench.files,
                "skipped": bench.skipped,
            }
        for name, (reason, how_to_get) in self.missing.items():
            out[name] = {"checked": False, "reason": reason, "how_to_get": how_to_get}
        return out

    def fill_from(self, other: Benchmarks) -> None:
        """Take `other`'s benchmarks for those not found here (raw files come first)."""
        for name, bench in other.found.items():
            if name not in self.found:
                self.found[name] = bench
                self.missing.pop(name, None)

    def fingerprint(self) -> dict[str, list[str]]:
        """The sha256 of every raw file of every benchmark checked."""
        return {
            name: [f"{f['name']}:{f['sha256']}" for f in bench.raw_files]
            for name, bench in self.found.items()
        }


def find_benchmarks(
    names: Sequence[str],
    *,
    given: Mapping[str, Path],
    adapters: Mapping[str, Source] | None = None,
    known_files: Mapping[str, list[dict[str, Any]]] | None = None,
    require: Sequence[str] = (),
) -> Benchmarks:
    """Find and read the benchmarks `names`.

    `given` maps a benchmark to its raw file or folder (a recipe's source, `--raw`);
    `adapters` are the build's configured sources (a benchmark mixed into the build is read
    with its recipe options); `known_files` the raw-file hashes a build has already made.
    A benchmark in `require` that is not found raises `BenchmarkMissingError`.
    """
    found = Benchmarks()
    for name in names:
        adapter = (adapters or {}).get(name) or get_source(name)()
        try:
            raw = resolve_raw(adapter, given.get(name), download_missing=False)
        except MissingRawFilesError as error:
            if name in require:
                raise BenchmarkMissingError(name, error.how_to_get) from None
            reason = f"no raw files found (pass --raw {name}=PATH)"
            found.missing[name] = (reason, error.how_to_get)
            continue
        bench = _read(adapter, raw, (known_files or {}).get(name))
        if bench.items:
            found.found[name] = bench
        else:
            reason = f"its raw files ({raw.name}) hold no evaluation items"
            if name in require:
                raise BenchmarkMissingError(name, f"{reason}. {adapter.how_to_get}")
            found.missing[name] = (reason, adapter.how_to_get)
    return found


def _read(adapter: Source, raw: Path, raw_files: list[dict[str, Any]] | None) -> BenchmarkQuestions:
    shards = adapter.shards(raw)
    if raw_files is None or len(raw_files) != len(shards):
        raw_files = plan_source(adapter, raw, source_cache_root(), workers=4).raw_files
    items: list[EvalItem] = []
    skipped: Counter[str] = Counter()
    files = []
    for shard, info in zip(shards, raw_files, strict=True):
        before = len(items)
        for item in adapter.contamination_items(shard):
            if isinstance(item, Skip):
                skipped[item.reason] += item.count
            else:
                items.append(item)
        if len(items) > before:
            files.append(
                {"name": info["name"], "sha256": info["sha256"], "items": len(items) - before}
            )
    return BenchmarkQuestions(adapter.name, items, files, raw_files, dict(sorted(skipped.items())))


def benchmarks_from_rows(
    pieces: Iterable[tuple[str, pa.Table]],
    evaluation_only: Mapping[str, Iterable[str]],
    names: Sequence[str],
    *,
    label: str,
) -> Benchmarks:
    """Benchmarks read from a built evaluation mixture: its evaluation-only rows (the test
    split rows of each benchmark's evaluation subsets), the question and options taken back
    from the row's input. `label` names the mixture and revision in the manifest."""
    wanted = {name: set(evaluation_only.get(name, ())) for name in names}
    items: dict[str, list[EvalItem]] = {name: [] for name in names}
    digest = hashlib.sha256()
    for split, table in pieces:
        if split != "test":
            continue
        for row in table.select(["source", "subset", "source_id", "input"]).to_pylist():
            if row["subset"] in wanted.get(row["source"], ()):
                question, options = parse_question(row["input"])
                items[row["source"]].append(
                    EvalItem(row["source"], row["subset"], row["source_id"], question, options, "")
                )
                digest.update(f"{row['source']}\x1f{row['source_id']}\x1f{row['input']}\n".encode())
    found = Benchmarks()
    sha = digest.hexdigest()
    for name, found_items in items.items():
        if found_items:
            files = [{"name": label, "sha256": sha, "items": len(found_items)}]
            raw = [{"name": label, "sha256": sha, "size": 0}]
            found.found[name] = BenchmarkQuestions(name, found_items, files, raw)
    return found
