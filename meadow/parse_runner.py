"""Run a source over its raw files into the per-source Arrow cache.

The cache key (fingerprint) is the adapter version and options plus the sha256 of every
raw file, so a source is parsed once per raw-file content and reused by every recipe that
mixes it. Raw files are parsed in contiguous groups, each written to its own parquet part
as it streams (memory stays flat); groups run in parallel with `num_proc` and the parts
are read back in group order, so the cache content never depends on the process count.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import queue
import shutil
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from meadow.errors import MeadowError, RawFileError
from meadow.file_hashes import sha256_files
from meadow.paths import folder_size, source_cache_root
from meadow.progress import ProgressBars
from meadow.schema import ARROW_SCHEMA, COLUMNS, record_ids
from meadow.sources.base import BATCH_ROWS, FIELD_TOO_LONG, Rows, Skip, Source, max_field_chars
from meadow.workdirs import work_dir

# 2 (issue 14): every source skips overlong fields (`field_too_long`), multiple-choice
# options are written on one line, control characters no longer stop an HTML parse, and
# Anki BLOB fields are read: a parse cached before may differ, so none is reused.
CACHE_FORMAT = "2"
# Columns with few distinct values; dictionary-encoding the long unique texts only costs time.
DICTIONARY_COLUMNS = ["instruction", "source", "subset", "license"]
# Small enough that two workers finish together (a group is the unit of parallel work),
# large enough that a group's parquet part is not tiny.
GROUP_BYTES = 8 * 1024 * 1024
GROUP_FILES = 500


@dataclass
class SourceCache:
    """A source parsed into parquet parts, with its counts."""

    source: str
    fingerprint: str
    path: Path
    parts: list[str]
    rows: int
    skipped: dict[str, int]
    subsets: dict[str, int]
    raw_files: list[dict[str, Any]]
    version: str
    notes: list[str] = field(default_factory=list)

    @property
    def part_paths(self) -> list[Path]:
        return [self.path / name for name in self.parts]

    @classmethod
    def load(cls, path: Path) -> SourceCache:
        stats = json.loads((path / "stats.json").read_text())
        return cls(path=path, **stats)


@dataclass
class SourcePlan:
    """What running one source will do: its raw files, key and groups of files."""

    source: Source
    raw: Path
    raw_files: list[dict[str, Any]]
    fingerprint: str
    cache_dir: Path
    groups: list[list[Path]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def cached(self) -> bool:
        return (self.cache_dir / "stats.json").is_file()


@dataclass
class _GroupResult:
    rows: int
    skipped: Counter
    subsets: Counter
    seconds: float = 0.0  # spent parsing the group, for the build's timings


def _group_shards(shards: list[Path]) -> list[list[Path]]:
    groups: list[list[Path]] = []
    current: list[Path] = []
    size = 0
    for shard in shards:
        current.append(shard)
        size += _shard_size(shard)
        if size >= GROUP_BYTES or len(current) >= GROUP_FILES:
            groups.append(current)
            current, size = [], 0
    if current:
        groups.append(current)
    return groups


def _relative_name(shard: Path, raw: Path) -> str:
    if shard == raw:
        return raw.name
    return shard.name if raw.is_file() else shard.relative_to(raw).as_posix()


def _folder_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _shard_size(shard: Path) -> int:
    """Bytes of a shard; a source may parse a whole folder as one shard."""
    if shard.is_dir():
        return sum(p.stat().st_size for p in _folder_files(shard))
    return shard.stat().st_size


def _shard_digests(shards: list[Path], workers: int) -> list[str]:
    """sha256 of each shard: of a file, or of a folder's (relative name, file sha256) list.
    The files' digests come from `meadow.file_hashes` (remembered while unchanged)."""
    files = {s: _folder_files(s) if s.is_dir() else [s] for s in shards}
    flat = [f for listed in files.values() for f in listed]
    digest = dict(zip(flat, sha256_files(flat, workers=workers), strict=True))
    out = []
    for shard in shards:
        if not shard.is_dir():
            out.append(digest[shard])
            continue
        listing = "".join(f"{p.relative_to(shard).as_posix()}\0{digest[p]}\n" for p in files[shard])
        out.append(hashlib.sha256(listing.encode()).hexdigest())
    return out


def plan_source(source: Source, raw: Path, cache_root: Path, *, workers: int = 1) -> SourcePlan:
    """Hash the raw files (unchanged ones remembered: `meadow.file_hashes`) and work out the
    cache key of `source` over `raw`."""
    shards = source.shards(raw)
    hashes = _shard_digests(shards, workers)
    raw_files = [
        {"name": _relative_name(s, raw), "sha256": digest, "size": _shard_size(s)}
        for s, digest in zip(shards, hashes, strict=True)
    ]
    key = json.dumps(
        {"format": CACHE_FORMAT, "source": source.fingerprint_data(), "raw_files": raw_files},
        sort_keys=True,
    )
    fingerprint = hashlib.sha256(key.encode()).hexdigest()[:16]
    return SourcePlan(
        source=source,
        raw=raw,
        raw_files=raw_files,
        fingerprint=fingerprint,
        cache_dir=cache_root / source.name / fingerprint,
        groups=_group_shards(shards),
        notes=source.notes(raw),
    )


