# ruff: noqa: E501  (raw fixtures keep the upstream one-line JSON objects)
"""The medqa source: MedQA's `data_clean/questions/US` folder, written in tmp_path.

The files are JSON lines as the release writes them (Python's `json.dumps`, `", "` and
`": "` separators): `train.jsonl`, `dev.jsonl`, `test.jsonl` with five options, and
`4_options/phrases_no_exclude_{split}.jsonl` with four options and `metamap_phrases`.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from pathlib import Path

import pytest

from meadow import build, load_mixture
from meadow.converters.multiple_choice import (
    MULTIPLE_CHOICE_INSTRUCTION,
    MULTIPLE_CHOICE_PARAPHRASES,
)
from meadow.errors import RawFileError, RecipeError
from meadow.schema import EvalItem, Record
from meadow.sources import get_source
from meadow.sources.base import Skip
from meadow.sources.medqa import MedqaSource
from tests.sources.helpers import collect, rows, write_file

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "medqa"

TRAIN_5 = """\
    {"question": "A 23-year-old woman has fever, flank pain and burning on urination. Urinalysis shows white blood cell casts. Which of the following is the most likely diagnosis?", "answer": "Acute pyelonephritis", "options": {"A": "Acute cystitis", "B": "Acute pyelonephritis", "C": "Nephrolithiasis", "D": "Urethritis", "E": "Interstitial cystitis"}, "meta_info": "step2&3", "answer_idx": "B"}
    {"question": "A  47-year-old man who drinks heavily is confused and ataxic.\\nHe has nystagmus.\\n\\n\\nWhich vitamin is deficient?  ", "answer": " Thiamine  (B1)", "options": {"A": "Thiamine (B1)", "B": "Niacin", "C": "Cobalamin", "D": "Folate", "E": "Pyridoxine\\u00a0 (B6)"}, "meta_info": "step1", "answer_idx": "A"}
    {"question": "A 52-year-old man has new type 2 diabetes and normal kidney function. Which is the most appropriate initial drug?", "answer": "Metformin", "options": {"A": "Metformin", "B": "Insulin glargine", "C": "Glipizide", "D": "Pioglitazone", "E": "Acarbose"}, "meta_info": "step2&3", "answer_idx": "B"}
    {"question": "A 36-year-old woman has a small thyroid nodule and a normal TSH. Which is the most appropriate next step?", "answer": "Fine-needle aspiration", "options": {"A": "Radioactive iodine scan", "B": "Thyroidectomy", "C": "Levothyroxine", "D": "CT of the neck", "E": "Serum calcitonin"}, "meta_info": "step2&3", "answer_idx": "F"}
"""
DEV_5 = """\
    {"question": "A 7-year-old boy has cola-colored urine 2 weeks after a sore throat. Which laboratory finding is most likely?", "answer": "Decreased serum C3", "options": {"A": "Decreased serum C3", "B": "Anti-GBM antibodies", "C": "Positive ANCA", "D": "IgA deposits", "E": "Hypercalcemia"}, "meta_info": "step1", "answer_idx": "a"}
    {"question": "   ", "answer": "Option A", "options": {"A": "Option A", "B": "Option B", "C": "Option C", "D": "Option D", "E": "Option E"}, "meta_info": "step1", "answer_idx": "A"}
"""
TEST_5 = """\
    {"question": "A 68-year-old man has a resting tremor and cogwheel rigidity. Degeneration of which structure is the most likely cause?", "answer": "Substantia nigra pars compacta", "options": {"A": "Caudate nucleus", "B": "Substantia nigra pars compacta", "C": "Cerebellar vermis", "D": "Subthalamic nucleus", "E": "Nucleus basalis"}, "meta_info": "step1", "answer_idx": "B"}

    {"question": "Which of the following is shown in the image?", "answer": "", "options": {"A": "", "B": "", "C": "", "D": "", "E": ""}, "meta_info": "step1", "answer_idx": "A"}
