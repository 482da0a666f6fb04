# ruff: noqa: E501  (raw fixtures keep the upstream one-line RRF rows)
"""The umls source: a UMLS META folder (MRCONSO.RRF, MRDEF.RRF, MRREL.RRF) in tmp_path.

RRF rows are written as a release holds them: pipe-delimited, every line closed by `|`,
no header, no quoting. The concepts are invented (CUIs C00000xx).
"""

from __future__ import annotations

import os
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from meadow import build, load_mixture
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import _umls_tables as umls_tables
from meadow.sources import get_source
from meadow.sources.base import Skip
from meadow.sources.umls import (
    ENTITY_PARAPHRASES,
    RELATION_PARAPHRASES,
    UmlsSource,
    relation_phrase,
)
from tests.sources.helpers import collect, rows, write_file

SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "umls"
ENTITY = ENTITY_PARAPHRASES[0]
RELATION = RELATION_PARAPHRASES[0]

# Asthma (C0000001) has a French atom, a non-preferred English atom and a variant before
# its preferred English atom, and a second preferred atom after it; Bronchospasm's
# (C0000004) only preferred English atom is SNOMED CT's (level 9); C0000005 has only a
# German name; Salbutamol's first preferred atom is suppressed.
MRCONSO_ROWS = """\
    C0000001|FRE|P|L0000011|PF|S0000011|Y|A0000011||M0000001|D000001|MSHFRE|MH|D000001|Asthme|3|N||
    C0000001|ENG|S|L0000002|PF|S0000002|Y|A0000002||||NCI|SY|C00001|Asthmatic disease|0|N|256|
    C0000001|ENG|P|L0000001|VO|S0000003|Y|A0000003||M0000001|D000001|MSH|ET|D000001|Asthmas|0|N|256|
    C0000001|ENG|P|L0000001|PF|S0000001|Y|A0000001||M0000001|D000001|MSH|MH|D000001|Asthma|0|N|256|
    C0000001|ENG|P|L0000001|PF|S0000004|Y|A0000004||||MTH|PN|NOCODE|Asthma (MTH)|0|N|256|
    C0000002|ENG|P|L0000021|PF|S0000021|Y|A0000021||M0000002|D000002|MSH|MH|D000002|Lung disease|0|N|256|
    C0000003|ENG|P|L0000031|PF|S0000031|Y|A0000032||||NCI|PT|C00003|Albuterol (old)|0|O|256|
    C0000003|ENG|P|L0000031|PF|S0000032|Y|A0000031||M0000003|D000003|MSH|MH|D000003|Salbutamol|0|N|256|
    C0000004|ENG|P|L0000041|PF|S0000041|Y|A0000041|41|410||SNOMEDCT_US|PT|410|Bronchospasm|9|N|256|
    C0000004|ENG|S|L0000042|PF|S0000042|Y|A0000042||||NCI|SY|C00004|Airway spasm|0|N|256|
    C0000005|GER|P|L0000051|PF|S0000051|Y|A0000051||M0000005|D000005|MSHGER|MH|D000005|Nächtlicher Husten|3|N||
"""
MRDEF_ROWS = """\
    C0000001|A0000001|AT0000001||MSH|A long-term disease of the airways with <i>reversible</i> narrowing.<br>It causes   wheezing &amp; cough.|N||
    C0000003|A0000031|AT0000002||MSH|A short-acting   beta-2 agonist that relaxes airway muscle.|N||
    C0000001|A0000011|AT0000003||MSHFRE|Maladie chronique des voies aériennes.|N||
    C0000002|A0000021|AT0000004||MSH|Text of a retired definition.|O||
    C0000004|A0000041|AT0000005||SNOMEDCT_US|Sudden narrowing of the bronchi.|N||
    C0000004|A0000042|AT0000006||NCI|Sudden narrowing of the airways.|N||
    C0000005|A0000051|AT0000007||MSH|Cough that comes on at night.|N||
    C0000002|A0000021|AT0000008||MSH|   |N||
    C0000002|A0000021|AT0000009||MSH|<p> </p>|N||
"""
MRREL_ROWS = """\
    C0000002|A0000021|SCUI|CHD|C0000001|A0000001|SCUI|isa|R0000001||MSH|MSH|||N||
    C0000001|A0000001|SCUI|PAR|C0000002|A0000021|SCUI|inverse_isa|R0000002||MSH|MSH|||N||
    C0000001|A0000001|SCUI|RO|C0000003|A0000031|SCUI|may_treat|R0000003||NCI|NCI||Y|N||
    C0000001|A0000001|SCUI|RB|C0000002|A0000021|SCUI||R0000004||MSH|MSH|||N||
    C0000001|A0000001|SCUI|RO|C0000003|A0000031|SCUI||R0000005||MSH|MSH|||N||
    C0000001|A0000001|AUI|QB|C0000002|A0000021|AUI||R0000006||MSH|MSH|||N||
    C0000001|A0000001|SCUI|SY|C0000001|A0000004|SCUI||R0000007||MTH|MTH|||N||
    C0000001|A0000001|SCUI|RO|C0000004|A0000041|SCUI|associated_with|R0000008||SNOMEDCT_US|SNOMEDCT_US|0|Y|N||
    C0000001|A0000001|SCUI|RO|C0000004|A0000042|SCUI|associated_with|R0000009||NCI|NCI||Y|N||
    C0000005|A0000051|SCUI|RO|C0000001|A0000001|SCUI|manifestation_of|R0000010||MSH|MSH||Y|N||
    C0000003|A0000031|SCUI|RO|C0000001|A0000001|SCUI|may_be_treated_by|R0000011||MSH|MSH||Y|O||
"""


