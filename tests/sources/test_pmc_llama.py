"""PmcLlamaSource on PMC-LLaMA's release.json (and copies of it), and on what goes wrong."""

# The fixtures are JSON as the release holds it, long lines included.
# ruff: noqa: E501

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

import meadow
from meadow.errors import RawFileError
from meadow.schema import Record
from meadow.sources import get_source
from meadow.sources.pmc_llama import RELEASE_URL, PmcLlamaSource
from tests.sources.helpers import assert_batches_match_read, collect, rows, write_file

SAMPLES = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "pmc_llama"
MEDQA_INSTRUCTION = "You're a doctor, kindly address the medical queries according to the patient's account. Answer with the best option directly."
MEDQA_INPUT = "###Question: A 23-year-old pregnant woman at 22 weeks' gestation has burning on urination. She is otherwise well. Which of the following is the best treatment?\n###Options:\nA. Ampicillin\nB. Ceftriaxone\nC. Doxycycline\nD. Nitrofurantoin"


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(PmcLlamaSource(**options), raw)


# -- one fixture per shape of the file ---------------------------------------------------------


@pytest.fixture
def release_json(tmp_path: Path) -> Path:
    """release.json: an indented JSON array of {instruction, input, output, source, sample_id}."""
    return write_file(
        tmp_path,
        "release.json",
        r"""
        [
            {
                "instruction": "You're a doctor, kindly address the medical queries according to the patient's account. Answer with the best option directly.",
                "input": "###Question: A 23-year-old pregnant woman at 22 weeks' gestation has burning on urination. She is otherwise well. Which of the following is the best treatment?\n###Options:\nA. Ampicillin\nB. Ceftriaxone\nC. Doxycycline\nD. Nitrofurantoin",
                "output": "###Answer: OPTION D IS CORRECT.",
                "source": "medqa_train",
                "sample_id": 0
            },
            {
                "instruction": "Solve the following multiple-choice question by looking at the options, explain your reasoning and give the best option.",
                "input": "###Question: Vitamin deficiency that causes night blindness is\n###Options:\nA. Vitamin A\nB. Vitamin B12\nC. Vitamin C\nD. Vitamin D",
                "output": "###Rationale: Retinol is needed to regenerate rhodopsin in the rods.\n\n###Answer: OPTION A IS CORRECT.\n",
                "source": "medmcqa",
                "sample_id": 12
            },
            {
                "instruction": "Explain the meaning of the medical term.",
                "input": "###Question: Cholestasis",
                "output": "###Answer: A reduction or stoppage of bile flow.",
                "source": "umls",
                "sample_id": 3
            },
            {
                "instruction": "Describe how the two medical concepts are related.",
                "input": "###Question: What is the relation between Protamine sulfate and Heparin overdose?",
                "output": "###Answer: Protamine sulfate may treat Heparin overdose.",
                "source": "umls_relation",
                "sample_id": 4
            },
            {
                "instruction": "Answer this question.",
                "input": "###Question: Is this row from any corpus?",
                "output": "###Answer: No.",
                "source": "  ",
                "sample_id": 5
            },
            {
                "instruction": "  Answer this consumer health question as a doctor would. ",
                "input": null,
                "output": "  ###Answer: Most coughs after a cold settle within three weeks.  ",
                "source": "liveqa",
                "sample_id": 7
            },
            {
                "instruction": "Answer this question about a medicine.",
                "input": "###Question: Should metformin be taken with food?",
                "output": ["###Answer: Yes."],
                "source": "medicationqa",
                "sample_id": 8
            },
            {
                "instruction": "",
                "input": "###Question: Does early mobilisation shorten hospital stay?\n###Context: Patients mobilised early left hospital sooner.",
                "output": 1,
                "source": "pubmedqa.ori_pqaa",
                "sample_id": "17"
            }
        ]
        """,
        lstrip=True,
    )


