"""The batched numpy near-duplicate index finds exactly the clusters datasketch's did."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from datasketch import MinHash

from benchmarks.gen_quality import Texts
from meadow.quality import near
from meadow.quality.near import NearDuplicates, shingle_sets, signatures
from meadow.quality.settings import NearDedup
from meadow.quality.text import Words, normalize, shingles
from tests.quality.near_reference import ReferenceNearDuplicates

DOSES = ["5 mg", "50 mg", "0.5 mg", "HER2+", "HER2-", "10%", "2 x 3"]


def _rows(count: int, seed: int) -> tuple[list[str], list[str]]:
    """Mixture-like rows (Zipf vocabulary, lognormal lengths) with planted copies: case
    changes, a few words changed, one fact changed, chains of edits, no input, short and
    empty texts."""
    texts = Texts(seed)
    rng = texts.rng
    inputs = texts.many(texts.lengths(count, 30))
    outputs = texts.many(texts.lengths(count, 70))
    for i in range(0, count, 7):  # some rows state doses or markers
        outputs[i] += f" Give {DOSES[int(rng.integers(len(DOSES)))]} daily."
    for i in rng.choice(np.arange(1, count), count // 20, replace=False).tolist():
        j = int(rng.integers(0, i))
        kind = i % 6
        words = outputs[j].split()
        if kind == 0:  # case and punctuation
            inputs[i], outputs[i] = inputs[j].upper(), outputs[j].lower().replace(".", " !")
        elif kind in (1, 2):  # a few words changed (a chain when j is itself a copy)
            for k in rng.choice(len(words), min(len(words), 1 + kind), replace=False).tolist():
                words[k] = "changed"
            inputs[i], outputs[i] = inputs[j], " ".join(words)
        elif kind == 3:  # the same words, another dose
            inputs[i], outputs[i] = inputs[j], outputs[j] + " Then 75 mg."
        elif kind == 4:  # no input: the output's signature stands in for it
            inputs[i], inputs[j], outputs[i] = "", outputs[j], outputs[j]
        else:  # shorter than a shingle, or nothing at all
            inputs[i] = inputs[j] = " ".join(inputs[j].split()[:3])
            outputs[i] = outputs[j] = " ".join(words[:2]) if i % 12 else ""
    return inputs, outputs


def _clusters(index, inputs: list[str], outputs: list[str], batch: int) -> list[list[int]]:
    for start in range(0, len(inputs), batch):
        in_words = Words.of(normalize(pa.array(inputs[start : start + batch])))
        out_words = Words.of(normalize(pa.array(outputs[start : start + batch])))
        rows = np.arange(start, start + in_words.count)
        if isinstance(index, ReferenceNearDuplicates):
            ins, outs = shingles(in_words, 5), shingles(out_words, 5)
            salts = near.fact_salt(in_words.fact_keys(), out_words.fact_keys()).tolist()
            for row, a, b, salt in zip(rows.tolist(), ins, outs, salts, strict=True):
                index.add(row, a, b, salt)
        else:
            index.add_batch(rows, in_words, out_words)
    return [c.tolist() for c in index.clusters()]


@pytest.mark.parametrize("threshold", [0.85, 0.6])
def test_the_clusters_are_datasketchs(tmp_path, threshold):
    inputs, outputs = _rows(3000, seed=7)
    settings = NearDedup(threshold=threshold)
    expected = _clusters(ReferenceNearDuplicates(settings), inputs, outputs, 1000)
    found = _clusters(NearDuplicates(settings, folder=tmp_path), inputs, outputs, 1000)
    assert len(expected) > 60  # the planted copies are there to be found
    assert found == expected
    # in memory, in other batches: the same
    assert _clusters(NearDuplicates(settings), inputs, outputs, 777) == expected


def test_signatures_are_datasketchs_in_any_chunk_size(monkeypatch):
    inputs, outputs = _rows(300, seed=3)
    words = Words.of(normalize(pa.array(outputs)))
    values, offsets = shingle_sets(words, 5)
    index = NearDuplicates(NearDedup())
    sketch = MinHash(num_perm=64, seed=near.SEED, hashfunc=int)
    expected = []
    for text in shingles(words, 5):
        sketch.clear()
        if len(text):
            sketch.update_batch(text.tolist())
        expected.append(sketch.hashvalues[: index.bands * index.width])
    for chunk in (near.CHUNK_BYTES, 4 * 64 * 7, 1):
        monkeypatch.setattr(near, "CHUNK_BYTES", chunk)
        assert (signatures(values, offsets, index._permutations) == np.array(expected)).all()


def test_no_rows_no_clusters(tmp_path):
    assert NearDuplicates(NearDedup(), folder=tmp_path).clusters() == []
