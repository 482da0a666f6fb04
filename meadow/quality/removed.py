"""The list of removed rows: `removed.parquet` beside the revision's manifest.

Every row a quality run removed is listed (`write_removed`, `REMOVED_SCHEMA`): its step and
reason, its texts (cut at `REMOVED_TEXT_CHARS`), and what it matched: the id, source and
texts of the copy kept in its place (exact and near duplicates), or the benchmark, item id,
kind of match and the shared text (the first shared n-gram, or the whole short question)
for decontamination. `meadow show NAME --removed` reads it (`read_removed`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from meadow.quality.decontam import Match, benchmarks_of
from meadow.quality.rows import BATCH_ROWS, CONTAMINATED, FILTERED, KEPT, STEPS
from meadow.schema import SPLITS

# Every removed row, with why and what it matched, beside the revision's manifest.
REMOVED_FILE = "removed.parquet"
REMOVED_TEXT_CHARS = 500  # each text of removed.parquet is cut to this many characters
REMOVED_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("source", pa.string()),
        ("subset", pa.string()),
        ("split", pa.string()),
        ("step", pa.string()),
        ("reason", pa.string()),
        ("input", pa.string()),
        ("output", pa.string()),
        ("matched_id", pa.string()),
        ("matched_source", pa.string()),
        ("matched_input", pa.string()),
        ("matched_output", pa.string()),
        ("benchmark", pa.string()),
        ("item", pa.string()),
        ("match", pa.string()),
        ("shared_text", pa.string()),
    ]
)
DUPLICATE_KINDS = ("exact", "input", "near")  # the kinds of a run's duplicate pairs
_DUPLICATE_REASONS = {1: "duplicate", 2: "repeated_question", 3: "near_duplicate"}


@dataclass(frozen=True)
class RemovedRows:
    """What a quality run knows of its removed rows, to list them.

    Attributes:
        numbers: the run's per-row numbers (`Rows.joined`), status final.
        reasons: the filter reasons, by reason code - 1.
        matches: the benchmark matches of contaminated rows, by stream position.
        duplicates: per kind of `DUPLICATE_KINDS`, (removed rows, the rows kept in place).
        batches: (position of the first row, batch) of the spooled rows, in order; takes
            `columns=` to read only some.
    """

    numbers: Mapping[str, np.ndarray]
    reasons: Sequence[str]
    matches: Mapping[int, list[Match]]
    duplicates: Mapping[str, tuple[np.ndarray, np.ndarray]]
    batches: Callable[..., Iterable[tuple[int, pa.RecordBatch]]]


def write_removed(path: Path, rows: RemovedRows) -> int:
    """Write every removed row to `path` (parquet, `REMOVED_SCHEMA`, in stream order):
    the step and reason, its texts, and the row kept in its place (duplicates) or the
    benchmark item it overlaps with the shared text (decontamination). Returns the rows.

    Texts are cut to `REMOVED_TEXT_CHARS`; besides one spool batch, only the cut texts
    of the copies kept in place of removed duplicates (at most one per removed row) are
    held while writing.
    """
    status = rows.numbers["status"]
    winner = np.full(len(status), -1, np.int64)
    dup_reason = np.zeros(len(status), np.uint8)
    for code, kind in enumerate(DUPLICATE_KINDS, 1):
        losers, winners = rows.duplicates[kind]
        winner[losers], dup_reason[losers] = winners, code
    kept = _previews_at(rows, np.unique(winner[winner >= 0]))
    written = 0
    with pq.ParquetWriter(path, REMOVED_SCHEMA, compression="zstd") as writer:
        for start, batch in rows.batches():
            removed = np.flatnonzero(status[start : start + batch.num_rows] != KEPT)
            if len(removed):
                positions = start + removed
                table = pa.Table.from_batches([batch]).take(pa.array(removed))
                columns = _removed_columns(rows, table, positions, winner, dup_reason, kept)
                writer.write_table(pa.table(columns, schema=REMOVED_SCHEMA))
                written += len(removed)
    return written


def _previews_at(rows: RemovedRows, positions: np.ndarray) -> pa.Table | None:
    """position, id, source and the cut texts of the rows at `positions` (sorted)."""
    parts = []
    for start, batch in rows.batches(columns=["id", "source", "input", "output"]):
        lo, hi = np.searchsorted(positions, [start, start + batch.num_rows])
        if hi > lo:
            part = pa.Table.from_batches([batch]).take(pa.array(positions[lo:hi] - start))
            for name in ("input", "output"):
                index = part.schema.get_field_index(name)
                part = part.set_column(index, name, _cut(part.column(name)))
            parts.append(part.append_column("position", pa.array(positions[lo:hi])))
    return pa.concat_tables(parts) if parts else None


def _removed_columns(
    rows: RemovedRows,
    table: pa.Table,
    positions: np.ndarray,
    winner: np.ndarray,
    dup_reason: np.ndarray,
    kept: pa.Table | None,
) -> dict[str, pa.Array]:
    """The columns of REMOVED_SCHEMA for the removed rows at `positions` (`table`)."""
    numbers = rows.numbers
    status = numbers["status"][positions]
    reasons, matches = [], []
    for position, code in zip(positions.tolist(), status.tolist(), strict=True):
        hits = rows.matches.get(position, [])
        if code == FILTERED:
            reasons.append(rows.reasons[int(numbers["reason"][position]) - 1])
        elif code == CONTAMINATED:
            reasons.append(",".join(benchmarks_of(int(numbers["contamination"][position]))))
        else:
            reasons.append(_DUPLICATE_REASONS[int(dup_reason[position])])
        matches.append(hits[0] if code == CONTAMINATED and hits else None)
    columns = {
        "id": table.column("id"),
        "source": table.column("source"),
        "subset": table.column("subset"),
        "split": pa.array([SPLITS[int(c)] for c in numbers["split"][positions]]),
        "step": pa.array([STEPS[int(c)] for c in status.tolist()]),
        "reason": pa.array(reasons, pa.string()),
        "input": _cut(table.column("input")),
        "output": _cut(table.column("output")),
    }
    wins = winner[positions]
    picked = None
    if kept is not None:
        at = np.searchsorted(kept.column("position").to_numpy(), np.maximum(wins, 0))
        picked = kept.take(pa.array(np.minimum(at, kept.num_rows - 1)))
    alone = pa.array(wins < 0)  # not a duplicate: no row kept in its place
    for name in ("id", "source", "input", "output"):
        values = pa.nulls(len(positions), pa.string())
        if picked is not None:
            values = pc.if_else(alone, values, picked.column(name))
        columns[f"matched_{name}"] = values
    for name, attr in (("benchmark", "benchmark"), ("item", "item"), ("match", "kind")):
        columns[name] = pa.array([getattr(m, attr) if m else None for m in matches], pa.string())
    shared = pa.array([m.text if m else None for m in matches], pa.string())
    columns["shared_text"] = _cut(shared)
    return columns


def winner_sources(
    source: np.ndarray,
    sources: Sequence[str],
    duplicates: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> dict[int, dict[str, int]]:
    """Per source code, how many of its removed duplicates were kept in which source
    (`source`: each row's source code; `sources`: the names by code)."""
    found: dict[int, Counter[str]] = {}
    for kind in DUPLICATE_KINDS:
        losers, winners = duplicates[kind]
        for loser, winner in zip(source[losers].tolist(), source[winners].tolist(), strict=True):
            found.setdefault(loser, Counter())[sources[winner]] += 1
    return {code: dict(sorted(c.items())) for code, c in found.items()}


def read_removed(
    path: Path, *, source: str | None = None, step: str | None = None, limit: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """(the first `limit` records, how many match) of a removed.parquet, optionally only
    those of one `source` and one `step`; read batch by batch."""
    shown: list[dict[str, Any]] = []
    total = 0
    for batch in pq.ParquetFile(path).iter_batches(BATCH_ROWS):
        table = pa.Table.from_batches([batch])
        for column, value in (("source", source), ("step", step)):
            if value is not None:
                table = table.filter(pc.equal(table.column(column), value))
        total += table.num_rows
        room = table.num_rows if limit is None else max(0, limit - len(shown))
        if room:
            shown += table.slice(0, room).to_pylist()
    return shown, total


def _cut(texts: pa.Array | pa.ChunkedArray, chars: int = REMOVED_TEXT_CHARS) -> pa.Array:
    """Texts cut to `chars` characters, an ellipsis marking the cut ones (nulls stay)."""
    texts = texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts
    texts = texts.cast(pa.string())
    long = pc.greater(pc.utf8_length(texts), chars)
    cut = pc.binary_join_element_wise(pc.utf8_slice_codeunits(texts, 0, chars - 1), "…", "")
    return pc.if_else(long, cut, texts)
