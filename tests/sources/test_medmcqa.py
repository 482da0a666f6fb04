# ruff: noqa: E501  (raw fixtures keep the upstream one-line JSON objects)
"""The medmcqa source: MedMCQA's `train.json`, `dev.json`, `test.json`, written in tmp_path.

The files are JSON lines (despite the suffix) as the release writes them, compact
objects; the test file has neither `cop` nor `exp`. The Hugging Face copy, saved with
`to_json`, counts `cop` from 0 and writes -1 for the test answers.
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
    RATIONALE_PARAPHRASES,
)
from meadow.errors import RawFileError, RecipeError
from meadow.schema import EvalItem, Record
from meadow.sources import get_source
from meadow.sources.medmcqa import MedmcqaSource
from tests.sources.helpers import collect, write_file

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "medmcqa"

TRAIN = """\
    {"question":"Drug of choice for absence seizures in a child is:","exp":"Ans. is 'a' i.e., Ethosuximide\\n\\n\\n* It blocks T-type   calcium channels.  ","cop":1,"opa":"Ethosuximide","opb":"Phenytoin","opc":"Carbamazepine","opd":"Phenobarbitone","subject_name":"Pharmacology","topic_name":"Anti-epileptics","id":"3f1c2a8e-6b7d-4e0a-9c51-0d2e7b4a6f10","choice_type":"single"}
    {"question":"Features of nephrotic syndrome are: 1. Proteinuria 2. Hypoalbuminemia 3. Hyperlipidemia 4. Red cell casts","exp":null,"cop":3,"opa":"1, 2 and 4","opb":"2, 3 and 4","opc":"1, 2 and 3","opd":"All of the above","subject_name":"Medicine","topic_name":null,"id":"a7d94e21-0c3b-4f6e-8a2d-5b9e1c7f3d42","choice_type":"multi"}
    {"question":"Normal  pH of   arterial blood is:","exp":"   ","cop":3,"opa":"7.0","opb":"7.2","opc":" 7.4 ","opd":"7.8","subject_name":"Physiology","topic_name":"Acid base","id":"d4b1f7a3-2e6c-4a98-b0d5-8c3e9f12a6e7","choice_type":"single"}
    {"question":"Which factor has the shortest half-life?","exp":"Factor VII.","cop":5,"opa":"II","opb":"VII","opc":"IX","opd":"X","subject_name":"Biochemistry","topic_name":"Coagulation","id":"f6a2d8c4-1b3e-4d59-a7c0-e9b4f2d1a8c3","choice_type":"single"}
    {"question":"Which vitamin deficiency causes scurvy?","exp":"Vitamin C.","cop":"c","opa":"A","opb":"B12","opc":"C","opd":"D","subject_name":"Biochemistry","topic_name":"Vitamins","id":"0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d","choice_type":"single"}
"""
DEV = """\
    {"question":"Nerve injured in fracture of the surgical neck of the humerus is:","exp":"The axillary nerve winds round the surgical neck.","cop":4,"opa":"Radial nerve","opb":"Ulnar nerve","opc":"Median nerve","opd":"Axillary nerve","subject_name":"Anatomy","topic_name":"Upper limb","id":"0b7e3c9a-5d2f-4e18-86a4-c1f9e2b7d3a6","choice_type":"single"}
    {"question":"Live attenuated vaccines are: 1. MMR 2. BCG 3. Hepatitis B 4. Oral typhoid","exp":"","cop":2,"opa":"1, 2 and 3","opb":"1, 2 and 4","opc":"2, 3 and 4","opd":"All","subject_name":"Social & Preventive Medicine","topic_name":"Immunization","id":"1c8f4d0b-6e3a-4f29-97b5-d2a0f3c8e4b7","choice_type":"multi"}
"""
TEST = """\
    {"question":"Most common cause of community-acquired pneumonia in adults is:","opa":"Staphylococcus aureus","opb":"Streptococcus pneumoniae","opc":"Klebsiella","opd":"Legionella","subject_name":"Microbiology","topic_name":"Bacteria","id":"4f1c7a3e-9b6d-4c5f-8ae8-a5d3c6f1b7ea","choice_type":"single"}
