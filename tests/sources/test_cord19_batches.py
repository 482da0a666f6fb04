"""CORD-19's column fast path (`Cord19Source.batches`) against its record path (`read`).

The fast path keeps a row as the CSV gives it when numpy and pyarrow.compute find nothing
for the cleaning to do; these tests hold it to the per-row rule on every skip reason and on
the inputs where a bulk test and Python's string methods could disagree (Unicode
whitespace at the ends, labels, markup, short abstracts), across many Arrow batches.
"""

# ruff: noqa: E501  (fixture rows read best one to a line)

from __future__ import annotations

import csv
import importlib.util
import json
import random
from pathlib import Path

import pyarrow as pa
import pytest

from meadow.sources._cord19_rows import plain_rows
from meadow.sources.cord19 import COLUMNS, Cord19Source, clean_text
from tests.sources.helpers import assert_batches_match_read

LONG = (
    "Resting heart rate was recorded in 120 runners before and after a marathon and "
    "returned to baseline within two days in all but three of them, who were older."
)
SHA = "1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e"

# (cord_uid, title, abstract, license, pdf_json_files): every skip and every edge case
EDGE_ROWS = [
    ("a1", "Plain title", LONG, "cc-by", ""),
    ("", "No id", LONG, "cc-by", ""),  # no_cord_uid
    ("  ", "Blank id", LONG, "cc-by", ""),  # no_cord_uid
    (" a1 ", "Repeat with spaces around its id", LONG + " Again.", "cc0", ""),  # duplicate
    ("b2", "Skipped first", "", "unk", ""),  # no_abstract: b2 is not seen yet
    ("b2", "Kept second", LONG, "medrxiv", ""),  # so this one is kept
    ("c3", "Blank abstract", "   \n  ", "pd", ""),  # no_abstract after cleaning
    ("d4", "", LONG, "cc-by", ""),  # no_title
    ("e5", " \t ", LONG, "cc-by", ""),  # no_title after cleaning
    ("f6", "Short", "[Image: see text]", "els-covid", ""),  # short_abstract
    (
        "g7",
        "Under 160 characters, ten words",
        "one two three four five six seven eight nine ten",
        "no-cc",
        "",
    ),
    ("h8", "Exactly 160", "x" * 150 + " ninewords", "cc-by", ""),
    ("i9", "Em space first", "\u2003" + LONG, "cc-by", ""),
    ("j10", "Ideographic space last", LONG + "\u3000", "cc-by", ""),
    ("k11", "Separator inside", LONG[:40] + "\x1c" + LONG[40:], "cc-by", ""),
    ("l12", "Separator last", LONG + "\x1d", "cc-by", ""),
    ("m13", "Greek last", LONG + " \u03b1", "cc-by", ""),
    ("n14", "\u00e0 la carte", "\u00e0 " + LONG + " \u00e0", "cc-by", ""),
    ("o15", "No-break space", LONG[:30] + "\xa0" + LONG[30:], "cc-by", ""),
    ("p16", "Label", "Abstract: " + LONG, "cc-by", ""),
    ("q17", "Loud label", "ABSTRACT " + LONG, "cc-by", ""),
    ("r18", "Summary label", "Summary. " + LONG, "cc-by", ""),
    ("s19", "Not a label", "Abstracts are " + LONG, "cc-by", ""),
    ("t20", "Markup", "<jats:p>" + LONG + " <italic>x</italic></jats:p>", "cc-by", ""),
    ("u21", "Less than", "a < b and " + LONG, "cc-by", ""),
    ("v22", "Double  spaces in the title", LONG.replace(" in ", "  in "), "cc-by-nc", ""),
    ("w23", "Tabs\tand\nlines", LONG.replace(" was ", "\twas\r\n"), "weird License!", ""),
    ("x24", "Trailing space ", " " + LONG, "", ""),
    ("y25", "Kelvin \u212a", "\u212a" + LONG, "hybrid-oa", ""),
    ("z26", "Parse", "", "cc-by", f"document_parses/pdf_json/{SHA}.json"),
    ("z27", "Missing parse", "", "cc-by", "document_parses/pdf_json/missing.json"),
    ("a1", "Late repeat", LONG, "cc-by", ""),  # duplicate, many batches later
]


