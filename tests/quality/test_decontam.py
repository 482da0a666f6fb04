"""Decontamination: rows that share a 13-gram with a benchmark item, or copy a short item
whole, are removed (or flagged); a short option alone never flags a row."""

from __future__ import annotations

import pytest

from meadow.converters.multiple_choice import format_question
from meadow.quality import BenchmarkIndex, QualitySettings, SourcePolicy, find_benchmarks
from meadow.quality.decontam import COMMON_ITEMS
from meadow.quality.settings import Decontamination
from meadow.quality.text import normalize
from meadow.schema import EvalItem
from tests.quality.helpers import (
    PARKINSON,
    PARKINSON_OPTIONS,
    WERNICKE,
    WERNICKE_OPTIONS,
    kept_rows,
    table,
    write_medqa_test,
    write_usmle,
)

ABSENCE = "Drug of choice for absence seizures is:"
ABSENCE_OPTIONS = {"A": "Ethosuximide", "B": "Phenytoin", "C": "Carbamazepine", "D": "Aspirin"}


def _item(source: str, subset: str, n: int, question: str, options: dict[str, str]) -> EvalItem:
    return EvalItem(source, subset, f"{subset}/{n}", question, options, "A")


@pytest.fixture(scope="module")
def index() -> BenchmarkIndex:
    return BenchmarkIndex(
        {
            "usmle": [_item("usmle", "step1", 1, WERNICKE, WERNICKE_OPTIONS)],
            "medqa": [_item("medqa", "test", 1, PARKINSON, PARKINSON_OPTIONS)],
            "medmcqa": [_item("medmcqa", "dev", 1, ABSENCE, ABSENCE_OPTIONS)],
        }
    )


def _matches(index: BenchmarkIndex, *rows: tuple[str, str]):
    inputs = normalize([i for i, _ in rows])
    outputs = normalize([o for _, o in rows])
    masks, details = index.match(inputs, outputs, details=True)
    return [[(m.benchmark, m.item, m.kind) for m in details.get(i, [])] for i in range(len(rows))]


def test_a_paraphrase_sharing_a_13_gram_with_a_usmle_item_is_found(index):
    paraphrase = (
        "Case: a man of 47 with long-standing heavy alcohol use is brought to the emergency "
        "department because of confusion and ataxia. What should he be given first?"
    )
    assert _matches(index, (paraphrase, "Thiamine before glucose.")) == [
        [("usmle", "step1/1", "ngram")]
    ]


def test_twelve_shared_words_are_not_an_overlap(index):
    twelve = (
        "In one case long-standing heavy alcohol use is brought to the emergency department "
        "because nobody else would; this is about staffing."
    )
    assert _matches(index, (twelve, "Staffing matters.")) == [[]]


def test_a_medqa_question_copied_verbatim_is_found_in_input_or_output(index):
    copied = format_question(PARKINSON, PARKINSON_OPTIONS)
    assert _matches(index, (copied, "B: Substantia nigra pars compacta"), ("Quiz", PARKINSON)) == [
        [("medqa", "test/1", "ngram")],
        [("medqa", "test/1", "ngram")],
    ]


def test_a_short_question_counts_only_with_all_its_options(index):
    copied = format_question(ABSENCE, dict(reversed(ABSENCE_OPTIONS.items())))
    other_options = format_question(ABSENCE, {"A": "Valproate", "B": "Lamotrigine"})
    assert _matches(
        index,
        (copied, "A: Ethosuximide"),
        (other_options, "A: Valproate"),
        ("Is aspirin an option for absence seizures?", "Aspirin is not; ethosuximide is."),
        ("Which drug is an NSAID?", "Aspirin"),
    ) == [[("medmcqa", "dev/1", "question_and_options")], [], [], []]


def test_an_ngram_shared_by_many_items_is_template_text():
    stem = (
        "which of the following is the most likely diagnosis given these findings on "
        "examination today"
    )
    items = [
        _item("usmle", "step1", n, f"Patient {n} has finding {n}. {stem}", {"A": "x", "B": "y"})
        for n in range(COMMON_ITEMS)
    ]
    index = BenchmarkIndex({"usmle": items})
    assert index.common_ngrams > 0
    assert _matches(index, (f"A new case. {stem}", "z")) == [[]]
    assert _matches(index, ("Patient 3 has finding 3. " + stem, "z")) != [[]]


