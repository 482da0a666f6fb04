"""The cord19 source: CORD-19 `metadata.csv` (and pdf_json parses) written in tmp_path.

`metadata.csv` is written as CORD-19 releases write it (pandas `to_csv`: a header of the
19 columns, quotes only where a cell needs them, doubled quotes inside, newlines kept
inside quoted cells, list-valued cells joined by "; "); parses as `document_parses/
pdf_json/<sha>.json`.
"""

# The fixtures are rows as CORD-19 writes them, long lines included.
# ruff: noqa: E501

from __future__ import annotations

import importlib.util
import json
import textwrap
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pytest

import meadow
from meadow.errors import RawFileError, RecipeError
from meadow.sources import get_source
from meadow.sources.cord19 import (
    INSTRUCTION,
    Cord19Source,
    clean_text,
    double_space_rows,
    license_id,
)
from tests.sources.helpers import collect, write_at

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "cord19"
HEADER = "cord_uid,sha,source_x,title,doi,pmcid,pubmed_id,license,abstract,publish_time,authors,journal,mag_id,who_covidence_id,arxiv_id,pdf_json_files,pmc_json_files,url,s2_id"
SHA_1 = "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"
SHA_2 = "aa11bb22cc33dd44ee55ff66aa77bb88cc99dd00"


def run(path: Path, **options) -> tuple[list[tuple[str, str, str, str]], Counter[str]]:
    """(source_id, input, output, license) of every record, and the skips, of a raw path."""
    records, skips = collect(Cord19Source(**options), path)
    for item in records:
        assert item.instruction == INSTRUCTION
        assert item.source == "cord19" and item.subset == ""
    return [(r.source_id, r.input, r.output, r.license) for r in records], skips


# -- one fixture per raw shape -------------------------------------------------------------


@pytest.fixture
def metadata_csv(tmp_path: Path) -> Path:
    """A bare metadata.csv: quoted commas and newlines, repeats, rows to skip."""
    return write_at(
        tmp_path / "metadata.csv",
        f"""
        {HEADER}
        ab12cd34,{SHA_1},Medline; PMC,"Masks, distance and spread of influenza in offices",10.1000/s.1,PMC100,3200001,cc-by,"BACKGROUND: Influenza spreads in shared offices. We compared offices where staff wore masks with offices where they did not, and found ""fewer"" infections with masks. CONCLUSIONS: Masks reduced spread.",2020-04-01,"Berg, Ana; Cole, Tim",Sample J,,,,document_parses/pdf_json/{SHA_1}.json,document_parses/pmc_json/PMC100.xml.json,https://doi.org/10.1000/s.1,101
        ef56gh78,,Elsevier; Medline,Fever   in returning   travellers,10.1000/s.2,,3200002,els-covid,"Abstract: Fever after travel has many causes.
        Malaria must be ruled out first in anyone back from an endemic area.

        Dengue and typhoid are the next most common causes.",2019-06-30,"Diaz, Eva",Sample Travel Med,,,,,,https://doi.org/10.1000/s.2,102
        ij90kl12,,WHO,Hand washing in schools,,,,unk,,2021,,,,#123,,,,,
        ef56gh78,,WHO,Fever in returning travellers,10.1000/s.2,,,no-cc,Fever after travel has many causes; this is the same paper from a second source and is dropped as a repeat.,2019,,,,#124,,,,,
        mn34op56,,Medline,,,,,cc0,Resting heart rate was recorded in 120 runners before and after a marathon and returned to baseline within two days.,2018-01-01,,,,,,,,,
        qr78st90,,Elsevier,Graphical abstract: infection control,,,,els-covid,[Image: see text],2020-08-08,,,,,,,,,
        uv12wx34,,PMC,"Zinc <italic>supplements</italic> and the common cold",,PMC200,,cc-by-nc-sa,"<jats:p>Zinc taken within 24 hours of the first symptoms shortened colds by about one day in this <italic>randomised</italic> trial of 200 adults.</jats:p>",2017-10-10,,,,,,,,,
        """,
        lstrip=True,
    )


