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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from meadow.converters.html import html_to_text, normalize_whitespace
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._umls_tables import (
    MRCONSO,
    MRDEF,
    MRREL,
    RESTRICTED,
    UNNAMED,
    ConceptNames,
    concept_names,
    mask,
    read_rrf,
)
from meadow.sources.base import Skip, Source

# Shard order: the definitions, the relations, then the names (which parse to nothing
# by themselves: MRDEF and MRREL read them, and as a shard their hash is in the cache key).
RRF_FILES = (MRDEF, MRREL, MRCONSO)


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

_DEFINITION_COLUMNS = ("CUI", "ATUI", "SAB", "DEF", "SUPPRESS")
_RELATION_COLUMNS = ("CUI1", "REL", "CUI2", "RELA", "SAB", "SUPPRESS")
_LABELLED_RELS = sorted(REL_PHRASES)  # made an array when used: pa.array imports pandas


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
            drops.drop("suppressed", mask(pc.not_equal(batch.column("SUPPRESS"), "N")))
            too_high, english = names.vocabulary_flags(batch.column("SAB"), max_level)
            drops.drop("not_english", ~english)
            drops.drop("restricted_source", too_high)
            blank = pc.equal(pc.utf8_trim_whitespace(batch.column("DEF")), "")
            drops.drop("empty_definition", mask(blank))
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
            drops.drop("suppressed", mask(pc.not_equal(batch.column("SUPPRESS"), "N")))
            cui1, cui2 = batch.column("CUI1"), batch.column("CUI2")
            drops.drop("self_relation", mask(pc.equal(cui1, cui2)))
            labelled = pc.or_(
                pc.not_equal(batch.column("RELA"), ""),
                pc.is_in(batch.column("REL"), value_set=pa.array(_LABELLED_RELS, pa.string())),
            )
            drops.drop("unlabelled_relation", ~mask(labelled))
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
