"""PMC-LLaMA's instruction release: the 513,999 rows PMC_LLaMA_13B was instruction-tuned on.

Wu et al. (2023) published their instruction data as one JSON file, `release.json`
(~700 MB) in the Hugging Face dataset `axiong/pmc_llama_instructions`: a JSON array of
`{instruction, input, output, source, sample_id}`. `source` names the corpus a row was
made from, and becomes the row's subset as it is:

* `pubmedqa.ori_pqaa` (~211k): PubMedQA's artificial questions with their abstracts;
* `medmcqa` (~183k): MedMCQA questions, the answer with its rationale;
* `umls` and `umls_relation` (~99k together): entity descriptions and relations made from
  the UMLS Metathesaurus;
* `medqa_train` (~10k): MedQA (USMLE) training questions;
* `liveqa` and `medicationqa` (~600 each): consumer health questions.

Inputs look like `###Question: …\\n###Options:\\nA. …`, outputs like
`###Answer: OPTION D IS CORRECT.` or `###Rationale: …`. Rows keep all of it verbatim (only
surrounding whitespace is trimmed), their own instruction included, since PMC-LLaMA varied
its instructions on purpose; a recipe's `instruction:` replaces them all.

The array is streamed with ijson's C backend (flat memory at any size) and per-row work is
kept to a few attribute reads, since this one file is a large share of a `pmc-llama`
build. A copy saved as JSON lines (one object per line, as `datasets` writes it) is read
too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any

from meadow.errors import RawFileError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._json import (
    array_batches,
    first_json_byte,
    json_line_batches,
    json_lines,
    stream_array,
)
from meadow.sources.base import RawFile, Rows, Skip, Source

RELEASE_FILE = "release.json"
RELEASE_URL = (
    "https://huggingface.co/datasets/axiong/pmc_llama_instructions/resolve/main/release.json"
)
KEYS = ("instruction", "input", "output", "source", "sample_id")
# The release's card says openrail; rows made from the UMLS Metathesaurus stay under its
# license agreement, whatever the release says.
RELEASE_LICENSE = "openrail"
UMLS_LICENSE = "other"
UMLS_SOURCES = frozenset({"umls", "umls_relation"})

_KEY_SET = frozenset(KEYS)
_JSON_KINDS = {list: "array", str: "string", int: "number", float: "number", bool: "boolean"}
_JSON_KINDS[type(None)] = "null"

CITATION = """\
@article{wu2023pmcllama,
  title={PMC-LLaMA: Towards Building Open-source Language Models for Medicine},
  author={Wu, Chaoyi and Lin, Weixiong and Zhang, Xiaoman and Zhang, Ya and Wang, Yanfeng and Xie, Weidi},
  journal={arXiv preprint arXiv:2304.14454},
  year={2023}
}"""  # noqa: E501


@register_source
class PmcLlamaSource(Source):
    """PMC-LLaMA's instruction rows, one record per row, subset = the row's `source`.

    Skips: `missing_source` (a blank `source`), `not_text` (a text field holding a list
    or an object). Licenses per row: `openrail` (the release's card), `other` for the
    UMLS-derived subsets.
    """

    name = "pmc_llama"
    description = (
        "PMC-LLaMA's instruction-tuning release (513,999 rows): medical QA with rationales "
        "(MedQA, MedMCQA, PubMedQA), consumer health questions (LiveQA, MedicationQA) and "
        "UMLS knowledge questions, with their instructions as published. Licensed "
        "openrail (the release's card), except the umls and umls_relation rows (license: "
        "other): they derive from the UMLS Metathesaurus, whose license agreement still "
        "applies to them."
    )
    homepage = "https://huggingface.co/datasets/axiong/pmc_llama_instructions"
    license = RELEASE_LICENSE
    citation = CITATION
    subsets = ()  # from the data: the `source` column (see the module docstring)
    raw_files = (RawFile(RELEASE_FILE, url=RELEASE_URL),)
    how_to_get = (
        f"Download {RELEASE_FILE} from the Hugging Face dataset axiong/pmc_llama_instructions "
        f"({RELEASE_URL}) and pass the file, or a folder holding it."
    )
    file_suffixes = (".json", ".jsonl")
    version = "1"

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        # A recipe's instruction replaces the rows' own; otherwise each row keeps its own.
        self._fixed_instruction = instruction

    def folder_shards(self, folder: Path) -> list[Path]:
        """The .json and .jsonl files of a folder, release.json first."""
        files = sorted(
            (
                p
                for p in folder.rglob("*")
                if p.is_file() and p.suffix.lower() in self.file_suffixes
            ),
            key=lambda p: (p.name != RELEASE_FILE, p.as_posix()),
        )
        if not files:
            raise RawFileError(
                folder,
                f"folder holds no {RELEASE_FILE} (nor any other .json or .jsonl file): expected "
                f"PMC-LLaMA's {RELEASE_FILE}; {self.how_to_get}",
            )
        return files

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """The release's rows, checked to hold the five keys, as they are in the file."""
        path = Path(path)
        if first_json_byte(path) == b"{":
            for number, row in json_lines(path, "one PMC-LLaMA row (a JSON object) per line"):
                if type(row) is not dict or not row.keys() >= _KEY_SET:
                    raise _bad_row(path, row, f"line {number}", number)
                yield row
            return
        rows = stream_array(path, "PMC-LLaMA's rows (a JSON array of objects)")
        for index, row in enumerate(rows):
            if type(row) is not dict or not row.keys() >= _KEY_SET:
                raise _bad_row(path, row, f"item {index}", index)
            yield row

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One record: instruction, input and output as published, subset = `source`."""
        return list(self._map_rows((item,)))

    def records(self, path: Path) -> Iterator[Record | Skip]:
        """`parse` then `to_records`, with the mapping run as one loop over the rows.

        The same mapping as `to_records` (both use `_map_rows`), without a call and a list
        per row: on the 514k-row release that is a measurable share of the whole build.
        """
        return self._map_rows(self.parse(path))

    def _map_rows(self, rows: Iterable[dict[str, Any]]) -> Iterator[Record | Skip]:
        fixed, default, name = self._fixed_instruction, self.instruction, self.name
        record, umls = Record, UMLS_SOURCES  # locals: this loop runs once per row
        for row in rows:
            source, instruction, input, output = (
                row["source"],
                row["instruction"],
                row["input"],
                row["output"],
            )
            if not (type(source) is type(instruction) is type(input) is type(output) is str):
                texts = [_text(value) for value in (source, instruction, input, output)]
                if None in texts:
                    yield Skip("not_text")
                    continue
                source, instruction, input, output = texts
            source = source.strip()
            if not source:
                yield Skip("missing_source")
                continue
            yield record(
                fixed or instruction.strip() or default,
                input.strip(),
                output.strip(),
                name,
                source,
                f"{source}/{row['sample_id']}",
                UMLS_LICENSE if source in umls else RELEASE_LICENSE,
            )

    def batches(self, path: Path) -> Iterator[Rows | Skip]:
        """The rows of `read`, a list of items at a time: the columns are taken out of the
        list, trimmed and checked in C (`itemgetter`, `map`), with a Python loop per row
        only for a list holding a non-text value or a blank `source`."""
        path = Path(path)
        fixed, default = self._fixed_instruction, self.instruction
        get = itemgetter(*KEYS)
        for rows, where in _row_lists(path):
            try:  # fails on an item that is not an object or lacks a key
                columns = list(zip(*map(get, rows), strict=True))
            except (TypeError, KeyError):
                index = next(
                    i
                    for i, row in enumerate(rows)
                    if type(row) is not dict or not row.keys() >= _KEY_SET
                )
                raise _bad_row(path, rows[index], *where(index)) from None
            instruction, input, output, source, sample_id = (list(c) for c in columns)
            skips = 0
            texts = (source, instruction, input, output)
            if not {
                *map(type, source),
                *map(type, instruction),
                *map(type, input),
                *map(type, output),
            } <= {str}:
                kept = []
                for i in range(len(source)):
                    values = [_text(column[i]) for column in texts]
                    if None in values:
                        skips += 1
                        continue
                    source[i], instruction[i], input[i], output[i] = values
                    kept.append(i)
                if skips:
                    yield Skip("not_text", count=skips)
                    source, instruction, input, output, sample_id = (
                        [column[i] for i in kept]
                        for column in (source, instruction, input, output, sample_id)
                    )
            source = list(map(str.strip, source))
            if "" in source:
                blank = source.count("")
                yield Skip("missing_source", count=blank)
                kept = [i for i, name in enumerate(source) if name]
                source, instruction, input, output, sample_id = (
                    [column[i] for i in kept]
                    for column in (source, instruction, input, output, sample_id)
                )
            if not source:
                continue
            if fixed:
                instructions: list[str] | str = fixed
            else:
                instructions = [text.strip() or default for text in instruction]
            licenses = None  # the release's
            if not UMLS_SOURCES.isdisjoint(source):
                licenses = [
                    UMLS_LICENSE if name in UMLS_SOURCES else RELEASE_LICENSE for name in source
                ]
            yield Rows(
                list(map(str.strip, input)),
                list(map(str.strip, output)),
                list(map("{}/{}".format, source, sample_id)),
                source,
                instructions,
                licenses,
            )


def _row_lists(path: Path) -> Iterator[tuple[list[Any], Any]]:
    """The release's items in lists, each with how to name its i-th item in an error."""
    if first_json_byte(path) == b"{":
        for pairs, _ in json_line_batches(path, "one PMC-LLaMA row (a JSON object) per line"):
            numbers = [number for number, _ in pairs]
            yield [row for _, row in pairs], lambda i, n=numbers: (f"line {n[i]}", n[i])
        return
    start = 0
    for rows, _ in array_batches(path, "PMC-LLaMA's rows (a JSON array of objects)"):
        yield rows, lambda i, s=start: (f"item {s + i}", s + i)
        start += len(rows)


def _text(value: Any) -> str | None:
    """A field as text: null is empty, numbers are written out, lists and objects are not."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _bad_row(path: Path, row: Any, where: str, number: int) -> RawFileError:
    expected = f"expected keys: {', '.join(KEYS)}"
    if type(row) is not dict:
        kind = _JSON_KINDS.get(type(row), "value")
        return RawFileError(
            path,
            f"{where} is a JSON {kind}, not an object ({expected}): is this PMC-LLaMA's "
            f"{RELEASE_FILE}?",
            row=number,
        )
    missing = next(key for key in KEYS if key not in row)
    return RawFileError(
        path,
        f"{where} has no {missing!r} key ({expected}; it has: {', '.join(row) or 'none'})",
        row=number,
    )
