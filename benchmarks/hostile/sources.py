"""Hostile raw files for the source readers (issue 14, sections 4 and 5).

Each case writes the issue's input at the issue's size and runs a real build of the source
that met it: nested JSON (the shared JSON reader), Anki decompression bombs, a 200 MB field,
an Anki note whose fields are a BLOB.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
import zipfile
from pathlib import Path

import genanki
import zstandard

from meadow import build
from meadow.errors import MeadowError


def _build(source: str, raw: Path) -> str:
    """Build every row of one source; the outcome as one line."""
    try:
        result = build(sources=[source], raw={source: raw}, name=f"hostile-{source}")
    except MeadowError as exc:
        return f"{type(exc).__name__}: {exc}"
    skipped = result.manifest["sources"][source].get("skipped", {})
    said = ", ".join(f"{k}={v}" for k, v in sorted(skipped.items())) or "none"
    return f"built: {result.rows} rows, skipped {said}"


def nested_json_arrays_400kb(work: Path) -> str:
    """`[[[[…]]]]`, 400 KB: 23.6 GB and an OOM kill before."""
    path = work / "HealthCareMagic-100k.json"
    path.write_bytes(b"[" * 200_000 + b"]" * 200_000)
    return _build("chatdoctor", path)


def nested_json_object_1mb(work: Path) -> str:
    """`{"a":{"a":…}}`, 1 MB, as a PubMedQA file: 10 GB, then 0 rows, before."""
    path = work / "ori_pqal.json"
    path.write_bytes(b'{"a":' * 200_000 + b"1" + b"}" * 200_000)
    return _build("pubmedqa", path)


def _collection(work: Path) -> bytes:
    """A genuine schema-11 collection of two cards, as genanki writes it."""
    model = genanki.BASIC_MODEL
    deck = genanki.Deck(1, "Hostile")
    for guid, front, back in (("a", "What lowers K+?", "Insulin"), ("b", "Rh- mother?", "Anti-D")):
        deck.add_note(genanki.Note(model=model, fields=[front, back], guid=guid))
    db = work / "scratch.anki2"
    conn = sqlite3.connect(db)
    ids = itertools.count(1_700_000_000_000)
    genanki.Package([deck]).write_to_db(conn.cursor(), 1_700_000_000.0, ids)
    conn.commit()
    conn.close()
    data = db.read_bytes()
    db.unlink()
    return data


def anki_zstd_bomb_131kb(work: Path) -> str:
    """A ~131 KB zstd `collection.anki21b` of 4 GiB of zeros: 4.3 GB of memory, 4 GB of disk."""
    compressor = zstandard.ZstdCompressor(level=1).compressobj()
    parts = [compressor.compress(b"SQLite format 3\x00")]
    block = bytes(1 << 20)
    parts += [compressor.compress(block) for _ in range(4096)]
    parts.append(compressor.flush())
    path = work / "bomb.apkg"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("collection.anki21b", b"".join(parts))
        z.writestr("collection.anki2", _collection(work))
    return _build("anki", path)


def anki_deflate_bomb_4mb(work: Path) -> str:
    """A 4 MB deflate `collection.anki2`: a real collection padded with 4 GiB of zeros."""
    path = work / "padded.apkg"
    block = bytes(1 << 20)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z,
        z.open("collection.anki2", "w", force_zip64=True) as member,
    ):
        member.write(_collection(work))
        for _ in range(4096):
            member.write(block)
    return _build("anki", path)


def field_200mb(work: Path) -> str:
    """One 200 MB answer among ordinary ChatDoctor rows: 3.5-4.4 GB and 273 s before."""
    first = {"instruction": "i", "input": "Is a dry cough after a cold normal?", "output": "Yes."}
    last = {"instruction": "i", "input": "Does ice help a sprained ankle?", "output": "Early."}
    path = work / "HealthCareMagic-100k.json"
    with path.open("w", encoding="utf-8") as f:  # written in pieces: the case's RSS is meadow's
        f.write(f'[{json.dumps(first)}, {{"instruction": "i", "input": "Is this long?", ')
        f.write('"output": "')
        for _ in range(40):
            f.write("word " * 1_000_000)
        f.write(f'"}}, {json.dumps(last)}]')
    return _build("chatdoctor", path)


def anki_blob_fields(work: Path) -> str:
    """A note whose `flds` is a BLOB (UTF-8) and one whose BLOB is not text: TypeError before."""
    db = work / "collection.anki2"
    db.write_bytes(_collection(work))
    conn = sqlite3.connect(db)
    conn.execute("UPDATE notes SET flds = CAST(flds AS BLOB) WHERE guid = 'a'")
    conn.execute("UPDATE notes SET flds = X'ff00fe' WHERE guid = 'b'")
    conn.commit()
    conn.close()
    path = work / "blobs.apkg"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(db, "collection.anki2")
    return _build("anki", path)


CASES = {
    "nested-json-arrays-400kb": nested_json_arrays_400kb,
    "nested-json-object-1mb": nested_json_object_1mb,
    "anki-zstd-bomb-131kb": anki_zstd_bomb_131kb,
    "anki-deflate-bomb-4mb": anki_deflate_bomb_4mb,
    "field-200mb": field_200mb,
    "anki-blob-fields": anki_blob_fields,
}