"""
HUB_TRAIN = """\
    {"id":"3f1c2a8e-6b7d-4e0a-9c51-0d2e7b4a6f10","question":"Drug of choice for absence seizures in a child is:","opa":"Ethosuximide","opb":"Phenytoin","opc":"Carbamazepine","opd":"Phenobarbitone","cop":0,"choice_type":"single","exp":"Ethosuximide.","subject_name":"Pharmacology","topic_name":"Anti-epileptics"}
"""
HUB_TEST = """\
    {"id":"4f1c7a3e-9b6d-4c5f-8ae8-a5d3c6f1b7ea","question":"Most common cause of community-acquired pneumonia in adults is:","opa":"Staphylococcus aureus","opb":"Streptococcus pneumoniae","opc":"Klebsiella","opd":"Legionella","cop":-1,"choice_type":"single","exp":null,"subject_name":"Microbiology","topic_name":"Bacteria"}
"""

ABSENCE = (
    "Drug of choice for absence seizures in a child is:\n\n"
    "A: Ethosuximide\nB: Phenytoin\nC: Carbamazepine\nD: Phenobarbitone"
)


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(MedmcqaSource(**options), raw)


# -- fixtures: one per shape of raw folder ------------------------------------------------------


@pytest.fixture
def release_folder(tmp_path: Path) -> Path:
    """The three files of the release's data.zip, as it unzips."""
    folder = tmp_path / "medmcqa"
    write_file(folder, "train.json", TRAIN)
    write_file(folder, "dev.json", DEV)
    write_file(folder, "test.json", TEST)
    return folder


@pytest.fixture
def hub_copy_folder(tmp_path: Path) -> Path:
    """The Hugging Face copy saved as JSON lines: 0-based cop, -1 for test answers."""
    folder = tmp_path / "hub"
    write_file(folder, "train.json", HUB_TRAIN)
    write_file(folder, "test.json", HUB_TEST)
    return folder


# -- records ---------------------------------------------------------------------------------


def test_release_gives_answer_rationale_and_dev_records(release_folder: Path) -> None:
    assert [p.name for p in MedmcqaSource().shards(release_folder)] == [
        "train.json",
        "dev.json",
        "test.json",
    ]
    records, skips = run(release_folder)
    assert [
        (r.subset, r.source_id, r.instruction, r.input, r.output, r.license) for r in records
    ] == [
        (
            "answer",
            "3f1c2a8e-6b7d-4e0a-9c51-0d2e7b4a6f10",
            MULTIPLE_CHOICE_INSTRUCTION,
            ABSENCE,
            "A: Ethosuximide",
            "apache-2.0",
        ),
        (
            "rationale",
            "3f1c2a8e-6b7d-4e0a-9c51-0d2e7b4a6f10",
            RATIONALE_PARAPHRASES[0],
            ABSENCE,
            "A: Ethosuximide\n\nExplanation: Ans. is 'a' i.e., Ethosuximide\n\n"
            "* It blocks T-type calcium channels.",
            "apache-2.0",
        ),
        (
            "answer",
            "a7d94e21-0c3b-4f6e-8a2d-5b9e1c7f3d42",
            MULTIPLE_CHOICE_INSTRUCTION,
            "Features of nephrotic syndrome are: 1. Proteinuria 2. Hypoalbuminemia "
            "3. Hyperlipidemia 4. Red cell casts\n\n"
            "A: 1, 2 and 4\nB: 2, 3 and 4\nC: 1, 2 and 3\nD: All of the above",
            "C: 1, 2 and 3",
            "apache-2.0",
        ),
        (
            "answer",
            "d4b1f7a3-2e6c-4a98-b0d5-8c3e9f12a6e7",
            MULTIPLE_CHOICE_INSTRUCTION,
            "Normal pH of arterial blood is:\n\nA: 7.0\nB: 7.2\nC: 7.4\nD: 7.8",
            "C: 7.4",
            "apache-2.0",
        ),
        (
            "dev",
            "0b7e3c9a-5d2f-4e18-86a4-c1f9e2b7d3a6",
            MULTIPLE_CHOICE_INSTRUCTION,
            "Nerve injured in fracture of the surgical neck of the humerus is:\n\n"
            "A: Radial nerve\nB: Ulnar nerve\nC: Median nerve\nD: Axillary nerve",
            "D: Axillary nerve",
            "apache-2.0",
        ),
        (
            "dev",
            "1c8f4d0b-6e3a-4f29-97b5-d2a0f3c8e4b7",
            MULTIPLE_CHOICE_INSTRUCTION,
            "Live attenuated vaccines are: 1. MMR 2. BCG 3. Hepatitis B 4. Oral typhoid\n\n"
            "A: 1, 2 and 3\nB: 1, 2 and 4\nC: 2, 3 and 4\nD: All",
            "B: 1, 2 and 4",
            "apache-2.0",
        ),
    ]
    assert skips == {"no_explanation": 2, "bad_cop": 2, "no_answer": 1}


