"""The anki source: real .apkg decks in all three layouts, written in tmp_path.

genanki writes the `collection.anki2` layout; the `collection.anki21` (schema 11) and
`collection.anki21b` (zstd, schema 18) layouts are put together here as Anki packs them,
each next to the dummy `collection.anki2` newer Anki versions add for old readers.
"""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import genanki
import pytest
import zstandard

from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import get_source
from meadow.sources._apkg import Budget
from meadow.sources._cloze import cloze_numbers, parse_cloze, render_cloze
from meadow.sources.anki import AnkiSource
from tests.sources.helpers import collect, peak_traced

TIMESTAMP = 1_700_000_000.0
INSTRUCTION = "Answer this question truthfully"
SAMPLE = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "anki" / "meadow-sample.apkg"
DUMMY_TEXT = "Please update to the latest Anki version, then import the .colpkg/.apkg file again."

TEXT = " ".join(f"word{i * 7919 % 1000}" for i in range(2000)).encode()
ONE_FIELD = genanki.Model(
    1_111_000_001,
    "One field",
    fields=[{"name": "Front"}],
    templates=[{"name": "Card 1", "qfmt": "{{Front}}", "afmt": "{{Front}}"}],
)


# -- helpers that write decks ------------------------------------------------------------------


def note(model: genanki.Model, guid: str, *fields: str) -> genanki.Note:
    return genanki.Note(model=model, fields=list(fields), guid=guid)


def deck(deck_id: int, name: str, *notes: genanki.Note) -> genanki.Deck:
    d = genanki.Deck(deck_id, name)
    for n in notes:
        d.add_note(n)
    return d


def unsynced(db: Path) -> sqlite3.Connection:
    """A connection that never fsyncs: these scratch files need no durability."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA journal_mode = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def schema11_bytes(tmp_path: Path, *decks: genanki.Deck) -> bytes:
    """A schema-11 collection written by genanki, as bytes.

    `Package.write_to_db` is what `write_to_file` runs; on our own connection it skips
    the fsyncs that made this file slow on a busy disk.
    """
    db = tmp_path / "scratch.anki2"
    conn = unsynced(db)
    ids = itertools.count(int(TIMESTAMP * 1000))
    genanki.Package(list(decks)).write_to_db(conn.cursor(), TIMESTAMP, ids)
    conn.commit()
    conn.close()
    data = db.read_bytes()
    db.unlink()
    return data


def write_apkg(path: Path, *decks: genanki.Deck) -> Path:
    """An .apkg as genanki's `write_to_file` packs it: `collection.anki2`, empty `media`."""
    collection = schema11_bytes(path.parent, *decks)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("collection.anki2", collection)
        z.writestr("media", "{}")
    return path


def unicase(a: str, b: str) -> int:
    a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


SCHEMA_18 = """
CREATE TABLE col (id integer PRIMARY KEY, crt integer NOT NULL, mod integer NOT NULL,
  scm integer NOT NULL, ver integer NOT NULL, dty integer NOT NULL, usn integer NOT NULL,
  ls integer NOT NULL, conf text NOT NULL, models text NOT NULL, decks text NOT NULL,
  dconf text NOT NULL, tags text NOT NULL);
CREATE TABLE notes (id integer PRIMARY KEY, guid text NOT NULL, mid integer NOT NULL,
  mod integer NOT NULL, usn integer NOT NULL, tags text NOT NULL, flds text NOT NULL,
  sfld integer NOT NULL, csum integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE TABLE cards (id integer PRIMARY KEY, nid integer NOT NULL, did integer NOT NULL,
  ord integer NOT NULL, mod integer NOT NULL, usn integer NOT NULL, type integer NOT NULL,
  queue integer NOT NULL, due integer NOT NULL, ivl integer NOT NULL, factor integer NOT NULL,
  reps integer NOT NULL, lapses integer NOT NULL, left integer NOT NULL, odue integer NOT NULL,
  odid integer NOT NULL, flags integer NOT NULL, data text NOT NULL);
CREATE INDEX ix_cards_nid ON cards (nid);
CREATE TABLE notetypes (id integer NOT NULL PRIMARY KEY, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, config blob NOT NULL);
CREATE UNIQUE INDEX idx_notetypes_name ON notetypes (name);
CREATE TABLE fields (ntid integer NOT NULL, ord integer NOT NULL,
  name text NOT NULL COLLATE unicase, config blob NOT NULL, PRIMARY KEY (ntid, ord)) WITHOUT ROWID;
CREATE UNIQUE INDEX idx_fields_name_ntid ON fields (name, ntid);
CREATE TABLE templates (ntid integer NOT NULL, ord integer NOT NULL,
  name text NOT NULL COLLATE unicase, mtime_secs integer NOT NULL, usn integer NOT NULL,
  config blob NOT NULL, PRIMARY KEY (ntid, ord)) WITHOUT ROWID;
CREATE TABLE decks (id integer PRIMARY KEY NOT NULL, name text NOT NULL COLLATE unicase,
  mtime_secs integer NOT NULL, usn integer NOT NULL, common blob NOT NULL, kind blob NOT NULL);
CREATE UNIQUE INDEX idx_decks_name ON decks (name);
"""
BASIC_NT, CLOZE_NT, QA_NT = 1001, 1002, 1003