@pytest.fixture
def release_with_parses(tmp_path: Path) -> Path:
    """A release folder: metadata.csv with empty abstracts, pdf_json and pmc_json parses."""
    folder = tmp_path / "2022-06-02"
    write_at(
        folder / "metadata.csv",
        f"""
        {HEADER}
        pq11rs22,{SHA_2}; {SHA_1},MedRxiv; WHO,Sleep loss and vaccine response,10.1101/s.3,,,medrxiv,,2021-02-02,"Kim, Jo",medRxiv,,,,document_parses/pdf_json/{SHA_2}.json; document_parses/pdf_json/{SHA_1}.json,,https://doi.org/10.1101/s.3,103
        tu33vw44,,PMC,A case of measles in an adult,,PMC300,,cc-by,,2020-05-05,,,,,,,document_parses/pmc_json/PMC300.xml.json,,
        xy55za66,,Medline,Travel to the parent folder,,,,pd,,2020-05-05,,,,,,../secret.json,,,
        """,
        lstrip=True,
    )

    def para(text: str) -> dict:
        return {"text": text, "cite_spans": [], "ref_spans": [], "section": "Abstract"}

    parse_2 = {
        "paper_id": SHA_2,
        "metadata": {"title": "Sleep loss and vaccine response", "authors": []},
        "abstract": [],
        "body_text": [],
        "bib_entries": {},
        "ref_entries": {},
        "back_matter": [],
    }
    parse_1 = dict(
        parse_2,
        paper_id=SHA_1,
        abstract=[
            para("Sleep  shapes immunity."),
            para(
                "Adults who slept under six hours a night before vaccination made fewer antibodies one month later."
            ),
        ],
    )
    pmc = {
        "paper_id": "PMC300",
        "metadata": {"title": "", "authors": []},
        "body_text": [
            para("A 30-year-old had a rash and fever for four days and was found to have measles.")
        ],
    }
    parses = folder / "document_parses"
    write_at(parses / "pdf_json" / f"{SHA_2}.json", json.dumps(parse_2, indent=4))
    write_at(parses / "pdf_json" / f"{SHA_1}.json", json.dumps(parse_1, indent=4))
    write_at(parses / "pmc_json" / "PMC300.xml.json", json.dumps(pmc, indent=4))
    write_at(
        tmp_path / "secret.json",
        json.dumps({"abstract": [para("Not inside the release folder at all.")]}),
    )
    return folder


# -- records --------------------------------------------------------------------------------


def test_abstract_becomes_input_and_title_output(metadata_csv: Path) -> None:
    records, skips = run(metadata_csv)
    assert records == [
        (
            "ab12cd34",
            'BACKGROUND: Influenza spreads in shared offices. We compared offices where staff wore masks with offices where they did not, and found "fewer" infections with masks. CONCLUSIONS: Masks reduced spread.',
            "Masks, distance and spread of influenza in offices",
            "CC-BY",
        ),
        (
            "ef56gh78",
            "Fever after travel has many causes.\nMalaria must be ruled out first in anyone back from an endemic area.\n\nDengue and typhoid are the next most common causes.",
            "Fever in returning travellers",
            "LicenseRef-CORD19-els-covid",
        ),
        (
            "uv12wx34",
            "Zinc taken within 24 hours of the first symptoms shortened colds by about one day in this randomised trial of 200 adults.",
            "Zinc supplements and the common cold",
            "CC-BY-NC-SA",
        ),
    ]
    assert skips == {
        "no_abstract": 1,
        "duplicate_cord_uid": 1,
        "no_title": 1,
        "short_abstract": 1,
    }


def test_a_repeated_cord_uid_keeps_the_first_row_that_gives_a_record(tmp_path: Path) -> None:
    path = write_at(
        tmp_path / "metadata.csv",
        f"""
        {HEADER}
        same0001,,WHO,Cough in children,,,,unk,,2020,,,,,,,,,
        same0001,,PMC,Cough in children,,,,cc-by,Most coughs in children are caused by colds and get better within three weeks without treatment.,2020,,,,,,,,,
        same0001,,Medline,Cough in children,,,,cc-by,A third copy of the same paper with another abstract text long enough to count.,2020,,,,,,,,,
        """,
        lstrip=True,
    )
    records, skips = run(path)
    assert [(r[0], r[3]) for r in records] == [("same0001", "CC-BY")]
    assert records[0][1].startswith("Most coughs in children")
    assert skips == {"no_abstract": 1, "duplicate_cord_uid": 1}