def test_multi_choice_questions_can_be_dropped(release_folder: Path) -> None:
    records, skips = run(release_folder, multi_choice="drop")
    assert "a7d94e21-0c3b-4f6e-8a2d-5b9e1c7f3d42" not in {r.source_id for r in records}
    assert [r.subset for r in records] == ["answer", "rationale", "answer", "dev"]
    assert skips == {"multi_choice": 2, "no_explanation": 1, "bad_cop": 2, "no_answer": 1}


def test_recipe_instruction_also_fixes_the_rationale_rows(release_folder: Path) -> None:
    records, _ = run(release_folder / "train.json", instruction="Answer the question.")
    assert {r.instruction for r in records} == {"Answer the question."}


def test_hub_copy_with_zero_based_cop(hub_copy_folder: Path) -> None:
    records, skips = run(hub_copy_folder, cop_base=0)
    assert [(r.subset, r.output) for r in records] == [
        ("answer", "A: Ethosuximide"),
        ("rationale", "A: Ethosuximide\n\nExplanation: Ethosuximide."),
    ]
    assert skips == {"no_answer": 1}


def test_test_file_without_answers_is_all_no_answer(release_folder: Path) -> None:
    records, skips = run(release_folder / "test.json")
    assert records == []
    assert skips == {"no_answer": 1}


# -- evaluation items ---------------------------------------------------------------------------


def test_evaluation_items_are_dev_and_test_rows_with_answers(release_folder: Path) -> None:
    items = list(MedmcqaSource().evaluation_items(release_folder))
    assert items[0] == EvalItem(
        source="medmcqa",
        subset="dev",
        source_id="0b7e3c9a-5d2f-4e18-86a4-c1f9e2b7d3a6",
        question="Nerve injured in fracture of the surgical neck of the humerus is:",
        options={
            "A": "Radial nerve",
            "B": "Ulnar nerve",
            "C": "Median nerve",
            "D": "Axillary nerve",
        },
        answer="D",
        meta={"subject_name": "Anatomy", "topic_name": "Upper limb", "choice_type": "single"},
    )
    assert [i.answer if isinstance(i, EvalItem) else i.reason for i in items] == [
        "D",
        "B",
        "no_answer",
    ]
    dev_records = [r for r in run(release_folder)[0] if r.subset == "dev"]
    assert [i.id for i in items[:2]] == [r.id for r in dev_records]


# -- files that cannot be read --------------------------------------------------------------------


def test_cop_zero_with_base_one_names_the_option(hub_copy_folder: Path) -> None:
    with pytest.raises(
        RawFileError,
        match=r"train\.json, row 1: line 1 has cop 0, but cop_base is 1 .* set "
        r"options: \{cop_base: 0\}",
    ):
        run(hub_copy_folder)


def test_options_are_checked() -> None:
    with pytest.raises(RecipeError, match=r"sources\.medmcqa\.options\.cop_base: expected 1"):
        MedmcqaSource(cop_base=2)
    with pytest.raises(RecipeError, match=r"options\.multi_choice: expected one of keep, drop"):
        MedmcqaSource(multi_choice="only")


def test_truncated_last_line(release_folder: Path) -> None:
    path = release_folder / "dev.json"
    path.write_bytes(path.read_bytes().rstrip(b"\n")[:-30])
    with pytest.raises(
        RawFileError,
        match=r"dev\.json, row 2: line 2 is cut short \(the file ends inside it\): download the file again",
    ):
        run(path)


def test_missing_key_names_key_file_and_line(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "dev.json",
        """\
        {"question":"Which?","exp":null,"cop":1,"opa":"a","opb":"b","opc":"c","subject_name":"Anatomy","topic_name":null,"id":"x1","choice_type":"single"}
        """,
    )
    with pytest.raises(
        RawFileError, match=r"dev\.json, row 1: line 1 has no 'opd' key; expected keys"
    ):
        run(path)


