"""Running the quality steps over a build's rows, between the mixer and the store.

Three streaming passes over Arrow batches:

1. every row as the mixer gives it: ChatDoctor's boilerplate stripped, PII scrubbed (for
   the sources that ask for it), filters applied, decontamination checked, the exact
   duplicate keys taken; the rows, changed or not, are spooled to a parquet file in a
   temporary folder;
2. the spooled rows that are still in: MinHash LSH for near duplicates;
3. the spool again, without the removed rows: what the store writes.

Between passes only per-row numbers are kept (31 bytes a row: split, source, id, keys,
status), plus what must grow with the rows: the LSH band keys (8 bytes a band a row, in
files in the temporary folder; ~40 bytes a row in memory while they are clustered), and,
for `meadow audit`, the previews of the rows it reports. The benchmark index is fixed by the items.

Evaluation-only rows (benchmark subsets that the mixer puts in the test split) are never
changed or removed; they win every duplicate pair.

Per source, the counts go into the manifest: `removed` (`filtered` by reason,
`contaminated` by benchmark, `duplicate`, `near_duplicate`, `total`, and `by_step`),
`pii_replaced` by type, `boilerplate_stripped`, and the rows left per split.

The list of removed rows, `removed.parquet`, is written by `meadow.quality.removed`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from meadow.progress import ProgressBars
from meadow.quality.decontam import BenchmarkIndex, Match, benchmark_bit, benchmarks_of
from meadow.quality.exact import pick_copies
from meadow.quality.filters import LanguageCheck, shape_reasons, strip_boilerplate
from meadow.quality.near import NearDuplicates, pick_survivors
from meadow.quality.pii import KINDS, Scrubber
from meadow.quality.removed import (
    DUPLICATE_KINDS,
    REMOVED_FILE,
    REMOVED_TEXT_CHARS,
    RemovedRows,
    winner_sources,
    write_removed,
)
from meadow.quality.rows import (
    BATCH_ROWS,
    CONTAMINATED,
    DUPLICATE,
    FILTERED,
    KEPT,
    NEAR_DUPLICATE,
    STEPS,
    Rows,
    Spool,
    empty_numbers,
    preview,
)
from meadow.quality.settings import BENCHMARKS, QualitySettings, SourcePolicy
from meadow.quality.text import Words, normalize, text_hash
from meadow.schema import ARROW_SCHEMA, CONTAMINATION_COLUMN, SPLITS, arrow_schema
from meadow.sources import get_source

_CHECKED_SPLITS = (SPLITS.index("train"), SPLITS.index("validation"))


class QualityRun:
    """The quality steps over one stream of (split, rows) pieces.

    Build it, call `run(pieces)`, then read `iter_tables()` (the rows that are kept, as the
    store takes them), `split_counts()`, `source_stats()` and, for `meadow audit`,
    `matches` and `duplicate_pairs()`. Use it as a context manager: the spool is removed
    on exit.
    """

    def __init__(
        self,
        settings: QualitySettings,
        policies: Mapping[str, SourcePolicy],
        *,
        index: BenchmarkIndex | None = None,
        splits: Iterable[str] = SPLITS,
        details: bool = False,
        work_dir: Path | None = None,
    ):
        self.settings = settings
        self.policies = dict(policies)
        self.sources = list(self.policies)
        self.index = index if settings.decontamination is not None else None
        self._splits = list(splits)
        self.details = details
        self.flag = settings.decontamination is not None and (
            settings.decontamination.action == "flag"
        )
        self._spool = Spool(work_dir)
        self._rows = Rows()
        self._reasons: list[str] = []
        self._pii: dict[str, Counter[str]] = {}
        self._stripped: Counter[str] = Counter()
        self._language = LanguageCheck()
        self.matches: dict[int, list[Match]] = {}
        self.previews: dict[int, dict[str, str]] = {}
        self._duplicates: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self._count = 0
        self.near_index: tuple[int, int] | None = None  # (bands, values per half-band)
        # seconds per step, in the order they first ran, for the build summary; "reading"
        # is the time spent waiting for `pieces` (the mixer), "spool" writing pass 1's rows
        self.timings: dict[str, float] = {}

    def _time(self, step: str, started: float) -> float:
        """Add the seconds since `started` to `step`; return the time now."""
        now = time.perf_counter()
        self.timings[step] = self.timings.get(step, 0.0) + now - started
        return now

    def _timed(self, pieces: Iterable[tuple[str, pa.Table]]) -> Iterator[tuple[str, pa.Table]]:
        """`pieces`, the time spent producing them counted as "reading"."""
        found = iter(pieces)
        while True:
            started = time.perf_counter()
            piece = next(found, None)
            self._time("reading", started)
            if piece is None:
                return
            yield piece

    def __enter__(self) -> QualityRun:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._spool.remove()

    # -- pass 1 ----------------------------------------------------------------------------

    def run(
        self,
        pieces: Iterable[tuple[str, pa.Table]],
        *,
        total: int | None = None,
        progress: bool | None = None,
    ) -> QualityRun:
        """Run every step over `pieces`; the kept rows are then read with `iter_tables`."""
        with ProgressBars(enabled=progress) as bars:
            task = bars.add("quality", total=total)
            with self._spool.writer() as writer:
                for split, table in self._timed(pieces):
                    if table.num_rows:
                        scanned = self._scan(split, table.select(ARROW_SCHEMA.names))
                        started = time.perf_counter()
                        writer.write_table(scanned)
                        self._time("spool", started)
                        bars.advance(task, table.num_rows)
            bars.finish(task)
            numbers = self._rows.joined() if self._count else empty_numbers()
            self._numbers = numbers
            started = time.perf_counter()
            self._resolve_exact()
            if self.settings.exact_dedup is not None:
                self._time("exact_dedup", started)
            if self.settings.near_dedup is not None:
                started = time.perf_counter()
                self._near(bars)
                self._time("near_dedup", started)
        return self

    def _source_codes(self, table: pa.Table) -> np.ndarray:
        encoded = pc.dictionary_encode(table.column("source").combine_chunks())
        lookup = []
        for name in encoded.dictionary.to_pylist():
            if name not in self.policies:  # an audited file's rows: no policy, no changes
                self.policies[name] = SourcePolicy()
                self.sources.append(name)
            lookup.append(self.sources.index(name))
        return np.asarray(lookup, np.int16)[encoded.indices.to_numpy(zero_copy_only=False)]

    def _scan(self, split: str, table: pa.Table) -> pa.Table:
        n = table.num_rows
        codes = self._source_codes(table)
        subsets = table.column("subset").to_pylist()
        evaluation = np.array(
            [
                split == "test" and subset in self.policies[self.sources[c]].evaluation_subsets
                for c, subset in zip(codes.tolist(), subsets, strict=True)
            ],
            dtype=bool,
        )
        started = time.perf_counter()
        table = self._transform(table, codes, evaluation)
        started = self._time("pii_and_boilerplate", started)
        inputs, outputs = table.column("input"), table.column("output")
        norm_in, norm_out = normalize(inputs), normalize(outputs)  # for the steps below
        status = np.zeros(n, np.uint8)
        reason = np.zeros(n, np.uint8)
        self._filter(inputs, outputs, norm_in, norm_out, codes, evaluation, status, reason)
        started = self._time("filters", started)
        contamination = self._decontaminate(
            split, table, norm_in, norm_out, codes, subsets, evaluation, status
        )
        started = self._time("decontamination", started)
        pairs, singles = np.zeros(n, np.int64), np.zeros(n, np.int64)
        if self.settings.exact_dedup is not None:
            by_input = self.settings.exact_dedup.by_input
            texts = zip(norm_in.to_pylist(), norm_out.to_pylist(), strict=True)
            for i, (a, b) in enumerate(texts):
                pairs[i] = text_hash(f"{a}\x1f{b}")
                if by_input and a:  # a question repeated within one source's subset
                    singles[i] = text_hash(f"{codes[i]}\x1f{subsets[i]}\x1f{a}")
            self._time("exact_dedup", started)
        rows = self._rows
        rows.split.append(np.full(n, SPLITS.index(split), np.int8))
        rows.source.append(codes)
        rows.ids.append(
            np.array([int(i, 16) for i in table.column("id").to_pylist()], dtype=np.uint64)
        )
        rows.evaluation.append(evaluation)
        rows.status.append(status)
        rows.reason.append(reason)
        rows.contamination.append(contamination)
        rows.pair_key.append(pairs)
        rows.input_key.append(singles)
        self._count += n
        return table

    def _transform(self, table: pa.Table, codes: np.ndarray, evaluation: np.ndarray) -> pa.Table:
        """Boilerplate stripped and PII scrubbed, for the sources that ask for it."""
        filters = self.settings.filters
        strip = filters is not None and filters.boilerplate
        wanted = [
            (p.boilerplate and strip, p.pii and self.settings.pii)
            for p in (self.policies[s] for s in self.sources)
        ]
        if not any(a or b for a, b in wanted):
            return table
        inputs = table.column("input").to_pylist()
        outputs = table.column("output").to_pylist()
        changed = False
        for i, code in enumerate(codes.tolist()):
            boilerplate, pii = wanted[code]
            if evaluation[i] or not (boilerplate or pii):
                continue
            name = self.sources[code]
            if boilerplate:
                stripped = strip_boilerplate(outputs[i])
                if stripped != outputs[i]:
                    self._stripped[name] += 1
                    outputs[i], changed = stripped, True
            if pii:
                scrubber = Scrubber()
                new_in, new_out = scrubber.scrub(inputs[i]), scrubber.scrub(outputs[i])
                if scrubber.counts:
                    self._pii.setdefault(name, Counter()).update(scrubber.counts)
                    inputs[i], outputs[i], changed = new_in, new_out, True
        if not changed:
            return table
        for column, values in (("input", inputs), ("output", outputs)):
            index = table.schema.get_field_index(column)
            table = table.set_column(index, table.field(index), pa.array(values, pa.string()))
        return table

    def _reason_code(self, reason: str) -> int:
        if reason not in self._reasons:
            self._reasons.append(reason)
        return self._reasons.index(reason) + 1

    def _filter(
        self,
        inputs: pa.ChunkedArray,
        outputs: pa.ChunkedArray,
        norm_in: pa.Array,
        norm_out: pa.Array,
        codes: np.ndarray,
        evaluation: np.ndarray,
        status: np.ndarray,
        reason: np.ndarray,
    ) -> None:
        filters = self.settings.filters
        if filters is None:
            return
        found = shape_reasons(
            inputs.combine_chunks(),
            outputs.combine_chunks(),
            norm_in,
            norm_out,
            min_input_chars=filters.min_input_chars,
            min_output_chars=filters.min_output_chars,
            max_chars=filters.max_chars,
            copied_question=filters.copied_question,
        )
        if filters.language:
            languages = [self.policies[s].language for s in self.sources]
            for language in sorted({lang for lang in languages if lang}):
                rows = [
                    i
                    for i, c in enumerate(codes.tolist())
                    if languages[c] == language and found[i] is None and not evaluation[i]
                ]
                if rows:
                    texts = [f"{inputs[i].as_py()}\n{outputs[i].as_py()}" for i in rows]
                    other = self._language.other_language(texts, language)
                    for i in np.asarray(rows)[other].tolist():
                        found[i] = f"not_{language}"
        for i, why in enumerate(found):
            if why is not None and not evaluation[i]:
                status[i] = FILTERED
                reason[i] = self._reason_code(why)

    def _decontaminate(
        self,
        split: str,
        table: pa.Table,
        norm_in: pa.Array,
        norm_out: pa.Array,
        codes: np.ndarray,
        subsets: list[str],
        evaluation: np.ndarray,
        status: np.ndarray,
    ) -> np.ndarray:
        """Per row, the bits of the benchmarks it overlaps (training and validation rows)."""
        masks = np.zeros(table.num_rows, np.uint8)
        if self.index is None or SPLITS.index(split) not in _CHECKED_SPLITS:
            return masks
        checked = np.flatnonzero((status == KEPT) & ~evaluation)
        if not len(checked):
            return masks
        take = pa.array(checked)
        # the matches are kept for every overlapping row: removed.parquet names the item
        found, matches = self.index.match(norm_in.take(take), norm_out.take(take), details=True)
        # a benchmark's own evaluation subsets, trained on by choice, are not checked against it
        for k, row in enumerate(checked.tolist()):
            name = self.sources[codes[row]]
            if name in BENCHMARKS and get_source(name).is_evaluation_only(subsets[row]):
                found[k] &= ~np.uint8(benchmark_bit(name))
        masks[checked] = found
        if not self.flag:
            status[checked[found > 0]] = CONTAMINATED
        for k, hits in matches.items():
            position = self._count + int(checked[k])
            kept = [m for m in hits if found[k] & benchmark_bit(m.benchmark)]
            if kept:
                self.matches[position] = kept
                if self.details:
                    self.previews[position] = preview(table, int(checked[k]), split)
        return masks

    # -- duplicates ------------------------------------------------------------------------

    def _resolve_exact(self) -> None:
        if self.settings.exact_dedup is None:
            return
        numbers = self._numbers
        for key, name in (("pair_key", "exact"), ("input_key", "input")):
            alive = np.flatnonzero(numbers["status"] == KEPT)
            losers, winners = pick_copies(
                numbers[key],
                alive,
                evaluation=numbers["evaluation"],
                source_rank=numbers["source"],
                ids=numbers["ids"],
            )
            numbers["status"][losers] = DUPLICATE
            self._duplicates[name] = (losers, winners)

    def _near(self, bars: ProgressBars) -> None:
        numbers = self._numbers
        index = NearDuplicates(self.settings.near_dedup, folder=self._spool.folder)
        alive = numbers["status"] == KEPT
        task = bars.add("near duplicates", total=int(alive.sum()))
        for start, batch in self._spool.batches(columns=["input", "output"]):
            rows = np.flatnonzero(alive[start : start + batch.num_rows])
            if not len(rows):
                continue
            take = pa.array(rows)
            in_words = Words.of(normalize(batch.column("input").take(take)))
            out_words = Words.of(normalize(batch.column("output").take(take)))
            index.add_batch(start + rows, in_words, out_words)
            bars.advance(task, len(rows))
        bars.finish(task)
        losers, winners = pick_survivors(
            index.clusters(),
            evaluation=numbers["evaluation"],
            source_rank=numbers["source"],
            ids=numbers["ids"],
        )
        numbers["status"][losers] = NEAR_DUPLICATE
        self._duplicates["near"] = (losers, winners)
        self.near_index = (index.bands, index.width)

    # -- results ---------------------------------------------------------------------------

    def splits(self) -> list[str]:
        return self._splits

    @property
    def rows_total(self) -> int:
        """Rows that came in (kept or not)."""
        return self._count

    def split_counts(self) -> dict[str, int]:
        numbers = self._numbers
        kept = numbers["split"][numbers["status"] == KEPT]
        return {s: int((kept == SPLITS.index(s)).sum()) for s in self._splits}

    @property
    def schema(self) -> pa.Schema:
        """The columns written: meadow's, plus `contamination` when rows are flagged."""
        return arrow_schema(flagged=self.flag)

    def iter_tables(self, batch_rows: int = BATCH_ROWS) -> Iterator[tuple[str, pa.Table]]:
        """(split, rows) of the kept rows, in the order they came."""
        numbers = self._numbers
        for start, batch in self._spool.batches():
            end = start + batch.num_rows
            keep = numbers["status"][start:end] == KEPT
            table = pa.Table.from_batches([batch])
            if self.flag:
                names = [
                    ",".join(benchmarks_of(int(m))) for m in numbers["contamination"][start:end]
                ]
                table = table.append_column(CONTAMINATION_COLUMN, pa.array(names, pa.string()))
            codes = numbers["split"][start:end]
            for code, split in enumerate(SPLITS):
                mask = keep & (codes == code)
                if mask.any():
                    yield split, table.filter(pa.array(mask))

    def duplicate_pairs(self, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """(removed rows, the rows kept in their place) of `exact`, `input` or `near`."""
        empty = np.zeros(0, np.int64)
        return self._duplicates.get(kind, (empty, empty))

    def rows_at(self, positions: Iterable[int]) -> dict[int, dict[str, str]]:
        """Short previews of the rows at these stream positions (for reports)."""
        return self._spool.previews(positions, self._numbers)

    def source_stats(self) -> dict[str, dict[str, Any]]:
        """Per source: what was removed and why, PII replaced, rows left per split."""
        numbers = self._numbers
        stats: dict[str, dict[str, Any]] = {}
        winners_of = self._winner_sources()
        for code, name in enumerate(self.sources):
            mine = numbers["source"] == code
            status = numbers["status"][mine]
            filtered = Counter(
                self._reasons[r - 1] for r in numbers["reason"][mine][status == FILTERED].tolist()
            )
            flagged = numbers["contamination"][mine]
            counted = flagged[status == CONTAMINATED] if not self.flag else flagged[status == KEPT]
            by_benchmark = {b: int((counted & benchmark_bit(b) > 0).sum()) for b in BENCHMARKS}
            by_benchmark = {b: n for b, n in by_benchmark.items() if n}
            removed = {
                "filtered": dict(sorted(filtered.items())),
                "contaminated": by_benchmark if not self.flag else {},
                "duplicate": int((status == DUPLICATE).sum()),
                "near_duplicate": int((status == NEAR_DUPLICATE).sum()),
                "total": int((status != KEPT).sum()),
                "by_step": {step: int((status == code).sum()) for code, step in STEPS.items()},
            }
            splits = numbers["split"][mine][status == KEPT]
            entry: dict[str, Any] = {
                "removed": removed,
                "rows": int((status == KEPT).sum()),
                "splits": {s: int((splits == SPLITS.index(s)).sum()) for s in SPLITS},
            }
            if self.flag:
                entry["flagged"] = by_benchmark
            if winners_of.get(code):
                entry["duplicate_of"] = winners_of[code]
            if self.policies[name].pii and self.settings.pii:
                counts = self._pii.get(name, Counter())
                entry["pii_replaced"] = {kind: counts.get(kind, 0) for kind in KINDS}
            if name in self._stripped:
                entry["boilerplate_stripped"] = self._stripped[name]
            stats[name] = entry
        return stats

    def removed_record(self) -> dict[str, Any]:
        """What the manifest says of removed.parquet: its name, rows and text cut."""
        rows = int((self._numbers["status"] != KEPT).sum())
        return {"file": REMOVED_FILE, "rows": rows, "text_chars": REMOVED_TEXT_CHARS}

    def write_removed(self, path: Path) -> int:
        """Write every removed row to `path` (see `meadow.quality.removed.write_removed`)."""
        duplicates = {kind: self.duplicate_pairs(kind) for kind in DUPLICATE_KINDS}
        batches = self._spool.batches
        return write_removed(
            path, RemovedRows(self._numbers, self._reasons, self.matches, duplicates, batches)
        )

    def _winner_sources(self) -> dict[int, dict[str, int]]:
        """Per source code, how many of its removed duplicates were kept in which source."""
        duplicates = {kind: self.duplicate_pairs(kind) for kind in DUPLICATE_KINDS}
        return winner_sources(self._numbers["source"], self.sources, duplicates)
