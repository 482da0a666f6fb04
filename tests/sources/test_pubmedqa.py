# ruff: noqa: E501  (raw fixtures keep PubMedQA's long one-line texts)
"""The pubmedqa source: ori_pqal.json, ori_pqaa.json and ori_pqau.json written in tmp_path.

Each file is one JSON object keyed by PMID, written as the repository writes it
(`json.dump(..., indent=4)`, non-ASCII as `\\u` escapes). PQA-A and PQA-U items carry fewer
keys than PQA-L's; PQA-A's own indentation is unverified, so a compact shape is read too.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path

import pytest

from meadow import build, load_mixture
from meadow.errors import RawFileError
from meadow.schema import EvalItem, Record
from meadow.sources import get_source
from meadow.sources.base import Skip
from meadow.sources.pubmedqa import (
    DECISION_INSTRUCTION,
    REASONING_INSTRUCTION,
    PubMedQASource,
)
from tests.sources.helpers import assert_batches_match_read, collect, rows, write_file

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "pubmedqa"


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(PubMedQASource(**options), raw)


# -- fixtures: one per shape of raw file ----------------------------------------------------------


@pytest.fixture
def pqal_file(tmp_path: Path) -> Path:
    """PQA-L as in the repository: every key, YEAR possibly null, one item per decision."""
    return write_file(
        tmp_path / "data",
        "ori_pqal.json",
        """\
        {
            "21000001": {
                "QUESTION": "Does early mobilisation shorten hospital stay after hip fracture surgery?",
                "CONTEXTS": [
                    "Bed rest after hip fracture surgery is linked to pneumonia.",
                    "We compared 238 patients mobilised within 24 hours with 174 mobilised later.",
                    "Median stay was 9 days with early and 13 days with late mobilisation."
                ],
                "LABELS": [
                    "BACKGROUND",
                    "METHODS",
                    "RESULTS"
                ],
                "MESHES": [
                    "Aged",
                    "Early Ambulation",
                    "Hip Fractures"
                ],
                "YEAR": "2014",
                "reasoning_required_pred": "yes",
                "reasoning_free_pred": "yes",
                "final_decision": "yes",
                "LONG_ANSWER": "Early mobilisation was associated with a shorter stay."
            },
            "9488747": {
                "QUESTION": "Is a normal chest radiograph enough to rule out pulmonary embolism?",
                "CONTEXTS": [
                    "Chest radiographs are often the first test in sudden breathlessness.",
                    "Of 305 patients with embolism, 121 (40%) had a normal radiograph."
                ],
                "LABELS": [
                    "BACKGROUND"
                ],
                "MESHES": [
                    "Humans",
                    "Pulmonary Embolism"
                ],
                "YEAR": null,
                "reasoning_required_pred": "no",
                "reasoning_free_pred": "no",
                "final_decision": "no",
                "LONG_ANSWER": "A normal radiograph cannot exclude pulmonary embolism."
            },
            "21000003": {
                "QUESTION": "  Do vitamin D supplements reduce\\nfalls   in care home residents? ",
                "CONTEXTS": [
                    "Falls are frequent in care homes\\u00a0and  vitamin D levels are low.",
                    "   ",
                    "The fall rate ratio was 0.86 (95% CI 0.70\\u20131.06)."
                ],
                "LABELS": [
                    " BACKGROUND ",
                    "METHODS",
                    "UNLABELLED"
                ],
                "MESHES": [
                    "Accidental Falls",
                    "Vitamin D"
                ],
                "YEAR": "2017",
                "reasoning_required_pred": "yes",
                "reasoning_free_pred": "no",
                "final_decision": "maybe",
                "LONG_ANSWER": ""
            },
            "21000004": {
                "QUESTION": "Can an app improve inhaler adherence in adolescents?",
                "CONTEXTS": [
                    "Mean adherence was 71% with the app and 52% without."
                ],
                "LABELS": [
                    "RESULTS"
                ],
                "MESHES": [],
                "YEAR": "2020",
                "reasoning_required_pred": "yes",
                "reasoning_free_pred": "yes",
                "final_decision": "Yes ",
                "LONG_ANSWER": "Reminders from an app improved adherence."
            }
        }""",
    )


@pytest.fixture
def pqaa_file(tmp_path: Path) -> Path:
    """PQA-A: yes/no decisions, no YEAR and no reasoning predictions; with bad items."""
    return write_file(
        tmp_path / "data",
        "ori_pqaa.json",
        """\
        {
            "25000001": {
                "QUESTION": "Is hand hygiene compliance associated with fewer hospital infections?",
                "CONTEXTS": [
                    "Compliance was observed monthly on 24 wards.",
                    "Each 10% rise in compliance meant 0.6 fewer infections per 1,000 patient-days."
                ],
                "LABELS": [
                    "METHODS",
                    "RESULTS"
                ],
                "LONG_ANSWER": "Better hand hygiene went together with fewer infections.",
                "MESHES": [
                    "Cross Infection",
                    "Hand Hygiene"
                ],
                "final_decision": "no"
            },
            "25000002": {
                "QUESTION": "Does moderate coffee intake raise the risk of atrial fibrillation?",
                "CONTEXTS": [
                    "Drinking 1 to 3 cups a day was not associated with atrial fibrillation."
                ],
                "LABELS": [
                    "RESULTS"
                ],
                "LONG_ANSWER": "Moderate coffee drinking was not linked with atrial fibrillation.",
                "MESHES": [
                    "Atrial Fibrillation",
                    "Coffee"
                ],
                "final_decision": "unknown"
            },
            "25000003": {
                "QUESTION": "",
                "CONTEXTS": [
                    "A question lost in extraction."
                ],
                "LABELS": [
                    "RESULTS"
                ],
                "LONG_ANSWER": "Nothing.",
                "MESHES": [],
                "final_decision": "yes"
            },
            "25000004": {
                "QUESTION": "Does salt reduction lower blood pressure in older adults?",
                "CONTEXTS": [],
                "LABELS": [],
                "LONG_ANSWER": "Cutting salt lowered systolic pressure.",
                "MESHES": [],
                "final_decision": "yes"
            },
            "25000005": {
                "QUESTION": "Does structured education improve glycaemic control?",
                "CONTEXTS": [
                    "HbA1c fell by 0.6 points more after a group programme."
                ],
                "LABELS": [
                    "RESULTS"
                ],
                "LONG_ANSWER": "Group education improved glycaemic control.",
                "MESHES": [],
                "final_decision": null
            }
        }""",
    )


@pytest.fixture
def pqaa_compact(tmp_path: Path) -> Path:
    """PQA-A written without indentation (`json.dump` defaults): the other plausible shape."""
    return write_file(
        tmp_path,
        "ori_pqaa.json",
        '{"26000001": {"QUESTION": "Does walking ease knee pain?", "CONTEXTS": ["Participants walked 30 minutes a day."], "LABELS": ["METHODS"], "LONG_ANSWER": "Walking eased knee pain.", "MESHES": ["Walking"], "final_decision": "yes"}}',
    )


@pytest.fixture
def pqau_file(tmp_path: Path) -> Path:
    """PQA-U: the same items without a final_decision."""
    return write_file(
        tmp_path / "data",
        "ori_pqau.json",
        """\
        {
            "27000001": {
                "QUESTION": "Are night shifts associated with poorer sleep in nurses?",
                "CONTEXTS": [
                    "Nurses wore activity monitors for two weeks."
                ],
                "LABELS": [
                    "METHODS"
                ],
                "MESHES": [
                    "Sleep"
                ],
                "LONG_ANSWER": "Sleep after night shifts was shorter."
            },
            "27000002": {
                "QUESTION": "Does regular walking reduce knee pain?",
                "CONTEXTS": [
                    "Participants walked five days a week for 12 weeks."
                ],
                "LABELS": [
                    "METHODS"
                ],
                "MESHES": [],
                "LONG_ANSWER": "Walking eased knee pain."
            }
        }""",
    )


@pytest.fixture
def repository_folder(tmp_path: Path, pqal_file: Path, pqaa_file: Path, pqau_file: Path) -> Path:
    """The repository's layout: data/ holds the three files beside split and answer files."""
    write_file(tmp_path / "data", "test_ground_truth.json", '{"21000001": "yes"}')
    write_file(tmp_path / "data" / "pqal_fold0", "dev_set.json", "{}")
    return tmp_path