def test_missing_cop_outside_the_test_file(tmp_path: Path) -> None:
    path = write_file(tmp_path, "train.json", TEST)
    with pytest.raises(
        RawFileError, match=r"line 1 has no 'cop' key \(only test\.json may leave it out\)"
    ):
        run(path)


def test_wrong_encoding_names_file_and_line(tmp_path: Path) -> None:
    text = (
        textwrap.dedent(DEV)
        + '{"question":"Caf\u00e9 au lait spots are seen in:","exp":null,"cop":1,"opa":"NF1","opb":"TSC","opc":"SWS","opd":"VHL","subject_name":"Skin","topic_name":null,"id":"x2","choice_type":"single"}\n'
    )
    path = tmp_path / "dev.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(
        RawFileError,
        match=r"dev\.json, row 3: not valid UTF-8 \(byte 0xe9 on line 3\): re-save the file as UTF-8",
    ):
        run(path)


def test_json_array_instead_of_json_lines(tmp_path: Path) -> None:
    path = write_file(
        tmp_path, "train.json", "[\n" + textwrap.dedent(TRAIN).replace("}\n{", "},\n{") + "]\n"
    )
    with pytest.raises(
        RawFileError, match=r"line 1 is not valid JSON .*MedMCQA's \.json files are JSON lines"
    ):
        run(path)


def test_empty_file(tmp_path: Path) -> None:
    path = write_file(tmp_path, "train.json", "")
    with pytest.raises(RawFileError, match=r"train\.json: empty file"):
        run(path)


def test_folder_without_medmcqa_files(tmp_path: Path) -> None:
    write_file(tmp_path, "data.json", TRAIN)
    with pytest.raises(
        RawFileError,
        match=r"holds none of the MedMCQA files train\.json, dev\.json, test\.json \(JSON lines",
    ):
        MedmcqaSource().shards(tmp_path)


def test_two_copies_of_a_file(tmp_path: Path) -> None:
    write_file(tmp_path / "a", "dev.json", DEV)
    write_file(tmp_path / "b", "dev.json", DEV)
    with pytest.raises(
        RawFileError, match=r"holds several dev\.json files \(a/dev\.json, b/dev\.json\)"
    ):
        MedmcqaSource().shards(tmp_path)


def test_file_name_without_a_split(tmp_path: Path) -> None:
    path = write_file(tmp_path, "medmcqa.json", TRAIN)
    with pytest.raises(RawFileError, match=r"cannot tell the split from the file name"):
        MedmcqaSource().shards(path)


# -- registry, sample, build ----------------------------------------------------------------------


def test_registered_with_paraphrases_per_subset() -> None:
    cls = get_source("medmcqa")
    assert cls is MedmcqaSource
    info = cls.info()
    assert info["subsets"] == ["answer", "rationale", "dev", "test"]
    assert info["license"] == "apache-2.0"
    assert info["evaluation_subsets"] == ["dev", "test"]
    assert "test answers are not public" in info["description"]
    assert cls.paraphrases_for("answer") == MULTIPLE_CHOICE_PARAPHRASES
    assert cls.paraphrases_for("dev") == MULTIPLE_CHOICE_PARAPHRASES
    assert cls.paraphrases_for("rationale") == RATIONALE_PARAPHRASES


def test_sample_parses_with_expected_counts() -> None:
    records, skips = run(SAMPLE)
    assert Counter(r.subset for r in records) == {"answer": 5, "rationale": 3, "dev": 2}
    assert skips == {"no_explanation": 2, "bad_cop": 1, "no_answer": 3}
    assert not any("sample" in r.input.lower() for r in records)


def test_build_keeps_dev_rows_in_the_test_split() -> None:
    build(sources=["medmcqa"], raw={"medmcqa": SAMPLE}, name="t")
    mixture = load_mixture("t")
    assert Counter(mixture["test"]["subset"]) == {"dev": 2}
    assert Counter(mixture["train"]["subset"]) == {"answer": 5, "rationale": 3}
    for row in mixture["train"]:
        wordings = (
            RATIONALE_PARAPHRASES if row["subset"] == "rationale" else MULTIPLE_CHOICE_PARAPHRASES
        )
        assert row["instruction"] in wordings
