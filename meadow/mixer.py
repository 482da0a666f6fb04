"""The mixer: a recipe's quotas and splits applied to the parsed sources.

Which rows a recipe takes depends only on the seed and each row's `id`: a row's sampling
key is a hash of (seed, id), a quota takes the smallest keys, and a row's split is a
hash of its id alone. So the same recipe, seed and raw files select the same rows on any
machine and with any process count, and adding rows to a corpus never moves a chosen
row to another split.

Rows with an id already seen earlier in a source's cache are dropped, not selected twice:
the manifest counts them as `duplicate_id` in the source's `skipped`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from meadow.errors import MixerError
from meadow.parse_runner import SourceCache
from meadow.recipe import ALL, Recipe, SourceSpec, quota_count
from meadow.schema import SPLITS
from meadow.sources import get_source

MIXER_VERSION = "1"


def _hash64(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


def split_of(row_id: str, validation: float, test: float) -> str:
    """The split of a row: a function of its id alone, so it never moves."""
    u = _hash64(f"split\x1f{row_id}") / 2**64
    if u < test:
        return "test"
    if u < test + validation:
        return "validation"
    return "train"


@dataclass
class SourceSelection:
    """The rows one source contributes, as indices into its cache, with their splits."""

    spec: SourceSpec
    cache: SourceCache
    rows: np.ndarray
    splits: np.ndarray
    stats: dict[str, Any]


def _select_source(spec: SourceSpec, cache: SourceCache, recipe: Recipe) -> SourceSelection:
    """One source's rows: drop repeated ids, sample each subset's quota and then the
    source's quota by (seed, id) keys, assign splits, and count what happened.

    Ids, subsets and licenses stay in Arrow and numpy arrays (subsets and licenses as
    dictionary codes): a million-row source costs no Python object per row but a
    transient one while its id is hashed."""
    index = _read_index(cache)
    first = _first_of_each_id(index.ids)
    candidate = first & _in_subsets(index.subsets, spec.subsets)
    keys = _sampling_keys(index.ids, candidate, recipe.seed)
    pooled, available = _take_subset_quotas(spec, index.subsets, candidate, keys)
    chosen = np.sort(_smallest(keys, pooled, quota_count(spec.quota, len(pooled))))
    held_out = _held_out_subsets(spec, list(available))
    split_codes = _split_codes(chosen, index.ids, index.subsets, held_out, recipe)
    chosen_licenses = _Codes(index.licenses.codes[chosen], index.licenses.names)
    stats: dict[str, Any] = {
        "adapter_version": cache.version,
        "fingerprint": cache.fingerprint,
        "raw_files": cache.raw_files,
        "rows_parsed": cache.rows,
        "skipped": _skipped(cache, duplicates=len(first) - int(first.sum())),
        "available": int(candidate.sum()),
        "quota": spec.quota,
        "taken": len(chosen),
        "subsets": _subset_stats(
            spec,
            available,
            _Codes(index.subsets.codes[chosen], index.subsets.names),
            chosen_licenses,
        ),
        "splits": {s: int((split_codes == c).sum()) for c, s in enumerate(SPLITS)},
        "licenses": chosen_licenses.counts(),
    }
    if cache.notes:
        stats["notes"] = list(cache.notes)
    if held_out:
        stats["evaluation_only"] = sorted(held_out)
    paraphrased = {
        name: len(spec.paraphrases(name)) for name in available if spec.paraphrases(name)
    }
    if paraphrased:
        stats["instruction_paraphrases"] = paraphrased
    if isinstance(spec.quota, int) and spec.quota > len(pooled):
        stats["quota_exceeds_available"] = True
    return SourceSelection(spec=spec, cache=cache, rows=chosen, splits=split_codes, stats=stats)


@dataclass
class _Codes:
    """A string column as dictionary codes (one per row) and the names they stand for."""

    codes: np.ndarray
    names: list[Any]

    @classmethod
    def of(cls, column: pa.ChunkedArray) -> _Codes:
        """The codes of a column read as strings or as parquet's dictionaries (one per part,
        unified here); a null is a name of its own."""
        if pa.types.is_dictionary(column.type) and not column.null_count:
            unified = column.unify_dictionaries()
            if unified.num_chunks:
                names = unified.chunk(0).dictionary.to_pylist()
                chunks = [c.indices.to_numpy(zero_copy_only=False) for c in unified.chunks]
                return cls(np.concatenate(chunks).astype(np.int32, copy=False), names)
            column = column.cast(column.type.value_type)
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        encoded = column.combine_chunks().dictionary_encode(null_encoding="encode")
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32, copy=False)
        return cls(codes, encoded.dictionary.to_pylist())

    def code(self, name: Any) -> int:
        """The code of `name`; -1 (no row) for a name no row has."""
        return self.names.index(name) if name in self.names else -1

    def counts(self) -> dict[Any, int]:
        """How many rows have each name, by name (names with no row left out)."""
        found = np.bincount(self.codes, minlength=len(self.names))
        return dict(sorted((self.names[c], int(n)) for c, n in enumerate(found) if n))


@dataclass
class _Index:
    """The id (Arrow), subset and license (codes) of every parsed row, in cache order."""

    ids: pa.Array
    subsets: _Codes
    licenses: _Codes


def _read_index(cache: SourceCache) -> _Index:
    """The id, subset and license of every parsed row, in cache order (no other column)."""
    columns = ["id", "subset", "license"]
    # subset and license come as parquet's dictionaries: codes, never a string per row
    tables = [
        pq.read_table(p, columns=columns, read_dictionary=columns[1:]) for p in cache.part_paths
    ]
    table = (
        pa.concat_tables(tables)
        if tables
        else pa.table({c: pa.array([], pa.string()) for c in columns})
    )
    ids = table.column("id").combine_chunks()
    return _Index(ids, _Codes.of(table.column("subset")), _Codes.of(table.column("license")))


def _first_of_each_id(ids: pa.Array) -> np.ndarray:
    """True at the first row of each id, False at every later row with the same id.

    The later rows are dropped silently here: no row is selected twice, and the caller
    counts them as `duplicate_id` in the source's `skipped`.
    """
    # a stable sort, not dictionary_encode: its hash table costs ~160 bytes per row (185 MiB
    # at 1.2M UMLS ids), the sort ~30; the first row of each run of equal ids is the earliest
    first = np.zeros(len(ids), dtype=bool)
    if not len(ids):
        return first
    order = pc.sort_indices(ids).to_numpy()
    ordered = ids.take(pa.array(order))
    repeat = pc.equal(ordered.slice(1), ordered.slice(0, len(ids) - 1)).to_numpy(
        zero_copy_only=False
    )
    first[order[0]] = True
    first[order[1:][~repeat]] = True
    return first


def _in_subsets(subsets: _Codes, wanted: Mapping[str, Any] | None) -> np.ndarray:
    """True at rows of a subset the recipe names; every row when it names none."""
    if not wanted:
        return np.ones(len(subsets.codes), dtype=bool)
    named = [c for c, name in enumerate(subsets.names) if name in wanted]
    return np.isin(subsets.codes, named)


_HASH_BATCH = 65_536


def _hashes(prefix: str, ids: pa.Array, rows: np.ndarray) -> np.ndarray:
    """`_hash64(prefix + id)` of the ids at `rows`, as uint64, a batch of ids at a time
    (blake2b has no vectorised form; the batch's bytes objects are the only per-row ones)."""
    seeded = hashlib.blake2b(prefix.encode(), digest_size=8)
    out = np.empty(len(rows), dtype=np.uint64)
    raw = ids.cast(pa.binary())
    for start in range(0, len(rows), _HASH_BATCH):
        batch = raw.take(pa.array(rows[start : start + _HASH_BATCH])).to_pylist()
        digests = []
        for row_id in batch:
            h = seeded.copy()
            h.update(row_id)
            digests.append(h.digest())
        out[start : start + len(batch)] = np.frombuffer(b"".join(digests), dtype=">u8")
    return out


def _sampling_keys(ids: pa.Array, candidate: np.ndarray, seed: int) -> np.ndarray:
    """Each candidate row's sampling key, a hash of (seed, id); a quota takes the smallest."""
    keys = np.zeros(len(ids), dtype=np.uint64)
    rows = np.flatnonzero(candidate)
    keys[rows] = _hashes(f"{seed}\x1f", ids, rows)
    return keys


def _smallest(keys: np.ndarray, idx: np.ndarray, k: int) -> np.ndarray:
    """The `k` rows of `idx` with the smallest keys (ties keep their order)."""
    return idx[np.argsort(keys[idx], kind="stable")[:k]]


def _take_subset_quotas(
    spec: SourceSpec, subsets: _Codes, candidate: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, dict[str, int]]:
    """The rows each subset's quota takes, pooled, and how many rows each subset had.

    Subsets are the ones found among the candidates and the ones the recipe names (a named
    subset with no rows is reported with 0), in name order.
    """
    rows = np.flatnonzero(candidate)
    codes = subsets.codes[rows]
    order = np.argsort(codes, kind="stable")  # rows grouped by subset, each in cache order
    found = np.unique(codes)
    bounds = np.searchsorted(codes[order], np.arange(len(subsets.names) + 1))
    names = sorted({subsets.names[c] for c in found.tolist()} | set(spec.subsets or ()))
    available: dict[str, int] = {}
    parts = []
    for name in names:
        code = subsets.code(name)
        idx = rows[order[bounds[code] : bounds[code + 1]]] if code >= 0 else rows[:0]
        quota = (spec.subsets or {}).get(name, ALL)
        parts.append(_smallest(keys, idx, quota_count(quota, len(idx))))
        available[name] = len(idx)
    pooled = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    return pooled, available


def evaluation_only(spec: SourceSpec, cache: SourceCache) -> list[str]:
    """The subsets `select` holds out for test, known from the cache's counts before any
    row is read: the recipe's named subsets, else every subset with rows (a repeated id
    is in its first row's subset, since the subset is part of the id)."""
    names = set(spec.subsets or ()) or {name for name, n in cache.subsets.items() if n}
    return sorted(_held_out_subsets(spec, sorted(names)))


def _held_out_subsets(spec: SourceSpec, names: list[str]) -> set[str]:
    """The subsets whose rows all go to test (evaluation-only), unless the recipe trains on them."""
    if spec.train_on_evaluation:
        return set()
    return {name for name in names if get_source(spec.name).is_evaluation_only(name)}


def _split_codes(
    chosen: np.ndarray, ids: pa.Array, subsets: _Codes, held_out: set[str], recipe: Recipe
) -> np.ndarray:
    """Each chosen row's split, as its index in `SPLITS`: test for held-out subsets, else
    by the hash of its id (the same fraction `split_of` compares, for every row at once)."""
    held = np.isin(subsets.codes[chosen], [subsets.code(name) for name in held_out])
    codes = np.full(len(chosen), SPLITS.index("test"), dtype=np.int8)
    hashed = chosen[~held]
    u = _hashes("split\x1f", ids, hashed).astype(np.float64) / 2**64
    by_hash = np.full(len(hashed), SPLITS.index("train"), dtype=np.int8)
    by_hash[u < recipe.test + recipe.validation] = SPLITS.index("validation")
    by_hash[u < recipe.test] = SPLITS.index("test")
    codes[~held] = by_hash
    return codes


def _subset_stats(
    spec: SourceSpec,
    available: Mapping[str, int],
    chosen_subsets: _Codes,
    chosen_licenses: _Codes,
) -> dict[str, dict[str, Any]]:
    """Per subset: rows available, its quota, rows taken after the source-level quota, and
    their licenses (rows may carry their own licenses: PMC-LLaMA's UMLS rows)."""
    stats: dict[str, dict[str, Any]] = {}
    for name, count in available.items():
        quota = (spec.subsets or {}).get(name, ALL)
        in_subset = chosen_subsets.codes == chosen_subsets.code(name)
        found = _Codes(chosen_licenses.codes[in_subset], chosen_licenses.names)
        entry: dict[str, Any] = {
            "available": count,
            "quota": quota,
            "taken": int(in_subset.sum()),
        }
        if isinstance(quota, int) and quota > count:
            entry["quota_exceeds_available"] = True
        entry["licenses"] = found.counts()
        stats[name] = entry
    return stats


def _skipped(cache: SourceCache, duplicates: int) -> dict[str, int]:
    """The parser's skip counts, plus the rows dropped for a repeated id (`duplicate_id`)."""
    skipped = dict(cache.skipped)
    if duplicates:
        skipped["duplicate_id"] = duplicates
    return dict(sorted(skipped.items()))


@dataclass
class Selection:
    """Every source's chosen rows; streams them out split by split."""

    recipe: Recipe
    sources: list[SourceSelection]
    # id -> (input, output): rows rewritten after selection (LLM-written questions)
    rewrites: dict[str, tuple[str, str]] = field(default_factory=dict)

    def split_counts(self) -> dict[str, int]:
        return {s: sum(sel.stats["splits"][s] for sel in self.sources) for s in self.splits()}

    def splits(self) -> list[str]:
        """Train always; validation and test when the recipe asks for them or rows are there
        (evaluation-only rows land in test whatever the fractions)."""
        return [
            s
            for s in SPLITS
            if s == "train"
            or getattr(self.recipe, s) > 0
            or any(sel.stats["splits"][s] for sel in self.sources)
        ]

    def iter_tables(self, batch_rows: int = 10_000) -> Iterator[tuple[str, pa.Table]]:
        """(split, rows) pieces in a fixed order: recipe source order, then cache order."""
        for sel in self.sources:
            if not len(sel.rows):
                continue
            start = 0
            for part in sel.cache.part_paths:
                for batch in pq.ParquetFile(part).iter_batches(batch_size=batch_rows):
                    end = start + batch.num_rows
                    lo, hi = np.searchsorted(sel.rows, [start, end])
                    if hi > lo:
                        table = pa.Table.from_batches([batch])
                        local = sel.rows[lo:hi] - start
                        codes = sel.splits[lo:hi]
                        table = self._finished(sel.spec, table.take(pa.array(local)))
                        for c, split in enumerate(SPLITS):
                            mask = codes == c
                            if mask.any():
                                yield split, table.filter(pa.array(mask))
                    start = end

    def _finished(self, spec: SourceSpec, table: pa.Table) -> pa.Table:
        return self._with_rewrites(self._with_instructions(spec, table))

    def _with_rewrites(self, table: pa.Table) -> pa.Table:
        """Rows with a rewrite get its input and output; the others stay as built."""
        if not self.rewrites:
            return table
        ids = table.column("id").to_pylist()
        if not any(row_id in self.rewrites for row_id in ids):
            return table
        for column, position in (("input", 0), ("output", 1)):
            values = [
                self.rewrites[row_id][position] if row_id in self.rewrites else old
                for row_id, old in zip(ids, table.column(column).to_pylist(), strict=True)
            ]
            index = table.schema.get_field_index(column)
            table = table.set_column(index, table.field(index), pa.array(values, pa.string()))
        return table

    def _with_instructions(self, spec: SourceSpec, table: pa.Table) -> pa.Table:
        """Rows whose subset has instruction paraphrases get one, by seed and id."""
        subsets = table.column("subset").to_pylist()
        variants = {name: spec.paraphrases(name) for name in set(subsets)}
        if not any(variants.values()):
            return table
        prefix = f"{self.recipe.seed}\x1finstruction\x1f"
        instructions = [
            pick[_hash64(prefix + row_id) % len(pick)] if (pick := variants[subset]) else old
            for row_id, subset, old in zip(
                table.column("id").to_pylist(),
                subsets,
                table.column("instruction").to_pylist(),
                strict=True,
            )
        ]
        index = table.schema.get_field_index("instruction")
        return table.set_column(index, table.field(index), pa.array(instructions, pa.string()))


def select(recipe: Recipe, caches: Mapping[str, SourceCache]) -> Selection:
    """Apply the recipe's quotas and splits to the parsed sources.

    Within a source, a row whose id an earlier row already has is dropped, never selected
    twice; `stats["skipped"]["duplicate_id"]` counts them, so the manifest shows it.
    """
    missing = [name for name in recipe.sources if name not in caches]
    if missing:
        raise MixerError(f"no parsed data for source(s) {', '.join(missing)}")
    return Selection(
        recipe=recipe,
        sources=[
            _select_source(spec, caches[name], recipe) for name, spec in recipe.sources.items()
        ],
    )
