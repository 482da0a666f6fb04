"""Exact and near duplicates: which rows go, which copy stays, whatever the row order."""

from __future__ import annotations

from meadow.quality import QualitySettings, SourcePolicy
from meadow.quality.settings import ExactDedup, NearDedup
from meadow.schema import record_id
from tests.quality.helpers import ABSTRACT, kept_rows, table

EXACT_ONLY = QualitySettings(near_dedup=None, decontamination=None, filters=None, pii=False)
NEAR_ONLY = QualitySettings(exact_dedup=None, decontamination=None, filters=None, pii=False)
POLICIES = {"first": SourcePolicy(), "second": SourcePolicy()}


def _ids(rows):
    return sorted(r["id"] for r in rows)


def test_exact_duplicates_differ_only_in_case_spaces_and_punctuation():
    pieces = [
        (
            "train",
            table(
                {
                    "input": "What causes gout?",
                    "output": "Uric acid crystals.",
                    "source": "second",
                    "source_id": "a",
                },
                {
                    "input": "what  causes GOUT",
                    "output": "uric acid crystals",
                    "source": "second",
                    "source_id": "b",
                },
            ),
        ),
        (
            "validation",
            table(
                {
                    "input": "What causes gout ?",
                    "output": "Uric acid, crystals!",
                    "source": "first",
                    "source_id": "c",
                },
                {
                    "input": "What causes gout?",
                    "output": "Too much uric acid.",
                    "source": "first",
                    "source_id": "d",
                },
            ),
        ),
    ]
    kept, stats = kept_rows(pieces, EXACT_ONLY, POLICIES)
    # the copy kept is the one of the source listed first in the recipe, whatever its split
    assert sorted(r["source_id"] for r in kept) == ["c", "d"]
    assert stats["second"]["removed"]["duplicate"] == 2
    assert stats["second"]["duplicate_of"] == {"first": 2}
    assert stats["first"]["removed"]["total"] == 0
    assert stats["second"]["splits"] == {"train": 0, "validation": 0, "test": 0}


def test_within_a_source_the_smallest_id_is_kept_in_any_row_order():
    rows = [
        {
            "input": "What causes gout?",
            "output": "Uric acid.",
            "source": "first",
            "source_id": str(i),
        }
        for i in range(6)
    ]
    forward, _ = kept_rows([("train", table(*rows))], EXACT_ONLY, POLICIES)
    backward, _ = kept_rows([("train", table(*reversed(rows)))], EXACT_ONLY, POLICIES)
    smallest = min(record_id("first", "", str(i)) for i in range(6))
    assert _ids(forward) == _ids(backward) == [smallest]


def test_evaluation_only_rows_are_never_removed_and_win():
    pieces = [
        ("train", table({"input": "Q1?", "output": "A1", "source": "first", "source_id": "t"})),
        (
            "test",
            table(
                {
                    "input": "Q1?",
                    "output": "A1",
                    "source": "bench",
                    "subset": "test",
                    "source_id": "e1",
                },
                {
                    "input": "Q1?",
                    "output": "A1",
                    "source": "bench",
                    "subset": "test",
                    "source_id": "e2",
                },
            ),
        ),
    ]
    policies = {**POLICIES, "bench": SourcePolicy(evaluation_subsets=frozenset({"test"}))}
    kept, stats = kept_rows(pieces, EXACT_ONLY, policies)
    assert sorted(r["source_id"] for r in kept) == ["e1", "e2"]
    assert stats["first"]["removed"]["duplicate"] == 1
    assert stats["first"]["duplicate_of"] == {"bench": 1}


def test_repeated_questions_go_only_when_asked_and_only_within_a_subset():
    rows = table(
        {"input": "What is gout?", "output": "Arthritis.", "subset": "answer", "source_id": "1"},
        {
            "input": "What is gout?",
            "output": "Arthritis from crystals.",
            "subset": "answer",
            "source_id": "2",
        },
        {
            "input": "What is gout?",
            "output": "Arthritis. Explanation: …",
            "subset": "rationale",
            "source_id": "1",
        },
    )
    kept, _ = kept_rows([("train", rows)], EXACT_ONLY)
    assert len(kept) == 3
    by_input = QualitySettings(
        exact_dedup=ExactDedup(by_input=True), near_dedup=None, decontamination=None, filters=None
    )
    kept, stats = kept_rows([("train", rows)], by_input)
    assert sorted((r["subset"], r["output"][:10]) for r in kept) in (
        [("answer", "Arthritis."), ("rationale", "Arthritis.")],
        [("answer", "Arthritis "), ("rationale", "Arthritis.")],
    )
    assert stats["local"]["removed"]["duplicate"] == 1


def test_near_duplicates_are_found_and_one_copy_is_kept_in_any_order():
    changed = ABSTRACT.replace("older adults", "elderly adults")
    rows = [
        {
            "input": "Does early mobilisation help?",
            "output": ABSTRACT,
            "source": "second",
            "source_id": "x",
        },
        {
            "input": "Does early mobilisation help?",
            "output": changed,
            "source": "first",
            "source_id": "y",
        },
        {
            "input": "Does early mobilisation help?",
            "output": "Yes.",
            "source": "first",
            "source_id": "z",
        },
    ]
    forward, stats = kept_rows([("train", table(*rows))], NEAR_ONLY, POLICIES)
    backward, _ = kept_rows([("train", table(*reversed(rows)))], NEAR_ONLY, POLICIES)
    assert sorted(r["source_id"] for r in forward) == ["y", "z"]
    assert _ids(forward) == _ids(backward)
    assert stats["second"]["removed"]["near_duplicate"] == 1
    assert stats["second"]["duplicate_of"] == {"first": 1}


def test_a_shared_long_input_with_different_answers_is_not_a_near_duplicate():
    rows = table(
        {"input": ABSTRACT, "output": "yes", "subset": "labelled", "source_id": "1"},
        {
            "input": ABSTRACT,
            "output": "Early mobilisation shortened the stay.\n\nAnswer: yes",
            "subset": "reasoning",
            "source_id": "1",
        },
    )
    kept, _ = kept_rows([("train", rows)], NEAR_ONLY)
    assert len(kept) == 2


def test_the_threshold_decides_what_is_near():
    changed = ABSTRACT.replace("halved", "reduced")  # Jaccard of the 5-word shingles: 0.85
    rows = table(
        {"input": "Q", "output": ABSTRACT, "source_id": "1"},
        {"input": "Q", "output": changed, "source_id": "2"},
    )
    loose, _ = kept_rows([("train", rows)], NEAR_ONLY)
    strict = QualitySettings(
        exact_dedup=None, near_dedup=NearDedup(threshold=0.99), decontamination=None, filters=None
    )
    tight, _ = kept_rows([("train", rows)], strict)
    assert (len(loose), len(tight)) == (1, 2)
