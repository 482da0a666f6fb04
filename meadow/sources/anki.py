"""Anki decks (.apkg): medAlpaca's "medical flashcards", one record per note or cloze.

An .apkg is a zip around one SQLite collection, in one of three layouts:

* `collection.anki2` (schema 11), what genanki and old Anki versions write;
* `collection.anki21` (schema 11) next to a dummy `collection.anki2`;
* `collection.anki21b` (zstd-compressed, schema 18) next to the same dummy.

The newest layout present wins. The collection is copied (never extracted to a member
path) into a private temporary folder, read with `sqlite3` and deleted afterwards.

Decompression is bounded, so a zip or zstd bomb fails fast on little memory and disk: the
collection is streamed in chunks (zstd is fed 1 KiB at a time, so one call writes at most
~32 MiB) and refused once it grows past `max_collection_mb` (default 2048) or, beyond
64 MiB, past `max_compression_ratio` (default 30) times its size in the .apkg (real
collections compress 5 to 15 times). Both are source options a recipe can raise for a
genuine deck.

`parse` yields one plain dict per note; `to_records` turns a note into question/answer
records, so a recipe can change the mapping without touching the reader.
"""

from __future__ import annotations

import re
import sqlite3
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meadow.converters.html import html_to_text
from meadow.errors import RawFileError, RecipeError
from meadow.llm.tasks import LlmTask
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._anki_collection import FIELD_SEP, NoteType, as_text, notes_cursor, unicase
from meadow.sources._apkg import (
    MAX_COLLECTION_MB,
    MAX_COMPRESSION_RATIO,
    MB,
    RATIO_FLOOR,
    Budget,
    copy_collection,
    open_apkg,
    pick_collection,
)
from meadow.sources._cloze import cloze_answer, cloze_numbers, parse_cloze, render_cloze
from meadow.sources.base import (
    BATCH_ROWS,
    FIELD_TOO_LONG,
    Rows,
    Skip,
    Source,
    max_field_chars,
)

_FETCH_ROWS = 1000  # notes per SQLite fetch in `batches`
_LIMIT_OPTIONS = ("max_collection_mb", "max_compression_ratio")
_IMAGE = re.compile(r"<img\b", re.I)
_SOUND = "[sound:"
_CLOZE_OPEN = re.compile(r"\{\{c\d+::")
# Anki's image-occlusion notes keep their masks as clozes over a picture.
_IMAGE_OCCLUSION = "image-occlusion:"

CITATION = """\
@article{han2023medalpaca,
  title={MedAlpaca -- An Open-Source Collection of Medical Conversational AI Models and Training Data},
  author={Han, Tianyu and Adams, Lisa C. and Papaioannou, Jens-Michalis and Grundmann, Paul and Oberhauser, Tom and L{\\"o}ser, Alexander and Truhn, Daniel and Bressem, Keno K.},
  journal={arXiv preprint arXiv:2304.08247},
  year={2023}
}"""  # noqa: E501