def test_empty_abstract_is_taken_from_the_pdf_json_parse(release_with_parses: Path) -> None:
    records, skips = run(release_with_parses)
    assert records == [
        (
            "pq11rs22",
            "Sleep shapes immunity.\n\nAdults who slept under six hours a night before vaccination made fewer antibodies one month later.",
            "Sleep loss and vaccine response",
            "LicenseRef-CORD19-medrxiv",
        )
    ]
    # PMC parses carry no abstract; a path leaving the release folder is not followed.
    assert skips == {"no_abstract": 2}


def test_bare_metadata_file_ignores_parses_it_cannot_see(release_with_parses: Path) -> None:
    lone = release_with_parses.parent / "elsewhere" / "metadata.csv"
    lone.parent.mkdir()
    lone.write_bytes((release_with_parses / "metadata.csv").read_bytes())
    records, skips = run(lone)
    assert records == [] and skips == {"no_abstract": 3}


def test_min_abstract_words_option(metadata_csv: Path) -> None:
    records, skips = run(metadata_csv, min_abstract_words=0)
    assert "qr78st90" in [r[0] for r in records]
    assert "short_abstract" not in skips
    records, skips = run(metadata_csv, min_abstract_words=40)
    assert [r[0] for r in records] == []
    assert skips["short_abstract"] == 5  # the repeat of ef56gh78 is no longer a repeat


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("cc-by", "CC-BY"),
        ("cc-by-sa", "CC-BY-SA"),
        ("cc-by-nd", "CC-BY-ND"),
        ("cc-by-nc", "CC-BY-NC"),
        ("cc-by-nc-sa", "CC-BY-NC-SA"),
        ("cc-by-nc-nd", "CC-BY-NC-ND"),
        ("cc0", "CC0-1.0"),
        ("pd", "LicenseRef-public-domain"),
        ("els-covid", "LicenseRef-CORD19-els-covid"),
        ("no-cc", "LicenseRef-CORD19-no-cc"),
        ("biorxiv", "LicenseRef-CORD19-biorxiv"),
        ("medrxiv", "LicenseRef-CORD19-medrxiv"),
        ("arxiv", "LicenseRef-CORD19-arxiv"),
        ("green-oa", "LicenseRef-CORD19-green-oa"),
        ("bronze-oa", "LicenseRef-CORD19-bronze-oa"),
        ("hybrid-oa", "LicenseRef-CORD19-hybrid-oa"),
        ("gold-oa", "LicenseRef-CORD19-gold-oa"),
        ("unk", "LicenseRef-CORD19-unknown"),
        ("", "LicenseRef-CORD19-unknown"),
        (" CC-BY ", "CC-BY"),
        ("publisher specific/oa", "LicenseRef-CORD19-publisher-specific-oa"),
    ],
)
def test_license_values_map_to_ids(value: str, expected: str) -> None:
    assert license_id(value) == expected


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Plain text, with commas and ñ accents.", False),
        ("two  spaces", True),
        ("  leading", True),
        ("trailing  ", True),
        ("é  é", True),
        ("one space only", False),
        ("", False),
    ],
)
def test_double_spaces_are_found_in_bulk(text: str, flagged: bool) -> None:
    column = pa.array(["clean before", text, "clean after", "odd x"], pa.string())
    assert double_space_rows(column).tolist() == [False, flagged, False, False]
    assert double_space_rows(column.slice(1, 1)).tolist() == [flagged]
    assert clean_text(text, flagged) == clean_text(text)


def test_parses_change_the_fingerprint(release_with_parses: Path) -> None:
    source = Cord19Source()
    source.shards(release_with_parses)
    before = source.fingerprint_data()
    (release_with_parses / "document_parses" / "pdf_json" / "new.json").write_text("{}")
    source.shards(release_with_parses)
    assert source.fingerprint_data() != before
    assert "pdf_json_parses" not in Cord19Source().fingerprint_data()


# -- files that cannot be read --------------------------------------------------------------


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = write_at(
        tmp_path / "metadata.csv",
        "cord_uid,sha,title,license\nab12cd34,,A title,cc-by\n",
    )
    with pytest.raises(
        RawFileError, match=r"metadata\.csv: missing column 'abstract': not a CORD-19"
    ):
        list(Cord19Source().parse(path))