def schema18_bytes(tmp_path: Path, notes: list[tuple[int, str, int, str, int, int]]) -> bytes:
    """A zstd-compressed schema-18 collection; notes are (id, guid, ntid, flds, did, odid)."""
    db = tmp_path / "schema18.sqlite"
    conn = unsynced(db)
    conn.create_collation("unicase", unicase)
    conn.executescript(SCHEMA_18)
    conn.execute("INSERT INTO col VALUES (1, 0, 0, 0, 18, 0, 0, 0, '', '', '', '', '')")
    conn.executemany(
        "INSERT INTO notetypes VALUES (?, ?, 0, 0, ?)",
        [(BASIC_NT, "Basic", b""), (CLOZE_NT, "Cloze", b"\x08\x01"), (QA_NT, "Q and A", b"")],
    )
    conn.executemany(
        "INSERT INTO fields VALUES (?, ?, ?, x'')",
        [
            (BASIC_NT, 0, "Front"),
            (BASIC_NT, 1, "Back"),
            (CLOZE_NT, 0, "Text"),
            (CLOZE_NT, 1, "Back Extra"),
            (QA_NT, 0, "Question"),
            (QA_NT, 1, "Answer"),
            (QA_NT, 2, "Source"),
        ],
    )
    conn.executemany(
        "INSERT INTO decks VALUES (?, ?, 0, 0, x'', x'')",
        [(1, "Default"), (10, "Medicine\x1fCardiology"), (11, "Pharmacology"), (12, "Filtered")],
    )
    for note_id, guid, ntid, flds, did, odid in notes:
        conn.execute(
            "INSERT INTO notes VALUES (?, ?, ?, 0, 0, '', ?, '', 0, 0, '')",
            (note_id, guid, ntid, flds),
        )
        conn.execute(
            "INSERT INTO cards VALUES (?, ?, ?, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ?, 0, '')",
            (note_id * 10, note_id, did, odid),
        )
    conn.commit()
    conn.close()
    data = zstandard.ZstdCompressor().compress(db.read_bytes())
    db.unlink()
    return data


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def run(path: Path) -> tuple[list[Record], Counter[str]]:
    return collect(AnkiSource(), path)


def rows(records: list[Record]) -> list[tuple[str, str, str, str]]:
    return [(r.input, r.output, r.subset, r.source_id) for r in records]


# -- one fixture per deck shape -----------------------------------------------------------------