def run(raw: Path, **options) -> tuple[list[Record], Counter[str]]:
    """Records and skip counts of a raw file or folder."""
    return collect(UmlsSource(**options), raw)


# -- fixtures: one per shape of raw folder ------------------------------------------------------


@pytest.fixture
def release(tmp_path: Path) -> Path:
    """An unzipped release: `2024AA/META/` holding the three files (and others)."""
    meta = tmp_path / "2024AA" / "META"
    write_file(meta, "MRCONSO.RRF", MRCONSO_ROWS)
    write_file(meta, "MRDEF.RRF", MRDEF_ROWS)
    write_file(meta, "MRREL.RRF", MRREL_ROWS)
    write_file(meta, "MRSAB.RRF", "C1140284|C1140284|MSH|MSH|Medical Subject Headings|MSH|||\n")
    write_file(tmp_path / "2024AA", "release.dat", "umls.release.name=2024AA\n")
    return tmp_path / "2024AA"


@pytest.fixture
def meta(release: Path) -> Path:
    return release / "META"


@pytest.fixture
def one_relation(tmp_path: Path) -> Path:
    """A META folder with one hierarchical fact whose meaning is known: asthma is a lung disease."""
    meta = tmp_path / "META"
    write_file(meta, "MRCONSO.RRF", MRCONSO_ROWS)
    write_file(meta, "MRDEF.RRF", "C0000003|A0000031|AT0000002||MSH|A beta-2 agonist.|N||\n")
    write_file(
        meta,
        "MRREL.RRF",
        """\
        C0000002|A0000021|SCUI|CHD|C0000001|A0000001|SCUI|isa|R0000001||MSH|MSH|||N||
        C0000001|A0000001|SCUI|PAR|C0000002|A0000021|SCUI||R0000002||MSH|MSH|||N||
        """,
    )
    return meta


# -- records ---------------------------------------------------------------------------------


def test_definitions_become_entity_records(meta: Path) -> None:
    records, _ = run(meta)
    entities = [r for r in records if r.subset == "entity"]
    assert entities == [
        Record(
            instruction=ENTITY,
            input='What is "Asthma"?',
            output="A long-term disease of the airways with reversible narrowing.\n"
            "It causes wheezing & cough.",
            source="umls",
            subset="entity",
            source_id="AT0000001",
            license="other",
        ),
        Record(
            instruction=ENTITY,
            input='What is "Salbutamol"?',
            output="A short-acting beta-2 agonist that relaxes airway muscle.",
            source="umls",
            subset="entity",
            source_id="AT0000002",
            license="other",
        ),
    ]


