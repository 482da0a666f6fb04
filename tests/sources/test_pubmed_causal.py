"""The pubmed_causal source: `sentence,label` CSVs of the EMNLP 2019 and COLING 2020 repos.

The two copies hold the same sentences; the COLING one swaps label codes 1 and 3. Both are
written here as their repositories have them, stray quote marks and escapes included.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

import meadow
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import get_source
from meadow.sources.pubmed_causal import PubmedCausalSource
from tests.sources.helpers import collect, write_at

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "pubmed_causal"
INSTRUCTION = (
    "Does this sentence state a direct causal relationship, a conditional causal "
    "relationship, a correlational relationship or no relationship?"
)

EMNLP = """\
    sentence,label
    Levels of cholesterol fractions in patients with JIA were found within the normal range.,0
    Regular aerobic exercise lowers resting heart rate in sedentary adults.,1
    "In patients with poor adherence, a once-daily regimen may improve control.",2
    Metformin treatment is associated with a reduction in mortality.,3
    \"\"\"Further research on the influence of fruit on nutritional status is required.\"\"\",0
    "Progress in reducing deaths needs to focus  on attitudinal change.\"\"",0
    Patients with body mass index >40\\\\xa0kg/m2 have a higher risk of complications.,3
    Metformin treatment is associated with a reduction in mortality.,3