@pytest.fixture(autouse=True)
def private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Python's temporary folder, pointed at an empty folder, to see what a read leaves."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.fixture(scope="session")
def dummy_collection(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The placeholder collection newer Anki versions add next to the real one."""
    folder = tmp_path_factory.mktemp("dummy")
    basic = genanki.BASIC_MODEL
    return schema11_bytes(folder, deck(1, "Default", note(basic, "dummy", DUMMY_TEXT, "")))


@pytest.fixture
def basic_deck(tmp_path: Path) -> Path:
    """genanki's Basic model in two decks (one nested), with the HTML Anki's editor writes."""
    basic = genanki.BASIC_MODEL
    cardiology = deck(
        2001,
        "Medicine::Cardiology",
        note(
            basic,
            "g-mi",
            "<div>What is the most common cause of MI?</div>",
            "Atherosclerotic plaque rupture<br>with thrombosis",
        ),
        note(basic, "g-ecg", "Normal&nbsp;PR interval?", "<div>120&nbsp;to 200 ms</div>"),
    )
    pharmacology = deck(
        2002,
        "Pharmacology",
        note(
            basic, "g-asa", "Aspirin irreversibly inhibits which enzyme?", "<b>COX-1</b> and COX-2"
        ),
    )
    return write_apkg(tmp_path / "basic.apkg", cardiology, pharmacology)


@pytest.fixture
def deck_with_media(tmp_path: Path) -> Path:
    basic = genanki.BASIC_MODEL
    return write_apkg(
        tmp_path / "media.apkg",
        deck(
            2003,
            "Anatomy",
            note(basic, "g-img", 'Name this bone: <IMG src="femur.jpg">', "Femur"),
            note(basic, "g-snd", "Which murmur is this?", "Aortic stenosis [sound:as.mp3]"),
            note(basic, "g-txt", "Longest bone of the body?", "Femur"),
        ),
    )


@pytest.fixture
def deck_with_empty_sides(tmp_path: Path) -> Path:
    basic = genanki.BASIC_MODEL
    return write_apkg(
        tmp_path / "empty.apkg",
        deck(
            2004,
            "Mixed",
            note(basic, "g-nofront", "<div><br></div>", "An answer"),
            note(basic, "g-noback", "A question?", "&nbsp;<br>"),
            note(ONE_FIELD, "g-onefield", "Only a front"),
            note(basic, "g-ok", "Kept?", "Yes"),
        ),
    )


@pytest.fixture
def deck_with_cloze(tmp_path: Path) -> Path:
    cloze = genanki.CLOZE_MODEL
    return write_apkg(
        tmp_path / "cloze.apkg",
        deck(
            2005,
            "Medicine::Cardiology",
            note(cloze, "g-one", "Digoxin inhibits the {{c1::Na+/K+ ATPase}}.", ""),
            note(
                cloze,
                "g-many",
                "<div>{{c1::Warfarin}} inhibits {{c2::vitamin K epoxide reductase::enzyme}}"
                "</div><div>Monitor with {{c3::INR}} and {{c1::PT}}.</div>",
                "Reverse with <i>vitamin K</i>.",
            ),
            note(cloze, "g-none", "No deletion in this text.", ""),
            note(cloze, "g-blank", "{{c1::}} and {{c2::beta blockers}} lower heart rate.", ""),
        ),
    )


@pytest.fixture
def anki21_deck(tmp_path: Path, dummy_collection: bytes) -> Path:
    """Layout 2: the real schema-11 collection in collection.anki21, a dummy anki2 beside it."""
    basic = genanki.BASIC_MODEL
    real = schema11_bytes(
        tmp_path,
        deck(2006, "Renal", note(basic, "g-renal", "Main site of Na reabsorption?", "PCT")),
    )
    members = {"collection.anki2": dummy_collection, "collection.anki21": real, "media": b"{}"}
    return write_zip(tmp_path / "anki21.apkg", members)


@pytest.fixture
def anki21b_deck(tmp_path: Path, dummy_collection: bytes) -> Path:
    """Layout 3: zstd schema-18 collection, the dummy anki2, zstd media, a meta member."""
    real = schema18_bytes(
        tmp_path,
        [
            (1, "g-b18", BASIC_NT, "First-line drug for stable angina?\x1fA beta blocker", 10, 0),
            (2, "g-c18", CLOZE_NT, "{{c1::Aspirin}} inhibits {{c2::COX-1}}\x1f", 11, 0),
            (3, "g-q18", QA_NT, "Antidote for heparin?\x1fProtamine\x1fsome book", 12, 11),
        ],
    )
    members = {
        "collection.anki2": dummy_collection,
        "collection.anki21b": real,
        "media": zstandard.ZstdCompressor().compress(b"\n\x0b\n\x07img.png\x12\x00"),
        "0": zstandard.ZstdCompressor().compress(b"\x89PNG not really"),
        "meta": b"\x08\x03",
    }
    return write_zip(tmp_path / "anki21b.apkg", members)


@pytest.fixture
def dummy_only_deck(tmp_path: Path, dummy_collection: bytes) -> Path:
    return write_zip(tmp_path / "dummy.apkg", {"collection.anki2": dummy_collection})


# -- basic notes --------------------------------------------------------------------------------


def test_basic_notes_become_cleaned_question_answer_records(basic_deck: Path) -> None:
    records, skips = run(basic_deck)
    assert records == [
        Record(
            instruction=INSTRUCTION,
            input="What is the most common cause of MI?",
            output="Atherosclerotic plaque rupture\nwith thrombosis",
            source="anki",
            subset="Medicine::Cardiology",
            source_id="g-mi",
            license="other",
        ),
        Record(
            instruction=INSTRUCTION,
            input="Normal PR interval?",
            output="120 to 200 ms",
            source="anki",
            subset="Medicine::Cardiology",
            source_id="g-ecg",
            license="other",
        ),
        Record(
            instruction=INSTRUCTION,
            input="Aspirin irreversibly inhibits which enzyme?",
            output="COX-1 and COX-2",
            source="anki",
            subset="Pharmacology",
            source_id="g-asa",
            license="other",
        ),
    ]
    assert not skips


def test_parse_yields_one_raw_note_per_note_in_id_order(basic_deck: Path) -> None:
    items = list(AnkiSource().parse(basic_deck))
    assert [item["guid"] for item in items] == ["g-mi", "g-ecg", "g-asa"]
    assert items[1]["fields"] == {
        "Front": "Normal&nbsp;PR interval?",
        "Back": "<div>120&nbsp;to 200 ms</div>",
    }
    assert items[1]["deck"] == "Medicine::Cardiology"
    assert items[1]["cloze"] is False
    assert items[1]["note_type"] == "Basic (genanki)"


def test_recipe_instruction_overrides_the_default(basic_deck: Path) -> None:
    records = [r for r in AnkiSource(instruction="Answer briefly").records(basic_deck)]
    assert {r.instruction for r in records} == {"Answer briefly"}


def test_cards_with_images_or_sounds_are_skipped_and_counted(deck_with_media: Path) -> None:
    records, skips = run(deck_with_media)
    assert rows(records) == [("Longest bone of the body?", "Femur", "Anatomy", "g-txt")]
    assert skips == {"has_image": 1, "has_sound": 1}


def test_empty_sides_and_a_missing_back_field_are_skipped(deck_with_empty_sides: Path) -> None:
    records, skips = run(deck_with_empty_sides)
    assert [r.source_id for r in records] == ["g-ok"]
    assert skips == {"empty_front": 1, "empty_back": 1, "missing_back_field": 1}


# -- cloze notes --------------------------------------------------------------------------------


def test_cloze_note_with_only_c1_gives_one_record_keyed_by_guid(deck_with_cloze: Path) -> None:
    records, _ = run(deck_with_cloze)
    assert rows(records)[0] == (
        "Digoxin inhibits the [...].",
        "Digoxin inhibits the Na+/K+ ATPase.",
        "Medicine::Cardiology",
        "g-one",
    )


def test_cloze_note_gives_one_record_per_number_with_hints_and_back_extra(
    deck_with_cloze: Path,
) -> None:
    records, _ = run(deck_with_cloze)
    full = (
        "Warfarin inhibits vitamin K epoxide reductase\nMonitor with INR and PT.\n\n"
        "Reverse with vitamin K."
    )
    many = [r for r in records if r.source_id.startswith("g-many")]
    assert rows(many) == [
        (
            "[...] inhibits vitamin K epoxide reductase\nMonitor with INR and [...].",
            full,
            "Medicine::Cardiology",
            "g-many:c1",
        ),
        (
            "Warfarin inhibits [enzyme]\nMonitor with INR and PT.",
            full,
            "Medicine::Cardiology",
            "g-many:c2",
        ),
        (
            "Warfarin inhibits vitamin K epoxide reductase\nMonitor with [...] and PT.",
            full,
            "Medicine::Cardiology",
            "g-many:c3",
        ),
    ]


def test_cloze_without_deletions_or_with_an_empty_one_is_skipped(deck_with_cloze: Path) -> None:
    records, skips = run(deck_with_cloze)
    blank = [r for r in records if r.source_id.startswith("g-blank")]
    assert rows(blank) == [
        (
            "and [...] lower heart rate.",
            "and beta blockers lower heart rate.",
            "Medicine::Cardiology",
            "g-blank:c2",
        )
    ]
    assert skips == {"empty_cloze": 2}  # g-none, and c1 of g-blank


def test_nested_and_unclosed_clozes_read_as_anki_reads_them() -> None:
    nodes = parse_cloze("{{c1::ACE {{c2::inhibitors}}}} lower {{c3::BP ")
    assert cloze_numbers(nodes) == {1, 2}
    assert render_cloze(nodes) == "ACE inhibitors lower {{c3::BP "
    assert render_cloze(nodes, hide=1) == "[...] lower {{c3::BP "
    assert render_cloze(nodes, hide=2) == "ACE [...] lower {{c3::BP "


# -- layouts ------------------------------------------------------------------------------------


def test_anki21_collection_is_read_instead_of_the_dummy(anki21_deck: Path) -> None:
    records, skips = run(anki21_deck)
    assert rows(records) == [("Main site of Na reabsorption?", "PCT", "Renal", "g-renal")]
    assert not skips


def test_anki21b_zstd_schema18_collection_is_read(anki21b_deck: Path) -> None:
    records, skips = run(anki21b_deck)
    assert rows(records) == [
        (
            "First-line drug for stable angina?",
            "A beta blocker",
            "Medicine::Cardiology",
            "g-b18",
        ),
        ("[...] inhibits COX-1", "Aspirin inhibits COX-1", "Pharmacology", "g-c18:c1"),
        ("Aspirin inhibits [...]", "Aspirin inhibits COX-1", "Pharmacology", "g-c18:c2"),
        # a card moved to a filtered deck counts in its home deck; fields by position
        ("Antidote for heparin?", "Protamine", "Pharmacology", "g-q18"),
    ]
    assert {r.license for r in records} == {"other"}
    assert not skips


@pytest.mark.parametrize(
    ("layouts", "expected"),
    [
        (("anki21b", "anki21", "anki2"), "from-anki21b"),
        (("anki21", "anki2"), "from-anki21"),
        (("anki2",), "from-anki2"),
    ],
)
def test_newest_collection_layout_wins(
    tmp_path: Path, layouts: tuple[str, ...], expected: str
) -> None:
    basic = genanki.BASIC_MODEL

    def schema11(guid: str) -> bytes:
        return schema11_bytes(tmp_path, deck(2007, "D", note(basic, guid, "Q?", "A")))

    makers = {
        "anki21b": lambda: schema18_bytes(
            tmp_path, [(1, "from-anki21b", BASIC_NT, "Q?\x1fA", 1, 0)]
        ),
        "anki21": lambda: schema11("from-anki21"),
        "anki2": lambda: schema11("from-anki2"),
    }
    members = {f"collection.{layout}": makers[layout]() for layout in layouts}
    records, _ = run(write_zip(tmp_path / "layouts.apkg", members))
    assert [r.source_id for r in records] == [expected]


def test_bundled_sample_deck_reads_with_its_image_card_skipped() -> None:
    records, skips = run(SAMPLE)
    assert len(records) == 13
    assert skips == {"has_image": 1}
    subsets = {r.subset for r in records}
    assert subsets == {"Meadow sample::Physiology", "Meadow sample::Pharmacology"}
    assert any(r.source_id.endswith(":c2") for r in records)


# -- files that cannot be read ------------------------------------------------------------------


def test_truncated_apkg_is_refused(basic_deck: Path) -> None:
    data = basic_deck.read_bytes()
    basic_deck.write_bytes(data[: len(data) // 2])
    with pytest.raises(RawFileError, match=r"not a readable \.apkg \(zip\) file: .*re-export") as e:
        list(AnkiSource().parse(basic_deck))
    assert e.value.path == basic_deck


def test_non_zip_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deck.apkg"
    path.write_text("front,back\nQ,A\n")
    with pytest.raises(RawFileError, match=r"not a readable \.apkg \(zip\) file"):
        list(AnkiSource().parse(path))


def test_collection_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "deck.apkg", {"collection.anki2": b"just text, not a database"})
    with pytest.raises(RawFileError, match="collection.anki2 is not an SQLite database"):
        list(AnkiSource().parse(path))


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (zstandard.ZstdCompressor().compress(b"SQLite format 3\x00" + TEXT)[:200], "is cut short"),
        (b"\x28\xb5\x2f\xfd" + b"not zstd" * 8, "is not valid zstd-compressed data"),
        (zstandard.ZstdCompressor().compress(TEXT), "is not an SQLite database"),
    ],
    ids=["cut", "garbage", "not-sqlite"],
)
def test_anki21b_that_is_cut_garbled_or_not_sqlite_is_refused(
    tmp_path: Path, data: bytes, problem: str
) -> None:
    path = write_zip(tmp_path / "deck.apkg", {"collection.anki21b": data})
    with pytest.raises(RawFileError, match=f"collection.anki21b {problem}"):
        list(AnkiSource().parse(path))


def test_sqlite_without_anki_tables_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "other.sqlite"
    conn = unsynced(db)
    conn.execute("CREATE TABLE col (id integer)")
    conn.close()
    path = write_zip(tmp_path / "deck.apkg", {"collection.anki21": db.read_bytes()})
    with pytest.raises(RawFileError, match=r"collection.anki21 lacks the table\(s\) notes, cards"):
        list(AnkiSource().parse(path))


@pytest.mark.parametrize("member", ["../evil", "/abs", "media/../../evil", "C:/evil"])
def test_member_names_outside_the_folder_are_refused(
    tmp_path: Path, dummy_collection: bytes, member: str
) -> None:
    path = tmp_path / "evil.apkg"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("collection.anki21", dummy_collection)
        z.writestr(zipfile.ZipInfo(member), b"boo")  # ZipInfo keeps the name as given
    with pytest.raises(RawFileError, match=f"unsafe member name '{member}'"):
        list(AnkiSource().parse(path))


def test_zip_without_a_collection_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "deck.apkg", {"media": b"{}", "0": b"image"})
    with pytest.raises(RawFileError, match="no Anki collection in the .apkg"):
        list(AnkiSource().parse(path))


def test_deck_with_only_the_dummy_collection_is_refused(dummy_only_deck: Path) -> None:
    with pytest.raises(RawFileError, match="only Anki's placeholder collection.*re-export"):
        list(AnkiSource().parse(dummy_only_deck))


# -- no litter ----------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", ["basic_deck", "anki21_deck", "anki21b_deck"])
def test_nothing_is_extracted_next_to_the_deck_and_temp_files_go(
    request: pytest.FixtureRequest, private_tmp: Path, shape: str
) -> None:
    path: Path = request.getfixturevalue(shape)
    before, tmp_before = sorted(path.parent.iterdir()), sorted(private_tmp.iterdir())
    assert list(AnkiSource().records(path))
    assert sorted(path.parent.iterdir()) == before
    assert sorted(private_tmp.iterdir()) == tmp_before  # (genanki leaves files there)


def test_temp_files_go_when_reading_stops_early_or_fails(
    basic_deck: Path, dummy_only_deck: Path, private_tmp: Path
) -> None:
    before = sorted(private_tmp.iterdir())
    notes = AnkiSource().parse(basic_deck)
    next(notes)
    assert len(list(private_tmp.iterdir())) == len(before) + 1  # the private copy, while read
    notes.close()
    assert sorted(private_tmp.iterdir()) == before
    with pytest.raises(RawFileError):
        list(AnkiSource().parse(dummy_only_deck))
    assert sorted(private_tmp.iterdir()) == before


# -- registration -------------------------------------------------------------------------------


def test_source_is_registered_with_its_metadata() -> None:
    assert get_source("anki") is AnkiSource
    info = AnkiSource.info()
    assert info["homepage"] == "https://apps.ankiweb.net/"
    assert info["license"] == "other"
    assert info["subsets"] == []
    assert info["raw_files"] == []
    assert "arXiv:2304.08247" in info["citation"]
    assert "Anki Deck Package" in info["how_to_get"]
    assert AnkiSource.file_suffixes == (".apkg",)


# -- decompression bombs and odd columns (issue 14) -------------------------------------------


def zstd_zeros(size: int) -> bytes:
    """A zstd stream of an SQLite header and `size` zero bytes (about 1:30,000)."""
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    out = [compressor.compress(b"SQLite format 3\x00")]
    block = bytes(1 << 20)
    for _ in range(size >> 20):
        out.append(compressor.compress(block))
    out.append(compressor.flush())
    return b"".join(out)


def test_zstd_bomb_is_refused_with_memory_bounded(tmp_path: Path) -> None:
    bomb = zstd_zeros(1 << 30)  # 1 GiB of zeros in ~33 KB
    assert len(bomb) < 100_000
    path = write_zip(tmp_path / "bomb.apkg", {"collection.anki21b": bomb})

    def read() -> None:
        with pytest.raises(
            RawFileError,
            match=r"bomb\.apkg: collection\.anki21b decompresses to over 30 times its "
            r"[\d,]+ bytes \(30\): refused as a likely decompression bomb; if the deck is "
            r"genuine, raise sources\.anki\.options\.max_compression_ratio in the recipe",
        ):
            list(AnkiSource().parse(path))

    assert peak_traced(read) < 64 << 20  # one zstd call writes ~32 MiB at most


def test_deflate_bomb_is_refused_before_filling_the_disk(tmp_path: Path) -> None:
    real = schema11_bytes(tmp_path, deck(1, "Padded", note(genanki.BASIC_MODEL, "g", "Q?", "A")))
    path = tmp_path / "padded.apkg"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z,
        z.open("collection.anki2", "w", force_zip64=True) as member,
    ):
        member.write(real)
        zeros = bytes(1 << 20)
        for _ in range(200):  # 200 MiB of zeros: SQLite ignores bytes past its pages
            member.write(zeros)
    assert path.stat().st_size < 1 << 20
    written: list[int] = []
    real_copy = Budget.write

    def spy(self, dst, data) -> None:
        written.append(len(data))
        real_copy(self, dst, data)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Budget, "write", spy)
        with pytest.raises(RawFileError, match="collection.anki2 decompresses to over 30 times"):
            list(AnkiSource().parse(path))
    assert sum(written) <= 65 << 20  # stopped at the 64 MiB floor, not 200 MiB on disk


def test_collection_over_max_collection_mb_is_refused_and_the_option_raises_it(
    basic_deck: Path,
) -> None:
    with pytest.raises(
        RawFileError,
        match=r"collection\.anki2 decompresses to over the max_collection_mb limit \(0\.01\).*"
        r"raise sources\.anki\.options\.max_collection_mb in the recipe",
    ):
        list(AnkiSource(max_collection_mb=0.01).parse(basic_deck))
    records, _ = collect(AnkiSource(max_collection_mb=1), basic_deck)
    assert records


@pytest.mark.parametrize("value", [0, -1, "big", True])
def test_decompression_limits_must_be_positive_numbers(value: object) -> None:
    with pytest.raises(RecipeError, match="sources.anki.options.max_compression_ratio: expected"):
        AnkiSource(max_compression_ratio=value)


def test_decompression_limits_do_not_change_the_fingerprint() -> None:
    assert AnkiSource(max_collection_mb=9000).fingerprint_data() == AnkiSource().fingerprint_data()


def test_note_fields_stored_as_blobs_are_decoded_or_skipped(tmp_path: Path) -> None:
    basic = genanki.BASIC_MODEL
    notes = [note(basic, g, f"Question {g}?", f"Answer {g}") for g in ("text", "blob", "bad")]
    collection = tmp_path / "c.anki2"
    collection.write_bytes(schema11_bytes(tmp_path, deck(1, "Blobs", *notes)))
    conn = unsynced(collection)
    conn.execute("UPDATE notes SET flds = CAST(flds AS BLOB) WHERE guid = 'blob'")
    conn.execute("UPDATE notes SET flds = X'ff00fe' WHERE guid = 'bad'")
    conn.commit()
    conn.close()
    path = write_zip(tmp_path / "blobs.apkg", {"collection.anki2": collection.read_bytes()})

    records, skips = run(path)

    assert sorted((r.source_id, r.input, r.output) for r in records) == [
        ("blob", "Question blob?", "Answer blob"),
        ("text", "Question text?", "Answer text"),
    ]
    assert skips == {"fields_not_text": 1}