"""
TRAIN_4 = """\
    {"question": "A 23-year-old woman has fever, flank pain and burning on urination. Urinalysis shows white blood cell casts. Which of the following is the most likely diagnosis?", "answer": "Acute pyelonephritis", "options": {"A": "Acute cystitis", "B": "Acute pyelonephritis", "C": "Nephrolithiasis", "D": "Urethritis"}, "meta_info": "step2&3", "answer_idx": "B", "metamap_phrases": ["23 year old woman", "fever", "flank pain", "white blood cell casts"]}
    {"question": "A  47-year-old man who drinks heavily is confused and ataxic.\\nHe has nystagmus.\\n\\n\\nWhich vitamin is deficient?  ", "answer": " Thiamine  (B1)", "options": {"A": "Thiamine (B1)", "B": "Niacin", "C": "Cobalamin", "D": "Pyridoxine\\u00a0 (B6)"}, "meta_info": "step1", "answer_idx": "A", "metamap_phrases": ["man", "confused", "ataxic", "nystagmus"]}
    {"question": "A 52-year-old man has new type 2 diabetes and normal kidney function. Which is the most appropriate initial drug?", "answer": "Metformin", "options": {"A": "Metformin", "B": "Insulin glargine", "C": "Glipizide", "D": "Pioglitazone"}, "meta_info": "step2&3", "answer_idx": "B", "metamap_phrases": ["type 2 diabetes"]}
    {"question": "A 36-year-old woman has a small thyroid nodule and a normal TSH. Which is the most appropriate next step?", "answer": "Fine-needle aspiration", "options": {"A": "Radioactive iodine scan", "B": "Thyroidectomy", "C": "Levothyroxine", "D": "CT of the neck"}, "meta_info": "step2&3", "answer_idx": "F", "metamap_phrases": ["thyroid nodule"]}
"""
DEV_4 = """\
    {"question": "A 7-year-old boy has cola-colored urine 2 weeks after a sore throat. Which laboratory finding is most likely?", "answer": "Decreased serum C3", "options": {"A": "Decreased serum C3", "B": "Anti-GBM antibodies", "C": "Positive ANCA", "D": "IgA deposits"}, "meta_info": "step1", "answer_idx": "a", "metamap_phrases": ["boy", "sore throat"]}
    {"question": "   ", "answer": "Option A", "options": {"A": "Option A", "B": "Option B", "C": "Option C", "D": "Option D"}, "meta_info": "step1", "answer_idx": "A", "metamap_phrases": []}
"""
TEST_4 = """\
    {"question": "A 68-year-old man has a resting tremor and cogwheel rigidity. Degeneration of which structure is the most likely cause?", "answer": "Substantia nigra pars compacta", "options": {"A": "Caudate nucleus", "B": "Substantia nigra pars compacta", "C": "Cerebellar vermis", "D": "Subthalamic nucleus"}, "meta_info": "step1", "answer_idx": "B", "metamap_phrases": ["resting tremor", "cogwheel rigidity"]}

    {"question": "Which of the following is shown in the image?", "answer": "", "options": {"A": "", "B": "", "C": "", "D": ""}, "meta_info": "step1", "answer_idx": "A", "metamap_phrases": ["image"]}
"""
MAINLAND_TRAIN = """\
    {"question": "\u7cd6\u5c3f\u75c5\u9996\u9009\u836f\u7269\u662f", "answer": "\u4e8c\u7532\u53cc\u80cd", "options": {"A": "\u4e8c\u7532\u53cc\u80cd", "B": "\u80f0\u5c9b\u7d20", "C": "\u683c\u5217\u5421\u55ea", "D": "\u963f\u5361\u6ce2\u7cd6", "E": "\u5421\u683c\u5217\u916e"}, "meta_info": "\u7b2c\u4e00\u90e8\u5206", "answer_idx": "A"}
"""

US_FILES = {
    "train.jsonl": TRAIN_5,
    "dev.jsonl": DEV_5,
    "test.jsonl": TEST_5,
    "4_options/phrases_no_exclude_train.jsonl": TRAIN_4,
    "4_options/phrases_no_exclude_dev.jsonl": DEV_4,
    "4_options/phrases_no_exclude_test.jsonl": TEST_4,
}


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(MedqaSource(**options), raw)


# -- fixtures: one per shape of raw folder ------------------------------------------------------


@pytest.fixture
def data_clean(tmp_path: Path) -> Path:
    """The release's `data_clean/` tree: the US folder with both variants, and Mainland."""
    root = tmp_path / "data_clean"
    for name, text in US_FILES.items():
        write_file(root / "questions" / "US", name, text)
    write_file(root / "questions" / "Mainland", "train.jsonl", MAINLAND_TRAIN)
    return root


@pytest.fixture
def us_folder(data_clean: Path) -> Path:
    return data_clean / "questions" / "US"


@pytest.fixture
def five_option_folder(tmp_path: Path) -> Path:
    """A US folder from which the 4_options folder was left out."""
    folder = tmp_path / "US"
    for name in ("train.jsonl", "dev.jsonl", "test.jsonl"):
        write_file(folder, name, US_FILES[name])
    return folder