@register_source
class AnkiSource(Source):
    """Flashcards from Anki decks (.apkg), as medAlpaca's Medical Meadow used them.

    Basic notes give one record (front → input, back → output). Cloze notes give one
    record per cloze number: that deletion hidden in the input, the full text as output.
    Cards with images or sounds are skipped: their text alone does not hold the answer.
    """

    name = "anki"
    description = (
        "medAlpaca's medical flashcards: question/answer pairs from Anki medical decks "
        "(.apkg), one record per basic note and one per cloze deletion."
    )
    homepage = "https://apps.ankiweb.net/"
    license = "other"  # shared decks carry their authors' terms, usually unstated
    citation = CITATION
    subsets = ()  # open-ended: a record's subset is its deck name
    default_instruction = "Answer this question truthfully"
    raw_files = ()
    how_to_get = (
        "Export a deck from Anki (File > Export > Anki Deck Package, .apkg) or download a "
        "shared deck from AnkiWeb (https://ankiweb.net/shared/decks)."
    )
    file_suffixes = (".apkg",)
    version = "1"
    llm_subsets = ("*",)
    default_options = {
        "max_collection_mb": MAX_COLLECTION_MB,
        "max_compression_ratio": MAX_COMPRESSION_RATIO,
    }

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        for name in _LIMIT_OPTIONS:
            value = self.options_in_effect[name]
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
                raise RecipeError(
                    f"sources.anki.options.{name}", f"expected a positive number, got {value!r}"
                )

    def fingerprint_data(self) -> dict[str, Any]:
        """The base fingerprint without the decompression limits: they never change rows."""
        data = super().fingerprint_data()
        data["options"] = {k: v for k, v in data["options"].items() if k not in _LIMIT_OPTIONS}
        return data

    def llm_task(self, row: dict[str, str]) -> LlmTask | None:
        """A card rephrased by an LLM into a self-contained question and answer."""
        fields = {"front": row["input"], "back": row["output"]}
        return LlmTask(key=row["id"], kind="flashcard", fields=fields)

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Notes of one .apkg in note id order: guid, fields by name, deck, cloze or not."""
        with self._collection(Path(path)) as (member, conn):
            yield from _read_notes(Path(path), member, conn)

    def batches(self, path: Path) -> Iterator[Rows | Skip]:
        """`read` as column batches, filled straight from the SQLite rows: no dict per note
        and no Record per row (the field layout is worked out once per note type)."""
        path = Path(path)
        limit = max_field_chars()
        with self._collection(path) as (member, conn):
            cursor, note_types, decks = notes_cursor(path, member, conn)
            layouts: dict[tuple[int, int], _Layout] = {}
            out = _Columns()
            while chunk := cursor.fetchmany(_FETCH_ROWS):
                for _note_id, guid, mid, _tags, flds, did in chunk:
                    note_type = note_types.get(mid)
                    if note_type is None:
                        yield Skip("unknown_note_type")
                        continue
                    if type(flds) is not str:
                        flds = as_text(flds)
                        if flds is None:
                            yield Skip("fields_not_text")
                            continue
                    values = flds.split(FIELD_SEP)
                    layout = layouts.get((mid, len(values)))
                    if layout is None:
                        layout = layouts[mid, len(values)] = _Layout.of(note_type, len(values))
                    if type(guid) is not str:
                        guid = as_text(guid) or str(guid)
                    deck = decks.get(did, "")
                    if (len(flds) > limit and any(len(values[i]) > limit for i in layout.kept)) or (
                        max(len(guid), len(deck), len(note_type.name)) > limit
                    ):
                        yield Skip(FIELD_TOO_LONG)  # what `records` finds in the raw note
                        continue
                    text = values[layout.detect] if layout.detect < len(values) else ""
                    if note_type.cloze or ("{{c" in text and _CLOZE_OPEN.search(text)):
                        text = layout.value(values, layout.text)
                        mapped = _cloze_rows(text, layout.value(values, layout.extra), guid)
                    elif layout.front is None:
                        mapped = [Skip("missing_back_field")]
                    else:
                        front = layout.value(values, layout.front)
                        back = layout.value(values, layout.back)
                        mapped = _basic_rows(front, back, guid)
                    for entry in mapped:
                        if type(entry) is Skip:
                            yield entry
                        else:
                            out.add(entry, deck)
                    if len(out.source_id) >= BATCH_ROWS:
                        yield out.rows()
                        out = _Columns()
            if out.source_id:
                yield out.rows()

    @contextmanager
    def _collection(self, path: Path) -> Iterator[tuple[str, sqlite3.Connection]]:
        """The .apkg's collection, copied to a private temporary folder and opened read-only."""
        with open_apkg(path) as apkg, tempfile.TemporaryDirectory(prefix="meadow-anki-") as tmp:
            member = pick_collection(path, apkg)
            db_path = Path(tmp) / "collection.sqlite"
            copy_collection(path, apkg, member, db_path, self._budget(path, apkg, member))
            conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                conn.create_collation("unicase", unicase)
                yield member, conn
            except sqlite3.DatabaseError as exc:
                raise RawFileError(
                    path, f"{member} is not a readable Anki collection ({exc}); re-export the deck"
                ) from exc
            finally:
                conn.close()

    def _budget(self, path: Path, apkg: zipfile.ZipFile, member: str) -> Budget:
        """How many bytes `member` may decompress to, and the option that decides it."""
        absolute = int(self.options_in_effect["max_collection_mb"] * MB)
        ratio = self.options_in_effect["max_compression_ratio"]
        by_ratio = max(RATIO_FLOOR, int(ratio * apkg.getinfo(member).compress_size))
        if by_ratio < absolute:
            why = f"over {ratio:g} times its {apkg.getinfo(member).compress_size:,} bytes"
            return Budget(path, member, by_ratio, why, "max_compression_ratio", ratio)
        why = "over the max_collection_mb limit"
        mb = self.options_in_effect["max_collection_mb"]
        return Budget(path, member, absolute, why, "max_collection_mb", mb)

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One record for a basic note, one per cloze number for a cloze note."""
        fields: dict[str, str] = item["fields"]
        if item["cloze"]:
            text = _text_field(fields)
            mapped = _cloze_rows(text, _field(fields, "back extra", "extra") or "", item["guid"])
        elif len(fields) < 2:
            mapped = [Skip("missing_back_field")]
        else:
            front_key, back_key = _front_back_keys(fields)
            mapped = _basic_rows(fields[front_key], fields[back_key], item["guid"])
        return [
            entry
            if type(entry) is Skip
            else self.record(
                input=entry[0], output=entry[1], source_id=entry[2], subset=item["deck"]
            )
            for entry in mapped
        ]


# -- one note to rows (both paths: `to_records` and `batches`) -----------------------------


def _basic_rows(front: str, back: str, guid: str) -> list[tuple[str, str, str] | Skip]:
    """A basic note's (input, output, source_id), or why it gives none."""
    media = _media_skip(front, back)
    if media:
        return [media]
    question, answer = html_to_text(front), html_to_text(back)
    if not question:
        return [Skip("empty_front")]
    if not answer:
        return [Skip("empty_back")]
    return [(question, answer, guid)]


