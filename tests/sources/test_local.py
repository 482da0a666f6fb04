"""LocalSource on the user's own JSON, JSON-lines, CSV and parquet files, and their mapping."""

# The fixtures are files as their writers write them, long lines included.
# ruff: noqa: E501

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import meadow
from meadow.errors import RawFileError, RecipeError
from meadow.recipe import recipe_from_dict
from meadow.schema import Record
from meadow.sources import get_source
from meadow.sources.local import LocalSource
from tests.sources.helpers import collect, write_file

SAMPLES = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "local"
TRUTHFULLY = "Answer this question truthfully"


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(LocalSource(**options), raw)


def rows(records: list[Record]) -> list[tuple[str, str, str, str, str]]:
    return [(r.subset, r.source_id, r.instruction, r.input, r.output) for r in records]


# -- one fixture per file shape ----------------------------------------------------------------


@pytest.fixture
def medical_meadow_json(tmp_path: Path) -> Path:
    """A medAlpaca medical_meadow_*.json: a JSON array of {instruction, input, output}."""
    return write_file(
        tmp_path,
        "medical_meadow_wikidoc.json",
        """
        [
            {
                "instruction": "Answer this question truthfully",
                "input": "What are the symptoms of asthma?",
                "output": "Wheezing, coughing (often at night), chest tightness and shortness of breath."
            },
            {
                "instruction": "Answer this question truthfully",
                "input": "  What causes gout? ",
                "output": "A build-up of uric acid crystals in a joint.\\n\\nHigh uric acid levels come from diet, kidneys or genes.  "
            },
            {
                "instruction": "Answer this question truthfully",
                "input": "Who is at risk for iron deficiency anemia?",
                "output": ""
            }
        ]
        """,
        lstrip=True,
    )


@pytest.fixture
def qa_jsonl(tmp_path: Path) -> Path:
    """JSON lines with their own column names, as `datasets`' `to_json` writes them."""
    return write_file(
        tmp_path,
        "qa.jsonl",
        """
        {"qid":"q-1","question":"Which nerve is at risk in a fracture of the surgical neck of the humerus?","answer":"The axillary nerve.","topic":"anatomy"}
        {"qid":"q-2","question":"Which enzyme does allopurinol inhibit?","answer":"Xanthine oxidase.","topic":"pharmacology"}

        {"qid":3,"question":"What is the normal range of serum sodium?","answer":null,"topic":null}
        {"qid":"q-4","question":"Name two causes of microcytic anemia.","answer":["Iron deficiency","Thalassemia"],"topic":"haematology"}
        """,
        lstrip=True,
    )


@pytest.fixture
def qa_csv(tmp_path: Path) -> Path:
    """A CSV with a header row and a quoted field spanning two lines, as Python's csv writes it."""
    path = tmp_path / "exam.csv"
    path.write_bytes(
        b"question,answer,year\r\n"
        b'"What is the drug of choice for absence seizures?","Ethosuximide",2021\r\n'
        b'"List the features of nephrotic syndrome.","Proteinuria above 3.5 g a day,\r\nlow albumin, oedema and high lipids.",2022\r\n'
        b'"A row with a missing cell",2023\r\n'
        b'"What does a raised troponin show?","Injury to heart muscle.",\r\n'
    )
    return path


@pytest.fixture
def qa_parquet(tmp_path: Path) -> Path:
    """A parquet file with string, integer and list columns, as pyarrow writes it."""
    path = tmp_path / "cases.parquet"
    table = pa.table(
        {
            "prompt": ["Define hyponatremia.", "Define cholestasis.", "Define osteomalacia."],
            "completion": ["Low blood sodium.", None, "Softening of the bones."],
            "n": [1, 2, 3],
            "tags": [["a"], ["b"], ["c"]],
        }
    )
    pq.write_table(table, path)
    return path


# -- formats --------------------------------------------------------------------------------


