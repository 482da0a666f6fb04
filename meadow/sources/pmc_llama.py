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
from pathlib import Path
from typing import Any

from meadow.errors import RawFileError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._json import first_json_byte, json_lines, stream_array
from meadow.sources.base import RawFile, Skip, Source

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
