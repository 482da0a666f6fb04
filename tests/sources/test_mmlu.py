"""The mmlu source: the hendrycks `data/` tree and `data.tar`, written in tmp_path.

The files are headerless six-column CSVs as the release has them (quoted only where a cell
holds a comma, a quote or a line break), one per subject and split.
"""

from __future__ import annotations

import io
import tarfile
import textwrap
from pathlib import Path

import pytest

import meadow
from meadow.errors import RawFileError, RecipeError
from meadow.schema import EvalItem, Record
from meadow.sources import get_source
from meadow.sources.mmlu import MmluSource
from tests.sources.helpers import collect, write_at

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "mmlu"
INSTRUCTION = "Please answer with one of the option in the bracket"

ANATOMY_DEV = """\
    Which bone of the forearm lies on the thumb side?,Ulna,Radius,Humerus,Scaphoid,B
    How many chambers does the human heart have?,Two,Three,Four,Five,C
"""
ANATOMY_VAL = '''\
    "Which nerve, passing through the carpal tunnel, is compressed in carpal tunnel syndrome?",Ulnar nerve,Radial nerve,Median nerve,Axillary nerve,C
    "A patient cannot start raising the arm.
    Which muscle begins abduction at the shoulder?",Supraspinatus,Teres major,"Pectoralis ""minor""",Biceps brachii,a
'''  # noqa: E501
ANATOMY_TEST = """\
    The left ventricle pumps blood into which vessel?,Pulmonary artery,Aorta,Superior vena cava,Pulmonary vein,B
"""  # noqa: E501
NUTRITION_DEV = """\
    Deficiency of which vitamin causes scurvy?,Vitamin A,Vitamin B12,Vitamin C,Vitamin D,C
"""
NUTRITION_TEST = """\
    Which vitamin is made in the skin on exposure to sunlight?,Vitamin K,Vitamin D,Vitamin E,Folate,B
"""  # noqa: E501
BIOLOGY_DEV = """\
    Which organelle makes most of a cell's ATP?,Ribosome,Golgi apparatus,Mitochondrion,Lysosome,C
"""
ASTRONOMY_DEV = """\
    What is the closest star to the Earth?,Sirius,The Sun,Proxima Centauri,Vega,B
"""  # not a subject this source reads

TREE = {
    "data/dev/anatomy_dev.csv": ANATOMY_DEV,
    "data/val/anatomy_val.csv": ANATOMY_VAL,
    "data/test/anatomy_test.csv": ANATOMY_TEST,
    "data/dev/nutrition_dev.csv": NUTRITION_DEV,
    "data/test/nutrition_test.csv": NUTRITION_TEST,
    "data/dev/college_biology_dev.csv": BIOLOGY_DEV,
    "data/dev/astronomy_dev.csv": ASTRONOMY_DEV,
}


def rows(records: list[Record]) -> list[tuple[str, str, str]]:
    return [(r.subset, r.source_id, r.output) for r in records]


# -- one fixture per raw shape --------------------------------------------------------------


@pytest.fixture
def data_tree(tmp_path: Path) -> Path:
    """The extracted release: `data/{dev,val,test}/{subject}_{split}.csv`."""
    root = tmp_path / "mmlu"
    for name, text in TREE.items():
        write_at(root / name, text)
    return root


@pytest.fixture
def data_tar(tmp_path: Path) -> Path:
    """`data.tar` as downloaded, with an auxiliary_train folder the source ignores."""
    members = {**TREE, "data/auxiliary_train/race.csv": "q,a,b,c,d,A\n", "data/README.txt": "x"}
    path = tmp_path / "download" / "data.tar"
    path.parent.mkdir()
    with tarfile.open(path, "w") as tar:
        for name, text in members.items():
            data = textwrap.dedent(text).encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


# -- records --------------------------------------------------------------------------------