def test_empty_file(tmp_path: Path) -> None:
    path = write_at(tmp_path / "metadata.csv", "")
    with pytest.raises(RawFileError, match=r"metadata\.csv: empty file"):
        list(Cord19Source().parse(path))


def test_header_only_gives_nothing(tmp_path: Path) -> None:
    path = write_at(tmp_path / "metadata.csv", HEADER + "\n", lstrip=True)
    assert run(path) == ([], Counter())


def test_wrong_encoding_names_the_row_and_line(tmp_path: Path) -> None:
    text = textwrap.dedent(
        f"""\
        {HEADER}
        ab12cd34,,PMC,"A title",,,,cc-by,"First line of a long abstract about fever in children.
        Second line.",2020,,,,,,,,,
        cd34ef56,,PMC,Café workers and hepatitis A,,,,cc-by,An abstract that is long enough to be kept as a record here.,2020,,,,,,,,,
        """
    )
    path = tmp_path / "metadata.csv"
    path.write_bytes(text.encode("latin-1"))
    with pytest.raises(
        RawFileError,
        match=r"metadata\.csv, row 2: not UTF-8 text: byte 0xe9 at line 4 .*re-save the file as UTF-8",
    ):
        list(Cord19Source().parse(path))


def test_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "metadata.csv"
    path.write_text(
        HEADER + '\nab12cd34,,PMC,A title,,,,cc-by,"An abstract cut off in the middle of',
        encoding="utf-8",
    )
    with pytest.raises(
        RawFileError,
        match=r"malformed or truncated CSV \(CSV parse error: Expected 19 columns, got 9.*download metadata\.csv again",
    ):
        list(Cord19Source().parse(path))


