"""Benchmark items, read by their sources: exclusions counted, splits as published."""

from __future__ import annotations

import dataclasses
import json

import pytest

from meadow.errors import EvalError, MissingRawFilesError, RawFileError
from meadow.eval import get_benchmark, load_benchmark
from meadow.eval.benchmarks import NOT_IN_TEST_SPLIT, sample_path
from meadow.eval.scoring import encode_item
from meadow.sources import get_source
from meadow.train.data import encode_example, prompt_ids
from meadow.train.templates import get_template
from tests.eval import fixture_questions, write_medqa, write_pubmedqa, write_usmle

QUESTIONS = fixture_questions()
EMPTY = ("A question whose options were lost", {"A": "", "B": "", "C": "", "D": ""}, "A")


@pytest.fixture
def usmle_raw(tmp_path):
    """Step 1 has an image question (position 1) and one without option texts."""
    steps = {1: [QUESTIONS[0], QUESTIONS[1], EMPTY], 2: QUESTIONS[2:4], 3: QUESTIONS[4:7]}
    return write_usmle(tmp_path / "usmle", steps, images={1: [1]})


def test_usmle_counts_image_and_empty_option_questions_and_groups_by_step(usmle_raw):
    usmle = load_benchmark(get_benchmark("usmle"), usmle_raw)
    assert dict(usmle.excluded) == {"empty_options": 1, "has_image": 1}
    steps = [usmle.benchmark.group_of(item) for item in usmle.items]
    assert steps == ["step1", "step2", "step2", "step3", "step3", "step3"]
    assert usmle.benchmark.group_label("step2") == "Step 2"
    assert [item.source_id for item in usmle.items][:2] == ["step1/1", "step2/1"]


def test_usmle_without_its_image_list_finds_image_questions_by_their_keys(usmle_raw):
    with_list = load_benchmark(get_benchmark("usmle"), usmle_raw)
    assert with_list.note is None
    step1 = usmle_raw / "step1.json"
    questions = json.loads(step1.read_text())
    questions[1]["image_url"] = "https://example.org/step1/2.png"  # the listed position
    questions[0]["image"] = None
    step1.write_text(json.dumps(questions))
    (usmle_raw / "question_with_images.json").unlink()
    without_list = load_benchmark(get_benchmark("usmle"), usmle_raw)
    assert without_list.excluded == with_list.excluded == {"empty_options": 1, "has_image": 1}
    assert [i.id for i in without_list.items] == [i.id for i in with_list.items]
    assert without_list.note == (
        "image questions are those with an 'image' or 'image_url' key "
        "(question_with_images.json not found)"
    )


def test_the_revision_follows_the_raw_files(usmle_raw, tmp_path):
    first = load_benchmark(get_benchmark("usmle"), usmle_raw).revision
    assert load_benchmark(get_benchmark("usmle"), usmle_raw).revision == first
    (usmle_raw / "step3_solutions.json").write_text('{"1": "B", "2": "B", "3": "C"}')
    assert load_benchmark(get_benchmark("usmle"), usmle_raw).revision != first


def test_medqa_scores_only_the_test_split(tmp_path):
    raw = write_medqa(tmp_path / "medqa", QUESTIONS[:3])
    write_medqa(raw, QUESTIONS[3:], split="train")
    medqa = load_benchmark(get_benchmark("medqa"), raw)
    assert [item.subset for item in medqa.items] == ["test"] * 3
    assert [r["name"] for r in medqa.raw_files] == ["4_options/phrases_no_exclude_test.jsonl"]


def test_medmcqa_scores_dev_only_its_test_has_no_answers():
    medmcqa = load_benchmark(get_benchmark("medmcqa"), sample_path("medmcqa"))
    assert {item.subset for item in medmcqa.items} == {"dev"}
    assert [r["name"] for r in medmcqa.raw_files] == ["dev.json"]


def test_pubmedqa_keeps_the_official_test_split_when_its_file_is_there(tmp_path):
    items = {
        str(10 + n): (f"Does treatment {n} help?", ("yes", "no", "maybe")[n % 3]) for n in range(6)
    }
    raw = write_pubmedqa(tmp_path / "pubmedqa", items, test=["10", "12", "14"])
    pubmedqa = load_benchmark(get_benchmark("pubmedqa"), raw)
    assert [item.source_id for item in pubmedqa.items] == ["10", "12", "14"]
    assert dict(pubmedqa.excluded) == {NOT_IN_TEST_SPLIT: 3}
    assert pubmedqa.split == "test" and pubmedqa.note is None
    assert "test_ground_truth.json" in [r["name"] for r in pubmedqa.raw_files]
    (raw / "test_ground_truth.json").unlink()
    everything = load_benchmark(get_benchmark("pubmedqa"), raw)
    assert len(everything.items) == 6 and everything.split == "labelled"
    assert "test_ground_truth.json" in everything.note


def test_an_item_is_asked_with_the_training_prompt_and_answered_as_trained(
    tmp_path, eval_tokenizer
):
    medqa = load_benchmark(get_benchmark("medqa"), write_medqa(tmp_path / "m", QUESTIONS[:1]))
    item, template = medqa.items[0], get_template("medalpaca")
    encoded = encode_item(medqa.benchmark, item, medqa.instruction, template, eval_tokenizer)
    source = get_source("medqa")()
    record = next(source.records(source.shards(tmp_path / "m")[0]))  # its training row
    assert encoded.prompt == prompt_ids(template, eval_tokenizer, record.instruction, record.input)
    trained = encode_example(dataclasses.asdict(record), template, eval_tokenizer, 512)["input_ids"]
    assert encoded.prompt + encoded.continuations[item.answer] == trained  # answer + EOS
    assert encoded.continuations["A"][-1] == eval_tokenizer.eos_token_id


def test_an_unknown_benchmark_lists_the_known_ones():
    with pytest.raises(EvalError, match=r"unknown benchmark 'usmle4'; available: usmle, medqa"):
        get_benchmark("usmle4")


def test_missing_raw_files_say_where_to_get_them_and_which_flag_takes_them():
    with pytest.raises(
        MissingRawFilesError, match=r"medalpaca/medical_meadow_usmle.*--raw usmle=PATH"
    ):
        load_benchmark(get_benchmark("usmle"))


def test_a_folder_without_the_scored_split_is_a_clear_error(tmp_path):
    raw = write_medqa(tmp_path / "medqa", QUESTIONS[:2], split="dev")
    with pytest.raises(RawFileError, match=r"holds no items of benchmark 'medqa'"):
        load_benchmark(get_benchmark("medqa"), raw)