# -- records ----------------------------------------------------------------------------------------


def test_labelled_items_give_a_decision_row_and_a_reasoning_row(pqal_file: Path) -> None:
    records, _ = run(pqal_file)
    first_input = (
        "BACKGROUND: Bed rest after hip fracture surgery is linked to pneumonia.\n\n"
        "METHODS: We compared 238 patients mobilised within 24 hours with 174 mobilised later.\n\n"
        "RESULTS: Median stay was 9 days with early and 13 days with late mobilisation.\n\n"
        "Question: Does early mobilisation shorten hospital stay after hip fracture surgery?"
    )
    assert records[:2] == [
        Record(
            instruction=DECISION_INSTRUCTION,
            input=first_input,
            output="yes",
            source="pubmedqa",
            subset="labelled",
            source_id="21000001",
            license="MIT",
        ),
        Record(
            instruction=REASONING_INSTRUCTION,
            input=first_input,
            output="Early mobilisation was associated with a shorter stay.\n\nAnswer: yes",
            source="pubmedqa",
            subset="labelled_reasoning",
            source_id="21000001",
            license="MIT",
        ),
    ]


def test_labels_that_do_not_fit_the_sections_give_plain_paragraphs(pqal_file: Path) -> None:
    records, _ = run(pqal_file)
    assert rows(records)[2:4] == [
        (
            "labelled",
            "9488747",
            "Chest radiographs are often the first test in sudden breathlessness.\n\n"
            "Of 305 patients with embolism, 121 (40%) had a normal radiograph.\n\n"
            "Question: Is a normal chest radiograph enough to rule out pulmonary embolism?",
            "no",
        ),
        (
            "labelled_reasoning",
            "9488747",
            "Chest radiographs are often the first test in sudden breathlessness.\n\n"
            "Of 305 patients with embolism, 121 (40%) had a normal radiograph.\n\n"
            "Question: Is a normal chest radiograph enough to rule out pulmonary embolism?",
            "A normal radiograph cannot exclude pulmonary embolism.\n\nAnswer: no",
        ),
    ]