@pytest.fixture
def four_option_files_without_folder(tmp_path: Path) -> Path:
    """The three 4-option files copied into one flat folder, keeping their names."""
    folder = tmp_path / "medqa"
    for split, text in (("train", TRAIN_4), ("dev", DEV_4), ("test", TEST_4)):
        write_file(folder, f"phrases_no_exclude_{split}.jsonl", text)
    return folder


# -- records ---------------------------------------------------------------------------------


def test_four_option_variant_is_read_by_default(us_folder: Path) -> None:
    assert [p.relative_to(us_folder).as_posix() for p in MedqaSource().shards(us_folder)] == [
        "4_options/phrases_no_exclude_train.jsonl",
        "4_options/phrases_no_exclude_dev.jsonl",
        "4_options/phrases_no_exclude_test.jsonl",
    ]
    records, skips = run(us_folder)
    assert rows(records) == [
        (
            "train",
            "train/1",
            "A 23-year-old woman has fever, flank pain and burning on urination. Urinalysis shows "
            "white blood cell casts. Which of the following is the most likely diagnosis?\n\n"
            "A: Acute cystitis\nB: Acute pyelonephritis\nC: Nephrolithiasis\nD: Urethritis",
            "B: Acute pyelonephritis",
        ),
        (
            "train",
            "train/2",
            "A 47-year-old man who drinks heavily is confused and ataxic.\nHe has nystagmus.\n\n"
            "Which vitamin is deficient?\n\n"
            "A: Thiamine (B1)\nB: Niacin\nC: Cobalamin\nD: Pyridoxine (B6)",
            "A: Thiamine (B1)",
        ),
        (
            "dev",
            "dev/1",
            "A 7-year-old boy has cola-colored urine 2 weeks after a sore throat. Which laboratory "
            "finding is most likely?\n\n"
            "A: Decreased serum C3\nB: Anti-GBM antibodies\nC: Positive ANCA\nD: IgA deposits",
            "A: Decreased serum C3",
        ),
        (
            "test",
            "test/1",
            "A 68-year-old man has a resting tremor and cogwheel rigidity. Degeneration of which "
            "structure is the most likely cause?\n\n"
            "A: Caudate nucleus\nB: Substantia nigra pars compacta\nC: Cerebellar vermis\n"
            "D: Subthalamic nucleus",
            "B: Substantia nigra pars compacta",
        ),
    ]
    assert {(r.instruction, r.source, r.license) for r in records} == {
        (MULTIPLE_CHOICE_INSTRUCTION, "medqa", "MIT")
    }
    assert skips == {
        "answer_mismatch": 1,
        "answer_not_an_option": 1,
        "empty_question": 1,
        "empty_options": 1,
    }


def test_five_option_variant_when_asked(us_folder: Path) -> None:
    source = MedqaSource(option_count=5)
    assert [p.name for p in source.shards(us_folder)] == ["train.jsonl", "dev.jsonl", "test.jsonl"]
    records, skips = run(us_folder, option_count=5)
    assert [(r.source_id, r.output) for r in records] == [
        ("train/1", "B: Acute pyelonephritis"),
        ("train/2", "A: Thiamine (B1)"),
        ("dev/1", "A: Decreased serum C3"),
        ("test/1", "B: Substantia nigra pars compacta"),
    ]
    assert records[0].input.endswith("D: Urethritis\nE: Interstitial cystitis")
    assert sum(skips.values()) == 4


def test_both_variants_give_the_same_ids(us_folder: Path) -> None:
    four, _ = run(us_folder)
    five, _ = run(us_folder, option_count=5)
    assert [r.id for r in four] == [r.id for r in five]


def test_folder_above_us_reads_only_the_us_questions(data_clean: Path, us_folder: Path) -> None:
    assert MedqaSource(option_count=5).shards(data_clean) == MedqaSource(option_count=5).shards(
        us_folder
    )
    records, _ = run(data_clean, option_count=5)
    assert len(records) == 4


def test_four_option_files_are_found_by_name(four_option_files_without_folder: Path) -> None:
    records, skips = run(four_option_files_without_folder)
    assert [r.source_id for r in records] == ["train/1", "train/2", "dev/1", "test/1"]
    assert sum(skips.values()) == 4


def test_a_single_file_is_read_whatever_its_variant(us_folder: Path) -> None:
    records, skips = run(us_folder / "test.jsonl", option_count=5)
    assert [(r.subset, r.source_id) for r in records] == [("test", "test/1")]
    assert skips == {"empty_options": 1}