def test_medical_meadow_json_uses_its_own_columns(medical_meadow_json: Path) -> None:
    records, skips = run(medical_meadow_json)
    assert records[0] == Record(
        instruction=TRUTHFULLY,
        input="What are the symptoms of asthma?",
        output="Wheezing, coughing (often at night), chest tightness and shortness of breath.",
        source="local",
        subset="medical_meadow_wikidoc",
        source_id="medical_meadow_wikidoc.json/1",
        license="unknown",
    )
    assert rows(records)[1:] == [
        (
            "medical_meadow_wikidoc",
            "medical_meadow_wikidoc.json/2",
            TRUTHFULLY,
            "What causes gout?",
            "A build-up of uric acid crystals in a joint.\n\nHigh uric acid levels come from diet, kidneys or genes.",
        ),
        # an empty output is kept here; the build counts it as empty_output
        (
            "medical_meadow_wikidoc",
            "medical_meadow_wikidoc.json/3",
            TRUTHFULLY,
            "Who is at risk for iron deficiency anemia?",
            "",
        ),
    ]
    assert skips == {}


def test_json_lines_with_a_column_mapping(qa_jsonl: Path) -> None:
    records, skips = run(
        qa_jsonl,
        columns={"input": "question", "output": "answer", "id": "qid", "subset": "topic"},
        license="CC-BY-4.0",
    )
    assert rows(records) == [
        (
            "anatomy",
            "q-1",
            TRUTHFULLY,
            "Which nerve is at risk in a fracture of the surgical neck of the humerus?",
            "The axillary nerve.",
        ),
        (
            "pharmacology",
            "q-2",
            TRUTHFULLY,
            "Which enzyme does allopurinol inhibit?",
            "Xanthine oxidase.",
        ),
        # null answer -> empty output; null topic -> the file's stem; numeric id -> text
        ("qa", "3", TRUTHFULLY, "What is the normal range of serum sodium?", ""),
    ]
    assert {r.license for r in records} == {"CC-BY-4.0"}
    assert skips == {"not_text": 1}


def test_json_file_starting_with_a_brace_is_read_as_json_lines(
    tmp_path: Path, qa_jsonl: Path
) -> None:
    path = tmp_path / "qa.json"
    path.write_bytes(qa_jsonl.read_bytes())
    options = {"columns": {"input": "question", "output": "answer", "id": "qid"}}
    assert [r.output for r in run(path, **options)[0]] == [
        r.output for r in run(qa_jsonl, **options)[0]
    ]


def test_csv_with_a_quoted_newline_and_a_short_row(qa_csv: Path) -> None:
    records, skips = run(qa_csv, columns={"input": "question", "output": "answer"})
    assert rows(records) == [
        (
            "exam",
            "exam.csv/1",
            TRUTHFULLY,
            "What is the drug of choice for absence seizures?",
            "Ethosuximide",
        ),
        (
            "exam",
            "exam.csv/2",
            TRUTHFULLY,
            "List the features of nephrotic syndrome.",
            "Proteinuria above 3.5 g a day,\r\nlow albumin, oedema and high lipids.",
        ),
        (
            "exam",
            "exam.csv/3",
            TRUTHFULLY,
            "What does a raised troponin show?",
            "Injury to heart muscle.",
        ),
    ]
    assert skips == {"wrong_column_count": 1}


def test_csv_numbers_stay_text(qa_csv: Path) -> None:
    records, _ = run(qa_csv, columns={"input": "question", "output": "year"})
    assert [r.output for r in records] == ["2021", "2022", ""]


def test_parquet_with_a_mapping(qa_parquet: Path) -> None:
    records, skips = run(
        qa_parquet,
        columns={"input": "prompt", "output": "completion", "id": "n"},
        subset="glossary",
    )
    assert rows(records) == [
        ("glossary", "1", TRUTHFULLY, "Define hyponatremia.", "Low blood sodium."),
        ("glossary", "2", TRUTHFULLY, "Define cholestasis.", ""),
        ("glossary", "3", TRUTHFULLY, "Define osteomalacia.", "Softening of the bones."),
    ]
    assert skips == {}