def test_dev_and_val_rows_become_multiple_choice_records(data_tree: Path) -> None:
    records, skips = collect(MmluSource(), data_tree)
    assert skips == {}
    assert records[0] == Record(
        instruction=INSTRUCTION,
        input=(
            "Which bone of the forearm lies on the thumb side?\n\n"
            "A: Ulna\nB: Radius\nC: Humerus\nD: Scaphoid"
        ),
        output="B: Radius",
        source="mmlu",
        subset="anatomy",
        source_id="dev/anatomy/1",
        license="MIT",
    )
    assert rows(records) == [
        ("anatomy", "dev/anatomy/1", "B: Radius"),
        ("anatomy", "dev/anatomy/2", "C: Four"),
        ("nutrition", "dev/nutrition/1", "C: Vitamin C"),
        ("anatomy", "val/anatomy/1", "C: Median nerve"),
        ("anatomy", "val/anatomy/2", "A: Supraspinatus"),
    ]


def test_quoted_commas_quotes_and_line_breaks_stay_in_the_cells(data_tree: Path) -> None:
    records, _ = collect(MmluSource(), data_tree)
    by_id = {r.source_id: r for r in records}
    assert by_id["val/anatomy/1"].input.startswith(
        "Which nerve, passing through the carpal tunnel, is compressed"
    )
    assert by_id["val/anatomy/2"].input == (
        "A patient cannot start raising the arm.\n"
        "Which muscle begins abduction at the shoulder?\n\n"
        'A: Supraspinatus\nB: Teres major\nC: Pectoralis "minor"\nD: Biceps brachii'
    )


def test_test_split_is_held_out_and_given_as_evaluation_items(data_tree: Path) -> None:
    source = MmluSource()
    assert list(source.parse(data_tree / "data/test/anatomy_test.csv")) == []
    items = list(source.evaluation_items(data_tree))
    assert items == [
        EvalItem(
            source="mmlu",
            subset="anatomy_test",
            source_id="test/anatomy/1",
            question="The left ventricle pumps blood into which vessel?",
            options={
                "A": "Pulmonary artery",
                "B": "Aorta",
                "C": "Superior vena cava",
                "D": "Pulmonary vein",
            },
            answer="B",
            meta={"subject": "anatomy", "split": "test"},
        ),
        EvalItem(
            source="mmlu",
            subset="nutrition_test",
            source_id="test/nutrition/1",
            question="Which vitamin is made in the skin on exposure to sunlight?",
            options={"A": "Vitamin K", "B": "Vitamin D", "C": "Vitamin E", "D": "Folate"},
            answer="B",
            meta={"subject": "nutrition", "split": "test"},
        ),
    ]


def test_test_split_asked_for_lands_in_evaluation_subsets(data_tree: Path) -> None:
    records, _ = collect(MmluSource(splits=["test"]), data_tree)
    assert rows(records) == [
        ("anatomy_test", "test/anatomy/1", "B: Aorta"),
        ("nutrition_test", "test/nutrition/1", "B: Vitamin D"),
    ]
    item = next(MmluSource().evaluation_items(data_tree))
    assert records[0].id == item.id  # the record and the benchmark item are one row
    assert MmluSource.is_evaluation_only("anatomy_test")
    assert not MmluSource.is_evaluation_only("anatomy")


def test_related_subjects_are_read_only_when_asked(data_tree: Path) -> None:
    default, _ = collect(MmluSource(), data_tree)
    assert "college_biology" not in {r.subset for r in default}
    chosen, _ = collect(MmluSource(subjects=["college_biology", "anatomy"]), data_tree)
    assert {r.subset for r in chosen} == {"anatomy", "college_biology"}
    assert "astronomy" not in {r.subset for r in chosen}


def test_options_are_checked_and_put_in_canonical_order() -> None:
    source = MmluSource(subjects=["nutrition", "anatomy"], splits="val")
    assert source.options_in_effect == {"subjects": ["anatomy", "nutrition"], "splits": ["val"]}
    with pytest.raises(RecipeError, match=r"options\.subjects: unknown value 'astronomy'"):
        MmluSource(subjects=["astronomy"])
    with pytest.raises(RecipeError, match=r"options\.splits: unknown value 'train'"):
        MmluSource(splits=["train"])
    with pytest.raises(RecipeError, match="expected a non-empty list"):
        MmluSource(splits=[])