def test_answer_text_is_compared_after_whitespace_normalization(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "dev.jsonl",
        """\
        {"question": "Which nerve is injured in a fracture of the surgical neck of the humerus?", "answer": "Axillary   nerve ", "options": {"A": "Radial nerve", "B": "Ulnar nerve", "C": "Median nerve", "D": "Axillary nerve"}, "meta_info": "step1", "answer_idx": " d"}
        {"question": "Which nerve is injured in a fracture of the surgical neck of the humerus?", "answer": "Axillary nerve (C5, C6)", "options": {"A": "Radial nerve", "B": "Ulnar nerve", "C": "Median nerve", "D": "Axillary nerve"}, "meta_info": "step1", "answer_idx": "D"}
        """,
    )
    records, skips = run(path)
    assert [(r.source_id, r.output) for r in records] == [("dev/1", "D: Axillary nerve")]
    assert skips == {"answer_mismatch": 1}


def test_options_as_key_value_list_are_accepted(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "train.jsonl",
        """\
        {"question": "Which vaccine is contraindicated in pregnancy?", "answer": "MMR", "options": [{"key": "A", "value": "Influenza"}, {"key": "B", "value": "MMR"}, {"key": "C", "value": "Tetanus toxoid"}, {"key": "D", "value": "Hepatitis B"}], "meta_info": "step2&3", "answer_idx": "B"}
        """,
    )
    records, _ = run(path)
    assert rows(records) == [
        (
            "train",
            "train/1",
            "Which vaccine is contraindicated in pregnancy?\n\n"
            "A: Influenza\nB: MMR\nC: Tetanus toxoid\nD: Hepatitis B",
            "B: MMR",
        )
    ]


# -- evaluation items ---------------------------------------------------------------------------


def test_evaluation_items_are_the_test_questions_with_record_ids(us_folder: Path) -> None:
    source = MedqaSource()
    items = list(source.evaluation_items(us_folder))
    assert items == [
        EvalItem(
            source="medqa",
            subset="test",
            source_id="test/1",
            question="A 68-year-old man has a resting tremor and cogwheel rigidity. Degeneration "
            "of which structure is the most likely cause?",
            options={
                "A": "Caudate nucleus",
                "B": "Substantia nigra pars compacta",
                "C": "Cerebellar vermis",
                "D": "Subthalamic nucleus",
            },
            answer="B",
            meta={"meta_info": "step1"},
        ),
        Skip("empty_options"),
    ]
    (test_record,) = [r for r in run(us_folder)[0] if r.subset == "test"]
    assert items[0].id == test_record.id
    assert (
        list(source.evaluation_items(us_folder / "4_options" / "phrases_no_exclude_train.jsonl"))
        == []
    )


# -- files that cannot be read --------------------------------------------------------------------


def test_folder_with_only_the_other_variant_names_the_option(five_option_folder: Path) -> None:
    with pytest.raises(
        RawFileError,
        match=r"holds only 5-option MedQA files \(train\.jsonl, dev\.jsonl, test\.jsonl\) but "
        r"option_count is 4: set options: \{option_count: 5\}",
    ):
        MedqaSource().shards(five_option_folder)
    records, _ = run(five_option_folder, option_count=5)
    assert len(records) == 4


def test_folder_without_medqa_files(tmp_path: Path) -> None:
    write_file(tmp_path, "US_qbank.jsonl", TRAIN_5)
    write_file(tmp_path, "notes.txt", "nothing here")
    with pytest.raises(
        RawFileError,
        match=r"holds none of the MedQA US files: expected train\.jsonl, dev\.jsonl, test\.jsonl "
        r"\(5 options\) or 4_options/phrases_no_exclude_train\.jsonl",
    ):
        MedqaSource().shards(tmp_path)


def test_file_of_the_other_variant_given_directly(us_folder: Path) -> None:
    with pytest.raises(
        RawFileError,
        match=r"train\.jsonl, row 1: line 1 has 5 options but option_count is 4: this is the "
        r"5-option MedQA file: set options: \{option_count: 5\}",
    ):
        run(us_folder / "train.jsonl")


def test_two_copies_of_the_us_folder(tmp_path: Path) -> None:
    for copy in ("a", "b"):
        write_file(tmp_path / copy / "US", "train.jsonl", TRAIN_5)
    with pytest.raises(
        RawFileError,
        match=r"holds several 5-option train files \(a/US/train\.jsonl, b/US/train\.jsonl\)",
    ):
        MedqaSource(option_count=5).shards(tmp_path)


