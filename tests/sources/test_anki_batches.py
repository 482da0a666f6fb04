"""AnkiSource.batches gives the rows and skips of `read`: on a collection with every skip
reason and field-layout edge case, on the test decks of each layout, and on a generated
realistic deck (benchmarks/gen_anki.py)."""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path

import pytest
from genanki.apkg_col import APKG_COL
from genanki.apkg_schema import APKG_SCHEMA

from meadow.sources.anki import AnkiSource
from meadow.sources.base import FIELD_LIMIT_ENV
from tests.sources.helpers import assert_batches_match_read, collect
from tests.sources.test_anki import (  # noqa: F401  (fixtures, used by name)
    SAMPLE,
    anki21_deck,
    anki21b_deck,
    basic_deck,
    deck_with_cloze,
    deck_with_empty_sides,
    deck_with_media,
    dummy_collection,
    write_zip,
)

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"
LONG = "x" * 300

# Note types: (id, name, type, field names). Type 1 is a cloze type.
MODELS = [
    (1, "Basic", 0, ["Front", "Back"]),
    (2, "Cloze", 1, ["Text", "Back Extra"]),
    (3, "Back first", 0, ["Back", "Front", "Source"]),
    (4, "Repeated names", 0, ["Question", "question", "Answer", "Question"]),
    (5, "One field", 0, ["Front"]),
    (6, "Text second", 0, ["Extra", "TEXT"]),
    (7, "Cloze with extra", 1, ["Text", "Extra", "Back Extra"]),
    (8, "Long name " + LONG, 0, ["Front", "Back"]),
]
DECKS = {1: "Default", 2: "Medicine::Cardiology", 3: "Deck " + LONG}

# Notes: (guid, model id, fields (joined by \x1f, or bytes for a BLOB), deck id or None).
NOTES: list[tuple[object, int, object, int | None]] = [
    ("basic", 1, "<div>Most common cause of MI?</div>\x1fPlaque rupture<br>with thrombosis", 2),
    ("entity", 1, "Normal&nbsp;PR interval?\x1f<b>120</b> to 200 ms", 2),
    ("image", 1, 'Name this bone: <IMG src="femur.jpg">\x1fFemur', 2),
    ("sound", 1, "Which murmur?\x1fAortic stenosis [sound:as.mp3]", 2),
    ("no-front", 1, "<div><br></div>\x1fAn answer", 2),
    ("no-back", 1, "A question?\x1f&nbsp;<br>", 2),
    ("pre", 1, "<pre>a  b\n c</pre>\x1f<script>x()</script>Shown", 2),
    ("fewer", 1, "Only a front", 2),
    ("more", 1, "Q?\x1fA\x1fthird\x1ffourth", 2),
    ("by-content", 1, "{{c1::Aspirin}} inhibits COX\x1fback", 2),
    ("not-cloze", 1, "What is {{cat}} or {{c1:x}}?\x1fA feline", 2),
    ("reversed", 3, "The answer\x1fThe question?\x1fsource", 2),
    ("repeated", 4, LONG + "\x1flower q\x1fthe answer\x1fupper q", 2),
    ("one", 5, "Only a front", 2),
    ("one-more", 5, "A front\x1fa second value", 2),
    ("text-second", 6, "extra\x1f{{c1::Aspirin}} inhibits COX", 2),
    ("text-second-no", 6, "{{c1::Aspirin}}\x1fplain text", 2),
    ("cloze", 2, "{{c1::Warfarin}} inhibits {{c2::VKOR::enzyme}}\x1fReverse with <i>vit K</i>", 1),
    ("cloze-one", 2, "Digoxin inhibits the {{c1::Na/K ATPase}} and {{c1::more}}.\x1f", 1),
    ("cloze-c2", 2, "Only {{c2::two}} here\x1f", 1),
    ("nested", 2, "{{c1::outer {{c2::inner}} end}} and {{c3::x", 1),
    ("stray", 2, "a }} b {{c1::c}} }}\x1f", 1),
    ("blank", 2, "{{c1::}} and {{c2::beta blockers}} lower HR.\x1f", 1),
    ("blank-html", 2, "{{c1::<br>}} only\x1f", 1),
    ("none", 2, "No deletion.\x1f", 1),
    ("occlusion", 2, "{{c1::image-occlusion:rect:left=.1}}\x1f", 1),
    ("cloze-image", 2, '{{c1::x}}\x1f<img src="a.png">', 1),
    ("cloze-extra", 7, "{{c1::A}}\x1fextra one\x1fback extra", 1),
    ("long-front", 1, LONG + "\x1fshort", 1),
    ("long-cloze", 2, "{{c1::" + LONG + "}}\x1f", 1),
    ("g" + LONG, 1, "Long guid?\x1fyes", 1),
    ("long-deck", 1, "Long deck?\x1fyes", 3),
    ("long-model", 8, "Long model?\x1fyes", 1),
    ("no-card", 1, "No card?\x1fno deck", None),
    ("unknown", 99, "Unknown model?\x1fyes", 1),
    ("blob", 1, b"Blob question?\x1fBlob answer", 1),
    ("bad-blob", 1, b"\xff\x00\xfe", 1),
    (12345, 1, "Integer guid?\x1fyes", 1),
    (b"bytes-guid", 1, "Bytes guid?\x1fyes", 1),
]