def test_list_column_in_parquet_is_not_text(qa_parquet: Path) -> None:
    records, skips = run(qa_parquet, columns={"input": "prompt", "output": "tags"})
    assert records == []
    assert skips == {"not_text": 3}


# -- mapping ----------------------------------------------------------------------------------


def test_rows_own_instruction_is_kept_and_blank_ones_get_the_default(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "mixed.json",
        """
        [
            {"instruction": "Explain the term.", "input": "Bronchiectasis", "output": "Permanently widened airways."},
            {"instruction": "  ", "input": "Cholestasis", "output": "Reduced bile flow."}
        ]
        """,
        lstrip=True,
    )
    records, _ = run(path)
    assert [r.instruction for r in records] == ["Explain the term.", TRUTHFULLY]


def test_recipe_instruction_replaces_the_rows_own(medical_meadow_json: Path) -> None:
    records, _ = run(medical_meadow_json, instruction="Answer as a medical textbook would.")
    assert {r.instruction for r in records} == {"Answer as a medical textbook would."}


def test_file_without_instruction_or_input_columns(tmp_path: Path) -> None:
    path = write_file(tmp_path, "answers.jsonl", '{"output": "Rest, fluids and paracetamol."}\n')
    records, _ = run(path)
    assert rows(records) == [
        ("answers", "answers.jsonl/1", TRUTHFULLY, "", "Rest, fluids and paracetamol.")
    ]


def test_mapped_instruction_column(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "tasks.csv",
        "task,q,a\nSummarise the finding.,Troponin is raised.,Heart muscle injury.\n",
    )
    records, _ = run(path, columns={"instruction": "task", "input": "q", "output": "a"})
    assert rows(records) == [
        (
            "tasks",
            "tasks.csv/1",
            "Summarise the finding.",
            "Troponin is raised.",
            "Heart muscle injury.",
        )
    ]


def test_missing_mapped_column_names_it_the_file_and_its_columns(tmp_path: Path) -> None:
    path = write_file(tmp_path, "qa.csv", "q,a\nWhat is gout?,Uric acid arthritis.\n")
    with pytest.raises(RawFileError) as error:
        run(path, columns={"input": "q", "output": "answer"})
    assert str(error.value) == (
        f"{path}: has no column 'answer' (mapped to output); its columns are: q, a"
    )


def test_missing_output_column_with_the_default_mapping_says_how_to_map(tmp_path: Path) -> None:
    path = write_file(tmp_path, "qa.json", '[{"q": "What is gout?", "a": "Uric acid arthritis."}]')
    with pytest.raises(
        RawFileError,
        match=r"qa\.json: has no column 'output' \(mapped to output\); its columns are: q, a; "
        r"map yours with sources\.local\.options\.columns in the recipe",
    ):
        run(path)


def test_missing_mapped_column_in_parquet(qa_parquet: Path) -> None:
    with pytest.raises(
        RawFileError,
        match=r"has no column 'qid' \(mapped to id\); its columns are: prompt, completion, n, tags",
    ):
        run(qa_parquet, columns={"input": "prompt", "output": "completion", "id": "qid"})


@pytest.mark.parametrize(
    ("options", "key", "problem"),
    [
        (
            {"columns": {"answer": "a"}},
            "columns.answer",
            "unknown field; available: id, input, instruction, output, subset",
        ),
        ({"columns": {"output": 3}}, "columns.output", "expected a column name \\(text\\), got 3"),
        ({"columns": ["input", "output"]}, "columns", "expected a mapping of meadow fields"),
        ({"license": ""}, "license", "expected a non-empty text"),
        ({"subset": 5}, "subset", "expected a non-empty text"),
        ({"colums": {}}, "colums", "unknown option for source 'local'"),
    ],
)
def test_bad_options_are_refused_naming_the_key(options: dict, key: str, problem: str) -> None:
    with pytest.raises(RecipeError, match=rf"sources\.local\.options\.{key}: {problem}"):
        LocalSource(**options)


# -- folders ----------------------------------------------------------------------------------


