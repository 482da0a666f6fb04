"""Row ids: the batch form gives every row the id the single-row form gives it."""

from __future__ import annotations

import random

from meadow.schema import record_id, record_ids


def test_record_ids_equal_record_id_for_every_row_whatever_the_subsets_and_text() -> None:
    rng = random.Random(7)
    alphabet = "abcXYZ019 -_/\x1f\u00e9\u4e2d\U0001f600"
    subsets = [rng.choice(["", "train", "dev", "Médecine::Cardio", "中文"]) for _ in range(2000)]
    source_ids = ["".join(rng.choices(alphabet, k=rng.randint(0, 12))) for _ in range(2000)]
    expected = [record_id("src", s, i) for s, i in zip(subsets, source_ids, strict=True)]
    assert record_ids("src", subsets, source_ids) == expected
    assert len(set(expected)) == len(set(zip(subsets, source_ids, strict=True)))


def test_record_ids_of_no_rows_is_empty() -> None:
    assert record_ids("src", [], []) == []
