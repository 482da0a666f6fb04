"""Anki .apkg archives: the zip opened safely and its collection copied out, bounded.

An .apkg is a zip around one SQLite collection; the newest layout present wins
(`COLLECTION_MEMBERS`). Member names pointing outside a folder are refused, and the
collection is streamed in chunks (zstd is fed 1 KiB at a time, so one call writes at most
~32 MiB) and refused once it grows past its `Budget`, so a zip or zstd bomb fails fast on
little memory and disk. Apart from `anki.py` so that the adapter reads as the mapping from
notes to records; only that adapter uses it (the registry skips "_" modules).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

import zstandard

from meadow.errors import RawFileError

# Newest layout first: the first one present in the zip is read.
COLLECTION_MEMBERS = ("collection.anki21b", "collection.anki21", "collection.anki2")

_SQLITE_MAGIC = b"SQLite format 3\x00"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_CHUNK = 1 << 20
MB = 1 << 20
# Decompression bounds (see anki.py's docstring); the ratio only applies past the floor.
MAX_COLLECTION_MB = 2048
MAX_COMPRESSION_RATIO = 30
RATIO_FLOOR = 64 * MB
# zstd input per call: an RLE block turns 4 bytes into 128 KiB, so 1 KiB writes <= 32 MiB.
_ZSTD_FEED = 1 << 10


def open_apkg(path: Path) -> zipfile.ZipFile:
    """The .apkg as a zip, refusing member names that point outside a folder."""
    try:
        apkg = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, EOFError) as exc:
        raise RawFileError(
            path, f"not a readable .apkg (zip) file: {exc}; re-export the deck"
        ) from exc
    except OSError as exc:
        raise RawFileError(path, f"cannot open the .apkg: {exc.strerror or exc}") from exc
    for name in apkg.namelist():
        if not _safe_member_name(name):
            apkg.close()
            raise RawFileError(
                path, f"unsafe member name {name!r} in the .apkg (absolute or with '..'); refused"
            )
    return apkg


def _safe_member_name(name: str) -> bool:
    posix = name.replace("\\", "/")
    if posix.startswith("/") or re.match(r"[A-Za-z]:", posix):
        return False
    return ".." not in PurePosixPath(posix).parts


def pick_collection(path: Path, apkg: zipfile.ZipFile) -> str:
    names = set(apkg.namelist())
    for member in COLLECTION_MEMBERS:
        if member in names:
            return member
    raise RawFileError(
        path,
        f"no Anki collection in the .apkg (expected one of {', '.join(COLLECTION_MEMBERS)}); "
        "export it from Anki as an Anki Deck Package",
    )


@dataclass
class Budget:
    """The bytes a collection may still decompress to; refuses it past the limit."""

    path: Path
    member: str
    left: int
    why: str
    option: str
    value: float

    def write(self, dst: BinaryIO, data: bytes) -> None:
        self.left -= len(data)
        if self.left < 0:
            raise RawFileError(
                self.path,
                f"{self.member} decompresses to {self.why} ({self.value:g}): refused as a "
                "likely decompression bomb; if the deck is genuine, raise "
                f"sources.anki.options.{self.option} in the recipe",
            )
        dst.write(data)


def copy_collection(
    path: Path, apkg: zipfile.ZipFile, member: str, dest: Path, budget: Budget
) -> None:
    """Stream `member` into `dest` within `budget`, decompressing zstd; check it is SQLite."""
    try:
        with apkg.open(member) as src:
            compressed = src.read(len(_ZSTD_MAGIC)) == _ZSTD_MAGIC
        with apkg.open(member) as src, dest.open("wb") as dst:
            if not compressed:  # anki2/anki21, or a plain SQLite file named anki21b
                while data := src.read(_CHUNK):
                    budget.write(dst, data)
            elif not _unzstd(src, dst, budget):
                raise RawFileError(
                    path, f"{member} is cut short (incomplete zstd data); re-export the deck"
                )
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression
        raise RawFileError(
            path, f"not a readable .apkg (zip) file: {member}: {exc}; re-export the deck"
        ) from exc
    except zstandard.ZstdError as exc:
        raise RawFileError(
            path, f"{member} is not valid zstd-compressed data ({exc}); re-export the deck"
        ) from exc
    with dest.open("rb") as db:
        if db.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
            raise RawFileError(
                path,
                f"{member} is not an SQLite database, so not an Anki collection; "
                "re-export the deck",
            )


def _unzstd(src: BinaryIO, dst: BinaryIO, budget: Budget) -> bool:
    """Decompress zstd frames from `src` into `dst`, in bounded pieces; False if cut short."""
    dctx = zstandard.ZstdDecompressor()
    frame = dctx.decompressobj()
    in_frame = False
    while chunk := src.read(_CHUNK):
        for start in range(0, len(chunk), _ZSTD_FEED):
            piece = chunk[start : start + _ZSTD_FEED]
            while piece:
                budget.write(dst, frame.decompress(piece))
                in_frame = True
                piece = b""
                if frame.eof:  # a frame ended; what follows starts the next one
                    piece, frame, in_frame = frame.unused_data, dctx.decompressobj(), False
    return not in_frame
