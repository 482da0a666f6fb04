"""What the source tests share: writing raw fixture files, and reading a source's output."""

from __future__ import annotations

import textwrap
import tracemalloc
from collections import Counter
from pathlib import Path

from meadow.schema import Record
from meadow.sources.base import FIELD_TOO_LONG, Skip, Source, max_field_chars


def write_at(path: Path, text: str, *, lstrip: bool = False) -> Path:
    """Write `text`, dedented, to `path` as UTF-8 (creating its folders) and return `path`.

    `lstrip` drops the blank lines a triple-quoted fixture starts with. Line endings are
    written as they are in `text`, on every platform.
    """
    text = textwrap.dedent(text)
    if lstrip:
        text = text.lstrip("\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path


def write_file(folder: Path, name: str, text: str, *, lstrip: bool = False) -> Path:
    """Write `text` to the file `name` of `folder`, as `write_at` does, and return its path."""
    return write_at(folder / name, text, lstrip=lstrip)


def collect(source: Source, raw: Path) -> tuple[list[Record], Counter[str]]:
    """The records `source` makes of the raw file or folder `raw`, and its skips by reason.

    Shards and records are read as the runner reads them; a `Skip` adds its `count`.
    """
    records: list[Record] = []
    skips: Counter[str] = Counter()
    for shard in source.shards(raw):
        for item in source.read(shard):
            if isinstance(item, Skip):
                skips[item.reason] += item.count
            else:
                records.append(item)
    return records, skips


def rows(records: list[Record]) -> list[tuple[str, str, str, str]]:
    """The (subset, source_id, input, output) of each record: what most tests compare."""
    return [(r.subset, r.source_id, r.input, r.output) for r in records]


def peak_traced(call) -> int:
    """The peak of Python-allocated memory (bytes) while `call()` runs."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def batch_rows(source: Source, raw: Path) -> tuple[list[tuple[str, ...]], Counter[str]]:
    """The rows (instruction, input, output, subset, source_id, license) of `source.batches`
    over `raw`, and its skips; rows with a text over `max_field_chars()` or an empty output
    are dropped and counted as the runner does."""
    out: list[tuple[str, ...]] = []
    skips: Counter[str] = Counter()
    limit = max_field_chars()
    for shard in source.shards(raw):
        for batch in source.batches(shard):
            if isinstance(batch, Skip):
                skips[batch.reason] += batch.count
                continue
            n = len(batch)
            columns = [
                batch.instruction if batch.instruction is not None else source.instruction,
                batch.input,
                batch.output,
                batch.subset,
                batch.source_id,
                batch.license if batch.license is not None else source.license,
            ]
            columns = [[c] * n if isinstance(c, str) else c for c in columns]
            assert all(len(c) == n for c in columns), "a batch's columns differ in length"
            for row in zip(*columns, strict=True):
                if max(map(len, row[:3])) > limit:  # the runner's field_too_long
                    skips[FIELD_TOO_LONG] += 1
                elif row[2].strip():
                    out.append(row)
                else:
                    skips["empty_output"] += 1
    return out, skips


def assert_batches_match_read(source: Source, raw: Path) -> int:
    """Hold a source's `batches` to `read`: the same rows in the same order, the same skips.
    Returns the number of rows (so a test can check it read something)."""
    records, skips = collect(source, raw)
    expected = []
    for r in records:
        if r.output.strip():
            expected.append((r.instruction, r.input, r.output, r.subset, r.source_id, r.license))
        else:
            skips["empty_output"] += 1
    got, got_skips = batch_rows(source, raw)
    assert got == expected
    assert +got_skips == +skips
    return len(got)
