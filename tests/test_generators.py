"""The benchmark generators write mostly unique text, the same bytes for the same seed.

A generator whose texts come from a few hundred combinations makes the quality pass
remove most rows as duplicates, so a benchmark measures less work than a real corpus
gives it. Each generator here writes a few thousand rows; the share of distinct main
texts must be at least 98% (the planted repeats, e.g. ChatDoctor's 1%, included).
"""

from __future__ import annotations

import csv
import json
import re
import sqlite3
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

ROWS = 3000
MIN_UNIQUE = 0.98


def _unique(texts: list[str]) -> float:
    assert len(texts) >= 500, f"only {len(texts)} texts generated"
    return len(set(texts)) / len(texts)


def _cord19(folder: Path) -> dict[str, list[str]]:
    from gen_cord19 import make_metadata

    path = make_metadata(folder / "metadata.csv", ROWS)
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        "title": [r["title"] for r in rows],
        "abstract": [r["abstract"] for r in rows if r["abstract"]],
    }


def _anki(folder: Path) -> dict[str, list[str]]:
    from gen_anki import make_deck

    path = make_deck(folder / "deck.apkg", ROWS)
    with zipfile.ZipFile(path) as apkg:
        apkg.extract("collection.anki2", folder)
    conn = sqlite3.connect(folder / "collection.anki2")
    try:
        flds = [row[0] for row in conn.execute("SELECT flds FROM notes")]
    finally:
        conn.close()
    return {"note": flds, "front": [f.split("\x1f")[0] for f in flds]}


def _chatdoctor(folder: Path) -> dict[str, list[str]]:
    from gen_chatdoctor import make_file

    items = json.loads(make_file(folder, ROWS).read_text())
    return {"input": [i["input"] for i in items], "output": [i["output"] for i in items]}


def _pubmedqa(folder: Path) -> dict[str, list[str]]:
    from gen_pubmedqa import make_file

    items = json.loads(make_file(folder, ROWS).read_text()).values()
    return {
        "question": [i["QUESTION"] for i in items],
        "contexts": [" ".join(i["CONTEXTS"]) for i in items],
        "long_answer": [i["LONG_ANSWER"] for i in items if i["LONG_ANSWER"]],
    }


def _pmc_llama(folder: Path) -> dict[str, list[str]]:
    from gen_pmc_llama import make_release

    rows = json.loads(make_release(folder, 6000).read_text())
    return {
        "input": [r["input"] for r in rows],
        "output": [r["output"] for r in rows if r["source"] not in ("medmcqa", "medqa_train")],
        "medmcqa output": [r["output"] for r in rows if r["source"] == "medmcqa"],
    }


def _umls(folder: Path) -> dict[str, list[str]]:
    from gen_umls import make_meta

    make_meta(folder, ROWS, 6000)
    names: dict[str, str] = {}  # one preferred English name per concept
    definitions = []
    for line in (folder / "MRCONSO.RRF").open(encoding="utf-8"):
        fields = line.split("|")
        if fields[1] == "ENG" and fields[2] == "P" and fields[6] == "Y":
            names.setdefault(fields[0], fields[14])
    for line in (folder / "MRDEF.RRF").open(encoding="utf-8"):
        definitions.append(line.split("|")[5])
    return {"preferred name": list(names.values()), "definition": definitions}


def _stackexchange(folder: Path) -> dict[str, list[str]]:
    from gen_stackexchange import make_posts

    path = make_posts(folder / "Posts.xml", 5_000_000)
    titles, bodies = [], []
    for _, element in ET.iterparse(path):
        if element.tag == "row":
            bodies.append(element.get("Body"))
            if element.get("PostTypeId") == "1":
                titles.append(element.get("Title"))
        element.clear()
    return {"title": titles, "body": bodies}


def _wikidoc(folder: Path) -> dict[str, list[str]]:
    from gen_wikidoc import make_pages

    make_pages(folder, 100)
    sections = []  # what the source makes rows of: a heading and the text under it
    for page in folder.glob("*.html"):
        text = page.read_text(encoding="utf-8")
        for chunk in re.split(r"<h[23][ >]", text)[1:]:
            head = chunk[:60]  # not the skin's chrome, the contents or the references
            if not any(word in head for word in ("References", "Contents", "Portal")):
                sections.append(chunk)
    return {"section": sections}


GENERATORS = {
    "cord19": _cord19,
    "anki": _anki,
    "chatdoctor": _chatdoctor,
    "pubmedqa": _pubmedqa,
    "pmc_llama": _pmc_llama,
    "umls": _umls,
    "stackexchange": _stackexchange,
    "wikidoc": _wikidoc,
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generator_texts_are_mostly_unique(name: str, tmp_path: Path) -> None:
    fields = GENERATORS[name](tmp_path)
    shares = {field: _unique(texts) for field, texts in fields.items()}
    low = {field: f"{share:.1%}" for field, share in shares.items() if share < MIN_UNIQUE}
    assert not low, f"{name}: distinct share under {MIN_UNIQUE:.0%}: {low}"


def test_generators_are_deterministic_for_a_seed(tmp_path: Path) -> None:
    from gen_chatdoctor import make_file
    from gen_cord19 import make_metadata

    first = make_metadata(tmp_path / "a.csv", 300, seed=3).read_bytes()
    assert make_metadata(tmp_path / "b.csv", 300, seed=3).read_bytes() == first
    assert make_metadata(tmp_path / "c.csv", 300, seed=4).read_bytes() != first
    one = make_file(tmp_path / "x", 200, seed=1).read_bytes()
    assert make_file(tmp_path / "y", 200, seed=1).read_bytes() == one