def test_folder_of_mixed_files_gives_one_subset_per_stem(
    tmp_path: Path, medical_meadow_json: Path, qa_csv: Path, qa_parquet: Path
) -> None:
    (tmp_path / "notes.txt").write_text("not read", encoding="utf-8")
    write_file(
        tmp_path,
        "more/extra.jsonl",
        '{"input": "Define gout.", "output": "Uric acid arthritis."}\n',
    )
    source = LocalSource()
    shards = source.shards(tmp_path)
    assert [p.name for p in shards] == [
        "cases.parquet",
        "exam.csv",
        "medical_meadow_wikidoc.json",
        "extra.jsonl",
    ]
    source = LocalSource(columns={"output": "answer"})
    with pytest.raises(RawFileError, match="cases.parquet: has no column 'answer'"):
        [r for path in shards for r in source.records(path)]
    subsets = Counter(
        r.subset
        for path in shards[2:]
        for r in LocalSource().records(path)
        if isinstance(r, Record)
    )
    assert subsets == {"medical_meadow_wikidoc": 3, "extra": 1}


def test_fixed_subset_replaces_the_file_stems(medical_meadow_json: Path) -> None:
    records, _ = run(medical_meadow_json, subset="wikidoc")
    assert {r.subset for r in records} == {"wikidoc"}


def test_folder_without_readable_files_names_the_formats(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(
        RawFileError, match=r"folder holds no \.json, \.jsonl, \.csv or \.parquet files"
    ):
        LocalSource().shards(tmp_path)


def test_file_of_another_format_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "data.xlsx", "x")
    with pytest.raises(RawFileError, match=r"cannot read a \.xlsx file: local reads \.json"):
        LocalSource().shards(path)


# -- files that cannot be read --------------------------------------------------------------


def test_truncated_json_array(medical_meadow_json: Path) -> None:
    data = medical_meadow_json.read_bytes()
    medical_meadow_json.write_bytes(data[: data.index(b"What causes gout")])
    with pytest.raises(RawFileError, match=r"row 1: the JSON is cut short after 1 items"):
        run(medical_meadow_json)


def test_truncated_json_lines(qa_jsonl: Path) -> None:
    qa_jsonl.write_bytes(qa_jsonl.read_bytes()[:-30])
    with pytest.raises(RawFileError, match=r"line 5 is cut short"):
        run(qa_jsonl, columns={"input": "question", "output": "answer"})


def test_truncated_csv_inside_a_quoted_field(qa_csv: Path) -> None:
    data = qa_csv.read_bytes()
    qa_csv.write_bytes(data[: data.index(b"low albumin")])
    with pytest.raises(RawFileError, match=r"exam\.csv: the file is cut short"):
        run(qa_csv, columns={"input": "question", "output": "answer"})


def test_truncated_csv_in_its_last_row(qa_csv: Path) -> None:
    data = qa_csv.read_bytes()
    qa_csv.write_bytes(data[: data.index(b',"Injury to heart')])
    with pytest.raises(RawFileError, match=r"the file is cut short \(its last row is incomplete"):
        run(qa_csv, columns={"input": "question", "output": "answer"})


