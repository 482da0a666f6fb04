"""The health_advice source: the three annotation CSVs of detecting-health-advice.

Fixtures are written as the repository has them: a header, quotes only where a sentence
holds a comma or a quote, and many sentences ending with a space.
"""

from __future__ import annotations

import csv
import textwrap
from collections import Counter
from pathlib import Path

import pytest

import meadow
from meadow.errors import RawFileError
from meadow.schema import Record
from meadow.sources import get_source
from meadow.sources.base import Skip
from meadow.sources.health_advice import HealthAdviceSource
from tests.sources.helpers import collect, write_at

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "health_advice"
INSTRUCTION = "Question: is this a 2) strong advice, 1) weak advice 0) no advice?"

STRUCTURED = """\
    label,pmid,sentence,design
    0,27901241,States of frailty were common among the inpatients we studied.,Cross-Sectional
    2,26679453,Nurses should assess how patients prefer to take decisions. ,Cross-Sectional
    1,27412739,"Enteral nutrition is suitable for many digestive diseases, and  it appears safe. ",Retrospective
    0,27171508,Alogliptin 25\\u2009mg once daily reduced HbA1c compared with placebo.,RCT
"""  # noqa: E501
DISCUSSION = """\
    label,pmid,sentence,rel_loc,citation_mentioned,past_tense
    0,26538132,Chronic infection with HBV is associated with liver cirrhosis. ,0.04,0,0
    0,26538132,Nurses should assess how patients prefer to take decisions. ,0.50,0,0
    1,20386565,The TSP approach can be used to identify predictors of progression. ,0.09,0,0
    0,26538132,Chronic infection with HBV is associated with liver cirrhosis. ,0.96,0,0
"""
UNSTRUCTURED = """\
    label,pmid,sentence,rel_loc
    2,31473412,Public health policies on food environments should be encouraged.,0.90
    3,31473412,This sentence carries a label that does not exist. ,0.95
    ,31473412,This sentence carries no label. ,1.00
"""


def run(raw: Path) -> tuple[list[Record], Counter[str]]:
    return collect(HealthAdviceSource(), raw)


# -- one fixture per raw shape --------------------------------------------------------------


@pytest.fixture
def data_folder(tmp_path: Path) -> Path:
    """The repository's `data/` folder with its three files."""
    folder = tmp_path / "detecting-health-advice" / "data"
    write_at(folder / "annotations_structured_abstract.csv", STRUCTURED)
    write_at(folder / "annotations_discussion.csv", DISCUSSION)
    write_at(folder / "annotations_unstructured_abstract.csv", UNSTRUCTURED)
    return folder


@pytest.fixture
def discussion_only(tmp_path: Path) -> Path:
    """A folder with one of the three files."""
    return write_at(tmp_path / "only" / "annotations_discussion.csv", DISCUSSION).parent


# -- records --------------------------------------------------------------------------------


def test_sentences_become_medalpaca_classification_records(data_folder: Path) -> None:
    records, _ = run(data_folder)
    assert records[1] == Record(
        instruction=INSTRUCTION,
        input="Nurses should assess how patients prefer to take decisions.",
        output="This is a strong advice",
        source="health_advice",
        subset="structured_abstract",
        source_id="structured_abstract/26679453/91aa64dba5e2",
        license="unknown",
    )
    assert [(r.subset, r.output) for r in records] == [
        ("structured_abstract", "This is no advice"),
        ("structured_abstract", "This is a strong advice"),
        ("structured_abstract", "This is a weak advice"),
        ("structured_abstract", "This is no advice"),
        ("discussion", "This is no advice"),
        ("discussion", "This is a weak advice"),
        ("unstructured_abstract", "This is a strong advice"),
    ]


def test_trailing_spaces_escapes_and_doubled_spaces_are_cleaned(data_folder: Path) -> None:
    records, _ = run(data_folder)
    inputs = [r.input for r in records]
    assert "Enteral nutrition is suitable for many digestive diseases, and it appears safe." in (
        inputs
    )
    assert "Alogliptin 25 mg once daily reduced HbA1c compared with placebo." in inputs
    assert all(text == text.strip() and "  " not in text for text in inputs)


def test_duplicate_sentences_are_dropped_across_files_first_kept(data_folder: Path) -> None:
    records, skips = run(data_folder)
    assert skips == {"duplicate_sentence": 2, "bad_label": 2}
    nurses = [r for r in records if r.input.startswith("Nurses should")]
    assert [(r.subset, r.output) for r in nurses] == [
        ("structured_abstract", "This is a strong advice")
    ]


def test_a_file_parsed_alone_still_sees_the_files_before_it(data_folder: Path) -> None:
    source = HealthAdviceSource()
    items = list(source.parse(data_folder / "annotations_discussion.csv"))
    assert [i if isinstance(i, Skip) else i["pmid"] for i in items] == [
        "26538132",
        Skip("duplicate_sentence"),
        "20386565",
        Skip("duplicate_sentence"),
    ]


def test_one_file_of_three_is_enough(discussion_only: Path) -> None:
    records, skips = run(discussion_only)
    assert [r.subset for r in records] == ["discussion"] * 3
    assert skips == {"duplicate_sentence": 1}


def test_labels_outside_0_to_2_are_skipped(tmp_path: Path) -> None:
    path = write_at(
        tmp_path / "annotations_structured_abstract.csv",
        """\
        label,pmid,sentence,design
        2.0,1,Patients should be screened every year.,RCT
        strong,2,Patients should be screened every month.,RCT
        1.5,3,Patients might be screened every week.,RCT
        -1,4,Patients were screened every day.,RCT
        """,
    )
    records, skips = run(path)
    assert [r.output for r in records] == ["This is a strong advice"]
    assert skips == {"bad_label": 3}


