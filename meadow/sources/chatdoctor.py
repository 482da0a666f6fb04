"""ChatDoctor: patient questions answered by doctors (HealthCareMagic, iCliniq) or ChatGPT.

ChatDoctor (Li et al. 2023) shares three JSON files through Google-Drive links in its
README; medAlpaca's Medical Meadow took 10,000 of their ~215,000 pairs:

* `HealthCareMagic-100k.json` (112,165 rows) and `GenMedGPT-5k.json` (also seen as
  `chatdoctor5k.json`): JSON arrays of `{instruction, input, output}`, the instruction
  always "If you are a doctor, please answer the medical questions based on the patient's
  description.";
* `iCliniq.json` (7,321 rows): a JSON array of `{input, answer_icliniq, answer_chatgpt,
  answer_chatdoctor}`; the real doctor's answer (`answer_icliniq`) is the output.

The subset comes from the file name; the files carry no ids, so a row's `source_id` is
`"{subset}/{position in the array}"`. Arrays are streamed with ijson (C backend), so memory
stays flat whatever the file size. A file that is JSON lines instead (one object per line,
as some re-uploads are) is read too.

The texts are real consultations and may still carry personal details (names, ages,
places) despite the authors' anonymisation: they are passed through as they are here;
PII scrubbing is a separate quality step of the mixer.
"""

from __future__ import annotations

import codecs
import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, ClassVar

import ijson
import orjson

from meadow.converters.html import normalize_whitespace
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._readers import json_line_error
from meadow.sources.base import Skip, Source

logger = logging.getLogger(__name__)

CHATDOCTOR_INSTRUCTION = (
    "If you are a doctor, please answer the medical questions based on the patient's description."
)

# subset -> (the upstream file name, the normalised name fragments that identify it)
SUBSET_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "healthcaremagic": ("HealthCareMagic-100k.json", ("healthcaremagic",)),
    "icliniq": ("iCliniq.json", ("icliniq",)),
    "genmedgpt": ("GenMedGPT-5k.json", ("genmedgpt", "chatdoctor5k")),
}
EXPECTED_NAMES = "HealthCareMagic-100k.json, iCliniq.json or GenMedGPT-5k.json (chatdoctor5k.json)"
ICLINIQ_ANSWERS = ("answer_icliniq", "answer_chatgpt", "answer_chatdoctor")

_C_BACKENDS = frozenset({"yajl2_c", "yajl2_cffi"})
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 1 << 20
_backend_checked = False

CITATION = """\
@article{li2023chatdoctor,
  title={ChatDoctor: A Medical Chat Model Fine-Tuned on a Large Language Model Meta-AI (LLaMA) Using Medical Domain Knowledge},
  author={Li, Yunxiang and Li, Zihan and Zhang, Kai and Dan, Ruilong and Jiang, Steve and Zhang, You},
  journal={Cureus},
  volume={15},
  number={6},
  year={2023},
  publisher={Cureus}
}"""  # noqa: E501


def subset_of(path: Path) -> str | None:
    """The subset a ChatDoctor file holds, told from its name (any case and punctuation)."""
    key = _NON_ALNUM.sub("", path.name.lower())
    for subset, (_, fragments) in SUBSET_FILES.items():
        if any(fragment in key for fragment in fragments):
            return subset
    return None


