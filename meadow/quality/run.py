"""Running the quality steps over a build's rows, between the mixer and the store.

Three streaming passes over Arrow batches:

1. every row as the mixer gives it: ChatDoctor's boilerplate stripped, PII scrubbed (for
   the sources that ask for it), filters applied, decontamination checked, the exact
   duplicate keys and every row's near-dedup band keys taken; the rows, changed or not,
   are spooled to a parquet file in a temporary folder, the band keys to a file beside it.
   What maps a batch to its changed texts, filter reasons, benchmark overlaps and keys
   (`scan_batch`) reads nothing else (the benchmark index is fixed), so with `num_proc > 1`
   it runs in worker processes, a few batches ahead; the driver takes the results in batch
   order (the same output for every N) and keeps all that has state: source codes, the
   matches, the spool, the band keys;
2. the band keys of the rows still in (not filtered, contaminated or exact copies): the
   MinHash LSH clusters, near duplicates;
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

The list of removed rows, `removed.parquet`, is written by `meadow.quality.removed`; the
per-batch work (`scan_batch`) is in `meadow.quality.scan`.
"""

from __future__ import annotations

import multiprocessing
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from meadow.progress import ProgressBars
from meadow.quality.decontam import BenchmarkIndex, Match, benchmark_bit, benchmarks_of
from meadow.quality.exact import pick_copies
from meadow.quality.near import NearDuplicates, pick_survivors
from meadow.quality.pii import KINDS
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
from meadow.quality.scan import BatchJob, BatchResult, scan_batch, use_index
from meadow.quality.settings import BENCHMARKS, QualitySettings, SourcePolicy
from meadow.schema import ARROW_SCHEMA, CONTAMINATION_COLUMN, SPLITS, arrow_schema

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
        num_proc: int = 1,
    ):
        self.settings = settings
        # worker processes for the per-batch work (see `scan_batch`); 1: all in this one
        self.num_proc = max(1, num_proc)
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
        self.matches: dict[int, list[Match]] = {}
        self.previews: dict[int, dict[str, str]] = {}
        self._duplicates: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._numbers: dict[str, np.ndarray] = {}
        self._count = 0
        self.near_index: tuple[int, int] | None = None  # (bands, values per half-band)
        # seconds per step, in the order they first ran, for the build summary; "reading"
        # is the time spent waiting for `pieces` (the mixer), "spool" writing pass 1's rows;
        # with num_proc > 1 the workers' steps are their work time, summed (as the parse's)
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
                for scanned in self._scanned(self._timed(pieces)):
                    started = time.perf_counter()
                    writer.write_table(scanned)
                    self._time("spool", started)
                    bars.advance(task, scanned.num_rows)
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

    def _scanned(self, pieces: Iterable[tuple[str, pa.Table]]) -> Iterator[pa.Table]:
        """Each non-empty piece scanned (see `_scan`), in the order the pieces came.

        With `num_proc > 1` the per-batch work (`scan_batch`) runs in worker processes, a
        few batches ahead (each worker given the benchmark index once); the rest (source
        codes, the matches, the per-row numbers) stays here and takes the batches in order,
        so the output is the same for every N.
        """
        tables = ((s, t.select(ARROW_SCHEMA.names)) for s, t in pieces if t.num_rows)
        if self.num_proc <= 1:
            for split, table in tables:
                job = self._job(split, table)
                yield self._scan(split, table, job, scan_batch(job, self.index))
            return
        ahead: deque[tuple[str, pa.Table, BatchJob, Future[BatchResult]]] = deque()
        with ProcessPoolExecutor(
            max_workers=self.num_proc,
            mp_context=_mp_context(),
            initializer=use_index,
            initargs=(self.index,),
        ) as pool:
            try:
                for split, table in tables:
                    job = self._job(split, table)
                    ahead.append((split, table, job, pool.submit(scan_batch, job)))
                    while len(ahead) > 2 * self.num_proc:
                        yield self._scan(*self._done(ahead.popleft()))
                while ahead:
                    yield self._scan(*self._done(ahead.popleft()))
            except BaseException:
                for *_, future in ahead:
                    future.cancel()
                raise

    def _done(
        self, waiting: tuple[str, pa.Table, BatchJob, Future[BatchResult]]
    ) -> tuple[str, pa.Table, BatchJob, BatchResult]:
        split, table, job, future = waiting
        return split, table, job, future.result()

    def _job(self, split: str, table: pa.Table) -> BatchJob:
        """What `scan_batch` needs of one batch: its texts and, per row, its source's policy."""
        codes = self._source_codes(table)
        subsets = table.column("subset").to_pylist()
        evaluation = np.array(
            [
                split == "test" and subset in self.policies[self.sources[c]].evaluation_subsets
                for c, subset in zip(codes.tolist(), subsets, strict=True)
            ],
            dtype=bool,
        )
        filters = self.settings.filters
        strip = filters is not None and filters.boilerplate
        policies = [self.policies[s] for s in self.sources]
        return BatchJob(
            inputs=table.column("input").combine_chunks(),
            outputs=table.column("output").combine_chunks(),
            codes=codes,
            subsets=subsets,
            evaluation=evaluation,
            sources=list(self.sources),
            boilerplate=[p.boilerplate and strip for p in policies],
            pii=[p.pii and self.settings.pii for p in policies],
            languages=[p.language for p in policies],
            filters=filters,
            exact_dedup=self.settings.exact_dedup is not None,
            by_input=self.settings.exact_dedup is not None and self.settings.exact_dedup.by_input,
            near=self.settings.near_dedup,
            decontaminate=self.index is not None and SPLITS.index(split) in _CHECKED_SPLITS,
        )

    def _scan(self, split: str, table: pa.Table, job: BatchJob, done: BatchResult) -> pa.Table:
        """Take one batch's `scan_batch` result: its counts, reasons, decontamination and
        per-row numbers; return the batch's rows as they are spooled."""
        n = table.num_rows
        codes, evaluation = job.codes, job.evaluation
        for step, seconds in done.timings.items():
            self.timings[step] = self.timings.get(step, 0.0) + seconds
        started = time.perf_counter()
        for name, counts in done.pii.items():
            self._pii.setdefault(name, Counter()).update(counts)
        self._stripped.update(done.stripped)
        for column, values in (("input", done.inputs), ("output", done.outputs)):
            if values is not None:
                index = table.schema.get_field_index(column)
                table = table.set_column(index, table.field(index), values)
        status = np.zeros(n, np.uint8)
        reason = np.zeros(n, np.uint8)
        for i, why in enumerate(done.reasons):
            if why is not None and not evaluation[i]:
                status[i] = FILTERED
                reason[i] = self._reason_code(why)
        started = self._time("filters", started)
        contamination = self._decontaminate(split, table, done, status)
        self._time("decontamination", started)
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
        rows.pair_key.append(done.pairs)
        rows.input_key.append(done.singles)
        if done.near_keys is not None:  # every row's, in row order; `_near` takes those still in
            self._spool.append_keys(done.near_keys)
        self._count += n
        return table

    def _reason_code(self, reason: str) -> int:
        if reason not in self._reasons:
            self._reasons.append(reason)
        return self._reasons.index(reason) + 1

    def _decontaminate(
        self, split: str, table: pa.Table, done: BatchResult, status: np.ndarray
    ) -> np.ndarray:
        """Per row, the bits of the benchmarks it overlaps (`scan_batch` checked the rows);
        the overlapping rows are removed (unless flagged) and their matches kept."""
        masks = done.contamination
        if not self.flag:
            status[masks > 0] = CONTAMINATED
        for row, kept in done.matches.items():
            position = self._count + row
            self.matches[position] = kept
            if self.details:
                self.previews[position] = preview(table, row, split)
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
        """Cluster the rows still in by the band keys pass 1 computed for every row."""
        numbers = self._numbers
        index = NearDuplicates(self.settings.near_dedup, folder=self._spool.folder)
        alive = numbers["status"] == KEPT
        task = bars.add("near duplicates", total=int(alive.sum()))
        for start, keys in self._spool.keys(self._count, index.bands):
            rows = np.flatnonzero(alive[start : start + len(keys)])
            if len(rows):
                index.add_keys(start + rows, keys[rows])
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


def _mp_context() -> multiprocessing.context.BaseContext:
    """forkserver where there is one (no fork of a threaded parent), else spawn."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
