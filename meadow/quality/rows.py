"""A quality run's per-row numbers: the status codes, the steps they name, and the arrays
kept for every row between passes (split, source, id, keys, status)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

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