def test_truncated_csv_in_its_last_quoted_column(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    path.write_bytes(b'q,a\r\n"What is gout?","Arthritis caused by uric acid crys')
    with pytest.raises(
        RawFileError, match=r"qa\.csv: the file is cut short \(it ends inside a quoted field"
    ):
        run(path, columns={"input": "q", "output": "a"})


def test_short_last_row_of_a_complete_csv_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "qa.csv"
    path.write_bytes(b'q,a\r\n"What is gout?","Uric acid arthritis."\r\n"No answer here"\r\n')
    records, skips = run(path, columns={"input": "q", "output": "a"})
    assert [r.output for r in records] == ["Uric acid arthritis."]
    assert skips == {"wrong_column_count": 1}


def test_truncated_parquet(qa_parquet: Path) -> None:
    data = qa_parquet.read_bytes()
    qa_parquet.write_bytes(data[: len(data) // 2])
    with pytest.raises(RawFileError, match=r"not a readable parquet file .*cut short"):
        run(qa_parquet, columns={"input": "prompt", "output": "completion"})


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("data.json", "empty file: download it again"),
        ("data.jsonl", "empty file: download it again"),
        ("data.csv", "empty file: nothing to read"),
        ("data.parquet", "empty file: nothing to read"),
    ],
)
def test_empty_file(tmp_path: Path, name: str, problem: str) -> None:
    path = write_file(tmp_path, name, "\n", lstrip=True)
    with pytest.raises(RawFileError, match=problem):
        run(path)


def test_csv_not_in_utf8_names_the_line(qa_csv: Path) -> None:
    qa_csv.write_bytes(qa_csv.read_bytes().replace(b"oedema", b"\xe9d\xe8me"))
    with pytest.raises(
        RawFileError,
        match=r"exam\.csv: not valid UTF-8 \(byte 0xe9 on line 4\): re-save the file as UTF-8",
    ):
        run(qa_csv, columns={"input": "question", "output": "answer"})


def test_json_not_in_utf8_names_the_line(medical_meadow_json: Path) -> None:
    text = medical_meadow_json.read_text(encoding="utf-8").replace("gout", "goutte (café)")
    medical_meadow_json.write_bytes(text.encode("latin-1"))
    with pytest.raises(RawFileError, match=r"not valid UTF-8 \(byte 0xe9 on line 9\)"):
        run(medical_meadow_json)


def test_row_that_is_not_an_object_is_refused(tmp_path: Path) -> None:
    path = write_file(tmp_path, "pairs.json", '[["What is gout?", "Uric acid arthritis."]]')
    with pytest.raises(
        RawFileError,
        match=r"pairs\.json, row 1: the row is an array, not an object of column names",
    ):
        run(path)


# -- registry, sample, build ------------------------------------------------------------------


def test_registered_as_the_users_data() -> None:
    assert get_source("local") is LocalSource
    info = LocalSource.info()
    assert info["license"] == "unknown"
    assert info["raw_files"] == []
    assert "--raw local=PATH" in info["how_to_get"]
    assert "your own" in info["description"].lower()


def test_bundled_sample_parses_with_the_expected_counts() -> None:
    source = LocalSource()
    records = [r for path in source.shards(SAMPLES) for r in source.records(path)]
    assert all(isinstance(r, Record) for r in records)
    assert len(records) == 6
    assert {r.subset for r in records} == {"medical_meadow_sample"}
    empty = [r for r in records if not r.output]
    assert len(empty) == 1 and "not medical advice" in empty[0].input


def test_sample_builds_into_a_mixture() -> None:
    result = meadow.build(sources=["local"], raw={"local": SAMPLES}, name="t")
    stats = result.manifest["sources"]["local"]
    assert stats["skipped"] == {"empty_output": 1}
    train = meadow.load_mixture("t")["train"]
    assert len(train) == 5
    assert "not medical advice" not in " ".join(train["input"])


def test_build_with_a_recipe_mapping(tmp_path: Path, qa_jsonl: Path) -> None:
    recipe = recipe_from_dict(
        {
            "name": "mine",
            "sources": {
                "local": {
                    "raw": str(qa_jsonl),
                    "instruction": "Answer the exam question.",
                    "options": {
                        "columns": {"input": "question", "output": "answer", "id": "qid"},
                        "license": "CC-BY-4.0",
                        "subset": "exam",
                    },
                }
            },
        }
    )
    result = meadow.build(recipe, raw={"local": qa_jsonl})
    stats = result.manifest["sources"]["local"]
    assert stats["skipped"] == {"empty_output": 1, "not_text": 1}
    train = meadow.load_mixture("mine")["train"]
    assert sorted(train["source_id"]) == ["q-1", "q-2"]
    assert set(train["instruction"]) == {"Answer the exam question."}
    assert set(train["license"]) == {"CC-BY-4.0"}
    assert set(train["subset"]) == {"exam"}