@register_source
class ChatDoctorSource(Source):
    """ChatDoctor's patient/doctor conversations, one record per question and answer.

    Subsets: `healthcaremagic` and `icliniq` (real doctors' answers from two consultation
    sites) and `genmedgpt` (conversations generated with ChatGPT from a disease database).
    Texts are trimmed and their whitespace collapsed; rows with an empty question or
    answer, and exact repeats of a (question, answer) pair within a file, are skipped.
    """

    name = "chatdoctor"
    description = (
        "ChatDoctor's patient questions with doctors' answers from HealthCareMagic and "
        "iCliniq, and ChatGPT-generated consultations (GenMedGPT-5k)."
    )
    homepage = "https://github.com/Kent0n-Li/ChatDoctor"
    # The repository's code is Apache-2.0; the data states no license of its own: it was
    # collected from healthcaremagic.com and icliniq.com (GenMedGPT made with ChatGPT),
    # and the README limits ChatDoctor to academic research.
    license = "other"
    citation = CITATION
    subsets = ("healthcaremagic", "icliniq", "genmedgpt")
    default_instruction = CHATDOCTOR_INSTRUCTION
    raw_files = ()
    how_to_get = (
        "ChatDoctor's data is shared only through Google-Drive links in the README of "
        "https://github.com/Kent0n-Li/ChatDoctor, which meadow cannot download: get "
        "HealthCareMagic-100k.json, iCliniq.json (the 'icliniq-10k' link) and "
        "GenMedGPT-5k.json there and put them in one folder (or pass one of them)."
    )
    file_suffixes = (".json",)
    version = "1"
    options: ClassVar[dict[str, Any]] = {"icliniq_answer": "answer_icliniq"}

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        if self.settings["icliniq_answer"] not in ICLINIQ_ANSWERS:
            raise RecipeError(
                f"sources.{self.name}.options.icliniq_answer",
                f"expected one of {', '.join(ICLINIQ_ANSWERS)}, "
                f"got {self.settings['icliniq_answer']!r}",
            )
        # A recipe's instruction replaces the rows' own; otherwise each row keeps its own.
        self._instruction_given = instruction is not None

    # -- files ----------------------------------------------------------------------------

    def shards(self, raw: Path) -> list[Path]:
        """The ChatDoctor files of a folder (by name); other JSON files are ignored."""
        if raw.is_file() or not raw.is_dir():
            return super().shards(raw)
        found, ignored = [], []
        for path in sorted(p for p in raw.rglob("*") if p.is_file()):
            if subset_of(path) is not None and path.suffix.lower() in (".json", ".jsonl"):
                found.append(path)
            elif path.suffix.lower() == ".json":
                ignored.append(path.name)
        if not found:
            raise RawFileError(
                raw, f"folder holds none of ChatDoctor's files: expected {EXPECTED_NAMES}"
            )
        if ignored:
            logger.warning(
                "chatdoctor: ignoring %s in %s (not a ChatDoctor file name; expected %s)",
                ", ".join(ignored),
                raw,
                EXPECTED_NAMES,
            )
        return found

    # -- parsing --------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Rows of one file, in order: `{"subset", "index", "row": the raw object}`."""
        path = Path(path)
        subset = subset_of(path)
        if subset is None:
            raise RawFileError(
                path,
                f"cannot tell which ChatDoctor file this is from its name: expected "
                f"{EXPECTED_NAMES}; rename it",
            )
        answer_key = self.settings["icliniq_answer"] if subset == "icliniq" else "output"
        required = ("input", answer_key)
        try:
            f = path.open("rb")
        except OSError as exc:
            raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
        with f:
            first = _first_byte(path, f)
            if first == b"[":
                rows = _array_rows(path, f)
            elif first == b"{":
                rows = _json_lines(path, f)
            else:
                raise RawFileError(
                    path, "not JSON (expected a JSON array of objects): not a ChatDoctor file"
                )
            for index, row in enumerate(rows):
                if not isinstance(row, dict):
                    raise RawFileError(
                        path,
                        f"item {index} is {_json_kind(row)}, not an object with "
                        f"{' and '.join(required)}: not a ChatDoctor file",
                        row=index,
                    )
                for key in required:
                    if key not in row:
                        raise RawFileError(
                            path,
                            f"item {index} has no key {key!r} (keys: {', '.join(row) or 'none'})"
                            f"; a ChatDoctor {SUBSET_FILES[subset][0]} has "
                            f"{', '.join(required)}",
                            row=index,
                        )
                yield {"subset": subset, "index": index, "row": row}

    # -- mapping --------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """The question is the input; the (doctor's) answer is the output."""
        row: dict[str, Any] = item["row"]
        subset: str = item["subset"]
        answer_key = self.settings["icliniq_answer"] if subset == "icliniq" else "output"
        question, answer = row["input"], row[answer_key]
        if not (_is_text(question) and _is_text(answer)):
            return [Skip("not_text")]
        question, answer = _clean(question or ""), _clean(answer or "")
        if not question:
            return [Skip("empty_input")]
        if not answer:
            return [Skip("empty_output")]
        instruction = None
        if not self._instruction_given:
            own = row.get("instruction")
            if own != CHATDOCTOR_INSTRUCTION:  # the common case needs no cleaning
                instruction = _clean(own) if isinstance(own, str) else None
        return [
            self.record(
                input=question,
                output=answer,
                source_id=f"{subset}/{item['index']}",
                subset=subset,
                instruction=instruction or None,
            )
        ]

    def records(self, path: Path) -> Iterator[Record | Skip]:
        """Records of one file, with exact repeats of a (question, answer) pair skipped."""
        seen: set[bytes] = set()
        for item in super().records(path):
            if isinstance(item, Record):
                key = hashlib.blake2b(
                    f"{item.input}\x1f{item.output}".encode(), digest_size=16
                ).digest()
                if key in seen:
                    yield Skip("duplicate_pair")
                    continue
                seen.add(key)
            yield item