def test_whitespace_is_normalized_and_unlabelled_sections_stay_plain(pqal_file: Path) -> None:
    records, skips = run(pqal_file)
    maybe = [r for r in records if r.source_id == "21000003"]
    assert rows(maybe) == [
        (
            "labelled",
            "21000003",
            "BACKGROUND: Falls are frequent in care homes and vitamin D levels are low.\n\n"
            "The fall rate ratio was 0.86 (95% CI 0.70\u20131.06).\n\n"
            "Question: Do vitamin D supplements reduce falls in care home residents?",
            "maybe",
        )
    ]
    assert skips["no_long_answer"] == 1  # its reasoning row only


def test_decision_case_and_spaces_are_forgiven(pqal_file: Path) -> None:
    records, _ = run(pqal_file)
    assert [(r.subset, r.output) for r in records if r.source_id == "21000004"] == [
        ("labelled", "yes"),
        ("labelled_reasoning", "Reminders from an app improved adherence.\n\nAnswer: yes"),
    ]


def test_labelled_counts_and_skips(pqal_file: Path) -> None:
    records, skips = run(pqal_file)
    assert Counter(r.subset for r in records) == {"labelled": 4, "labelled_reasoning": 3}
    assert skips == {"no_long_answer": 1}


def test_artificial_items_and_their_skip_reasons(pqaa_file: Path) -> None:
    records, skips = run(pqaa_file)
    text = (
        "METHODS: Compliance was observed monthly on 24 wards.\n\n"
        "RESULTS: Each 10% rise in compliance meant 0.6 fewer infections per 1,000 patient-days.\n\n"
        "Question: Is hand hygiene compliance associated with fewer hospital infections?"
    )
    assert rows(records) == [
        ("artificial", "25000001", text, "no"),
        (
            "artificial_reasoning",
            "25000001",
            text,
            "Better hand hygiene went together with fewer infections.\n\nAnswer: no",
        ),
    ]
    assert [r.instruction for r in records] == [DECISION_INSTRUCTION, REASONING_INSTRUCTION]
    assert skips == {"bad_decision": 2, "empty_question": 1, "no_context": 1}


def test_compact_json_is_read_the_same(pqaa_compact: Path) -> None:
    records, skips = run(pqaa_compact)
    assert rows(records) == [
        (
            "artificial",
            "26000001",
            "METHODS: Participants walked 30 minutes a day.\n\nQuestion: Does walking ease knee pain?",
            "yes",
        ),
        (
            "artificial_reasoning",
            "26000001",
            "METHODS: Participants walked 30 minutes a day.\n\nQuestion: Does walking ease knee pain?",
            "Walking eased knee pain.\n\nAnswer: yes",
        ),
    ]
    assert not skips


