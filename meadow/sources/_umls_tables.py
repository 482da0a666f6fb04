"""UMLS tables: RRF files read as Arrow batches, and the concept-name table from MRCONSO.

Apart from `umls.py` so that the adapter reads as the questions it makes; only that
adapter uses it (the registry skips "_" modules).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from meadow.errors import RawFileError, excerpt
from meadow.sources._csv import arrow_batches, field_limit, find_long_row, long_row_error
from meadow.sources._json import encoding_error

MRCONSO = "MRCONSO.RRF"
MRDEF = "MRDEF.RRF"
MRREL = "MRREL.RRF"

# fmt: off
RRF_COLUMNS: dict[str, tuple[str, ...]] = {
    MRCONSO: (
        "CUI", "LAT", "TS", "LUI", "STT", "SUI", "ISPREF", "AUI", "SAUI", "SCUI", "SDUI",
        "SAB", "TTY", "CODE", "STR", "SRL", "SUPPRESS", "CVF",
    ),
    MRDEF: ("CUI", "AUI", "ATUI", "SATUI", "SAB", "DEF", "SUPPRESS", "CVF"),
    MRREL: (
        "CUI1", "AUI1", "STYPE1", "REL", "CUI2", "AUI2", "STYPE2", "RELA", "RUI", "SRUI",
        "SAB", "SL", "RG", "DIR", "SUPPRESS", "CVF",
    ),
}
# fmt: on
_AFTER_LAST_BAR = "_after_last_bar"  # the empty field after each line's closing "|"

_BLOCK_SIZE = 1 << 20  # bytes per Arrow batch (~10k MRREL rows): as fast as larger, far less memory
_EMPTY = "empty file: download/unzip it again"
# What a concept lookup gives for a concept without a usable name.
RESTRICTED = -1  # its preferred English atoms all come from restricted vocabularies
UNNAMED = -2  # it has no preferred English atom at all
_UNKNOWN_LEVEL = 99  # a vocabulary without atoms in MRCONSO, or an SRL that is not a number
_PREFERRED = (("LAT", "ENG"), ("TS", "P"), ("STT", "PF"), ("ISPREF", "Y"), ("SUPPRESS", "N"))
_NAME_COLUMNS = ("CUI", "LAT", "TS", "STT", "ISPREF", "SAB", "STR", "SRL", "SUPPRESS")


# -- reading RRF files ---------------------------------------------------------------------------


def read_rrf(path: Path, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    """Batches of some `columns` of an RRF file (named by `path.name`), all as strings.

    A file that cannot be read raises a one-line RawFileError: empty, cut short, not
    UTF-8 or a line with the wrong number of fields (with its line number).
    """
    layout = RRF_COLUMNS[path.name]
    names = [*layout, _AFTER_LAST_BAR]
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if size == 0:
        raise RawFileError(path, _EMPTY)
    rows = 0
    block = field_limit(_BLOCK_SIZE)
    try:
        for batch in arrow_batches(
            path,
            columns,
            read_options=pa_csv.ReadOptions(column_names=names, block_size=block),
            parse_options=pa_csv.ParseOptions(
                delimiter="|", quote_char=False, double_quote=False, escape_char=False
            ),
        ):
            rows += batch.num_rows
            yield batch
    except pa.ArrowInvalid as exc:
        if "straddling" in str(exc):  # a line longer than a block
            found = find_long_row(path, block, delimiter=b"|", quoting=False)
            error = long_row_error(path, block, found, header=layout, per_row=True, detail=str(exc))
            raise error from None
        raise rrf_error(path, len(layout), exc) from None
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if rows == 0:
        raise RawFileError(path, _EMPTY)


def rrf_error(path: Path, fields: int, exc: Exception) -> RawFileError:
    """Why pyarrow could not read an RRF file, with the line: it does not say which.

    Only run after an error, so the happy path never pays for this plain Python scan.
    """
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            body = line.rstrip(b"\r\n")
            if not body:
                continue
            try:
                body.decode("utf-8")
            except UnicodeDecodeError as bad:
                return encoding_error(path, number, body[bad.start])
            closed = body.endswith(b"|")
            if closed and body.count(b"|") == fields:
                continue
            found = body.count(b"|") + (not closed)
            if not line.endswith(b"\n"):
                detail = (
                    "has no closing |"
                    if found == fields
                    else f"has {found} of {fields} fields{'' if closed else ' and no closing |'}"
                )
                return RawFileError(
                    path,
                    f"is cut short: its last line ({number}) {detail}: download/unzip it again",
                )
            if found == fields:
                return RawFileError(
                    path, f"line {number} does not end with '|' as every {path.name} line does"
                )
            return RawFileError(
                path,
                f"line {number} has {found} fields, expected {fields} ({path.name} lines are "
                f"{fields} fields, each followed by '|'): is it a {path.name} of a UMLS release?",
            )
    detail = excerpt(str(exc), 160)
    return RawFileError(path, f"cannot be read as an RRF file ({detail}): download/unzip it again")


def cui_numbers(path: Path, cuis: pa.Array) -> np.ndarray:
    """`C0000005` -> 5, as int32: CUIs compared as numbers, compactly."""
    if pc.all(pc.starts_with(cuis, "C")).as_py() is not False:  # True, or None when empty
        try:
            return pc.cast(pc.utf8_slice_codeunits(cuis, 1), pa.int32()).to_numpy()
        except pa.ArrowInvalid:
            pass
    values = cuis.to_pylist()
    bad = next((v for v in values if not (v[:1] == "C" and v[1:].isdigit() and len(v) < 11)), "")
    raise RawFileError(
        path,
        f"holds '{excerpt(bad, 40)}' where a CUI belongs (C and digits, like C0000005): is it a "
        f"{path.name} of a UMLS release?",
    )


def mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return values.to_numpy(zero_copy_only=False)


def _level(srl: str) -> int:
    return int(srl) if srl.isdigit() else _UNKNOWN_LEVEL


# -- the names: one pass over MRCONSO -------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """A source vocabulary (SAB) as MRCONSO's atoms describe it."""

    level: int  # restriction level (SRL): 0 none beyond the UMLS license, … 9 SNOMED CT
    english: bool