def test_option_count_must_be_four_or_five() -> None:
    with pytest.raises(
        RecipeError, match=r"sources\.medqa\.options\.option_count: expected 4 or 5"
    ):
        MedqaSource(option_count=3)


def test_file_name_without_a_split(tmp_path: Path) -> None:
    path = write_file(tmp_path, "US_qbank.jsonl", TRAIN_5)
    with pytest.raises(RawFileError, match=r"cannot tell the split from the file name: expected"):
        MedqaSource(option_count=5).shards(path)


def test_truncated_last_line(us_folder: Path) -> None:
    path = us_folder / "test.jsonl"
    path.write_bytes(path.read_bytes().rstrip(b"\n")[:-40])
    with pytest.raises(
        RawFileError,
        match=r"test\.jsonl, row 3: line 3 is cut short \(the file ends inside it\): download the file again",
    ):
        run(path, option_count=5)


def test_missing_key_names_key_file_and_line(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "dev.jsonl",
        """\
        {"question": "Which?", "answer": "x", "options": {"A": "x", "B": "y", "C": "z", "D": "w"}, "meta_info": "step1", "answer_idx": "A"}
        {"question": "Which?", "answer": "x", "options": {"A": "x", "B": "y", "C": "z", "D": "w"}, "meta_info": "step1"}
        """,
    )
    with pytest.raises(
        RawFileError, match=r"dev\.jsonl, row 2: line 2 has no 'answer_idx' key \(expected keys"
    ):
        run(path)


def test_line_that_is_not_an_object(tmp_path: Path) -> None:
    path = write_file(tmp_path, "dev.jsonl", '["Which?", "A"]\n')
    with pytest.raises(RawFileError, match=r"line 1 is a JSON list, not an object with question"):
        run(path)


def test_wrong_encoding_names_file_and_line(tmp_path: Path) -> None:
    text = (
        textwrap.dedent(DEV_4)
        + '{"question": "Caf\u00e9 au lait spots?", "answer": "x", "options": {"A": "x", "B": "y", "C": "z", "D": "w"}, "meta_info": "step1", "answer_idx": "A"}\n'
    )
    path = tmp_path / "dev.jsonl"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(
        RawFileError,
        match=r"dev\.jsonl, row 3: not valid UTF-8 \(byte 0xe9 on line 3\): re-save the file as UTF-8",
    ):
        run(path)


def test_empty_file(tmp_path: Path) -> None:
    path = write_file(tmp_path, "test.jsonl", "\n\n")
    with pytest.raises(RawFileError, match=r"test\.jsonl: empty file"):
        run(path)


# -- registry, sample, build ----------------------------------------------------------------------


def test_registered_with_paraphrases_and_a_held_out_test_split() -> None:
    cls = get_source("medqa")
    assert cls is MedqaSource
    info = cls.info()
    assert info["subsets"] == ["train", "dev", "test"]
    assert info["license"] == "MIT"
    assert info["raw_files"] == []
    assert info["evaluation_subsets"] == ["test"]
    assert "jind11/MedQA" in info["how_to_get"]
    assert cls.paraphrases_for("train") == MULTIPLE_CHOICE_PARAPHRASES
    assert cls.is_evaluation_only("test") and not cls.is_evaluation_only("dev")


@pytest.mark.parametrize("option_count", [4, 5])
def test_sample_parses_with_expected_counts(option_count: int) -> None:
    records, skips = run(SAMPLE, option_count=option_count)
    assert Counter(r.subset for r in records) == {"train": 4, "dev": 2, "test": 2}
    assert skips == {
        "answer_mismatch": 1,
        "answer_not_an_option": 1,
        "empty_question": 1,
        "empty_options": 1,
    }
    assert all(r.input.count("\n") >= option_count + 1 for r in records)
    assert not any("sample" in r.input.lower() for r in records)


def test_build_keeps_medqa_test_rows_in_the_test_split() -> None:
    build(sources=["medqa"], raw={"medqa": SAMPLE}, name="t")
    mixture = load_mixture("t")
    assert sorted(mixture["test"]["source_id"]) == ["test/1", "test/2"]
    assert sorted(set(mixture["train"]["subset"])) == ["dev", "train"]
    assert len(mixture["train"]) == 6
    assert set(mixture["train"]["instruction"]) <= set(MULTIPLE_CHOICE_PARAPHRASES)