def test_unlabelled_file_is_counted_once_with_one_warning(
    pqau_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="meadow"):
        items = list(PubMedQASource().records(pqau_file))
    assert items == [Skip("unlabelled", count=2)]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "ori_pqau.json (PQA-U) has no answers" in warnings[0].getMessage()


def test_recipe_instruction_is_used_for_every_row(pqaa_compact: Path) -> None:
    records, _ = run(pqaa_compact, instruction="Answer as a clinician would.")
    assert [r.instruction for r in records] == ["Answer as a clinician would."] * 2


def test_paraphrases_start_with_the_fixed_instructions() -> None:
    decision = PubMedQASource.paraphrases_for("artificial")
    reasoning = PubMedQASource.paraphrases_for("labelled_reasoning")
    assert decision[0] == DECISION_INSTRUCTION and 4 <= len(decision) <= 6
    assert reasoning[0] == REASONING_INSTRUCTION and 4 <= len(reasoning) <= 6
    assert PubMedQASource.paraphrases_for("labelled") == decision
    assert PubMedQASource.paraphrases_for("artificial_reasoning") == reasoning


# -- folders ----------------------------------------------------------------------------------------


def test_folder_reads_the_three_files_by_name_and_ignores_others(repository_folder: Path) -> None:
    shards = PubMedQASource().shards(repository_folder)
    assert [p.relative_to(repository_folder).as_posix() for p in shards] == [
        "data/ori_pqal.json",
        "data/ori_pqaa.json",
        "data/ori_pqau.json",
    ]
    records, skips = run(repository_folder)
    assert Counter(r.subset for r in records) == {
        "labelled": 4,
        "labelled_reasoning": 3,
        "artificial": 1,
        "artificial_reasoning": 1,
    }
    assert skips == {
        "no_long_answer": 1,
        "bad_decision": 2,
        "empty_question": 1,
        "no_context": 1,
        "unlabelled": 2,
    }


def test_folder_with_none_of_the_files(tmp_path: Path) -> None:
    write_file(tmp_path, "test_ground_truth.json", '{"1": "yes"}')
    with pytest.raises(
        RawFileError,
        match=r"folder holds none of PubMedQA's files: expected ori_pqal\.json, "
        r"ori_pqaa\.json or ori_pqau\.json",
    ):
        PubMedQASource().shards(tmp_path)


def test_a_file_with_another_name_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "test_set.json", "{}")
    with pytest.raises(
        RawFileError, match=r"test_set\.json: not a PubMedQA file: expected ori_pqal"
    ):
        PubMedQASource().shards(path)


# -- evaluation items ---------------------------------------------------------------------------------


def test_evaluation_items_match_the_labelled_records(pqal_file: Path) -> None:
    source = PubMedQASource()
    items = list(source.evaluation_items(pqal_file))
    labelled = [r for r in run(pqal_file)[0] if r.subset == "labelled"]
    assert [i.id for i in items] == [r.id for r in labelled]
    assert [i.question for i in items] == [r.input for r in labelled]
    assert [i.answer for i in items] == ["A", "B", "C", "A"]
    assert items[1] == EvalItem(
        source="pubmedqa",
        subset="labelled",
        source_id="9488747",
        question=labelled[1].input,
        options={"A": "yes", "B": "no", "C": "maybe"},
        answer="B",
        meta={"year": None, "meshes": ["Humans", "Pulmonary Embolism"]},
    )
    assert items[0].meta == {"year": 2014, "meshes": ["Aged", "Early Ambulation", "Hip Fractures"]}


def test_only_the_labelled_file_gives_evaluation_items(pqaa_file: Path, pqau_file: Path) -> None:
    source = PubMedQASource()
    assert list(source.evaluation_items(pqaa_file)) == []
    assert list(source.evaluation_items(pqau_file)) == []


def test_evaluation_items_skip_for_the_same_reasons(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "ori_pqal.json",
        '{"1": {"QUESTION": "Q?", "CONTEXTS": ["C."], "final_decision": "perhaps", "LONG_ANSWER": "L."}}',
    )
    assert list(PubMedQASource().evaluation_items(path)) == [Skip("bad_decision")]