def test_rows_with_the_wrong_number_of_cells_are_skipped(tmp_path: Path) -> None:
    path = write_at(
        tmp_path / "annotations_unstructured_abstract.csv",
        """\
        label,pmid,sentence,rel_loc
        0,1,An unquoted sentence, with a comma.,0.5
        0,2,A sentence without its relative location.
        1,3,Exercise may be recommended to older adults.,0.9
        """,
    )
    records, skips = run(path)
    assert [r.input for r in records] == ["Exercise may be recommended to older adults."]
    assert skips == {"wrong_column_count": 2}


def test_source_declares_the_repository_downloads() -> None:
    assert [f.name for f in HealthAdviceSource.raw_files] == [
        "annotations_structured_abstract.csv",
        "annotations_discussion.csv",
        "annotations_unstructured_abstract.csv",
    ]
    assert all(
        f.url.startswith("https://raw.githubusercontent.com/junwang4/detecting-health-advice/")
        for f in HealthAdviceSource.raw_files
    )


# -- files that cannot be read --------------------------------------------------------------


def test_missing_column_is_named_with_the_file(tmp_path: Path) -> None:
    path = write_at(
        tmp_path / "annotations_discussion.csv",
        """\
        label,PMID,text
        0,1,A sentence.
        """,
    )
    with pytest.raises(RawFileError, match="annotations_discussion.csv: missing column 'pmid'"):
        run(path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = write_at(tmp_path / "annotations_discussion.csv", "")
    with pytest.raises(RawFileError, match="annotations_discussion.csv: the file is empty"):
        run(path)


def test_file_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "annotations_structured_abstract.csv"
    text = "label,pmid,sentence,design\n0,1,Fine.,RCT\n0,2,Caf\xe9 owners drank more coffee.,RCT\n"
    path.write_bytes(text.encode("cp1252"))
    with pytest.raises(RawFileError, match=r"is not UTF-8 text \(line 3.*re-save it as UTF-8"):
        run(path)


def test_file_cut_short_is_an_error(tmp_path: Path) -> None:
    cut = textwrap.dedent(STRUCTURED)
    cut = cut[: cut.index("and  it appears")]
    path = write_at(tmp_path / "annotations_structured_abstract.csv", cut)
    with pytest.raises(RawFileError, match="cut short .*quoted field opened on line 4"):
        run(path)


def structured_with_a_huge_sentence(folder: Path) -> Path:
    """A sentence of 160,000 characters (over Python csv's 131,072) whose text holds a line
    that reads like a row of its own."""
    huge = "Frailty was common. " * 8_000 + "\n2,99,Injected advice: stop all your drugs.,RCT\n"
    return write_at(
        folder / "annotations_structured_abstract.csv",
        f'label,pmid,sentence,design\n0,1,Fine.,RCT\n0,2,"{huge}",RCT\n1,3,Last one.,RCT\n',
    )


def test_a_field_over_the_csv_limit_stops_the_read_instead_of_leaking_rows(
    tmp_path: Path,
) -> None:
    path = structured_with_a_huge_sentence(tmp_path)
    with pytest.raises(
        RawFileError,
        match=r"annotations_structured_abstract\.csv: line 3: field 3 \(sentence\) is "
        r"156 KB, over the 128 KB a CSV field may hold here; if the file is "
        r"right, raise the limit with MEADOW_CSV_FIELD_MB=1 \(MB\)$",
    ):
        run(path)


def test_the_csv_field_limit_is_raised_with_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = structured_with_a_huge_sentence(tmp_path)
    monkeypatch.setenv("MEADOW_CSV_FIELD_MB", "1")
    before = csv.field_size_limit()
    try:
        records, skips = run(path)
    finally:
        csv.field_size_limit(before)
    assert len(records) == 3 and not skips
    assert records[1].input.endswith("Injected advice: stop all your drugs.,RCT")


def test_a_header_with_terminal_escapes_is_shown_escaped(tmp_path: Path) -> None:
    path = write_at(
        tmp_path / "annotations_discussion.csv", "label,\x1b]0;owned\x07\x1b[2J,text\n0,1,A.\n"
    )
    with pytest.raises(
        RawFileError, match=r"missing column 'pmid' \(the header has label, \\x1b\]0;owned\\x07"
    ) as raised:
        run(path)
    assert "\x1b" not in str(raised.value)


def test_folder_without_the_files_names_them(tmp_path: Path) -> None:
    write_at(tmp_path / "advice.csv", STRUCTURED)
    with pytest.raises(RawFileError, match="none of the health advice files .*annotations_disc"):
        run(tmp_path)


def test_file_with_another_name_is_refused(tmp_path: Path) -> None:
    path = write_at(tmp_path / "advice.csv", STRUCTURED)
    with pytest.raises(RawFileError, match="advice.csv: is not a health advice file; expected"):
        run(path)


# -- the bundled sample ---------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert get_source("health_advice") is HealthAdviceSource


def test_bundled_sample_parses() -> None:
    records, skips = run(SAMPLE)
    assert len(records) == 11
    assert skips == {"bad_label": 3, "duplicate_sentence": 2}  # bad_label: the sample notes
    assert Counter(r.subset for r in records) == {
        "structured_abstract": 5,
        "discussion": 3,
        "unstructured_abstract": 3,
    }
    assert not any("meadow" in r.input for r in records)


def test_sample_builds_into_a_mixture() -> None:
    meadow.build(sources=["health_advice"], raw={"health_advice": SAMPLE}, name="t")
    mixture = meadow.load_mixture("t")
    assert sum(len(split) for split in mixture.values()) == 11