"""
# The same sentences as the COLING 2020 copy has them: codes 1 and 3 swapped.
COLING = EMNLP.replace(",1\n", ",X\n").replace(",3\n", ",1\n").replace(",X\n", ",3\n")


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(PubmedCausalSource(**options), raw)


# -- one fixture per raw shape --------------------------------------------------------------


@pytest.fixture
def emnlp_file(tmp_path: Path) -> Path:
    """`data/pubmed_causal_language_use.csv` of causal-language-use-in-science (EMNLP 2019)."""
    return write_at(tmp_path / "emnlp" / "data" / "pubmed_causal_language_use.csv", EMNLP)


@pytest.fixture
def coling_file(tmp_path: Path) -> Path:
    """`data/annotated_pubmed.csv` of correlation-to-causation-exaggeration (COLING 2020)."""
    return write_at(tmp_path / "coling" / "data" / "annotated_pubmed.csv", COLING)


# -- records --------------------------------------------------------------------------------


def test_emnlp_codes_are_the_pinned_default(emnlp_file: Path) -> None:
    records, _ = run(emnlp_file)
    assert records[1] == Record(
        instruction=INSTRUCTION,
        input="Regular aerobic exercise lowers resting heart rate in sedentary adults.",
        output="This is a direct causal relationship",
        source="pubmed_causal",
        subset="",
        source_id="13cccf9cc6fc",
        license="unknown",
    )
    assert [r.output for r in records] == [
        "This is no relationship",
        "This is a direct causal relationship",
        "This is a conditional causal relationship",
        "This is a correlational relationship",
        "This is no relationship",
        "This is no relationship",
        "This is a correlational relationship",
    ]


def test_coling_copy_with_its_scheme_gives_the_same_records(
    emnlp_file: Path, coling_file: Path
) -> None:
    emnlp, _ = run(emnlp_file)
    coling, _ = run(coling_file, label_scheme="coling2020")
    assert [(r.input, r.output, r.source_id) for r in coling] == [
        (r.input, r.output, r.source_id) for r in emnlp
    ]


def test_coling_file_read_with_emnlp_codes_warns(coling_file: Path) -> None:
    with pytest.warns(UserWarning, match="label_scheme: coling2020"):
        records, _ = run(coling_file)
    assert records[1].output == "This is a correlational relationship"  # as the warning says


def test_unknown_label_scheme_is_a_recipe_error() -> None:
    with pytest.raises(RecipeError, match="label_scheme: unknown label scheme 'coling'"):
        PubmedCausalSource(label_scheme="coling")


def test_stray_quotes_escapes_and_spaces_are_cleaned(emnlp_file: Path) -> None:
    records, _ = run(emnlp_file)
    inputs = [r.input for r in records]
    assert inputs[4:] == [
        "Further research on the influence of fruit on nutritional status is required.",
        "Progress in reducing deaths needs to focus on attitudinal change.",
        "Patients with body mass index >40 kg/m2 have a higher risk of complications.",
    ]


def test_duplicate_sentences_are_dropped_and_counted(emnlp_file: Path) -> None:
    records, skips = run(emnlp_file)
    assert len(records) == 7
    assert skips == {"duplicate_sentence": 1}
    assert len({r.source_id for r in records}) == 7


def test_labels_outside_the_codes_are_skipped(tmp_path: Path) -> None:
    path = write_at(
        tmp_path / "causal.csv",
        """\
        sentence,label
        Smoking causes lung cancer.,1
        Smoking is linked to lung cancer.,4
        Smoking may cause lung cancer.,
        Smoking and lung cancer.,none
        "Smoking, an extra cell.",1,2
        """,
    )
    records, skips = run(path)
    assert [r.input for r in records] == ["Smoking causes lung cancer."]
    assert skips == {"bad_label": 3, "wrong_column_count": 1}


def test_folder_is_searched_for_the_upstream_file(emnlp_file: Path, tmp_path: Path) -> None:
    assert PubmedCausalSource().shards(emnlp_file.parent.parent) == [emnlp_file]
    write_at(tmp_path / "emnlp" / "annotated_pubmed.csv", COLING)
    with pytest.raises(RawFileError, match="holds both .* pass one of the two files"):
        PubmedCausalSource().shards(tmp_path / "emnlp")


def test_source_declares_the_emnlp_download() -> None:
    (raw_file,) = PubmedCausalSource.raw_files
    assert raw_file.name == "pubmed_causal_language_use.csv"
    assert raw_file.url.startswith(
        "https://raw.githubusercontent.com/junwang4/causal-language-use-in-science/"
    )


# -- files that cannot be read --------------------------------------------------------------


def test_missing_column_is_named_with_the_file(tmp_path: Path) -> None:
    path = write_at(tmp_path / "causal.csv", "text,label\nSmoking causes cancer.,1\n")
    with pytest.raises(RawFileError, match="causal.csv: missing column 'sentence'"):
        run(path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = write_at(tmp_path / "causal.csv", "")
    with pytest.raises(RawFileError, match="causal.csv: the file is empty"):
        run(path)


def test_file_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "causal.csv"
    path.write_bytes("sentence,label\nOk.,0\nOk too.,0\nIodine 70 \xb5g/d.,0\n".encode("latin-1"))
    with pytest.raises(RawFileError, match=r"causal.csv: is not UTF-8 text \(line 4"):
        run(path)


def test_file_cut_in_its_last_row_is_an_error(tmp_path: Path) -> None:
    path = write_at(tmp_path / "causal.csv", "sentence,label\nSmoking causes cancer.,1\nSmoking is")
    with pytest.raises(RawFileError, match="cut short .*last row, line 3, has 1 of 2 columns"):
        run(path)


def test_folder_without_the_file_names_it(tmp_path: Path) -> None:
    write_at(tmp_path / "causal.csv", EMNLP)
    with pytest.raises(
        RawFileError, match="neither pubmed_causal_language_use.csv nor annotated_pubmed.csv"
    ):
        run(tmp_path)


# -- the bundled sample ---------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert get_source("pubmed_causal") is PubmedCausalSource


def test_bundled_sample_parses() -> None:
    records, skips = run(SAMPLE)
    assert len(records) == 7
    assert skips == {"bad_label": 1, "duplicate_sentence": 1}  # bad_label: the sample note
    assert Counter(r.output for r in records) == {
        "This is no relationship": 2,
        "This is a direct causal relationship": 2,
        "This is a conditional causal relationship": 1,
        "This is a correlational relationship": 2,
    }


def test_sample_builds_into_a_mixture() -> None:
    meadow.build(sources=["pubmed_causal"], raw={"pubmed_causal": SAMPLE}, name="t")
    mixture = meadow.load_mixture("t")
    assert sum(len(split) for split in mixture.values()) == 7
