"""UMLS Metathesaurus: concept definitions and relations as questions (PMC-LLaMA's KG QA).

PMC-LLaMA asked what a UMLS concept is (answered by its definition) and how two concepts
are related (answered by the relation). This adapter rebuilds both from a Metathesaurus
release. The release is licensed and never downloaded: the user passes its `META` folder
(or a folder above it) with `--raw umls=FOLDER`, and three of its files are read:

* `MRCONSO.RRF`, the names: a concept's name is its preferred English atom (LAT=ENG,
  TS=P, STT=PF, ISPREF=Y, SUPPRESS=N; the first such atom in the file); it also gives
  each source vocabulary's (SAB's) language and restriction level (SRL);
* `MRDEF.RRF`, subset `entity`: `What is "{name}"?` answered by a definition (source_id:
  the definition's ATUI);
* `MRREL.RRF`, subset `relation`: `What is the relation between "{name2}" and
  "{name1}"?` answered by `"{name2}" {phrase} "{name1}".` REL and RELA say what CUI2 is
  to CUI1: the row `C1|…|CHD|C2|…|isa|` says C2 is a child of C1, "C2 is a C1". The
  phrase comes from RELA (`may_treat` -> "may treat", `isa` -> "is a"), or, when RELA is
  empty, from REL (PAR, CHD, RB, RN, SY, RQ, SIB); source_id `{CUI2}|{RELA or REL}|{CUI1}`,
  so a fact that several vocabularies assert is one id (the mixer keeps the first).

RRF files are UTF-8, one row per line, fields separated and ended by `|`, no header and
no quoting. A full release is tens of GB (MRREL alone 60M+ lines), so the files are read
with `pyarrow.csv` in large batches and filtered with Arrow compute; Python objects are
made only for rows that become records, and dropped rows are counted per batch
(`Skip(reason, count=n)`). The names are a compact table (one Arrow string array, and
an int32 array from CUI number to name: ~24 MB for a full release), built once per
process and MRCONSO file, so memory does not grow with MRDEF's or MRREL's size.

Rows are skipped as `suppressed` (SUPPRESS is not N), `not_english` (a definition from a
non-English vocabulary), `restricted_source` (the vocabulary of the definition, the
relation, or of a concept's only preferred English names has a restriction level above
the `max_restriction_level` option, default 0), `unnamed_concept` (no preferred English
name), `self_relation` (CUI1 = CUI2), `unlabelled_relation` (no RELA, and a REL such as
RO, RL, AQ, QB or XR that says nothing in words) and `empty_definition`. A vocabulary
with no atom in MRCONSO has no known restriction level: its rows are `restricted_source`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from meadow.converters.html import html_to_text, normalize_whitespace
from meadow.errors import RawFileError, RecipeError, excerpt
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._csv import field_limit, find_long_row, long_row_error
from meadow.sources._json import encoding_error
from meadow.sources.base import Skip, Source

MRCONSO = "MRCONSO.RRF"
MRDEF = "MRDEF.RRF"
MRREL = "MRREL.RRF"
# Shard order: the definitions, the relations, then the names (which parse to nothing
# by themselves: MRDEF and MRREL read them, and as a shard their hash is in the cache key).
RRF_FILES = (MRDEF, MRREL, MRCONSO)

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

# What a relation without a RELA says, by REL (CUI2's relation to CUI1). Other RELs (RO,
# RL, AQ, QB, XR, …) say nothing in words: those rows are `unlabelled_relation`.
REL_PHRASES: dict[str, str] = {
    "PAR": "is a parent of",
    "CHD": "is a child of",
    "RB": "has a broader meaning than",
    "RN": "has a narrower meaning than",
    "SY": "is a synonym of",
    "RQ": "is related and possibly synonymous to",
    "SIB": "is a sibling of",
}
# RELAs whose words do not read as a phrase once underscores become spaces.
RELA_PHRASES: dict[str, str] = {"isa": "is a", "inverse_isa": "has the subtype"}
_VERBS = frozenset({"is", "was", "are", "has", "had", "have", "may", "can", "might", "does"})
_PREPOSITIONS = frozenset({"of", "to", "with", "by", "as", "from", "in", "for", "on", "at"})

ENTITY_PARAPHRASES = (
    "Explain what the medical term in the question means.",
    "Give a short definition of the biomedical concept asked about.",
    "Define the following medical concept.",
    "Describe the biomedical entity named in the question.",
    "What does this medical term refer to? Answer with its definition.",
)
RELATION_PARAPHRASES = (
    "State how the two medical concepts in the question are related.",
    "Describe the relation between the two biomedical concepts.",
    "Answer with the relationship that links the first concept to the second.",
    "Say in one sentence how the first medical term relates to the second.",
    "Name the relation between the two concepts of the question.",
)
SUBSET_INSTRUCTIONS = {"entity": ENTITY_PARAPHRASES[0], "relation": RELATION_PARAPHRASES[0]}

CITATION = """\
@article{bodenreider2004umls,
  title={The Unified Medical Language System ({UMLS}): integrating biomedical terminology},
  author={Bodenreider, Olivier},
  journal={Nucleic Acids Research},
  volume={32},
  number={Database issue},
  pages={D267--D270},
  year={2004},
  doi={10.1093/nar/gkh061}
}"""

_BLOCK_SIZE = 1 << 20  # bytes per Arrow batch (~10k MRREL rows): as fast as larger, far less memory
_EMPTY = "empty file: download/unzip it again"
# What a concept lookup gives for a concept without a usable name.
RESTRICTED = -1  # its preferred English atoms all come from restricted vocabularies
UNNAMED = -2  # it has no preferred English atom at all
_UNKNOWN_LEVEL = 99  # a vocabulary without atoms in MRCONSO, or an SRL that is not a number
_PREFERRED = (("LAT", "ENG"), ("TS", "P"), ("STT", "PF"), ("ISPREF", "Y"), ("SUPPRESS", "N"))
_NAME_COLUMNS = ("CUI", "LAT", "TS", "STT", "ISPREF", "SAB", "STR", "SRL", "SUPPRESS")
_DEFINITION_COLUMNS = ("CUI", "ATUI", "SAB", "DEF", "SUPPRESS")
_RELATION_COLUMNS = ("CUI1", "REL", "CUI2", "RELA", "SAB", "SUPPRESS")
_LABELLED_RELS = pa.array(sorted(REL_PHRASES), pa.string())


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
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(column_names=names, block_size=block),
            parse_options=pa_csv.ParseOptions(
                delimiter="|", quote_char=False, double_quote=False, escape_char=False
            ),
            convert_options=pa_csv.ConvertOptions(
                include_columns=list(columns),
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
            ),
        )
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
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


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
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


class _Drops:
    """Row filters applied in turn; a dropped row counts once, under its first reason."""

    def __init__(self, rows: int):
        self.keep = np.ones(rows, dtype=bool)
        self.skips: list[Skip] = []

    def drop(self, reason: str, mask: np.ndarray) -> None:
        dropped = int(np.count_nonzero(mask & self.keep))
        if dropped:
            self.skips.append(Skip(reason, dropped))
            self.keep &= ~mask


@functools.cache
def relation_phrase(rel: str, rela: str) -> str:
    """What CUI2 is to CUI1, in words: from RELA when there is one, else from REL.

    RELA's underscores become spaces, and a RELA without a verb gets "is" (`part_of` ->
    "is part of", `associated_with` -> "is associated with"; `may_treat` stays).
    """
    if not rela:
        return REL_PHRASES[rel]
    if rela in RELA_PHRASES:
        return RELA_PHRASES[rela]
    words = rela.split("_")
    first = words[0]
    verb = first in _VERBS or (len(first) > 3 and first.endswith("s") and first[-2] != "s")
    if not verb and (first.endswith("ed") or words[-1] in _PREPOSITIONS):
        words.insert(0, "is")
    return " ".join(words)


# -- the source -------------------------------------------------------------------------------


@register_source
class UmlsSource(Source):
    """UMLS definitions (`entity`) and relations (`relation`) as questions and answers.

    Options:
        max_restriction_level: the highest source restriction level (SRL) used, for
            definitions, relations and names alike. 0 (default) keeps vocabularies with
            no restrictions beyond the UMLS license, the safest to share; 9 keeps all.
    """

    name = "umls"
    description = (
        "UMLS Metathesaurus concept definitions (MRDEF) and relations between concepts "
        "(MRREL), named by their preferred English names (MRCONSO), as the entity and "
        "relation questions of PMC-LLaMA's instruction set. Licensed data: rows may only "
        "be shared with others who hold a UMLS license (UMLS Metathesaurus License "
        "Agreement), and each source vocabulary carries its own restriction level "
        "(SRL 0-4, 9 for SNOMED CT); by default only level-0 vocabularies are used. The "
        "bundled sample's concepts (C9000001, ...) are invented, not UMLS content."
    )
    homepage = "https://www.nlm.nih.gov/research/umls/"
    license = "other"  # UMLS Metathesaurus License Agreement
    citation = CITATION
    subsets = ("entity", "relation")
    default_instruction = ENTITY_PARAPHRASES[0]
    instruction_paraphrases: ClassVar[dict[str, tuple[str, ...]]] = {
        "entity": ENTITY_PARAPHRASES,
        "relation": RELATION_PARAPHRASES,
    }
    raw_files = ()
    how_to_get = (
        "The UMLS is licensed and cannot be downloaded for you: create a UTS account at "
        "https://uts.nlm.nih.gov/uts/signup-login, accept the UMLS Metathesaurus License "
        "Agreement, download the 'UMLS Metathesaurus Full Subset' from "
        "https://www.nlm.nih.gov/research/umls/licensedcontent/umlsknowledgesources.html, "
        "unzip it and pass its META folder (holding MRCONSO.RRF, MRDEF.RRF and MRREL.RRF)."
    )
    file_suffixes = (".rrf",)
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {"max_restriction_level": 0}

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        level = self.options_in_effect["max_restriction_level"]
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 9:
            raise RecipeError(
                f"sources.{self.name}.options.max_restriction_level",
                "expected a source restriction level from 0 (no additional restrictions) "
                f"to 9 (SNOMED CT), got {level!r}",
            )
        # A recipe's instruction replaces ours (None: `record` fills it in); ours is per subset.
        given = instruction is not None
        self._instructions = {s: None if given else SUBSET_INSTRUCTIONS[s] for s in self.subsets}

    # -- raw files ------------------------------------------------------------------------

    def file_shards(self, path: Path) -> list[Path]:
        """One of the RRF files stands for its folder."""
        if path.name not in RRF_FILES:
            raise RawFileError(
                path, "not a UMLS file: pass the META folder of a Metathesaurus release"
            )
        return self.folder_shards(path.parent)

    def folder_shards(self, folder: Path) -> list[Path]:
        """MRDEF.RRF, MRREL.RRF and MRCONSO.RRF, found by name under `folder`, in one folder."""
        found = {
            name: sorted(p for p in folder.rglob(name) if p.name == name and p.is_file())
            for name in RRF_FILES
        }
        expected = ", ".join(sorted(RRF_FILES))
        if not any(found.values()):
            raise RawFileError(
                folder,
                f"folder holds none of {expected}: pass the META folder of a UMLS "
                "Metathesaurus release (or a folder above it)",
            )
        for name, paths in found.items():
            if len(paths) > 1:
                listed = ", ".join(str(p.parent) for p in paths)
                raise RawFileError(
                    folder, f"holds several {name} ({listed}): pass one release's META folder"
                )
            if not paths:
                raise RawFileError(folder, f"{name} is missing: {_missing_hint(folder, name)}")
        folders = {paths[0].parent for paths in found.values()}
        if len(folders) > 1:
            raise RawFileError(
                folder, f"{expected} are not in one folder: pass one release's META folder"
            )
        return [found[name][0] for name in RRF_FILES]

    # -- parsing --------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Definitions (MRDEF) or relations (MRREL) whose concepts have names.

        Items: `{subset: "entity", atui, cui, name, definition}` or `{subset: "relation",
        cui1, rel, cui2, rela, name1, name2}`. MRCONSO.RRF parses to nothing: the other two
        read it (from their own folder) for names and vocabularies.
        """
        path = Path(path)
        if path.name == MRCONSO:
            return
        if path.name not in (MRDEF, MRREL):
            raise RawFileError(
                path, f"not a file the umls source reads: expected one of {', '.join(RRF_FILES)}"
            )
        names_file = path.parent / MRCONSO
        if not names_file.is_file():
            raise RawFileError(
                path.parent, f"{MRCONSO} is missing: it is needed next to {path.name}"
            )
        names = concept_names(names_file, self.options_in_effect["max_restriction_level"])
        if path.name == MRDEF:
            yield from self._definitions(path, names)
        else:
            yield from self._relations(path, names)

    def _definitions(self, path: Path, names: ConceptNames) -> Iterator[dict[str, Any] | Skip]:
        max_level = self.options_in_effect["max_restriction_level"]
        for batch in read_rrf(path, _DEFINITION_COLUMNS):
            drops = _Drops(batch.num_rows)
            drops.drop("suppressed", _mask(pc.not_equal(batch.column("SUPPRESS"), "N")))
            too_high, english = names.vocabulary_flags(batch.column("SAB"), max_level)
            drops.drop("not_english", ~english)
            drops.drop("restricted_source", too_high)
            blank = pc.equal(pc.utf8_trim_whitespace(batch.column("DEF")), "")
            drops.drop("empty_definition", _mask(blank))
            kept = batch.filter(pa.array(drops.keep))
            slots = names.lookup(path, kept.column("CUI"))
            concepts = _Drops(kept.num_rows)
            concepts.drop("unnamed_concept", slots == UNNAMED)
            concepts.drop("restricted_source", slots == RESTRICTED)
            yield from drops.skips
            yield from concepts.skips
            rows = kept.filter(pa.array(concepts.keep))
            for atui, cui, definition, name in zip(
                rows.column("ATUI").to_pylist(),
                rows.column("CUI").to_pylist(),
                rows.column("DEF").to_pylist(),
                names.take(slots[concepts.keep]),
                strict=True,
            ):
                yield {
                    "subset": "entity",
                    "atui": atui,
                    "cui": cui,
                    "name": name,
                    "definition": definition,
                }

    def _relations(self, path: Path, names: ConceptNames) -> Iterator[dict[str, Any] | Skip]:
        max_level = self.options_in_effect["max_restriction_level"]
        for batch in read_rrf(path, _RELATION_COLUMNS):
            drops = _Drops(batch.num_rows)
            drops.drop("suppressed", _mask(pc.not_equal(batch.column("SUPPRESS"), "N")))
            cui1, cui2 = batch.column("CUI1"), batch.column("CUI2")
            drops.drop("self_relation", _mask(pc.equal(cui1, cui2)))
            labelled = pc.or_(
                pc.not_equal(batch.column("RELA"), ""),
                pc.is_in(batch.column("REL"), value_set=_LABELLED_RELS),
            )
            drops.drop("unlabelled_relation", ~_mask(labelled))
            drops.drop(
                "restricted_source", names.vocabulary_flags(batch.column("SAB"), max_level)[0]
            )
            kept = batch.filter(pa.array(drops.keep))
            slots1 = names.lookup(path, kept.column("CUI1"))
            slots2 = names.lookup(path, kept.column("CUI2"))
            concepts = _Drops(kept.num_rows)
            concepts.drop("unnamed_concept", (slots1 == UNNAMED) | (slots2 == UNNAMED))
            concepts.drop("restricted_source", (slots1 < 0) | (slots2 < 0))
            yield from drops.skips
            yield from concepts.skips
            keep = concepts.keep
            rows = kept.filter(pa.array(keep))
            for c1, rel, c2, rela, name1, name2 in zip(
                rows.column("CUI1").to_pylist(),
                rows.column("REL").to_pylist(),
                rows.column("CUI2").to_pylist(),
                rows.column("RELA").to_pylist(),
                names.take(slots1[keep]),
                names.take(slots2[keep]),
                strict=True,
            ):
                yield {
                    "subset": "relation",
                    "cui1": c1,
                    "rel": rel,
                    "cui2": c2,
                    "rela": rela,
                    "name1": name1,
                    "name2": name2,
                }

    # -- mapping --------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One question per definition or relation."""
        if item["subset"] == "relation":
            name1, name2 = item["name1"], item["name2"]
            label = item["rela"] or item["rel"]
            return (
                self.record(
                    input=f'What is the relation between "{name2}" and "{name1}"?',
                    output=f'"{name2}" {relation_phrase(item["rel"], item["rela"])} "{name1}".',
                    source_id=f"{item['cui2']}|{label}|{item['cui1']}",
                    subset="relation",
                    instruction=self._instructions["relation"],
                ),
            )
        definition = item["definition"]
        text = html_to_text(definition) if "<" in definition else normalize_whitespace(definition)
        if not text:
            return (Skip("empty_definition"),)
        return (
            self.record(
                input=f'What is "{item["name"]}"?',
                output=text,
                source_id=item["atui"],
                subset="entity",
                instruction=self._instructions["entity"],
            ),
        )


def _missing_hint(folder: Path, name: str) -> str:
    """What to do about a missing RRF file, with a word on split or compressed parts."""
    parts = sorted(p.name for p in folder.rglob(f"{name}.*") if p.is_file())
    if parts:
        return (
            f"found {', '.join(parts[:3])}{', ...' if len(parts) > 3 else ''}: uncompress "
            f"or join them into one {name} (e.g. `cat {name}.* > {name}` for split parts)"
        )
    return (
        f"the umls source needs {', '.join(sorted(RRF_FILES))} from one META folder of a "
        "UMLS Metathesaurus release"
    )
