"""The contract every source adapter fulfils.

A source is two small pieces, kept apart so a recipe can change one without the other:

* `parse(path)` streams raw items (plain dicts) out of one raw file, in file order;
* `to_records(item)` maps one raw item to zero or more `Record`s.

Either may yield `Skip("reason")` instead; the runner counts skips per reason and they
end up in the manifest and the card.

Overlong texts are dropped here, for every source, before they are mapped or copied: a raw
item holding a string of more than `max_field_chars()` characters (10 million by default,
`MEADOW_MAX_FIELD_CHARS` to change it) is a `field_too_long` skip, and so is a record
whose instruction, input or output is that long (`read`). The quality step's default
`too_long` bound (100,000 characters of input and output) is far below, so a row dropped
here would have been dropped there; only a recipe raising `max_chars` past this limit
would also need the variable raised. Everything shared (raw-file resolution, counting,
progress, ids, the Arrow cache) lives outside the adapter, so an adapter file holds only
what is particular to its format.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from meadow.errors import RawFileError, RecipeError
from meadow.llm.tasks import LlmResult, LlmTask
from meadow.schema import EvalItem, Record

MAX_FIELD_CHARS = 10_000_000
"""Default of the longest text a raw item or record may hold (characters)."""
FIELD_LIMIT_ENV = "MEADOW_MAX_FIELD_CHARS"
FIELD_TOO_LONG = "field_too_long"
BATCH_ROWS = 10_000
"""Rows per batch from a source to the runner, and per parquet row group of its cache."""


def max_field_chars() -> int:
    """The longest text kept (characters): `MEADOW_MAX_FIELD_CHARS`, else 10 million."""
    raw = os.environ.get(FIELD_LIMIT_ENV, "").strip()
    if not raw:
        return MAX_FIELD_CHARS
    try:
        value = int(raw.replace("_", ""))
    except ValueError:
        value = 0
    if value <= 0:
        raise RecipeError(FIELD_LIMIT_ENV, f"expected a positive number of characters, got {raw!r}")
    return value


def has_text_over(item: dict[str, Any], limit: int) -> bool:
    """Whether a raw item holds a string over `limit` as a value of it or of a dict in it.

    Strings inside lists are left to the record check (`Source.read`): walking every list
    of every item costs a tenth of a build, and a list's strings reach a record only
    through code that copies them once at most. Iterative, so deep nesting is harmless.
    """
    stack = [item]
    while stack:
        for inner in stack.pop().values():
            kind = type(inner)
            if kind is str:
                if len(inner) > limit:
                    return True
            elif kind is dict:
                stack.append(inner)
    return False


@dataclass(frozen=True)
class RawFile:
    """One raw file a source needs: where it comes from and what it must hash to."""

    name: str
    url: str | None = None
    sha256: str | None = None


@dataclass(frozen=True, slots=True)
class Skip:
    """Raw rows that were dropped, and why (a short snake_case reason).

    `count` lets a source that filters whole batches (UMLS's RRF files) report many
    dropped rows at once instead of yielding millions of single skips.
    """

    reason: str
    count: int = 1


@dataclass
class Rows:
    """Records of one source as columns, the fast path from a source to the runner
    (`Source.batches`): no `Record` object per row. A column given as one string holds that
    value for every row; `instruction` and `license` left None are the source's."""

    input: list[str]
    output: list[str]
    source_id: list[str]
    subset: list[str] | str = ""
    instruction: list[str] | str | None = None
    license: list[str] | str | None = None

    def __len__(self) -> int:
        return len(self.source_id)


class Source(ABC):
    """Base class of source adapters; subclasses set the class attributes and two methods.

    Attributes:
        name: short registry name (`anki`, `wikidoc`).
        description, homepage, license, citation: shown by `meadow sources` and in cards.
        subsets: the fixed subsets; empty when they come from the data (Anki deck names).
        default_instruction: the `instruction` column unless a recipe overrides it.
        raw_files: files the source needs; those with a `url` are downloaded on demand.
        how_to_get: said when a raw file cannot be downloaded (where to get it).
        file_suffixes: which files of a `--raw` folder the source reads (when it
            declares no `expected_files`).
        expected_files: the files a `--raw` folder is searched for, at any depth: file
            name (a glob pattern) -> the subset it holds (None: several or none). Shards
            come in this order, each name's copies sorted by path; see `several_files`
            for a name found more than once and `missing_files` for a folder with none.
        several_files: a name of `expected_files` found more than once: "all" reads
            every copy, "first" the first by path; any other text makes it an error
            ("holds several NAME files (…): TEXT").
        missing_files: the error when a folder holds no file the source reads ("" says
            which suffixes or names were wanted).
        version: the adapter version; bump it when the output for the same raw files
            changes, so cached per-source builds are not reused.
        default_options: the options a recipe may set, with their defaults; a recipe's
            `options:` overrides them, and `options_in_effect` (on the instance) holds the
            result.
        evaluation_subsets: subsets that are benchmarks (`"*"` for all): the mixer puts
            their rows only in the test split unless a recipe sets `train_on_evaluation`.
        instruction_paraphrases: per subset (`"*"` for all), wordings of the instruction
            that mean the same; the mixer gives each row one of them, chosen from the
            recipe's seed and the row's id (PMC-LLaMA varied its instructions this way).
            A recipe's `instruction:` or `paraphrase: false` fixes a single one.
        llm_subsets: subsets (`"*"` for all) whose rows an LLM may rewrite when a recipe
            or `--llm` asks for it (medAlpaca had gpt-3.5-turbo write its Wikidoc textbook
            questions and rephrase its Anki cards); `llm_task` and `llm_row` say how.
        scrub_pii: the texts are conversations that may name people (dialogue sources):
            the quality step scrubs personal details unless a recipe sets `pii: false`.
        language: the language the rows are meant to be in (ISO 639-1, e.g. `en`); rows
            identified as another language are filtered. None: not checked.
        boilerplate: the answers open and close with greetings and sign-offs
            (ChatDoctor's), which the quality step strips.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    homepage: ClassVar[str] = ""
    license: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    subsets: ClassVar[tuple[str, ...]] = ()
    default_instruction: ClassVar[str] = "Answer this question truthfully"
    raw_files: ClassVar[tuple[RawFile, ...]] = ()
    how_to_get: ClassVar[str] = ""
    file_suffixes: ClassVar[tuple[str, ...]] = ()
    expected_files: ClassVar[dict[str, str | None]] = {}
    several_files: ClassVar[str] = "all"
    missing_files: ClassVar[str] = ""
    version: ClassVar[str] = "1"
    default_options: ClassVar[dict[str, Any]] = {}
    evaluation_subsets: ClassVar[tuple[str, ...]] = ()
    instruction_paraphrases: ClassVar[dict[str, tuple[str, ...]]] = {}
    llm_subsets: ClassVar[tuple[str, ...]] = ()
    scrub_pii: ClassVar[bool] = False
    language: ClassVar[str | None] = None
    boilerplate: ClassVar[bool] = False

    def __init__(self, *, instruction: str | None = None, **options: Any):
        unknown = sorted(set(options) - set(self.default_options))
        if unknown:
            allowed = ", ".join(sorted(self.default_options)) or "none"
            raise RecipeError(
                f"sources.{self.name}.options.{unknown[0]}",
                f"unknown option for source {self.name!r}; available: {allowed}",
            )
        self.instruction = instruction or self.default_instruction
        self.options_in_effect: dict[str, Any] = {**self.default_options, **options}

    # -- what an adapter implements ---------------------------------------------------

    @abstractmethod
    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Stream raw items out of one raw file; raise RawFileError if it cannot be read."""

    @abstractmethod
    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """Map one raw item to records (or skips)."""

    # -- shared behaviour ---------------------------------------------------------------

    def shards(self, raw: Path) -> list[Path]:
        """The raw files to parse, in a stable order; each is parsed independently.

        A file is `file_shards`, a folder `folder_shards`; adapters with rules of their
        own override those two, so what is not there is said here only.
        """
        raw = Path(raw)
        if raw.is_file():
            return self.file_shards(raw)
        if raw.is_dir():
            return self.folder_shards(raw)
        raise RawFileError(raw, "no such file or folder")

    def file_shards(self, path: Path) -> list[Path]:
        """The shards of a `--raw` that is one file: the file (adapters check its name)."""
        return [path]

    def folder_shards(self, folder: Path) -> list[Path]:
        """The shards of a `--raw` folder: its `expected_files`, else every file with one
        of `file_suffixes` (any file when there are none), sorted by path."""
        if self.expected_files:
            files = self._expected_in(folder)
        else:
            files = sorted(
                p
                for p in folder.rglob("*")
                if p.is_file()
                and (not self.file_suffixes or p.suffix.lower() in self.file_suffixes)
            )
        if not files:
            wanted = " or ".join(self.file_suffixes) or "any"
            message = (
                self.missing_files or f"folder holds no {wanted} files for source {self.name!r}"
            )
            raise RawFileError(folder, message)
        return files

    def _expected_in(self, folder: Path) -> list[Path]:
        files: list[Path] = []
        for pattern in self.expected_files:
            paths = sorted(p for p in folder.rglob(pattern) if p.is_file())
            if len(paths) > 1 and self.several_files == "first":
                paths = paths[:1]
            elif len(paths) > 1 and self.several_files != "all":
                names = ", ".join(p.relative_to(folder).as_posix() for p in paths)
                raise RawFileError(
                    folder, f"holds several {pattern} files ({names}): {self.several_files}"
                )
            files.extend(paths)
        return files

    def notes(self, raw: Path) -> list[str]:
        """Lines that say how `raw` was read where the source had to choose a rule (a copy
        whose layout differs from the canonical one); the manifest and the card keep them."""
        return []

    def read(self, path: Path) -> Iterator[Record | Skip]:
        """Records (and skips) of one raw file as a build takes them: `records`, with any
        record holding a text over `max_field_chars()` dropped as `field_too_long`."""
        limit = max_field_chars()
        for item in self.records(path):
            if type(item) is Record and (
                len(item.input) > limit or len(item.output) > limit or len(item.instruction) > limit
            ):
                yield Skip(FIELD_TOO_LONG)
            else:
                yield item

    def batches(self, path: Path) -> Iterator[Rows | Skip]:
        """The records of `read(path)` as column batches, in order: what the runner writes.

        A source whose per-row mapping dominates its build overrides this to fill columns
        straight from its parser; an override yields the same rows in the same order and
        the same skips as `read` (tests/sources/test_batches.py holds every source to it),
        except that the runner, not the override, drops over-long and empty records.
        """
        # the hottest loop of a source without an override: plain appends, no list per batch
        columns: tuple[list[str], ...] = ([], [], [], [], [], [])
        inputs, outputs, source_ids, subsets, instructions, licenses = columns
        for item in self.read(path):
            if type(item) is Skip:
                yield item
                continue
            inputs.append(item.input)
            outputs.append(item.output)
            source_ids.append(item.source_id)
            subsets.append(item.subset)
            instructions.append(item.instruction)
            licenses.append(item.license)
            if len(source_ids) >= BATCH_ROWS:
                yield Rows(*columns)
                columns = ([], [], [], [], [], [])
                inputs, outputs, source_ids, subsets, instructions, licenses = columns
        if source_ids:
            yield Rows(*columns)

    def records(self, path: Path) -> Iterator[Record | Skip]:
        """Records (and skips) of one raw file: parse, then map; a raw item holding a text
        over `max_field_chars()` is a `field_too_long` skip, never mapped."""
        for item in within_limit(self.parse(path)):
            if isinstance(item, Skip):
                yield item
            else:
                yield from self.to_records(item)

    def record(
        self,
        *,
        input: str,
        output: str,
        source_id: str,
        subset: str = "",
        instruction: str | None = None,
        license: str | None = None,
    ) -> Record:
        """A record with this source's name, instruction and license filled in."""
        return Record(
            instruction=instruction or self.instruction,
            input=input,
            output=output,
            source=self.name,
            subset=subset,
            source_id=source_id,
            license=license or self.license,
        )

    @classmethod
    def is_evaluation_only(cls, subset: str) -> bool:
        """Whether rows of `subset` are benchmark items that must not be trained on."""
        return "*" in cls.evaluation_subsets or subset in cls.evaluation_subsets

    @classmethod
    def paraphrases_for(cls, subset: str) -> tuple[str, ...]:
        """The instruction wordings of `subset`'s rows; () when the source has none."""
        found = cls.instruction_paraphrases
        return found.get(subset) or found.get("*") or ()

    @classmethod
    def llm_rewrites(cls, subset: str) -> bool:
        """Whether rows of `subset` can be rewritten by an LLM."""
        return "*" in cls.llm_subsets or subset in cls.llm_subsets

    def llm_task(self, row: dict[str, str]) -> LlmTask | None:
        """What an LLM is asked to write for one built row (its columns), or None."""
        return None

    def llm_row(self, row: dict[str, str], result: LlmResult) -> tuple[str, str]:
        """The (input, output) of a row whose LLM answer passed the quality gate."""
        return result.question or row["input"], result.answer or row["output"]

    def evaluation_items(self, path: Path) -> Iterator[EvalItem | Skip]:
        """Benchmark items of one raw file, for sources that are benchmarks."""
        raise NotImplementedError(f"source {self.name!r} has no evaluation items")

    def contamination_items(self, path: Path) -> Iterator[EvalItem | Skip]:
        """What training rows must not overlap: the evaluation items, and questions whose
        answers are withheld (a hidden test set; `answer` is then "")."""
        return self.evaluation_items(path)

    def fingerprint_data(self) -> dict[str, Any]:
        """What, besides the raw files, decides this source's output."""
        data = {
            "source": self.name,
            "version": self.version,
            "instruction": self.instruction,
            "options": self.options_in_effect,
        }
        if max_field_chars() != MAX_FIELD_CHARS:  # it decides which rows are kept
            data["max_field_chars"] = max_field_chars()
        if self.instruction_paraphrases:  # they decide the mixture's instruction column
            data["instruction_paraphrases"] = {
                subset: list(texts)
                for subset, texts in sorted(self.instruction_paraphrases.items())
            }
        return data

    @classmethod
    def info(cls) -> dict[str, Any]:
        """Metadata for listings and cards."""
        return {
            "name": cls.name,
            "description": cls.description,
            "homepage": cls.homepage,
            "license": cls.license,
            "citation": cls.citation,
            "subsets": list(cls.subsets),
            "version": cls.version,
            "raw_files": [
                {"name": f.name, "url": f.url, "sha256": f.sha256} for f in cls.raw_files
            ],
            "how_to_get": cls.how_to_get,
            "evaluation_subsets": list(cls.evaluation_subsets),
            "llm_subsets": list(cls.llm_subsets),
            "instruction_paraphrases": {
                subset: list(texts) for subset, texts in cls.instruction_paraphrases.items()
            },
        }


def within_limit(items: Iterable[dict[str, Any] | Skip]) -> Iterator[dict[str, Any] | Skip]:
    """Raw items as a source maps them: a skip passed on, an item holding a text over
    `max_field_chars()` turned into a `field_too_long` skip (`records` and the `batches`
    overrides that map raw items share it)."""
    limit = max_field_chars()
    for item in items:
        if type(item) is not Skip and has_text_over(item, limit):
            yield Skip(FIELD_TOO_LONG)
        else:
            yield item