# -- files that cannot be read ----------------------------------------------------------------------


def test_truncated_artificial_file(pqaa_file: Path) -> None:
    data = pqaa_file.read_bytes()
    pqaa_file.write_bytes(data[: data.index(b'"25000002"') + 200])  # cut inside the second item
    with pytest.raises(
        RawFileError,
        match=r"ori_pqaa\.json, row 1: the JSON is cut short after 1 items .*download the file again",
    ):
        run(pqaa_file)


def test_not_utf8_names_the_file_and_line(tmp_path: Path) -> None:
    text = '{\n    "1": {\n        "QUESTION": "Caf\u00e9 au lait spots?",\n        "CONTEXTS": ["x"]\n    }\n}'
    path = tmp_path / "ori_pqal.json"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(
        RawFileError,
        match=r"ori_pqal\.json, row 0: not valid UTF-8 \(byte 0xe9 on line 3\): re-save the file as UTF-8",
    ):
        run(path)


def test_utf16_file(tmp_path: Path) -> None:
    path = tmp_path / "ori_pqal.json"
    path.write_text('{"1": {}}', encoding="utf-16")
    with pytest.raises(RawFileError, match=r"the file is UTF-16, not UTF-8: re-save it as UTF-8"):
        run(path)


def test_empty_file(tmp_path: Path) -> None:
    path = write_file(tmp_path, "ori_pqaa.json", "\n")
    with pytest.raises(RawFileError, match=r"ori_pqaa\.json: empty file"):
        run(path)


def test_array_instead_of_an_object(tmp_path: Path) -> None:
    path = write_file(tmp_path, "ori_pqal.json", '[{"QUESTION": "Q?", "CONTEXTS": []}]')
    with pytest.raises(
        RawFileError,
        match=r"expected a JSON file holding an object of PubMedQA items keyed by PMID "
        r"\(starting with '\{'\), found '\['",
    ):
        run(path)


def test_missing_key_names_the_pmid(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "ori_pqaa.json",
        '{"1": {"QUESTION": "Q?", "CONTEXTS": ["C."], "final_decision": "no"},\n'
        ' "17208539": {"QUESTION": "Q?", "LABELS": [], "final_decision": "yes"}}',
    )
    with pytest.raises(
        RawFileError,
        match=r"ori_pqaa\.json, row 2: PMID 17208539 has no 'CONTEXTS' key "
        r"\(keys: QUESTION, LABELS, final_decision\)",
    ):
        run(path)


def test_missing_decision_in_a_labelled_file(pqau_file: Path) -> None:
    path = pqau_file.rename(pqau_file.with_name("ori_pqaa.json"))
    with pytest.raises(
        RawFileError, match=r"PMID 27000001 has no 'final_decision' key .*ori_pqau\.json renamed"
    ):
        run(path)


def test_item_that_is_not_an_object(tmp_path: Path) -> None:
    path = write_file(tmp_path, "ori_pqau.json", '{"12345": "yes"}')
    with pytest.raises(
        RawFileError, match=r"ori_pqau\.json, row 1: PMID 12345 is a string, not an object"
    ):
        run(path)


# -- registry, sample, build ------------------------------------------------------------------------


def test_registered_with_the_benchmark_subsets() -> None:
    cls = get_source("pubmedqa")
    assert cls is PubMedQASource
    info = cls.info()
    assert info["subsets"] == [
        "labelled",
        "labelled_reasoning",
        "artificial",
        "artificial_reasoning",
    ]
    assert info["license"] == "MIT"
    assert info["raw_files"] == [
        {
            "name": "ori_pqal.json",
            "url": "https://raw.githubusercontent.com/pubmedqa/pubmedqa/master/data/ori_pqal.json",
            "sha256": None,
        }
    ]
    assert info["evaluation_subsets"] == ["labelled", "labelled_reasoning"]
    assert "jin2019pubmedqa" in info["citation"]
    assert cls.is_evaluation_only("labelled_reasoning")
    assert not cls.is_evaluation_only("artificial")


def test_sample_parses_with_expected_counts() -> None:
    records, skips = run(SAMPLE)
    assert Counter(r.subset for r in records) == {
        "labelled": 4,
        "labelled_reasoning": 3,
        "artificial": 3,
        "artificial_reasoning": 3,
    }
    assert skips == {"no_context": 2, "no_long_answer": 1, "bad_decision": 1, "unlabelled": 3}
    assert not any("sample" in (r.input + r.output).lower() for r in records)


