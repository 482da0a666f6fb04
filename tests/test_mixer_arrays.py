"""The mixer's selection in Arrow/numpy arrays against the per-row Python it replaced.

`reference` is the selection as it was written before issue 17 (ids in a Python list, a
set for repeated ids, one hash call and one split call per row, Counters for licenses);
the array version must choose the same rows in the same order, with the same splits and
byte-identical stats, on a few thousand rows with repeated ids, several subsets (two of
them evaluation-only) and quotas given as counts, fractions and 'all'.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from meadow.mixer import _first_of_each_id, _hash64, select, split_of
from meadow.parse_runner import SourceCache
from meadow.recipe import ALL, Recipe, SourceSpec, quota_count
from meadow.schema import SPLITS
from meadow.sources import get_source

SUBSETS = ("answer", "rationale", "dev", "test")
LICENSES = ("apache-2.0", "cc-by-4.0", "UMLS")


def _cache(tmp_path: Path, rows: int, seed: int) -> SourceCache:
    """A medmcqa-named cache in three parquet parts: ids like real ones, about 8% repeated
    (a repeat keeps its first row's subset, as ids include the subset)."""
    rng = random.Random(seed)
    ids: list[str] = []
    subsets: list[str] = []
    for i in range(rows):
        if ids and rng.random() < 0.08:
            j = rng.randrange(len(ids))
            ids.append(ids[j])
            subsets.append(subsets[j])
            continue
        subset = rng.choices(SUBSETS, weights=(6, 3, 1, 1))[0]
        ids.append(f"medmcqa/{subset}/{rng.getrandbits(48):012x}-{i}")
        subsets.append(subset)
    licenses = [rng.choice(LICENSES) for _ in range(rows)]
    table = pa.table({"id": ids, "subset": subsets, "license": licenses, "input": ids})
    parts = []
    for k, (lo, hi) in enumerate([(0, rows // 3), (rows // 3, rows // 2), (rows // 2, rows)]):
        name = f"part-{k}.parquet"
        pq.write_table(table.slice(lo, hi - lo), tmp_path / name)
        parts.append(name)
    return SourceCache(
        source="medmcqa",
        fingerprint="f" * 16,
        path=tmp_path,
        parts=parts,
        rows=rows,
        skipped={"bad_json": 3},
        subsets=dict(Counter(subsets)),
        raw_files=[],
        version="1",
    )


def reference(spec: SourceSpec, cache: SourceCache, recipe: Recipe) -> tuple[Any, Any, Any]:
    """The selection as the mixer computed it per row, in Python lists (before issue 17)."""
    table = pa.concat_tables(
        pq.read_table(p, columns=["id", "subset", "license"]) for p in cache.part_paths
    )
    ids = table.column("id").to_pylist()
    subsets = np.asarray(table.column("subset").to_pylist(), dtype=object)
    licenses = np.asarray(table.column("license").to_pylist(), dtype=object)
    first = np.zeros(len(ids), dtype=bool)
    seen: set[str] = set()
    for i, row_id in enumerate(ids):
        if row_id not in seen:
            seen.add(row_id)
            first[i] = True
    wanted = spec.subsets
    in_subsets = np.array([s in wanted for s in subsets], bool) if wanted else first | True
    candidate = first & in_subsets
    keys = np.zeros(len(ids), dtype=np.uint64)
    for i in np.flatnonzero(candidate):
        keys[i] = _hash64(f"{recipe.seed}\x1f" + ids[i])

    def smallest(idx: np.ndarray, k: int) -> np.ndarray:
        return idx[np.argsort(keys[idx], kind="stable")[:k]]

    names = sorted(set(subsets[candidate].tolist()) | set(spec.subsets or ()))
    available: dict[str, int] = {}
    parts = []
    for name in names:
        idx = np.flatnonzero(candidate & (subsets == name))
        parts.append(smallest(idx, quota_count((spec.subsets or {}).get(name, ALL), len(idx))))
        available[name] = len(idx)
    pooled = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    chosen = np.sort(smallest(pooled, quota_count(spec.quota, len(pooled))))
    source = get_source(spec.name)
    held_out = (
        set()
        if spec.train_on_evaluation
        else {n for n in available if source.is_evaluation_only(n)}
    )
    splits = np.array(
        [
            SPLITS.index(
                "test"
                if subsets[i] in held_out
                else split_of(ids[i], recipe.validation, recipe.test)
            )
            for i in chosen
        ],
        dtype=np.int8,
    )
    per_subset = {}
    for name, count in available.items():
        quota = (spec.subsets or {}).get(name, ALL)
        mask = subsets[chosen] == name
        entry: dict[str, Any] = {"available": count, "quota": quota, "taken": int(mask.sum())}
        if isinstance(quota, int) and quota > count:
            entry["quota_exceeds_available"] = True
        entry["licenses"] = dict(sorted(Counter(licenses[chosen][mask].tolist()).items()))
        per_subset[name] = entry
    stats = {
        "duplicates": len(ids) - int(first.sum()),
        "available": int(candidate.sum()),
        "taken": len(chosen),
        "subsets": per_subset,
        "splits": {s: int((splits == c).sum()) for c, s in enumerate(SPLITS)},
        "licenses": dict(sorted(Counter(licenses[chosen].tolist()).items())),
    }
    return chosen, splits, stats


SPECS = [
    SourceSpec("medmcqa"),
    SourceSpec("medmcqa", quota=700),
    SourceSpec("medmcqa", quota=0.37),
    SourceSpec("medmcqa", quota=10**6),
    SourceSpec("medmcqa", subsets={"answer": 400, "rationale": 0.5, "test": ALL}),
    SourceSpec("medmcqa", quota=0.8, subsets={"answer": 0.25, "dev": 30}),
    SourceSpec("medmcqa", quota=ALL, subsets={"rationale": 5000}, train_on_evaluation=True),
    SourceSpec("medmcqa", quota=333, train_on_evaluation=True),
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: f"{s.quota}-{s.subsets}")
@pytest.mark.parametrize(("seed", "validation", "test"), [(42, 0.1, 0.05), (7, 0.0, 0.3)])
def test_array_selection_equals_the_per_row_reference(tmp_path, spec, seed, validation, test):
    cache = _cache(tmp_path, rows=4000, seed=seed)
    recipe = Recipe(
        name="mix", sources={"medmcqa": spec}, seed=seed, validation=validation, test=test
    )
    chosen, splits, stats = reference(spec, cache, recipe)
    got = select(recipe, {"medmcqa": cache}).sources[0]
    assert got.rows.tolist() == chosen.tolist()
    assert got.rows.dtype == chosen.dtype
    assert got.splits.tolist() == splits.tolist()
    assert got.splits.dtype == splits.dtype
    assert got.stats["skipped"] == {"bad_json": 3, "duplicate_id": stats["duplicates"]}
    assert stats["duplicates"] > 200
    shown = {key: got.stats[key] for key in ("available", "taken", "subsets", "splits", "licenses")}
    del stats["duplicates"]
    assert json.dumps(shown) == json.dumps(stats)  # same keys, same order, same numbers
    assert len(set(got.splits.tolist())) > 1


def test_split_fractions_match_split_of_at_the_float_edges():
    """The vectorised split compares the same float as `split_of` for every 64-bit hash,
    including those whose conversion to float rounds (ties to even, the top of the range)."""
    values = [0, 1, 2**53 - 1, 2**53, 2**53 + 1, 2**63, 2**64 - 1, 2**64 - 1024, 2**64 - 1025]
    values += [(k << 11) | 0x400 for k in range(2**52, 2**52 + 50)]  # exact ties
    rng = random.Random(0)
    values += [rng.getrandbits(64) for _ in range(10_000)]
    array = np.array(values, dtype=np.uint64).astype(np.float64) / 2**64
    assert array.tolist() == [v / 2**64 for v in values]


@pytest.mark.parametrize("rows", [0, 1, 2, 5_000])
def test_first_of_each_id_is_the_earliest_row_of_each_id(rows):
    """The sort that finds repeated ids (not a hash table: ~30 bytes a row instead of ~160)
    keeps the earliest row of each id, as a set walked in order would."""
    rng = random.Random(rows)
    ids = [f"umls:C{rng.randrange(max(1, rows // 3)):07d}:{rng.choice('ab')}" for _ in range(rows)]
    seen: set[str] = set()
    expected = [not (i in seen or seen.add(i)) for i in ids]
    halves = [ids[: rows // 2], ids[rows // 2 :]]
    chunked = pa.chunked_array([pa.array(h, pa.string()) for h in halves])
    assert _first_of_each_id(chunked.combine_chunks()).tolist() == expected