def test_relations_become_relation_records(meta: Path) -> None:
    records, _ = run(meta)
    relations = [r for r in records if r.subset == "relation"]
    assert rows(relations) == [
        (
            "relation",
            "C0000001|isa|C0000002",
            'What is the relation between "Asthma" and "Lung disease"?',
            '"Asthma" is a "Lung disease".',
        ),
        (
            "relation",
            "C0000002|inverse_isa|C0000001",
            'What is the relation between "Lung disease" and "Asthma"?',
            '"Lung disease" has the subtype "Asthma".',
        ),
        (
            "relation",
            "C0000003|may_treat|C0000001",
            'What is the relation between "Salbutamol" and "Asthma"?',
            '"Salbutamol" may treat "Asthma".',
        ),
        (
            "relation",
            "C0000002|RB|C0000001",
            'What is the relation between "Lung disease" and "Asthma"?',
            '"Lung disease" has a broader meaning than "Asthma".',
        ),
    ]
    assert {(r.instruction, r.source, r.license) for r in relations} == {
        (RELATION, "umls", "other")
    }


def test_relation_reads_what_cui2_is_to_cui1(one_relation: Path) -> None:
    # `C0000002|…|CHD|C0000001|…|isa|`: C0000001 (asthma) is a child of C0000002 (lung
    # disease): asthma is a lung disease, never the other way round.
    records, _ = run(one_relation)
    assert [(r.source_id, r.output) for r in records if r.subset == "relation"] == [
        ("C0000001|isa|C0000002", '"Asthma" is a "Lung disease".'),
        ("C0000002|PAR|C0000001", '"Lung disease" is a parent of "Asthma".'),
    ]


@pytest.mark.parametrize(
    ("rel", "rela", "phrase"),
    [
        ("PAR", "", "is a parent of"),
        ("CHD", "", "is a child of"),
        ("RB", "", "has a broader meaning than"),
        ("RN", "", "has a narrower meaning than"),
        ("SY", "", "is a synonym of"),
        ("RQ", "", "is related and possibly synonymous to"),
        ("SIB", "", "is a sibling of"),
        ("CHD", "isa", "is a"),
        ("PAR", "inverse_isa", "has the subtype"),
        ("RO", "may_treat", "may treat"),
        ("RO", "has_finding_site", "has finding site"),
        ("RO", "associated_with", "is associated with"),
        ("RO", "part_of", "is part of"),
        ("RO", "classified_as", "is classified as"),
        ("RO", "causes", "causes"),
        ("RO", "occurs_in", "occurs in"),
    ],
)
def test_relation_phrases(rel: str, rela: str, phrase: str) -> None:
    assert relation_phrase(rel, rela) == phrase


def test_name_is_the_first_preferred_english_atom(meta: Path) -> None:
    # Not the French atom (Asthme), the synonym (TS=S), the variant (STT=VO), the second
    # preferred atom (Asthma (MTH)) nor a suppressed atom (Albuterol (old)).
    records, _ = run(meta)
    names = {r.input for r in records if r.subset == "entity"}
    assert names == {'What is "Asthma"?', 'What is "Salbutamol"?'}
    text = " ".join(r.input + r.output for r in records)
    for other in ("Asthme", "Asthmatic disease", "Asthmas", "Asthma (MTH)", "Albuterol"):
        assert other not in text


def test_every_skip_reason_is_counted(meta: Path) -> None:
    _, skips = run(meta)
    assert skips == {
        "not_english": 1,  # MSHFRE definition
        "suppressed": 2,  # a definition and a relation with SUPPRESS=O
        "restricted_source": 4,  # SNOMED CT definition and relation, two by Bronchospasm's name
        "unnamed_concept": 2,  # C0000005 has no English name
        "empty_definition": 2,  # blank, and only tags
        "unlabelled_relation": 2,  # RO and QB without RELA
        "self_relation": 1,
    }


