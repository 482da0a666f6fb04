"""Anki collections (SQLite, schema 11 and 18): the notes query, note types and deck names.

Apart from `anki.py` so that the adapter reads as the mapping from notes to records; only
that adapter uses it (the registry skips "_" modules).
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meadow.errors import RawFileError

FIELD_SEP = "\x1f"
# The only note of the placeholder collection newer Anki versions put next to the real one.
_DUMMY_NOTE = re.compile(
    r"Please update to the latest Anki version|requires a newer version of Anki", re.I
)
_SCHEMA_11_TABLES = ("col", "notes", "cards")
_SCHEMA_18_TABLES = ("notetypes", "fields", "decks", "notes", "cards")

# A note's deck is the home deck (not a filtered deck) of its card with the lowest ord
# (SQLite takes bare columns from the min() row). A join, not a correlated subquery, so
# a collection without the usual index on cards.nid is still read in one pass.
_NOTES_SQL = """
SELECT n.id, n.guid, n.mid, n.tags, n.flds, c.did
FROM notes AS n
LEFT JOIN (
    SELECT nid, CASE WHEN odid != 0 THEN odid ELSE did END AS did, min(ord)
    FROM cards GROUP BY nid
) AS c ON c.nid = n.id
ORDER BY n.id
"""


@dataclass(frozen=True)
class NoteType:
    """What the reader needs of a note type (model): its field names in order."""

    name: str
    fields: tuple[str, ...]
    cloze: bool = False


def unicase(a: str, b: str) -> int:
    """Anki's `unicase` collation (schema 18 text columns): case-insensitive order."""
    a, b = a.casefold(), b.casefold()
    return (a > b) - (a < b)


def notes_cursor(
    path: Path, member: str, conn: sqlite3.Connection
) -> tuple[sqlite3.Cursor, dict[int, NoteType], dict[int, str]]:
    """The notes query over a checked collection, with its note types and deck names."""
    tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    schema_18 = "notetypes" in tables
    wanted = _SCHEMA_18_TABLES if schema_18 else _SCHEMA_11_TABLES
    missing = [t for t in wanted if t not in tables]
    if missing:
        raise RawFileError(
            path,
            f"{member} lacks the table(s) {', '.join(missing)} of an Anki collection; "
            "re-export the deck",
        )
    if member == "collection.anki2":
        _refuse_dummy(path, conn)
    if schema_18:
        note_types, decks = _schema_18_info(conn)
    else:
        note_types, decks = _schema_11_info(path, member, conn)
    return conn.execute(_NOTES_SQL), note_types, decks


def as_text(value: Any) -> str | None:
    """A text column's value as text: a BLOB that is UTF-8 is decoded; anything else None.

    Anki writes text, but other tools store some notes' fields as BLOBs.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return None


def _refuse_dummy(path: Path, conn: sqlite3.Connection) -> None:
    rows = conn.execute("SELECT flds FROM notes LIMIT 2").fetchall()
    if len(rows) == 1 and _DUMMY_NOTE.search(as_text(rows[0][0]) or ""):
        raise RawFileError(
            path,
            "the .apkg holds only Anki's placeholder collection ('Please update to the latest "
            "Anki version'): it was exported in a layout this reader does not support; "
            "re-export it with 'Support older Anki versions' ticked",
        )


def _schema_11_info(
    path: Path, member: str, conn: sqlite3.Connection
) -> tuple[dict[int, NoteType], dict[int, str]]:
    row = conn.execute("SELECT models, decks FROM col").fetchone()
    try:
        models = json.loads(row[0]) if row else None
        decks = json.loads(row[1]) if row else None
        if not isinstance(models, dict) or not isinstance(decks, dict):
            raise ValueError("col.models and col.decks must be JSON objects")
        note_types = {
            int(mid): NoteType(
                name=str(model.get("name", "")),
                fields=_model_fields(model["flds"]),
                cloze=model.get("type") == 1,
            )
            for mid, model in models.items()
        }
        deck_names = {int(did): str(deck["name"]) for did, deck in decks.items()}
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise RawFileError(
            path, f"{member} has unreadable note types or decks ({exc}); re-export the deck"
        ) from exc
    return note_types, deck_names


def _model_fields(flds: list[dict[str, Any]]) -> tuple[str, ...]:
    """Field names of a schema-11 model, in `ord` order (list order when `ord` is absent)."""
    ordered = sorted(enumerate(flds), key=lambda pair: (pair[1].get("ord", pair[0]), pair[0]))
    return tuple(str(field["name"]) for _, field in ordered)


def _schema_18_info(conn: sqlite3.Connection) -> tuple[dict[int, NoteType], dict[int, str]]:
    # The cloze kind sits in a protobuf blob (notetypes.config): detect clozes by content.
    names = dict(conn.execute("SELECT id, name FROM notetypes"))
    fields: dict[int, list[str]] = {ntid: [] for ntid in names}
    for ntid, name in conn.execute("SELECT ntid, name FROM fields ORDER BY ntid, ord"):
        fields.setdefault(ntid, []).append(name)
    note_types = {
        ntid: NoteType(name=names.get(ntid, ""), fields=tuple(names_))
        for ntid, names_ in fields.items()
    }
    decks = {
        did: name.replace(FIELD_SEP, "::")
        for did, name in conn.execute("SELECT id, name FROM decks")
    }
    return note_types, decks