def test_bad_letters_and_wrong_column_counts_are_skipped_by_row(tmp_path: Path) -> None:
    path = write_at(
        tmp_path / "data/dev/virology_dev.csv",
        """\
        Which virus causes shingles?,Varicella zoster virus,Measles virus,Mumps virus,Rotavirus,A
        Which virus causes measles?,Measles virus,Rabies virus,E
        Which cells does HIV mainly infect?,B cells,CD4 T cells,Neutrophils,Platelets,E
        Which vaccine type is the MMR vaccine?,Live attenuated,Toxoid,Subunit,mRNA, a
        """,
    )
    records, skips = collect(MmluSource(), path)
    assert skips == {"wrong_column_count": 1, "bad_answer_letter": 1}
    assert rows(records) == [
        ("virology", "dev/virology/1", "A: Varicella zoster virus"),
        ("virology", "dev/virology/4", "A: Live attenuated"),
    ]


# -- the .tar -------------------------------------------------------------------------------


def test_data_tar_is_read_in_place_like_the_tree(data_tree: Path, data_tar: Path) -> None:
    source = MmluSource()
    assert source.shards(data_tar.parent) == [data_tar]
    from_tar, skips = collect(source, data_tar)
    from_tree, _ = collect(source, data_tree)
    assert skips == {}
    assert sorted(rows(from_tar)) == sorted(rows(from_tree))
    assert sorted(p.name for p in data_tar.parent.iterdir()) == ["data.tar"]  # nothing extracted
    assert [i.source_id for i in source.evaluation_items(data_tar)] == [
        "test/anatomy/1",
        "test/nutrition/1",
    ]


def test_source_declares_the_tar_download() -> None:
    (raw_file,) = MmluSource.raw_files
    assert (raw_file.name, raw_file.url) == (
        "data.tar",
        "https://people.eecs.berkeley.edu/~hendrycks/data.tar",
    )


@pytest.mark.parametrize("where", ["in_a_header", "in_a_member", "between_members"])
def test_cut_short_tar_is_an_error(data_tar: Path, where: str) -> None:
    with tarfile.open(data_tar) as tar:
        second = tar.getmembers()[1]
    cut = {
        "in_a_header": second.offset + 100,
        "in_a_member": second.offset_data + 10,
        "between_members": second.offset,
    }[where]
    data_tar.write_bytes(data_tar.read_bytes()[:cut])
    with pytest.raises(RawFileError, match="data.tar: the tar file is cut short"):
        collect(MmluSource(), data_tar)


def test_file_that_is_not_a_tar_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "data.tar"
    path.write_bytes(b"<html>not found</html>" * 40)
    with pytest.raises(RawFileError, match="data.tar: not a tar file"):
        collect(MmluSource(), path)
    path.write_bytes(b"")
    with pytest.raises(RawFileError, match="data.tar: the file is empty"):
        collect(MmluSource(), path)


# -- files that cannot be read --------------------------------------------------------------


def test_one_csv_can_be_given_alone(data_tree: Path) -> None:
    records, _ = collect(MmluSource(), data_tree / "data/val/anatomy_val.csv")
    assert [r.source_id for r in records] == ["val/anatomy/1", "val/anatomy/2"]
    with pytest.raises(RawFileError, match="college_biology_dev.csv: holds subject 'college_"):
        MmluSource().shards(data_tree / "data/dev/college_biology_dev.csv")