def test_build_keeps_labelled_rows_in_the_test_split() -> None:
    build(sources=["pubmedqa"], raw={"pubmedqa": SAMPLE}, name="t")
    mixture = load_mixture("t")
    everything = [row for split in mixture.values() for row in split]
    assert len(everything) == 13
    test = mixture["test"]
    labelled = {(s, i) for s, i in zip(test["subset"], test["source_id"], strict=True)}
    assert {
        ("labelled", "99000001"),
        ("labelled", "99000002"),
        ("labelled", "99000003"),
        ("labelled", "99000004"),
        ("labelled_reasoning", "99000001"),
        ("labelled_reasoning", "99000002"),
        ("labelled_reasoning", "99000004"),
    } <= labelled
    for split in ("train", "validation"):
        if split in mixture:
            assert not {"labelled", "labelled_reasoning"} & set(mixture[split]["subset"])


# -- the batch path (Source.batches) -----------------------------------------------------------


def _messy_pqaa(tmp_path: Path, compact: bool) -> Path:
    """A generated ori_pqaa.json (several of the reader's batches) with every case the
    mapping tells apart planted: each skip reason, texts to clean, odd labels and values."""
    import json
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from gen_pubmedqa import make_file

    items = json.loads(make_file(tmp_path / "gen", 1500, seed=4).read_text())
    rng = random.Random(9)
    for item in items.values():
        pick = rng.random()
        if pick < 0.02:
            item["QUESTION"] = rng.choice(["", "  \n", None])
        elif pick < 0.04:
            item["CONTEXTS"] = rng.choice([[], ["  ", None], 3, None, {"a": "b"}])
        elif pick < 0.06:
            item["final_decision"] = rng.choice(["perhaps", None, 1, " Yes\n", "MAYBE"])
        elif pick < 0.08:
            item["LONG_ANSWER"] = rng.choice(["", " \t", None, 7])
        elif pick < 0.10:
            item["CONTEXTS"] = ["  Two  spaces\nand a break. ", "Café\u00a0au lait.", 12.5]
        elif pick < 0.12:
            item["LABELS"] = rng.choice([["ONLY"], None, ["UNLABELLED", None, "  methods "]])
        elif pick < 0.13:
            item["QUESTION"] = "\tWhy  " + item["QUESTION"] + "\x7f "
        elif pick < 0.14:
            item["CONTEXTS"] = "one section as a string"
    path = tmp_path / "ori_pqaa.json"
    path.write_text(
        json.dumps(items, indent=None if compact else 4, ensure_ascii=False), encoding="utf-8"
    )
    return path


@pytest.mark.parametrize("compact", [False, True])
@pytest.mark.parametrize("instruction", [None, "Answer."])
def test_batches_match_read_on_generated_items_with_every_skip(
    tmp_path: Path, monkeypatch, compact: bool, instruction: str | None
) -> None:
    path = _messy_pqaa(tmp_path, compact)
    source = get_source("pubmedqa")(instruction=instruction)
    assert assert_batches_match_read(source, path) > 2000
    _, skips = collect(source, path)
    assert {"empty_question", "no_context", "bad_decision", "no_long_answer"} <= set(skips)
    monkeypatch.setenv("MEADOW_MAX_FIELD_CHARS", "500")
    assert assert_batches_match_read(source, path) > 100
    assert collect(source, path)[1]["field_too_long"] > 100


def test_batches_match_read_on_every_fixture(repository_folder: Path, pqaa_compact: Path) -> None:
    source = get_source("pubmedqa")()
    assert assert_batches_match_read(source, repository_folder) > 0
    assert assert_batches_match_read(source, pqaa_compact) > 0


def test_batches_refuse_a_bad_item_as_read_does(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "ori_pqaa.json",
        '{"1": {"QUESTION": "q?", "CONTEXTS": ["c"], "final_decision": "yes"}, "2": {"QUESTION": "q?", "CONTEXTS": ["c"]}}',
    )
    source = get_source("pubmedqa")()
    with pytest.raises(RawFileError) as read:
        list(source.read(path))
    with pytest.raises(RawFileError) as batched:
        list(source.batches(path))
    assert str(batched.value) == str(read.value)
    assert "PMID 2 has no 'final_decision' key" in str(batched.value)