def test_removed_or_flagged_training_rows_and_untouched_evaluation_rows(index):
    paraphrase = f"Quiz: {PARKINSON}"
    pieces = [
        ("train", table({"input": paraphrase, "output": "B", "source": "toy", "source_id": "1"})),
        (
            "validation",
            table({"input": paraphrase, "output": "It is B", "source": "toy", "source_id": "2"}),
        ),
        (
            "test",
            table({"input": paraphrase, "output": "Answer B", "source": "toy", "source_id": "3"}),
        ),
        (
            "test",
            table(
                {
                    "input": PARKINSON,
                    "output": "B",
                    "source": "medqa",
                    "subset": "test",
                    "source_id": "t1",
                }
            ),
        ),
    ]
    policies = {
        "toy": SourcePolicy(),
        "medqa": SourcePolicy(evaluation_subsets=frozenset({"test"})),
    }
    only = QualitySettings(near_dedup=None)  # the test-split row is a near duplicate, too
    kept, stats = kept_rows(pieces, only, policies, index=index)
    assert [(r["source"], r["split"]) for r in kept] == [("toy", "test"), ("medqa", "test")]
    assert stats["toy"]["removed"]["contaminated"] == {"medqa": 2}
    assert stats["medqa"]["removed"]["total"] == 0

    flag = QualitySettings(near_dedup=None, decontamination=Decontamination(action="flag"))
    kept, stats = kept_rows(pieces, flag, policies, index=index)
    assert [r["contamination"] for r in kept] == ["medqa", "medqa", "", ""]
    assert stats["toy"]["flagged"] == {"medqa": 2} and stats["toy"]["removed"]["total"] == 0


def test_benchmark_items_come_from_the_raw_files_through_each_source(tmp_path):
    usmle = write_usmle(tmp_path / "usmle", [(WERNICKE, WERNICKE_OPTIONS, "C")])
    medqa = write_medqa_test(tmp_path / "medqa", [(PARKINSON, PARKINSON_OPTIONS, "B")])
    found = find_benchmarks(["usmle", "medqa", "medmcqa"], given={"usmle": usmle, "medqa": medqa})
    assert [i.question for i in found.found["usmle"].items] == [WERNICKE]
    assert found.found["medqa"].files[0]["name"] == "4_options/phrases_no_exclude_test.jsonl"
    assert found.found["medqa"].files[0]["items"] == 1
    assert len(found.found["medqa"].files[0]["sha256"]) == 64
    manifest = found.manifest()
    assert manifest["medmcqa"]["checked"] is False
    assert "--raw medmcqa=PATH" in manifest["medmcqa"]["reason"]
    assert set(found.fingerprint()) == {"usmle", "medqa"}


def test_a_benchmark_folder_without_evaluation_items_is_not_checked(tmp_path):
    train_only = write_medqa_test(
        tmp_path / "medqa", [(PARKINSON, PARKINSON_OPTIONS, "B")], "train"
    )
    found = find_benchmarks(["medqa"], given={"medqa": train_only})
    assert not found.found
    assert found.manifest()["medqa"]["reason"] == "its raw files (medqa) hold no evaluation items"


def test_medmcqa_test_questions_are_checked_though_their_answers_are_withheld():
    from importlib import resources

    raw = resources.files("meadow") / "samples" / "medmcqa"
    found = find_benchmarks(["medmcqa"], given={"medmcqa": raw})
    bench = found.found["medmcqa"]
    test_items = [i for i in bench.items if i.subset == "test"]
    assert test_items and all(i.answer == "" for i in test_items)
    assert {f["name"] for f in bench.files} == {"dev.json", "test.json"}
    assert "no_answer" not in bench.skipped
    # `meadow eval` still scores answered items only
    from meadow.sources import get_source

    evaluated = [
        i for i in get_source("medmcqa")().evaluation_items(raw) if isinstance(i, EvalItem)
    ]
    assert evaluated and all(i.answer for i in evaluated)
    assert {i.subset for i in evaluated} == {"dev"}
    # and a training row that copies a test question is contaminated
    item = test_items[0]
    row = (format_question(item.question, item.options), "Artesunate.")
    assert _matches(BenchmarkIndex({"medmcqa": bench.items}), row) == [
        [("medmcqa", item.source_id, "question_and_options")]
    ]