# -- helpers --------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """Trimmed, runs of spaces collapsed, at most one blank line between paragraphs."""
    # Most rows need nothing: ASCII with no control characters (so no whitespace but
    # single spaces) and no double or edge spaces. Checking is cheaper than rebuilding.
    if (
        text.isascii()
        and text.isprintable()
        and "  " not in text
        and text[:1] != " "
        and text[-1:] != " "
    ):
        return text
    return normalize_whitespace(text)


def _is_text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a number" if not isinstance(value, bool) else "a boolean"


def _check_backend() -> None:
    global _backend_checked
    if not _backend_checked:
        _backend_checked = True
        if ijson.backend not in _C_BACKENDS:
            logger.warning(
                "ijson uses its %r backend, about 15x slower than its C backend (yajl2_c): "
                "reinstall ijson from a wheel for your platform to read ChatDoctor faster",
                ijson.backend,
            )


def _first_byte(path: Path, f: IO[bytes]) -> bytes:
    """The first byte of JSON text (after any UTF-8 BOM and whitespace).

    `f` is left just after the BOM, so line numbers of JSON lines stay right.
    """
    head = f.read(4)
    if head.startswith(_UTF16_BOMS):
        raise RawFileError(path, "the file is UTF-16, not UTF-8: re-save it as UTF-8")
    start = len(_UTF8_BOM) if head.startswith(_UTF8_BOM) else 0
    f.seek(start)
    while chunk := f.read(_CHUNK):
        stripped = chunk.lstrip()
        if stripped:
            f.seek(start)
            return stripped[:1]
    raise RawFileError(path, "empty file: download it again")


def _array_rows(path: Path, f: IO[bytes]) -> Iterator[Any]:
    """Items of a JSON array, streamed; errors name the item they stopped at."""
    _check_backend()
    index = 0
    try:
        for row in ijson.items(f, "item"):
            yield row
            index += 1
    except ijson.JSONError as exc:
        raise _json_error(path, exc, index) from None


def _json_error(path: Path, exc: Exception, index: int) -> RawFileError:
    message = exc.args[0] if exc.args else str(exc)
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    message = str(message).strip().splitlines()[0] if str(message).strip() else "invalid JSON"
    if "UTF8" in message or "UTF-8" in message:
        return _encoding_error(path, index)
    if "premature EOF" in message:
        return RawFileError(
            path,
            f"the JSON array is cut short after {index} items (premature end of file): "
            "download the file again",
            row=index,
        )
    return RawFileError(path, f"not valid JSON at item {index} ({message})", row=index)


def _encoding_error(path: Path, index: int) -> RawFileError:
    where = _first_bad_utf8(path)
    detail = f" (byte 0x{where[1]:02x} on line {where[0]})" if where else ""
    return RawFileError(path, f"not valid UTF-8{detail}: re-save the file as UTF-8", row=index)


def _first_bad_utf8(path: Path) -> tuple[int, int] | None:
    """(line, byte) of the first byte that is not UTF-8, read only when an error occurred."""
    line, carry = 1, b""
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            data = carry + chunk
            try:
                data.decode("utf-8")
                carry = b""
            except UnicodeDecodeError as exc:
                if exc.reason == "unexpected end of data" and len(data) - exc.start < 4:
                    carry = data[exc.start :]  # a character split by the chunk boundary
                    data = data[: exc.start]
                else:
                    return line + data.count(b"\n", 0, exc.start), data[exc.start]
            line += data.count(b"\n")
    return (line, carry[0]) if carry else None


def _json_lines(path: Path, f: IO[bytes]) -> Iterator[Any]:
    """Objects of a JSON-lines file (one per line; blank lines ignored)."""
    index = 0
    for number, line in enumerate(f, start=1):
        if not line.strip():
            continue
        try:
            row = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise json_line_error(
                path, line, number, exc, row=index, expected="a JSON array or JSON lines"
            ) from None
        yield row
        index += 1
