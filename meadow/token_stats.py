"""Token statistics of a build's published rows, counted in one streaming pass.

Kept apart from the OpenAI client: it needs only `meadow.llm.tokens` (tiktoken when its
file is already cached, else ~4 characters per token). A build never downloads for it.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from meadow.card_metadata import split_rank
from meadow.llm.settings import DEFAULT_MODEL as DEFAULT_TOKENIZER_MODEL
from meadow.llm.tokens import CHARS_PER_TOKEN, encoding_for

if TYPE_CHECKING:
    import tiktoken

APPROXIMATE_TOKENIZER = f"approximate (~{CHARS_PER_TOKEN} characters per token)"
_TEXT_COLUMNS = ("instruction", "input", "output")
_ENCODE_ROWS = 1_000  # texts per tokenizer task


def token_statistics(
    tables: Iterable[tuple[str, pa.Table]], model: str = DEFAULT_TOKENIZER_MODEL
) -> dict[str, Any]:
    """Tokens of `instruction` + `input` + `output` per row, per source and per split.

    `tables` is a stream of (split, rows) pieces with meadow's columns, read once
    (`Selection.iter_tables()` or the parquet shards of a revision). Tokens are counted with
    tiktoken's encoding for `model` when its file is in tiktoken's local cache (no network,
    no warning); otherwise with ~4 characters per token, and `approximate` says so, as the
    card does. Memory is one 4-byte count per row.

    Returns `{"tokenizer", "model", "approximate", "total", "by_source": {source: {"rows",
    "total", "mean", "median", "p95", "max"}}, "by_split": {split: tokens}}`.
    """
    encoding = encoding_for(model, download=False)
    per_source: dict[str, list[np.ndarray]] = {}
    by_split: dict[str, int] = {}
    with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
        for split, table in tables:
            by_split[split] = by_split.get(split, 0)
            if not table.num_rows:
                continue
            tokens = np.zeros(table.num_rows, dtype=np.int64)
            for column in _TEXT_COLUMNS:
                tokens += _column_tokens(table.column(column), encoding, pool)
            by_split[split] += int(tokens.sum())
            sources = pc.dictionary_encode(table.column("source").combine_chunks())
            codes = sources.indices.to_numpy(zero_copy_only=False)
            for code, source in enumerate(sources.dictionary.to_pylist()):
                per_source.setdefault(source, []).append(tokens[codes == code].astype(np.uint32))
    by_source = {}
    for source, parts in per_source.items():
        counts = np.concatenate(parts)
        by_source[source] = {
            "rows": len(counts),
            "total": int(counts.sum(dtype=np.int64)),
            "mean": round(float(counts.mean()), 1),
            "median": round(float(np.median(counts)), 1),
            "p95": round(float(np.percentile(counts, 95)), 1),
            "max": int(counts.max()),
        }
    return {
        "tokenizer": encoding.name if encoding is not None else APPROXIMATE_TOKENIZER,
        "model": model,
        "approximate": encoding is None,
        "total": sum(by_split.values()),
        "by_source": by_source,
        "by_split": {s: by_split[s] for s in sorted(by_split, key=split_rank)},
    }


def _column_tokens(
    column: pa.ChunkedArray, encoding: tiktoken.Encoding | None, pool: ThreadPoolExecutor
) -> np.ndarray:
    """Tokens per text of a column (a null counts as empty)."""
    column = pc.fill_null(column, "")
    if encoding is None:  # the approximation meadow.llm.tokens counts with
        chars = pc.utf8_length(column).to_numpy().astype(np.int64)
        return -(-chars // CHARS_PER_TOKEN)
    texts = column.to_pylist()

    def lengths(start: int) -> list[int]:
        return [len(encoding.encode_ordinary(t)) for t in texts[start : start + _ENCODE_ROWS]]

    # tiktoken releases the GIL while it encodes; one task per _ENCODE_ROWS texts keeps the
    # threads busy (encode_ordinary_batch makes one task per text, slower on short texts)
    counts = pool.map(lengths, range(0, len(texts), _ENCODE_ROWS))
    return np.fromiter(itertools.chain.from_iterable(counts), np.int64, len(texts))