def test_folder_without_mmlu_files_names_what_was_expected(tmp_path: Path) -> None:
    write_at(tmp_path / "data/dev/astronomy_dev.csv", ASTRONOMY_DEV)
    with pytest.raises(RawFileError, match=r"expected.*data/dev/anatomy_dev\.csv.*data\.tar"):
        MmluSource().shards(tmp_path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = write_at(tmp_path / "anatomy_dev.csv", "")
    with pytest.raises(RawFileError, match="anatomy_dev.csv: the file is empty"):
        collect(MmluSource(), path)


def test_file_not_in_utf8_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "nutrition_dev.csv"
    text = "Which vitamin prevents rickets?,A,B,C,D,B\nWhat does a d\xe9ficit cause?,a,b,c,d,A\n"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(RawFileError, match=r"nutrition_dev.csv: is not UTF-8 text \(line 2.*UTF-8"):
        collect(MmluSource(), path)


def test_tar_member_not_in_utf8_names_the_member_and_line(tmp_path: Path) -> None:
    path = tmp_path / "data.tar"
    data = "Which vitamin prevents rickets?,A,B,C,D,B\nA d\xe9ficit?,a,b,c,d,A\n".encode("latin-1")
    with tarfile.open(path, "w") as tar:
        info = tarfile.TarInfo("data/dev/nutrition_dev.csv")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    with pytest.raises(RawFileError, match=r"data.tar/data/dev/nutrition_dev.csv: .*\(line 2"):
        collect(MmluSource(), path)


def test_file_cut_inside_a_quoted_cell_is_an_error(tmp_path: Path) -> None:
    path = write_at(tmp_path / "anatomy_val.csv", ANATOMY_VAL[: ANATOMY_VAL.index("Which muscle")])
    with pytest.raises(RawFileError, match="cut short .*quoted field opened on line 2"):
        collect(MmluSource(), path)


def test_file_cut_in_its_last_row_is_an_error(tmp_path: Path) -> None:
    path = write_at(tmp_path / "anatomy_dev.csv", ANATOMY_DEV.rstrip()[:-12])
    with pytest.raises(RawFileError, match="cut short .*last row, line 2, has 3 of 6 columns"):
        collect(MmluSource(), path)


def test_file_name_must_say_subject_and_split(tmp_path: Path) -> None:
    path = write_at(tmp_path / "questions.csv", ANATOMY_DEV)
    expected = r"questions.csv: is not an MMLU file.*\{subject\}_\{dev\|val\|test\}\.csv"
    with pytest.raises(RawFileError, match=expected):
        MmluSource().shards(path)


# -- the bundled sample ---------------------------------------------------------------------


def test_registered_under_its_name() -> None:
    assert get_source("mmlu") is MmluSource


def test_bundled_sample_parses() -> None:
    source = MmluSource()
    records, skips = collect(source, SAMPLE)
    assert len(records) == 7
    assert skips == {"bad_answer_letter": 4}  # the "sample written for meadow" rows
    assert {r.subset for r in records} == {"anatomy", "nutrition"}
    evaluation = [i for i in source.evaluation_items(SAMPLE) if isinstance(i, EvalItem)]
    assert len(evaluation) == 4
    with_biology, _ = collect(MmluSource(subjects=["anatomy", "college_biology"]), SAMPLE)
    assert len(with_biology) == 5


def test_sample_builds_into_a_mixture() -> None:
    meadow.build(sources=["mmlu"], raw={"mmlu": SAMPLE}, name="t")
    mixture = meadow.load_mixture("t")
    assert sum(len(split) for split in mixture.values()) == 7


def test_test_rows_asked_for_stay_in_the_test_split() -> None:
    from meadow.recipe import Recipe, SourceSpec

    spec = SourceSpec("mmlu", options={"splits": ["dev", "val", "test"]}, raw=SAMPLE)
    meadow.build(Recipe(name="held", sources={"mmlu": spec}, validation=0.0, test=0.0))
    mixture = meadow.load_mixture("held")
    assert sorted(r["source_id"] for r in mixture["test"]) == [
        "test/anatomy/1",
        "test/anatomy/2",
        "test/nutrition/1",
        "test/nutrition/2",
    ]
    assert len(mixture["train"]) == 7