def _rows_of(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def release_one_line(tmp_path: Path, release_json: Path) -> Path:
    """The same rows as `json.dump(rows, f)` writes them: the whole array on one line."""
    path = tmp_path / "one-line" / "release.json"
    path.parent.mkdir()
    path.write_text(json.dumps(_rows_of(release_json)), encoding="utf-8")
    return path


@pytest.fixture
def release_jsonl(tmp_path: Path, release_json: Path) -> Path:
    """The same rows as a JSON-lines copy, as `datasets`' `to_json` writes it."""
    path = tmp_path / "release.jsonl"
    path.write_text(
        "".join(json.dumps(row) + "\n" for row in _rows_of(release_json)), encoding="utf-8"
    )
    return path


# -- mapping ------------------------------------------------------------------------------------


def test_rows_become_records_verbatim_with_their_own_instruction(release_json: Path) -> None:
    records, _ = run(release_json)
    assert records[0] == Record(
        instruction=MEDQA_INSTRUCTION,
        input=MEDQA_INPUT,
        output="###Answer: OPTION D IS CORRECT.",
        source="pmc_llama",
        subset="medqa_train",
        source_id="medqa_train/0",
        license="openrail",
    )
    assert rows(records) == [
        ("medqa_train", "medqa_train/0", MEDQA_INPUT, "###Answer: OPTION D IS CORRECT."),
        (
            "medmcqa",
            "medmcqa/12",
            "###Question: Vitamin deficiency that causes night blindness is\n###Options:\nA. Vitamin A\nB. Vitamin B12\nC. Vitamin C\nD. Vitamin D",
            "###Rationale: Retinol is needed to regenerate rhodopsin in the rods.\n\n###Answer: OPTION A IS CORRECT.",
        ),
        (
            "umls",
            "umls/3",
            "###Question: Cholestasis",
            "###Answer: A reduction or stoppage of bile flow.",
        ),
        (
            "umls_relation",
            "umls_relation/4",
            "###Question: What is the relation between Protamine sulfate and Heparin overdose?",
            "###Answer: Protamine sulfate may treat Heparin overdose.",
        ),
        (
            "liveqa",
            "liveqa/7",
            "",
            "###Answer: Most coughs after a cold settle within three weeks.",
        ),
        (
            "pubmedqa.ori_pqaa",
            "pubmedqa.ori_pqaa/17",
            "###Question: Does early mobilisation shorten hospital stay?\n###Context: Patients mobilised early left hospital sooner.",
            "1",
        ),
    ]


def test_only_surrounding_whitespace_is_trimmed(release_json: Path) -> None:
    records, _ = run(release_json)
    liveqa = records[4]
    assert liveqa.instruction == "Answer this consumer health question as a doctor would."
    assert liveqa.output == "###Answer: Most coughs after a cold settle within three weeks."
    assert "\n\n###Answer" in records[1].output  # inner line breaks stay


def test_blank_instruction_gets_the_default_and_null_input_is_empty(release_json: Path) -> None:
    records, _ = run(release_json)
    assert records[-1].instruction == "Answer this question truthfully"
    assert records[4].input == ""


def test_umls_rows_are_licensed_other_the_rest_openrail(release_json: Path) -> None:
    records, _ = run(release_json)
    assert {r.subset: r.license for r in records} == {
        "medqa_train": "openrail",
        "medmcqa": "openrail",
        "umls": "other",
        "umls_relation": "other",
        "liveqa": "openrail",
        "pubmedqa.ori_pqaa": "openrail",
    }


def test_blank_source_and_list_values_are_skipped_and_counted(release_json: Path) -> None:
    records, skips = run(release_json)
    assert len(records) == 6
    assert skips == {"missing_source": 1, "not_text": 1}


def test_recipe_instruction_replaces_the_rows_own(release_json: Path) -> None:
    records, _ = run(release_json, instruction="Answer the medical question.")
    assert {r.instruction for r in records} == {"Answer the medical question."}


def test_records_are_parse_then_to_records(release_json: Path) -> None:
    source = PmcLlamaSource()
    mapped = [out for item in source.parse(release_json) for out in source.to_records(item)]
    assert mapped == list(source.records(release_json))


def test_one_line_array_reads_like_the_indented_one(
    release_json: Path, release_one_line: Path
) -> None:
    assert run(release_one_line) == run(release_json)


def test_json_lines_copy_reads_like_the_array(release_json: Path, release_jsonl: Path) -> None:
    assert run(release_jsonl) == run(release_json)


def test_utf8_bom_is_accepted(tmp_path: Path, release_json: Path) -> None:
    path = tmp_path / "bom" / "release.json"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + release_json.read_bytes())
    assert run(path) == run(release_json)


# -- raw layout ----------------------------------------------------------------------------------


def test_folder_reads_its_json_files_release_first(tmp_path: Path, release_json: Path) -> None:
    extra = tmp_path / "more" / "a_extra.json"
    extra.parent.mkdir()
    extra.write_text(
        '[{"instruction": "i", "input": "q", "output": "a", "source": "medmcqa", "sample_id": 99}]',
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("not read", encoding="utf-8")
    assert PmcLlamaSource().shards(tmp_path) == [release_json, extra]


def test_folder_without_json_files_names_release_json(tmp_path: Path) -> None:
    (tmp_path / "release.csv").write_text("instruction,input\n", encoding="utf-8")
    with pytest.raises(
        RawFileError,
        match=r"folder holds no release\.json \(nor any other \.json or \.jsonl file\)",
    ):
        PmcLlamaSource().shards(tmp_path)


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RawFileError, match="no such file or folder"):
        PmcLlamaSource().shards(tmp_path / "nowhere.json")