def test_skips_are_counted_per_batch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meta = tmp_path / "META"
    write_file(meta, "MRCONSO.RRF", MRCONSO_ROWS)
    write_file(meta, "MRDEF.RRF", MRDEF_ROWS * 20)
    write_file(meta, "MRREL.RRF", MRREL_ROWS * 30)
    source = UmlsSource()
    skips = [s for shard in source.shards(meta) for s in source.parse(shard) if isinstance(s, Skip)]
    assert any(s.count > 1 for s in skips)  # whole batches are reported at once
    records, counts = run(meta)
    monkeypatch.setattr(umls_tables, "_BLOCK_SIZE", 512)  # many small batches
    umls_tables._names_cache.clear()
    small_records, small_counts = run(meta)
    assert small_records == records
    assert small_counts == counts
    assert counts["unlabelled_relation"] == 60
    assert counts["restricted_source"] == 2 * 20 + 2 * 30
    assert Counter(r.subset for r in records) == {"entity": 40, "relation": 120}


def test_restriction_level_option_admits_restricted_vocabularies(meta: Path) -> None:
    records, skips = run(meta, max_restriction_level=9)
    assert ("AT0000005", "Sudden narrowing of the bronchi.") in [
        (r.source_id, r.output) for r in records
    ]
    assert ("C0000004|associated_with|C0000001", '"Bronchospasm" is associated with "Asthma".') in [
        (r.source_id, r.output) for r in records
    ]
    assert "restricted_source" not in skips
    assert skips["not_english"] == 1  # the French definition is still not English
    # Level 3 admits the level-3 vocabularies, but names are English: C0000005 stays unnamed.
    _, level3 = run(meta, max_restriction_level=3)
    assert level3["unnamed_concept"] == 2
    assert level3["restricted_source"] == 4


def test_vocabulary_without_atoms_counts_as_restricted(meta: Path) -> None:
    (meta / "MRDEF.RRF").write_text(
        "C0000001|A0000001|AT0000001||NEWVOCAB|A definition from a vocabulary with no atoms.|N||\n"
    )
    records, skips = run(meta, max_restriction_level=9)
    assert [r for r in records if r.subset == "entity"] == []
    assert skips["restricted_source"] == 1


@pytest.mark.parametrize("level", [-1, 10, "0", 1.5, True])
def test_restriction_level_must_be_0_to_9(level) -> None:
    with pytest.raises(RecipeError, match=r"sources\.umls\.options\.max_restriction_level"):
        UmlsSource(max_restriction_level=level)


def test_recipe_instruction_replaces_the_subset_instructions(meta: Path) -> None:
    records, _ = run(meta)
    assert {r.subset: r.instruction for r in records} == {"entity": ENTITY, "relation": RELATION}
    source = UmlsSource(instruction="Answer this question truthfully")
    out = [
        r for shard in source.shards(meta) for r in source.records(shard) if isinstance(r, Record)
    ]
    assert {r.instruction for r in out} == {"Answer this question truthfully"}


def test_names_are_built_once_and_again_when_the_file_changes(one_relation: Path) -> None:
    records, _ = run(one_relation)
    assert '"Asthma" is a "Lung disease".' in [r.output for r in records]
    conso = one_relation / "MRCONSO.RRF"
    assert umls_tables.concept_names(conso, 0) is umls_tables.concept_names(conso, 0)
    conso.write_text(conso.read_text().replace("|Lung disease|", "|Pulmonary disease|"))
    os.utime(conso, ns=(conso.stat().st_atime_ns, conso.stat().st_mtime_ns + 10**9))
    records, _ = run(one_relation)
    assert '"Asthma" is a "Pulmonary disease".' in [r.output for r in records]


def test_windows_line_endings_are_read(tmp_path: Path, meta: Path) -> None:
    crlf = tmp_path / "crlf"
    crlf.mkdir()
    for name in ("MRCONSO.RRF", "MRDEF.RRF", "MRREL.RRF"):
        (crlf / name).write_bytes((meta / name).read_bytes().replace(b"\n", b"\r\n"))
    assert run(crlf) == run(meta)


# -- finding the files ---------------------------------------------------------------------------


