"""What the source tests share: writing raw fixture files, and reading a source's output."""

from __future__ import annotations

import textwrap
import tracemalloc
from collections import Counter
from pathlib import Path

from meadow.schema import Record
from meadow.sources.base import Skip, Source


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