# -- the work of one group (runs in a worker process with num_proc > 1) ---------------

_worker_queue: Any = None


def _init_worker(progress_queue: Any) -> None:
    global _worker_queue
    _worker_queue = progress_queue


def _write_group(
    source: Source,
    shards: list[Path],
    part_path: Path,
    job: int,
    report: Callable[[int, int], None] | None = None,
) -> _GroupResult:
    report = report or _report_to_queue
    started = time.perf_counter()
    skipped: Counter = Counter()
    subsets: Counter = Counter()
    limit = max_field_chars()
    rows = 0
    with _PartWriter(part_path) as writer:
        for shard in shards:
            try:
                for batch in source.batches(shard):
                    if type(batch) is Skip:
                        skipped[batch.reason] += batch.count
                        continue
                    columns = _columns(source, batch, limit, skipped)
                    subsets.update(columns["subset"])
                    rows += len(columns["id"])
                    writer.add(columns)
                    report(job, len(columns["id"]))
            except MeadowError:
                raise
            except Exception as exc:
                raise RawFileError(
                    shard,
                    f"could not be parsed by source {source.name!r}: {type(exc).__name__}: {exc}",
                ) from exc
    seconds = time.perf_counter() - started
    return _GroupResult(rows=rows, skipped=skipped, subsets=subsets, seconds=seconds)


def _columns(source: Source, batch: Rows, limit: int, skipped: Counter) -> dict[str, list[str]]:
    """A batch's columns with every record kept: none over `limit`, none with an empty
    output (each counted), and the ids computed."""
    n = len(batch)
    instruction = batch.instruction if batch.instruction is not None else source.instruction
    license = batch.license if batch.license is not None else source.license
    columns = {
        "instruction": _column(instruction, n),
        "input": batch.input,
        "output": batch.output,
        "source": [source.name] * n,
        "subset": _column(batch.subset, n),
        "source_id": batch.source_id,
        "license": _column(license, n),
    }
    texts = [columns["instruction"], batch.input, batch.output]
    too_long = {
        i
        for values in texts
        if max(map(len, values), default=0) > limit
        for i, text in enumerate(values)
        if len(text) > limit
    }
    empty = {i for i, text in enumerate(batch.output) if not text.strip()} - too_long
    if too_long or empty:
        if too_long:
            skipped[FIELD_TOO_LONG] += len(too_long)
        if empty:
            skipped["empty_output"] += len(empty)
        dropped = too_long | empty
        keep = [i for i in range(n) if i not in dropped]
        columns = {name: [values[i] for i in keep] for name, values in columns.items()}
    columns["id"] = record_ids(source.name, columns["subset"], columns["source_id"])
    return columns


def _column(value: list[str] | str, n: int) -> list[str]:
    return [value] * n if isinstance(value, str) else value


class _PartWriter:
    """A group's parquet part, written BATCH_ROWS rows per row group by a background thread
    (Arrow encodes and compresses without the GIL, so the parse goes on meanwhile); at most
    one row group waits, so memory stays bounded."""

    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(
            path, ARROW_SCHEMA, compression="zstd", use_dictionary=DICTIONARY_COLUMNS
        )
        self._pending: dict[str, list[str]] = {name: [] for name in COLUMNS}
        self._thread = ThreadPoolExecutor(max_workers=1)
        self._writing: Future | None = None

    def add(self, columns: dict[str, list[str]]) -> None:
        for name, values in self._pending.items():
            values.extend(columns[name])
        while len(self._pending["id"]) >= BATCH_ROWS:
            self._flush(BATCH_ROWS)

    def _flush(self, count: int) -> None:
        table = pa.table(
            {name: values[:count] for name, values in self._pending.items()}, schema=ARROW_SCHEMA
        )
        for values in self._pending.values():
            del values[:count]
        if self._writing is not None:
            self._writing.result()
        self._writing = self._thread.submit(self._writer.write_table, table)

    def __enter__(self) -> _PartWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if exc_info[0] is None and self._pending["id"]:
                self._flush(len(self._pending["id"]))
            if self._writing is not None:
                self._writing.result()
        finally:
            self._thread.shutdown()
            self._writer.close()


def _report_to_queue(job: int, n: int) -> None:
    if _worker_queue is not None and n:
        _worker_queue.put((job, n))


# -- running plans ----------------------------------------------------------------------


def _mp_context() -> multiprocessing.context.BaseContext:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


def run_plans(
    plans: list[SourcePlan],
    *,
    num_proc: int = 1,
    bars: ProgressBars | None = None,
    timings: dict[str, float] | None = None,
) -> dict[str, SourceCache]:
    """Build every plan that is not cached yet; return the caches of all plans.

    `timings`, when given, gets the seconds spent parsing each source that was not cached
    (summed over its groups, so with `num_proc > 1` it is work time, not wall time).
    """
    bars = bars or ProgressBars(enabled=False)
    todo = [p for p in plans if not p.cached]
    with ExitStack() as held:  # the temporary folders, removed on the way out
        tmp_dirs = {
            i: held.enter_context(work_dir(plan.cache_dir.parent, plan.fingerprint))
            for i, plan in enumerate(todo)
        }
        _run_todo(todo, tmp_dirs, num_proc, bars, timings if timings is not None else {})
    return {p.source.name: SourceCache.load(p.cache_dir) for p in plans}


