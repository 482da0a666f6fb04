"""Near-dedup band keys computed in pass 1 (`scan_batch`): the same clusters and removed
rows as when `_near` re-read the spool and split its words again, for the rows still in
after the filters, decontamination and exact dedup, evaluation rows included."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from meadow.quality import QualityRun, QualitySettings, SourcePolicy
from meadow.quality.near import NearDuplicates
from meadow.quality.rows import KEPT, NEAR_DUPLICATE
from meadow.quality.scan import scan_batch
from meadow.quality.settings import NearDedup
from meadow.quality.text import Words, normalize
from tests.quality.helpers import table
from tests.quality.test_near_batched import _rows
from tests.quality.test_parallel import _job, realistic_rows


class SpoolNear(QualityRun):
    """`_near` as it was: the spooled rows still in, normalised and split again."""

    def _near(self, bars) -> None:
        numbers = self._numbers
        index = NearDuplicates(self.settings.near_dedup, folder=self._spool.folder)
        alive = numbers["status"] == KEPT
        for start, batch in self._spool.batches(columns=["input", "output"]):
            rows = np.flatnonzero(alive[start : start + batch.num_rows])
            if not len(rows):
                continue
            take = pa.array(rows)
            in_words = Words.of(normalize(batch.column("input").take(take)))
            out_words = Words.of(normalize(batch.column("output").take(take)))
            index.add_batch(start + rows, in_words, out_words)
        from meadow.quality.near import pick_survivors

        losers, winners = pick_survivors(
            index.clusters(),
            evaluation=numbers["evaluation"],
            source_rank=numbers["source"],
            ids=numbers["ids"],
        )
        numbers["status"][losers] = NEAR_DUPLICATE
        self._duplicates["near"] = (losers, winners)
        self.near_index = (index.bands, index.width)


def test_scan_batch_keys_are_the_keys_of_any_subset():
    """A row's keys do not depend on the rows batched with it: pass 1 keys every row, the
    old route keyed only the rows still in, after the PII scrub and boilerplate strip."""
    rows = realistic_rows(400, seed=3)
    codes = [i % 2 for i in range(len(rows))]
    job = _job(rows, codes, [i % 50 == 0 for i in range(len(rows))])
    job.near = NearDedup()
    done = scan_batch(job)
    index = NearDuplicates(NearDedup())
    assert done.near_keys is not None and done.near_keys.shape == (len(rows), index.bands)
    texts_in = done.inputs if done.inputs is not None else job.inputs
    texts_out = done.outputs if done.outputs is not None else job.outputs
    subset = pa.array(np.flatnonzero(np.arange(len(rows)) % 3 != 1))
    alone = index.keys(
        Words.of(normalize(texts_in.take(subset))), Words.of(normalize(texts_out.take(subset)))
    )
    np.testing.assert_array_equal(done.near_keys[subset.to_numpy()], alone)


def test_no_near_keys_without_near_dedup():
    job = _job(realistic_rows(20), [0] * 20, [False] * 20)
    assert scan_batch(job).near_keys is None


def _pieces(count: int) -> list[tuple[str, pa.Table]]:
    """Mixture-like rows with planted near and exact copies, rows the filters drop (empty
    outputs), and a test split whose `exam` subset is evaluation-only, over several batches."""
    inputs, outputs = _rows(count, seed=11)
    for i in range(5, count, 40):  # exact copies of earlier rows: exact dedup takes them
        inputs[i], outputs[i] = inputs[i - 5], outputs[i - 5]
    for i in range(9, count, 97):  # filtered
        outputs[i] = ""
    rows = [
        {"input": a, "output": b, "source": "wiki" if i % 3 else "doc", "source_id": str(i)}
        for i, (a, b) in enumerate(zip(inputs, outputs, strict=True))
    ]
    tests = [
        {**r, "subset": "exam", "source_id": f"t{k}"} for k, r in enumerate(rows[:: count // 30])
    ]
    return [
        ("train", table(*rows[: count // 2])),
        ("test", table(*tests)),
        ("train", table(*rows[count // 2 :])),
    ]


@pytest.mark.parametrize("num_proc", [1, 2])
def test_the_same_clusters_as_rereading_the_spool(tmp_path, num_proc):
    pieces = _pieces(1200)
    policies = {"doc": SourcePolicy(evaluation_subsets=frozenset({"exam"})), "wiki": SourcePolicy()}
    results = []
    for kind, options in ((SpoolNear, {}), (QualityRun, {"num_proc": num_proc})):
        with kind(QualitySettings(), dict(policies), work_dir=tmp_path, **options) as run:
            run.run(iter(pieces), progress=False)
            near = run.duplicate_pairs("near")
            results.append(
                (
                    [a.tolist() for a in near],
                    [a.tolist() for a in run.duplicate_pairs("exact")],
                    run.source_stats(),
                    run.removed_record(),
                )
            )
    assert results[0] == results[1]
    losers, _ = results[1][0]
    assert len(losers) >= 5  # the planted near copies are found
    assert results[1][1][0]  # and exact copies are removed before near dedup
    assert any(s["removed"].get("filtered") for s in results[1][2].values())