def write_metadata(path: Path, rows: list[tuple[str, str, str, str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        for uid, title, abstract, license_, pdfs in rows:
            cells = dict.fromkeys(COLUMNS, "")
            cells.update(cord_uid=uid, title=title, abstract=abstract, license=license_)
            cells["pdf_json_files"] = pdfs
            writer.writerow([cells[c] for c in COLUMNS])
    return path


@pytest.fixture
def edge_release(tmp_path: Path) -> Path:
    """Every edge row, padded apart by ordinary rows, with one pdf_json parse."""
    rows = []
    for n, row in enumerate(EDGE_ROWS):
        rows.append(row)
        rows.extend(
            (f"pad{n}-{i}", f"Padding {i}", LONG + " " + LONG, "cc-by", "") for i in range(20)
        )
    write_metadata(tmp_path / "metadata.csv", rows)
    parse = tmp_path / "document_parses" / "pdf_json" / f"{SHA}.json"
    parse.parent.mkdir(parents=True)
    abstract = [{"text": "Abstract  " + LONG}, {"text": "Second paragraph."}]
    parse.write_text(json.dumps({"paper_id": SHA, "abstract": abstract}), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize("block_kb", [None, "0.01"])
@pytest.mark.parametrize("min_words", [10, 0, 30])
def test_edge_rows_give_the_rows_and_skips_of_read(
    edge_release: Path, monkeypatch: pytest.MonkeyPatch, block_kb: str | None, min_words: int
) -> None:
    if block_kb:  # 10 KB Arrow blocks: dozens of batches, repeats across them
        monkeypatch.setenv("MEADOW_CSV_FIELD_MB", block_kb)
    source = Cord19Source(min_abstract_words=min_words)
    rows = assert_batches_match_read(source, edge_release)
    assert rows > 20 * len(EDGE_ROWS)


def test_edge_rows_cover_every_skip_reason(edge_release: Path) -> None:
    skips = {
        s.reason
        for s in Cord19Source().batches(edge_release / "metadata.csv")
        if not hasattr(s, "source_id")
    }
    assert skips == {
        "no_cord_uid",
        "duplicate_cord_uid",
        "no_abstract",
        "no_title",
        "short_abstract",
    }


def test_bare_metadata_without_parses_and_the_benchmark_layout(tmp_path: Path) -> None:
    write_metadata(tmp_path / "bare" / "metadata.csv", EDGE_ROWS)
    assert assert_batches_match_read(Cord19Source(), tmp_path / "bare" / "metadata.csv") > 0
    spec = importlib.util.spec_from_file_location(
        "gen_cord19", Path(__file__).resolve().parents[2] / "benchmarks" / "gen_cord19.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = module.make_metadata(tmp_path / "gen" / "metadata.csv", 3_000, seed=3)
    assert assert_batches_match_read(Cord19Source(), path) > 1_500


def test_plain_rows_are_left_alone_by_the_cleaning() -> None:
    """Whatever `plain_rows` lets through, `clean_text` returns unchanged (random texts)."""
    rng = random.Random(7)
    alphabet = list("ab .,:;<>/") + [
        "  ",
        "\n",
        "\r",
        "\t",
        "\xa0",
        "\u2003",
        "\x1c",
        "\u00e0",
        "\u03b1",
        "\x0b",
        "\u212a",
    ]
    texts = ["", "a", " ", "ab", "\xa0"]
    texts += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(20_000)
    ]
    column = pa.array(texts, pa.string())
    for sliced in (column, column.slice(3, 1000)):
        plain = plain_rows(sliced).tolist()
        for text, ok in zip(sliced.to_pylist(), plain, strict=True):
            if ok:
                assert clean_text(text) == text, repr(text)