def _run_todo(
    todo: list[SourcePlan],
    tmp_dirs: dict[int, Path],
    num_proc: int,
    bars: ProgressBars,
    timings: dict[str, float],
) -> None:
    jobs: list[tuple[int, int, list[Path], Path]] = []  # (plan index, group index, shards, part)
    tasks: dict[int, Any] = {}
    for i, plan in enumerate(todo):
        tasks[i] = bars.add(plan.source.name)
        for g, shards in enumerate(plan.groups):
            jobs.append((i, g, shards, tmp_dirs[i] / f"part-{g:05d}.parquet"))

    results: dict[tuple[int, int], _GroupResult] = {}
    if num_proc <= 1 or len(jobs) <= 1:
        for j, (i, g, shards, part) in enumerate(jobs):
            results[i, g] = _write_group(
                todo[i].source,
                shards,
                part,
                j,
                report=lambda job, n: bars.advance(tasks[jobs[job][0]], n),
            )
    else:
        results.update(_run_parallel(todo, jobs, tasks, num_proc, bars))
    for i, plan in enumerate(todo):
        groups = [results[i, g] for g in range(len(plan.groups))]
        started = time.perf_counter()
        _finish_plan(plan, tmp_dirs[i], groups)
        finish = time.perf_counter() - started
        timings[plan.source.name] = sum(r.seconds for r in groups) + finish
        bars.finish(tasks[i])


def _run_parallel(
    todo: list[SourcePlan],
    jobs: list[tuple[int, int, list[Path], Path]],
    tasks: dict[int, Any],
    num_proc: int,
    bars: ProgressBars,
) -> dict[tuple[int, int], _GroupResult]:
    ctx = _mp_context()
    progress_queue = ctx.Queue()
    results: dict[tuple[int, int], _GroupResult] = {}

    def drain() -> None:
        while True:
            try:
                job, n = progress_queue.get_nowait()
            except queue.Empty:
                return
            bars.advance(tasks[jobs[job][0]], n)

    with ProcessPoolExecutor(
        max_workers=num_proc,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(progress_queue,),
    ) as pool:
        futures: dict[Future, tuple[int, int]] = {
            pool.submit(_write_group, todo[i].source, shards, part, j): (i, g)
            for j, (i, g, shards, part) in enumerate(jobs)
        }
        pending = set(futures)
        try:
            while pending:
                done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                for future in done:
                    results[futures[future]] = future.result()
        except BaseException:
            for future in pending:
                future.cancel()
            raise
        drain()
    return results


def _finish_plan(plan: SourcePlan, tmp: Path, groups: list[_GroupResult]) -> None:
    skipped: Counter = Counter()
    subsets: Counter = Counter()
    for result in groups:
        skipped.update(result.skipped)
        subsets.update(result.subsets)
    stats = {
        "source": plan.source.name,
        "fingerprint": plan.fingerprint,
        "version": plan.source.version,
        "parts": [f"part-{g:05d}.parquet" for g in range(len(groups))],
        "rows": sum(r.rows for r in groups),
        "skipped": dict(sorted(skipped.items())),
        "subsets": dict(sorted(subsets.items())),
        "raw_files": plan.raw_files,
        "notes": plan.notes,
    }
    (tmp / "stats.json").write_text(json.dumps(stats, indent=2, sort_keys=True))
    try:
        tmp.rename(plan.cache_dir)
    except OSError:
        if not plan.cached:  # not a concurrent build of the same key: a real failure
            raise


# -- reclaiming disk ------------------------------------------------------------------


@dataclass
class CachedSource:
    """One source's parse caches (`source_cache_root()/SOURCE/FINGERPRINT/`).

    Attributes:
        source: the source's name.
        path: its folder, holding one subfolder per cached parse.
        parses: how many parses (raw-file contents × options × adapter versions) it holds.
        bytes: what removing it frees.
    """

    source: str
    path: Path
    parses: int
    bytes: int


def cached_sources(source: str | None = None) -> list[CachedSource]:
    """The parse caches on disk, one entry per source (only `source`'s when given)."""
    root = source_cache_root()
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if source is not None and folder.name != source:
            continue
        parses = sum(1 for p in folder.iterdir() if (p / "stats.json").is_file())
        found.append(CachedSource(folder.name, folder, parses, folder_size(folder)))
    return found


def remove_cached_sources(caches: list[CachedSource]) -> int:
    """Delete the given parse caches; the next build parses those sources again. Each
    folder is first renamed aside, so a build never finds half a cache. Returns bytes freed."""
    freed = 0
    for cache in caches:
        if not cache.path.is_dir():
            continue
        aside = cache.path.with_name(f".removing-{cache.source}-{os.getpid()}")
        os.replace(cache.path, aside)
        shutil.rmtree(aside, ignore_errors=True)
        freed += cache.bytes
    return freed