def edge_case_deck(tmp_path: Path) -> Path:
    db = tmp_path / "collection.anki2"
    conn = sqlite3.connect(db)
    for statement in APKG_SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)
    conn.executescript(APKG_COL)
    models = {
        str(mid): {
            "name": name,
            "type": kind,
            "flds": [{"name": f, "ord": i} for i, f in enumerate(fields)],
        }
        for mid, name, kind, fields in MODELS
    }
    decks = {str(did): {"name": name} for did, name in DECKS.items()}
    conn.execute("UPDATE col SET models = ?, decks = ?", (json.dumps(models), json.dumps(decks)))
    for i, (guid, mid, flds, did) in enumerate(NOTES, start=1):
        conn.execute(
            "INSERT INTO notes VALUES (?, ?, ?, 0, 0, '', ?, '', 0, 0, '')", (i, guid, mid, flds)
        )
        if did is not None:
            conn.execute(
                "INSERT INTO cards VALUES (?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '')",
                (i * 10, i, did),
            )
    conn.commit()
    conn.close()
    return write_zip(tmp_path / "edges.apkg", {"collection.anki2": db.read_bytes()})


def test_batches_match_read_on_every_skip_reason_and_field_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deck = edge_case_deck(tmp_path)
    assert set(collect(AnkiSource(), deck)[1]) == {
        *("has_image", "has_sound", "empty_front", "empty_back", "missing_back_field"),
        *("empty_cloze", "unknown_note_type", "fields_not_text"),
    }
    assert assert_batches_match_read(AnkiSource(), deck) > 20
    # The long guid, deck, note type name and two fields; not the long value that a
    # repeated field name hides (the note's fields dict never holds it).
    monkeypatch.setenv(FIELD_LIMIT_ENV, "200")
    assert collect(AnkiSource(), deck)[1]["field_too_long"] == 5
    assert assert_batches_match_read(AnkiSource(), deck) > 20


@pytest.mark.parametrize(
    "fixture",
    [
        "basic_deck",
        "deck_with_media",
        "deck_with_empty_sides",
        "deck_with_cloze",
        "anki21_deck",
        "anki21b_deck",
    ],
)
def test_batches_match_read_on_every_deck_layout(fixture: str, request) -> None:
    assert assert_batches_match_read(AnkiSource(), request.getfixturevalue(fixture)) > 0


def test_batches_match_read_on_a_generated_deck_in_several_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sys.path.insert(0, str(BENCH))
    from gen_anki import make_deck

    import meadow.sources.anki as anki

    monkeypatch.setattr(anki, "BATCH_ROWS", 700)  # several batches, several fetches each
    deck = make_deck(tmp_path / "bench.apkg", 3000)
    assert assert_batches_match_read(AnkiSource(), deck) > 3000
    assert assert_batches_match_read(AnkiSource(), SAMPLE) > 0