@dataclass(frozen=True)
class ConceptNames:
    """Preferred English concept names and vocabularies, compact enough for a full release.

    Attributes:
        slots: indexed by CUI number (C0000005 -> 5): the index of the concept's name in
            `names`, RESTRICTED when all its preferred English atoms come from vocabularies
            above the restriction level, or UNNAMED; the last slot is UNNAMED. CUIs are C
            and 7 digits, so this int32 array is at most 40 MB (24 MB for a 2024 release),
            and a lookup is one array index, about 20 times faster than a binary search.
        names: the usable names, one Arrow string array.
        vocabularies: SAB -> its restriction level and whether it is English.
    """

    slots: np.ndarray
    names: pa.Array
    vocabularies: dict[str, Vocabulary]

    def lookup(self, path: Path, cuis: pa.Array) -> np.ndarray:
        """Per CUI: the index of its name, or RESTRICTED, or UNNAMED."""
        return self.slots[np.minimum(cui_numbers(path, cuis), len(self.slots) - 1)]

    def take(self, slots: np.ndarray) -> list[str]:
        """The names of slots that are indexes (not RESTRICTED or UNNAMED)."""
        return self.names.take(pa.array(slots)).to_pylist()

    def vocabulary_flags(self, sabs: pa.Array, max_level: int) -> tuple[np.ndarray, np.ndarray]:
        """Per row: whether its SAB is above `max_level` (or unknown), whether it is English."""
        encoded = sabs.dictionary_encode()
        found = [self.vocabularies.get(sab) for sab in encoded.dictionary.to_pylist()]
        too_high = np.array([v is None or v.level > max_level for v in found], dtype=bool)
        english = np.array([v is None or v.english for v in found], dtype=bool)
        codes = encoded.indices.to_numpy()
        return too_high[codes], english[codes]


def build_concept_names(path: Path, max_level: int) -> ConceptNames:
    """Read MRCONSO once: each concept's first allowed preferred English atom, and the SABs."""
    combos: set[tuple[str, str, str]] = set()
    named: list[np.ndarray] = []
    strings: list[pa.Array] = []
    restricted: list[np.ndarray] = []
    for batch in read_rrf(path, _NAME_COLUMNS):
        kinds = pa.Table.from_batches([batch.select(["SAB", "LAT", "SRL"])])
        kinds = kinds.group_by(["SAB", "LAT", "SRL"]).aggregate([])
        combos.update(
            zip(*(kinds.column(c).to_pylist() for c in ("SAB", "LAT", "SRL")), strict=True)
        )
        preferred = functools.reduce(pc.and_, (pc.equal(batch.column(c), v) for c, v in _PREFERRED))
        atoms = batch.filter(preferred)
        if not atoms.num_rows:
            continue
        numbers = cui_numbers(path, atoms.column("CUI"))
        levels = atoms.column("SRL").dictionary_encode()
        allowed_level = np.array(
            [_level(s) <= max_level for s in levels.dictionary.to_pylist()], dtype=bool
        )
        allowed = allowed_level[levels.indices.to_numpy()]
        named.append(numbers[allowed])
        strings.append(atoms.column("STR").filter(pa.array(allowed)))
        restricted.append(numbers[~allowed])

    numbers = np.concatenate(named) if named else np.empty(0, np.int32)
    order = np.argsort(numbers, kind="stable")  # stable: file order within a concept
    numbers = numbers[order]
    first = np.ones(len(numbers), dtype=bool)
    first[1:] = numbers[1:] != numbers[:-1]
    names = pa.chunked_array(strings, pa.string()).take(pa.array(order[first]))
    numbers = numbers[first]
    only_restricted = np.setdiff1d(
        np.concatenate(restricted) if restricted else np.empty(0, np.int32), numbers
    )
    top = max(numbers.max(initial=0), only_restricted.max(initial=0))
    slots = np.full(top + 2, UNNAMED, dtype=np.int32)
    slots[only_restricted] = RESTRICTED
    slots[numbers] = np.arange(len(numbers), dtype=np.int32)

    vocabularies: dict[str, tuple[int, bool]] = {}
    for sab, lat, srl in combos:
        level, english = vocabularies.get(sab, (0, False))
        vocabularies[sab] = (max(level, _level(srl)), english or lat == "ENG")
    return ConceptNames(
        slots=slots,
        names=names.combine_chunks(),
        vocabularies={sab: Vocabulary(*v) for sab, v in vocabularies.items()},
    )


_names_cache: dict[tuple[str, int, int, int], ConceptNames] = {}


def concept_names(path: Path, max_level: int) -> ConceptNames:
    """The names of an MRCONSO file, built once per process (keyed by path, size, mtime)."""
    try:
        stat = path.stat()
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, max_level)
    names = _names_cache.get(key)
    if names is None:
        _names_cache.clear()  # one release at a time: a full name table is ~150 MB
        names = _names_cache[key] = build_concept_names(path, max_level)
    return names
