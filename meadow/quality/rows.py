"""What a quality run keeps of its rows between passes: the per-row numbers (status codes,
the steps they name, split, source, id, keys) and the spool of the rows themselves."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from meadow.schema import ARROW_SCHEMA, SPLITS

KEPT, FILTERED, CONTAMINATED, DUPLICATE, NEAR_DUPLICATE = range(5)
# the step that removed a row, by status: the recipe's names of the steps
STEPS = {
    FILTERED: "filters",
    CONTAMINATED: "decontamination",
    DUPLICATE: "exact_dedup",
    NEAR_DUPLICATE: "near_dedup",
}
BATCH_ROWS = 10_000


@dataclass
class Rows:
    """Per-row numbers of the whole stream, in stream order (one array per batch)."""

    split: list[np.ndarray] = field(default_factory=list)
    source: list[np.ndarray] = field(default_factory=list)
    ids: list[np.ndarray] = field(default_factory=list)
    evaluation: list[np.ndarray] = field(default_factory=list)
    status: list[np.ndarray] = field(default_factory=list)
    reason: list[np.ndarray] = field(default_factory=list)
    contamination: list[np.ndarray] = field(default_factory=list)
    pair_key: list[np.ndarray] = field(default_factory=list)
    input_key: list[np.ndarray] = field(default_factory=list)

    def joined(self) -> dict[str, np.ndarray]:
        return {name: np.concatenate(parts) for name, parts in vars(self).items()}


def empty_numbers() -> dict[str, np.ndarray]:
    """The joined numbers of a stream without rows (`Rows.joined` needs one batch)."""
    dtypes = {
        "split": np.int8,
        "source": np.int16,
        "ids": np.uint64,
        "evaluation": bool,
        "status": np.uint8,
        "reason": np.uint8,
        "contamination": np.uint8,
        "pair_key": np.int64,
        "input_key": np.int64,
    }
    return {name: np.zeros(0, dtype) for name, dtype in dtypes.items()}


def preview(table: pa.Table, row: int, split: str, width: int = 200) -> dict[str, str]:
    """A row's id, source, subset, split and the start of its input and output."""
    found = {name: table.column(name)[row].as_py() for name in ("id", "source", "subset")}
    found["split"] = split
    for name in ("input", "output"):
        text = " ".join((table.column(name)[row].as_py() or "").split())
        found[name] = text if len(text) <= width else text[: width - 1] + "…"
    return found


NEAR_KEYS = "near-keys.bin"  # pass 1's band keys of every row, (rows, bands) uint64


class Spool:
    """Pass 1's rows, changed or not, in a parquet file in a temporary folder (under
    `work_dir`), read back batch by batch by the later passes; `remove()` deletes it."""

    def __init__(self, work_dir: Path | None = None):
        self.folder = Path(tempfile.mkdtemp(prefix="meadow-quality-", dir=work_dir))
        self.path = self.folder / "rows.parquet"

    def writer(self) -> pq.ParquetWriter:
        """The writer of pass 1 (meadow's columns, zstd)."""
        return pq.ParquetWriter(self.path, ARROW_SCHEMA, compression="zstd")

    def batches(self, columns: list[str] | None = None) -> Iterator[tuple[int, pa.RecordBatch]]:
        """(position of the first row, batch) of the spooled rows, in order."""
        start = 0
        for batch in pq.ParquetFile(self.path).iter_batches(BATCH_ROWS, columns=columns):
            yield start, batch
            start += batch.num_rows

    def append_keys(self, keys: np.ndarray) -> None:
        """Add a batch's near-dedup band keys, (rows, bands) uint64, after the ones before."""
        with open(self.folder / NEAR_KEYS, "ab") as file:
            np.ascontiguousarray(keys, np.uint64).tofile(file)

    def keys(self, rows: int, bands: int) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, keys): the band keys of all `rows`, BATCH_ROWS rows at a time."""
        if not rows:
            return
        with open(self.folder / NEAR_KEYS, "rb") as file:
            for start in range(0, rows, BATCH_ROWS):
                count = min(BATCH_ROWS, rows - start)
                yield start, np.fromfile(file, np.uint64, count * bands).reshape(count, bands)

    def previews(
        self, positions: Iterable[int], numbers: Mapping[str, np.ndarray]
    ) -> dict[int, dict[str, str]]:
        """Short previews of the rows at these stream positions (for reports)."""
        wanted = sorted(set(positions))
        found: dict[int, dict[str, str]] = {}
        if not wanted:
            return found
        for start, batch in self.batches():
            end = start + batch.num_rows
            table = pa.Table.from_batches([batch])
            for position in wanted:
                if start <= position < end:
                    split = SPLITS[int(numbers["split"][position])]
                    found[position] = preview(table, position - start, split)
        return found

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