def _cloze_rows(text: str, extra: str, guid: str) -> list[tuple[str, str, str] | Skip]:
    """A cloze note's (input, output, source_id) per cloze number, or why one gives none."""
    media = _media_skip(text, extra)
    if media:
        return [media]
    if _IMAGE_OCCLUSION in text:
        return [Skip("has_image")]
    nodes = parse_cloze(text)
    numbers = sorted(cloze_numbers(nodes))
    if not numbers:
        return [Skip("empty_cloze")]
    full = html_to_text(render_cloze(nodes))
    extra_text = html_to_text(extra)
    answer = f"{full}\n\n{extra_text}" if extra_text else full
    out: list[tuple[str, str, str] | Skip] = []
    for k in numbers:
        if _is_blank(cloze_answer(nodes, k)):
            out.append(Skip("empty_cloze"))
            continue
        source_id = guid if numbers == [1] else f"{guid}:c{k}"
        out.append((html_to_text(render_cloze(nodes, hide=k)), answer, source_id))
    return out


@dataclass(frozen=True)
class _Layout:
    """Where a note type's fields sit among a note's values, worked out once per note type
    and value count by the same name rules `parse` and `to_records` apply to a note's
    fields dict (duplicate names keep the last value, missing values read as "")."""

    kept: tuple[int, ...]  # the values the fields dict keeps
    detect: int  # the value `parse` looks for a cloze in
    front: int | None  # None: fewer than two fields
    back: int
    text: int | None
    extra: int | None

    @classmethod
    def of(cls, note_type: NoteType, count: int) -> _Layout:
        names = note_type.fields
        if count > len(names):
            names = names + tuple(f"Field {i + 1}" for i in range(len(names), count))
        index = dict(zip(names, range(len(names)), strict=True))
        front = back = 0
        if len(index) >= 2:
            front_key, back_key = _front_back_keys(index)
            front, back = index[front_key], index[back_key]
        keys = tuple(index)
        return cls(
            kept=tuple(index.values()),
            detect=_text_index(note_type.fields),
            front=front if len(index) >= 2 else None,
            back=back,
            text=index[keys[_text_index(keys)]] if keys else None,
            extra=_field(index, "back extra", "extra"),
        )

    @staticmethod
    def value(values: list[str], i: int | None) -> str:
        return values[i] if i is not None and i < len(values) else ""