def test_files_are_found_below_the_folder_given(release: Path, meta: Path) -> None:
    expected = [meta / "MRDEF.RRF", meta / "MRREL.RRF", meta / "MRCONSO.RRF"]
    assert UmlsSource().shards(release) == expected
    assert UmlsSource().shards(meta) == expected
    assert UmlsSource().shards(meta / "MRREL.RRF") == expected  # a file: its folder


def test_names_file_parses_to_nothing(meta: Path) -> None:
    assert list(UmlsSource().parse(meta / "MRCONSO.RRF")) == []


def test_folder_without_umls_files(tmp_path: Path) -> None:
    write_file(tmp_path, "notes.txt", "nothing here\n")
    with pytest.raises(
        RawFileError,
        match=r"folder holds none of MRCONSO\.RRF, MRDEF\.RRF, MRREL\.RRF: pass the META folder",
    ):
        UmlsSource().shards(tmp_path)


def test_missing_file_is_named(meta: Path) -> None:
    (meta / "MRDEF.RRF").unlink()
    with pytest.raises(RawFileError, match=r"MRDEF\.RRF is missing: the umls source needs"):
        UmlsSource().shards(meta)


def test_split_file_parts_are_pointed_out(meta: Path) -> None:
    rel = meta / "MRREL.RRF"
    rel.rename(meta / "MRREL.RRF.aa")
    with pytest.raises(
        RawFileError, match=r"MRREL\.RRF is missing: found MRREL\.RRF\.aa: uncompress or join"
    ):
        UmlsSource().shards(meta)


def test_two_releases_in_one_folder(tmp_path: Path, release: Path) -> None:
    other = tmp_path / "2023AB" / "META"
    for name in ("MRCONSO.RRF", "MRDEF.RRF", "MRREL.RRF"):
        write_file(other, name, (release / "META" / name).read_text())
    with pytest.raises(RawFileError, match=r"holds several MRDEF\.RRF .*pass one release's META"):
        UmlsSource().shards(tmp_path)


def test_other_file_given_directly(meta: Path) -> None:
    with pytest.raises(RawFileError, match=r"not a UMLS file: pass the META folder"):
        UmlsSource().shards(meta / "MRSAB.RRF")
    with pytest.raises(RawFileError, match=r"not a file the umls source reads"):
        list(UmlsSource().parse(meta / "MRSAB.RRF"))


def test_names_file_missing_next_to_definitions(meta: Path) -> None:
    (meta / "MRCONSO.RRF").unlink()
    with pytest.raises(RawFileError, match=r"MRCONSO\.RRF is missing: it is needed next to MRDEF"):
        list(UmlsSource().parse(meta / "MRDEF.RRF"))


# -- files that cannot be read --------------------------------------------------------------------


def test_line_with_a_missing_field(meta: Path) -> None:
    lines = textwrap.dedent(MRREL_ROWS).splitlines(keepends=True)
    lines[1] = lines[1].replace("|inverse_isa|", "|")
    (meta / "MRREL.RRF").write_text("".join(lines))
    with pytest.raises(
        RawFileError,
        match=r"MRREL\.RRF: line 2 has 15 fields, expected 16 \(MRREL\.RRF lines are 16 fields",
    ):
        list(UmlsSource().parse(meta / "MRREL.RRF"))


def test_line_with_an_extra_field(meta: Path) -> None:
    text = textwrap.dedent(MRCONSO_ROWS).replace("|Salbutamol|", "|Salbutamol|extra|")
    (meta / "MRCONSO.RRF").write_text(text)
    with pytest.raises(RawFileError, match=r"MRCONSO\.RRF: line 8 has 19 fields, expected 18"):
        list(UmlsSource().parse(meta / "MRDEF.RRF"))


def test_truncated_file(meta: Path) -> None:
    path = meta / "MRDEF.RRF"
    text = textwrap.dedent(MRDEF_ROWS)
    cut = text.index("beta-2 agonist")
    path.write_text(text[:cut])
    with pytest.raises(
        RawFileError,
        match=r"MRDEF\.RRF: is cut short: its last line \(2\) has 6 of 8 fields and no closing \|: "
        r"download/unzip it again",
    ):
        list(UmlsSource().parse(path))


