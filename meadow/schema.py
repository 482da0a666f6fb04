"""The one record every source yields, and its Arrow/`datasets` types.

Every mixture is a plain concatenation of these columns. `id` is derived from
(source, subset, source_id) so that sampling and splitting never depend on row order.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

RECORD_FIELDS: tuple[str, ...] = (
    "instruction",
    "input",
    "output",
    "source",
    "subset",
    "source_id",
    "license",
)
COLUMNS: tuple[str, ...] = ("id", *RECORD_FIELDS)
# A mixture's splits, in the order they are written and shown; the mixer stores a row's
# split as its index here.
SPLITS: tuple[str, ...] = ("train", "validation", "test")
# With `quality.decontamination.action: flag`, rows overlapping a benchmark are kept and
# this column names the benchmarks ("usmle,medqa"; empty for the others).
CONTAMINATION_COLUMN = "contamination"


def columns(flagged: bool = False) -> tuple[str, ...]:
    """A mixture's columns: meadow's, plus `contamination` when rows were flagged."""
    return (*COLUMNS, CONTAMINATION_COLUMN) if flagged else COLUMNS


def arrow_schema(flagged: bool = False) -> pa.Schema:
    """The Arrow schema of a mixture's rows (all columns are non-null strings)."""
    return pa.schema([pa.field(name, pa.string(), nullable=False) for name in columns(flagged)])


ARROW_SCHEMA = arrow_schema()


def record_id(source: str, subset: str, source_id: str) -> str:
    """Stable 16-hex-digit id: the same row gets the same id on any machine, in any order."""
    key = f"{source}\x1f{subset}\x1f{source_id}".encode()
    return hashlib.blake2b(key, digest_size=8).hexdigest()


def record_ids(source: str, subsets: list[str], source_ids: list[str]) -> list[str]:
    """`record_id` of many rows of one source: each subset's hasher is started once and
    copied per row, a third cheaper than hashing every key whole (the runner's hot loop)."""
    started: dict[str, Any] = {}
    ids = []
    for subset, source_id in zip(subsets, source_ids, strict=True):
        prefix = started.get(subset)
        if prefix is None:
            key = f"{source}\x1f{subset}\x1f".encode()
            prefix = started[subset] = hashlib.blake2b(key, digest_size=8)
        hasher = prefix.copy()
        hasher.update(source_id.encode())
        ids.append(hasher.hexdigest())
    return ids


@dataclass(slots=True)
class Record:
    """One instruction/input/output row with its provenance."""

    instruction: str
    input: str
    output: str
    source: str
    subset: str
    source_id: str
    license: str

    @property
    def id(self) -> str:
        return record_id(self.source, self.subset, self.source_id)


@dataclass(slots=True)
class EvalItem:
    """One multiple-choice benchmark item, in the structured form evaluation needs.

    Attributes:
        source, subset, source_id: as in `Record`; `id` is derived the same way, so an item
            and the record made from it share an id.
        question: the question text (no options).
        options: letter → option text, in letter order.
        answer: the correct letter (upper case).
        meta: anything else the benchmark reports by (e.g. `{"step": 1}`).
    """

    source: str
    subset: str
    source_id: str
    question: str
    options: dict[str, str]
    answer: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return record_id(self.source, self.subset, self.source_id)


def dataset_features(flagged: bool = False):
    """The `datasets.Features` of a mixture split (all columns are strings)."""
    from datasets import Features, Value

    return Features({name: Value("string") for name in columns(flagged)})


def arrow_schema_with_features(flagged: bool = False) -> pa.Schema:
    """The rows' schema plus the `huggingface` metadata `datasets` reads back as features."""
    info = {"info": {"features": dataset_features(flagged).to_dict()}}
    return arrow_schema(flagged).with_metadata({"huggingface": json.dumps(info, sort_keys=True)})