# -- files that cannot be read ---------------------------------------------------------------


def test_truncated_file_is_refused(release_json: Path) -> None:
    data = release_json.read_bytes()
    release_json.write_bytes(data[: data.index(b'"source": "umls_relation"')])
    with pytest.raises(
        RawFileError,
        match=r"release\.json, row 3: the JSON is cut short after 3 items \(premature end of file\): download the file again",
    ):
        run(release_json)


def test_file_not_in_utf8_names_the_line(release_json: Path) -> None:
    text = release_json.read_text(encoding="utf-8").replace("Cholestasis", "Cholestase (café)")
    release_json.write_bytes(text.encode("latin-1"))
    with pytest.raises(
        RawFileError,
        match=r"release\.json, row 2: not valid UTF-8 \(byte 0xe9 on line 18\): re-save the file as UTF-8",
    ):
        run(release_json)


def test_json_lines_not_in_utf8_names_the_line(release_jsonl: Path) -> None:
    text = release_jsonl.read_text(encoding="utf-8").replace("Cholestasis", "Cholestase (café)")
    release_jsonl.write_bytes(text.encode("latin-1"))
    with pytest.raises(RawFileError, match=r"row 3: not valid UTF-8 \(byte 0xe9 on line 3\)"):
        run(release_jsonl)


def test_utf16_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "release.json"
    path.write_bytes("[]".encode("utf-16"))
    with pytest.raises(RawFileError, match="the file is UTF-16, not UTF-8: re-save it as UTF-8"):
        run(path)


@pytest.mark.parametrize("content", ["", " \n\n "])
def test_empty_file_is_refused(tmp_path: Path, content: str) -> None:
    path = write_file(tmp_path, "release.json", content, lstrip=True)
    with pytest.raises(RawFileError, match=r"release\.json: empty file: download it again"):
        run(path)


def test_item_without_a_key_names_the_item_and_the_key(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "release.json",
        """
        [
            {"instruction": "i", "input": "q", "output": "a", "source": "umls", "sample_id": 0},
            {"instruction": "i", "input": "q", "output": "a", "sample_id": 1}
        ]
        """,
        lstrip=True,
    )
    with pytest.raises(
        RawFileError,
        match=r"release\.json, row 1: item 1 has no 'source' key \(expected keys: instruction, "
        r"input, output, source, sample_id; it has: instruction, input, output, sample_id\)",
    ):
        run(path)


def test_json_line_without_a_key_names_the_line(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "release.jsonl",
        '{"instruction": "i", "input": "q", "output": "a"}\n',
    )
    with pytest.raises(RawFileError, match=r"row 1: line 1 has no 'source' key"):
        run(path)


def test_item_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "release.json", '[["i", "q", "a", "umls", 0]]')
    with pytest.raises(
        RawFileError,
        match=r"row 0: item 0 is a JSON array, not an object \(expected keys: instruction, input, "
        r"output, source, sample_id\): is this PMC-LLaMA's release\.json\?",
    ):
        run(path)


def test_top_level_value_that_is_not_an_array_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "release.json", '"instruction"')
    with pytest.raises(
        RawFileError,
        match=r"expected a JSON file holding PMC-LLaMA's rows \(a JSON array of objects\) \(starting with '\['\), found '\"'",
    ):
        run(path)


def test_invalid_json_names_the_item(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "release.json",
        '[{"instruction": "i", "input": "q", "output": "a", "source": "umls", "sample_id": 0},]',
    )
    with pytest.raises(RawFileError, match=r"row 1: not valid JSON after 1 items"):
        run(path)


# -- registry, sample, build ---------------------------------------------------------------------


def test_registered_with_its_metadata() -> None:
    assert get_source("pmc_llama") is PmcLlamaSource
    info = PmcLlamaSource.info()
    assert info["subsets"] == []
    assert info["license"] == "openrail"
    assert info["raw_files"] == [{"name": "release.json", "url": RELEASE_URL, "sha256": None}]
    assert RELEASE_URL.endswith("/datasets/axiong/pmc_llama_instructions/resolve/main/release.json")
    assert "UMLS" in info["description"]
    assert "wu2023pmcllama" in info["citation"]
    assert info["evaluation_subsets"] == []


def test_bundled_sample_parses_with_its_skips() -> None:
    source = PmcLlamaSource()
    shards = source.shards(SAMPLES)
    assert [p.name for p in shards] == ["release.json"]
    records, skips = collect(source, SAMPLES)
    subsets = Counter(item.subset for item in records)
    for item in records:
        assert "not medical advice" not in item.instruction
    assert subsets == {
        "medqa_train": 1,
        "medmcqa": 1,
        "pubmedqa.ori_pqaa": 1,
        "liveqa": 1,
        "medicationqa": 1,
        "umls": 1,
        "umls_relation": 1,
    }
    assert skips == {"missing_source": 1}