def test_file_cut_inside_the_last_field(meta: Path) -> None:
    path = meta / "MRCONSO.RRF"
    text = textwrap.dedent(MRCONSO_ROWS)
    path.write_text(text[: text.index("|Airway spasm|0|N|256|") + len("|Airway spasm|0|N|25")])
    with pytest.raises(
        RawFileError,
        match=r"MRCONSO\.RRF: is cut short: its last line \(10\) has no closing \|: download",
    ):
        list(UmlsSource().parse(meta / "MRDEF.RRF"))


def test_file_cut_after_a_closing_bar_is_complete(meta: Path) -> None:
    path = meta / "MRREL.RRF"
    path.write_text(path.read_text().rstrip("\n"))  # no final line break: nothing lost
    records, _ = run(meta)
    assert len(records) == 6


def test_not_utf8_names_file_and_line(meta: Path) -> None:
    path = meta / "MRCONSO.RRF"
    path.write_bytes(textwrap.dedent(MRCONSO_ROWS).encode("latin-1", errors="replace"))
    with pytest.raises(
        RawFileError,
        match=r"MRCONSO\.RRF: not valid UTF-8 \(byte 0xe4 on line 11\): re-save the file as UTF-8",
    ):
        list(UmlsSource().parse(meta / "MRREL.RRF"))


def test_empty_file(meta: Path) -> None:
    (meta / "MRREL.RRF").write_bytes(b"")
    with pytest.raises(RawFileError, match=r"MRREL\.RRF: empty file: download/unzip it again"):
        list(UmlsSource().parse(meta / "MRREL.RRF"))
    (meta / "MRDEF.RRF").write_text("\n\n")
    with pytest.raises(RawFileError, match=r"MRDEF\.RRF: empty file"):
        list(UmlsSource().parse(meta / "MRDEF.RRF"))


@pytest.mark.parametrize("cui", ["X0000001", "C00000A1", "C123456789012"])
def test_value_that_is_not_a_cui(meta: Path, cui: str) -> None:
    (meta / "MRDEF.RRF").write_text(f"{cui}|A0000001|AT0000001||MSH|A definition.|N||\n")
    with pytest.raises(
        RawFileError, match=rf"MRDEF\.RRF: holds '{cui}' where a CUI belongs \(C and digits"
    ):
        list(UmlsSource().parse(meta / "MRDEF.RRF"))


# -- registry, sample, build ----------------------------------------------------------------------


def test_registered_with_license_and_paraphrases() -> None:
    cls = get_source("umls")
    assert cls is UmlsSource
    info = cls.info()
    assert info["subsets"] == ["entity", "relation"]
    assert info["license"] == "other"
    assert info["raw_files"] == []
    assert "https://uts.nlm.nih.gov/uts/signup-login" in info["how_to_get"]
    assert "META folder" in info["how_to_get"]
    assert "Nucleic Acids Research" in info["citation"]
    assert "UMLS license" in info["description"]
    assert info["instruction_paraphrases"] == {
        "entity": list(ENTITY_PARAPHRASES),
        "relation": list(RELATION_PARAPHRASES),
    }
    assert cls.default_instruction == ENTITY


def test_sample_parses_with_expected_counts() -> None:
    records, skips = run(SAMPLE)
    assert Counter(r.subset for r in records) == {"entity": 4, "relation": 10}
    assert skips == {
        "restricted_source": 4,
        "suppressed": 2,
        "empty_definition": 2,
        "unnamed_concept": 2,
        "unlabelled_relation": 2,
        "not_english": 1,
        "self_relation": 1,
    }
    assert all(r.source_id.startswith(("AT9", "C9")) for r in records)


def test_build_loads_the_sample_with_repeated_facts_once() -> None:
    result = build(sources=["umls"], raw={"umls": SAMPLE}, name="t")
    assert result.manifest["sources"]["umls"]["skipped"]["duplicate_id"] == 1
    mixture = load_mixture("t")
    ids = [i for split in mixture.values() for i in split["source_id"]]
    assert sorted(ids) == sorted({r.source_id for r in run(SAMPLE)[0]})
    assert set(mixture["train"]["source"]) == {"umls"}