class _Columns:
    """A batch being filled: one list per column."""

    def __init__(self) -> None:
        self.input: list[str] = []
        self.output: list[str] = []
        self.source_id: list[str] = []
        self.subset: list[str] = []

    def add(self, entry: tuple[str, str, str], subset: str) -> None:
        self.input.append(entry[0])
        self.output.append(entry[1])
        self.source_id.append(entry[2])
        self.subset.append(subset)

    def rows(self) -> Rows:
        return Rows(self.input, self.output, self.source_id, self.subset)


# -- the collection ---------------------------------------------------------------------------


def _read_notes(
    path: Path, member: str, conn: sqlite3.Connection
) -> Iterator[dict[str, Any] | Skip]:
    cursor, note_types, decks = notes_cursor(path, member, conn)
    text_index = {mid: _text_index(nt.fields) for mid, nt in note_types.items()}
    for note_id, guid, mid, tags, flds, did in cursor:
        note_type = note_types.get(mid)
        if note_type is None:
            yield Skip("unknown_note_type")
            continue
        flds = as_text(flds)
        if flds is None:  # a BLOB that is not UTF-8, or not text at all
            yield Skip("fields_not_text")
            continue
        values = flds.split(FIELD_SEP)
        names = note_type.fields
        if len(values) > len(names):
            names = names + tuple(f"Field {i + 1}" for i in range(len(names), len(values)))
        values += [""] * (len(names) - len(values))
        fields = dict(zip(names, values, strict=True))
        yield {
            "note_id": note_id,
            "guid": guid if isinstance(guid, str) else as_text(guid) or str(guid),
            "note_type": note_type.name,
            "fields": fields,
            "tags": (as_text(tags) or "").split(),
            "deck": decks.get(did, ""),
            "cloze": note_type.cloze or bool(_CLOZE_OPEN.search(values[text_index[mid]])),
        }


# -- mapping helpers --------------------------------------------------------------------------


def _field(fields: dict[str, Any], *names: str) -> Any:
    """The first field called one of `names` (lower case; field names match in any case);
    `fields` maps names to values, or to value positions (`_Layout`)."""
    lower = {k.lower(): k for k in fields}
    for name in names:
        if name in lower:
            return fields[lower[name]]
    return None


def _text_field(fields: dict[str, str]) -> str:
    """A cloze note's text: the field `Text`, else the first field."""
    names = tuple(fields)
    return fields[names[_text_index(names)]] if names else ""


def _text_index(names: tuple[str, ...]) -> int:
    """Position of the cloze text field: `Text` (any case), else the first field."""
    lower = [name.lower() for name in names]
    return lower.index("text") if "text" in lower else 0


def _front_back_keys(fields: dict[str, Any]) -> tuple[str, str]:
    """`Front`/`Back` by name (any case), else the first two remaining fields in order."""
    lower = {k.lower(): k for k in fields}
    front, back = lower.get("front"), lower.get("back")
    rest = [k for k in fields if k not in (front, back)]
    if front is None:
        front = rest.pop(0)
    if back is None:
        back = rest.pop(0)
    return front, back


def _is_blank(html: str) -> bool:
    """Whether an HTML fragment shows no text (markup-free text needs no parsing)."""
    if "<" not in html and "&" not in html:
        return not html.strip()
    return not html_to_text(html)


def _media_skip(*texts: str) -> Skip | None:
    """A skip for fields that show an image or play a sound: their text misses the point."""
    joined = "\x1f".join(texts)
    if _IMAGE.search(joined):
        return Skip("has_image")
    if _SOUND in joined:
        return Skip("has_sound")
    return None