def test_sample_builds_into_a_mixture() -> None:
    result = meadow.build(sources=["pmc_llama"], raw={"pmc_llama": SAMPLES}, name="t")
    stats = result.manifest["sources"]["pmc_llama"]
    assert stats["taken"] == 7
    assert stats["licenses"] == {"openrail": 5, "other": 2}
    assert stats["subsets"]["umls"]["licenses"] == {"other": 1}
    card = (result.path / "README.md").read_text()
    assert "| pmc_llama | umls | 1 | all | 1 | other |" in card
    assert "| pmc_llama | liveqa | 1 | all | 1 | openrail |" in card
    mixture = meadow.load_mixture("t")
    train = mixture["train"]
    assert len(train) == 7
    by_id = {row["source_id"]: row for row in train}
    assert by_id["medmcqa/0"]["output"].endswith("###Answer: OPTION B IS CORRECT.")
    assert by_id["umls/0"]["license"] == "other"
    assert by_id["liveqa/0"]["instruction"] == (
        "Answer this consumer health question as a doctor would."
    )


# -- the batch path (Source.batches) -----------------------------------------------------------


def _messy_release(tmp_path: Path, layout: str) -> Path:
    """A generated release (all its subsets, several of the reader's batches) with every case
    the mapping tells apart planted: blank and padded sources, null, number, list and object
    values, blank instructions and outputs, padded texts, non-text sample ids."""
    import random
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from gen_pmc_llama import make_release

    rows = json.loads(make_release(tmp_path / "gen", 3000, seed=2).read_text())
    rng = random.Random(7)
    for row in rows:
        pick = rng.random()
        if pick < 0.02:
            row["source"] = rng.choice(["", "  ", None])
        elif pick < 0.04:
            row["source"] = "  " + row["source"] + "\n"
        elif pick < 0.05:
            row[rng.choice(["instruction", "input", "output"])] = None
        elif pick < 0.06:
            row[rng.choice(["instruction", "input", "output", "source"])] = rng.choice(
                [3, 2.5, True]
            )
        elif pick < 0.07:
            row[rng.choice(["instruction", "input", "output", "source"])] = rng.choice(
                [["a"], {"b": "c"}]
            )
        elif pick < 0.08:
            row["instruction"] = "   "
        elif pick < 0.09:
            row["output"] = " \n"
        elif pick < 0.10:
            row["input"] = "  padded\n\n" + row["input"] + "\t "
        elif pick < 0.11:
            row["sample_id"] = rng.choice([None, "s-1", 4.5, [1]])
        elif pick < 0.12:
            row["extra"] = "kept out"
    if layout == "array":
        path = tmp_path / "release.json"
        path.write_text(json.dumps(rows, indent=4, ensure_ascii=False), encoding="utf-8")
    else:
        path = tmp_path / "release.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize("layout", ["array", "lines"])
@pytest.mark.parametrize("instruction", [None, "Answer it."])
def test_batches_match_read_on_a_generated_release_with_every_skip(
    tmp_path: Path, monkeypatch, layout: str, instruction: str | None
) -> None:
    path = _messy_release(tmp_path, layout)
    source = PmcLlamaSource(instruction=instruction)
    assert assert_batches_match_read(source, path) > 2000
    _, skips = collect(source, path)
    assert {"missing_source", "not_text"} <= set(skips)
    monkeypatch.setenv("MEADOW_MAX_FIELD_CHARS", "400")
    assert assert_batches_match_read(source, path) > 100


def test_batches_match_read_on_the_fixtures(
    release_json: Path, release_one_line: Path, release_jsonl: Path
) -> None:
    for path in (release_json, release_one_line, release_jsonl):
        assert assert_batches_match_read(PmcLlamaSource(), path) > 0


@pytest.mark.parametrize("layout", ["array", "lines"])
def test_batches_refuse_a_bad_item_as_read_does(tmp_path: Path, layout: str) -> None:
    rows = [dict.fromkeys(("instruction", "input", "output", "source", "sample_id"), "x")] * 3
    rows[2] = {"instruction": "x", "input": "y"}
    if layout == "array":
        path = write_file(tmp_path, "release.json", json.dumps(rows))
    else:
        path = write_file(tmp_path, "release.jsonl", "".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(RawFileError) as read:
        list(PmcLlamaSource().read(path))
    with pytest.raises(RawFileError) as batched:
        list(PmcLlamaSource().batches(path))
    assert str(batched.value) == str(read.value)
    assert batched.value.row == read.value.row