def big_abstract_csv(folder: Path, megabytes: int) -> Path:
    """A metadata.csv whose second row has an abstract of `megabytes` MB (a row larger
    than the CSV reader's 1 MB block)."""
    path = folder / "metadata.csv"
    big = ("Fever in children. " * (megabytes * 2**20 // 19 + 1))[: megabytes * 2**20]
    rows = [
        HEADER,
        "ab12cd34,,PMC,A title,,,,cc-by,An abstract that is long enough to be kept as a record here.,2020,,,,,,,,,",
        f'cd34ef56,,PMC,Big,,,,cc-by,"{big}",2020,,,,,,,,,',
        "ef56gh78,,PMC,Last,,,,cc-by,Another abstract that is long enough to be kept as a record.,2020,,,,,,,,,",
    ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_a_field_larger_than_the_block_is_named_with_its_line_and_the_limit(
    tmp_path: Path,
) -> None:
    path = big_abstract_csv(tmp_path, 3)
    with pytest.raises(
        RawFileError,
        match=r"^\S+/metadata\.csv: line 3: field 9 \(abstract\) is 3\.0 MB, over the 1 MB a "
        r"CSV row may hold here; if the file is right, raise the limit with "
        r"MEADOW_CSV_FIELD_MB=4 \(MB\)$",
    ):
        list(Cord19Source().parse(path))


def test_the_field_limit_is_raised_with_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_abstract_csv(tmp_path, 3)
    monkeypatch.setenv("MEADOW_CSV_FIELD_MB", "4")
    records, _ = run(path)
    assert [r[0] for r in records] == ["ab12cd34", "cd34ef56", "ef56gh78"]
    monkeypatch.setenv("MEADOW_CSV_FIELD_MB", "lots")
    with pytest.raises(
        RecipeError, match=r"MEADOW_CSV_FIELD_MB: expected a size in MB, more than 0 and at most"
    ):
        run(path)


def test_a_quote_that_never_closes_is_a_damaged_file_not_a_limit(tmp_path: Path) -> None:
    path = tmp_path / "metadata.csv"
    rest = "An abstract whose closing quote was lost, so the rest reads as one field.\n" * 40_000
    path.write_text(
        HEADER
        + "\nab12cd34,,PMC,A title,,,,cc-by,An abstract that is long enough to be kept here.,2020,,,,,,,,,"
        + '\ncd34ef56,,PMC,Broken,,,,cc-by,"'
        + rest,
        encoding="utf-8",
    )
    with pytest.raises(
        RawFileError,
        match=r"metadata\.csv: line 3: a quote mark in field 9 \(abstract\) opens a field that "
        r"never closes: the rest of the file \(2\.8 MB\) would be one field; the file is "
        r"damaged or cut short: download or export it again$",
    ):
        list(Cord19Source().parse(path))


def test_terminal_escapes_in_a_malformed_row_are_shown_escaped(tmp_path: Path) -> None:
    path = tmp_path / "metadata.csv"
    path.write_text(HEADER + "\nab12cd34,\x1b]0;owned\x07\x1b[2J,PMC,A title\n", encoding="utf-8")
    with pytest.raises(RawFileError) as raised:
        list(Cord19Source().parse(path))
    message = str(raised.value)
    assert "\x1b" not in message and "\x07" not in message
    assert r"ab12cd34,\x1b]0;owned\x07\x1b[2J,PMC,A title" in message
    assert message.endswith(": download metadata.csv again")


def test_a_header_with_terminal_escapes_is_shown_escaped_and_bounded(tmp_path: Path) -> None:
    path = tmp_path / "metadata.csv"
    path.write_text("\x1b[2J" + "title," * 1000 + "x\n", encoding="utf-8")
    with pytest.raises(
        RawFileError, match=r"its header is \\x1b\[2Jtitle, title, .{50,80}…;"
    ) as raised:
        list(Cord19Source().parse(path))
    assert "\x1b" not in str(raised.value) and len(str(raised.value)) < 600


def test_folder_without_metadata(tmp_path: Path) -> None:
    (tmp_path / "document_parses").mkdir()
    with pytest.raises(
        RawFileError,
        match=r"folder holds no metadata\.csv \(expected metadata\.csv and, optionally, document_parses/pdf_json/\*\.json",
    ):
        Cord19Source().shards(tmp_path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(RawFileError, match="no such file or folder"):
        Cord19Source().shards(tmp_path / "nope")


# -- registry, sample, build, benchmark generator -------------------------------------------


def test_registered_with_its_metadata() -> None:
    cls = get_source("cord19")
    assert cls is Cord19Source
    info = cls.info()
    assert info["raw_files"] == []
    assert "Kaggle" in info["how_to_get"] and "Historical releases" in info["how_to_get"]
    assert "wang-etal-2020-cord" in info["citation"]
    assert cls.default_instruction == "Summarize this abstract into a title."


def test_sample_parses_with_expected_counts() -> None:
    records, skips = run(SAMPLE)
    assert [r[0] for r in records] == ["smp1a2b3", "smp4c5d6", "smp7e8f9", "smp9m0n1"]
    assert skips == {"no_abstract": 2, "duplicate_cord_uid": 1, "no_title": 1, "short_abstract": 1}
    assert records[2][1].startswith("Sudden loss of smell")  # from its pdf_json parse
    for _, text, title, _ in records:
        assert "meadow" not in text and "not medical advice" not in title


def test_build_and_load_the_sample() -> None:
    result = meadow.build(sources=["cord19"], raw={"cord19": SAMPLE}, name="t")
    assert result.rows == 4
    data = meadow.load_mixture("t")
    rows = [row for split in data.values() for row in split]
    assert sorted(row["source_id"] for row in rows) == [
        "smp1a2b3",
        "smp4c5d6",
        "smp7e8f9",
        "smp9m0n1",
    ]
    assert {row["license"] for row in rows} == {
        "CC-BY",
        "LicenseRef-CORD19-els-covid",
        "LicenseRef-CORD19-medrxiv",
        "LicenseRef-CORD19-green-oa",
    }


def test_benchmark_metadata_parses(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_cord19", Path(__file__).resolve().parents[2] / "benchmarks" / "gen_cord19.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = module.make_metadata(tmp_path / "metadata.csv", 2_000, seed=1)
    header = path.read_text(encoding="utf-8").split("\n", 1)[0]
    assert header == HEADER
    records, skips = run(path)
    total = len(records) + sum(skips.values())
    assert total == 2_000
    assert 0.15 < skips["no_abstract"] / total < 0.35
    assert skips["duplicate_cord_uid"] > 0
    assert any("\n" in text for _, text, _, _ in records)
