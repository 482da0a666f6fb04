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
`"{subset}/{position in the array}"`. Files are read with meadow's shared streaming JSON
reader (`meadow.sources._json`: ijson's C backend), so memory stays flat whatever the file
size, and a broken file is reported as for every JSON source. A file that is JSON lines
instead (one object per line, as some re-uploads are) is read too.

The texts are real consultations and may still carry personal details (names, ages,
places) despite the authors' anonymisation: they are passed through as they are here;
PII scrubbing is a separate quality step of the mixer.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from operator import itemgetter
from pathlib import Path
from typing import Any, ClassVar

from xxhash import xxh3_128_digest

from meadow.converters.html import normalize_whitespace
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._json import array_or_lines_batches, stream_array_or_lines
from meadow.sources._readers import texts_to_clean
from meadow.sources.base import FIELD_TOO_LONG, Rows, Skip, Source, has_text_over, max_field_chars

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

_NON_ALNUM = re.compile(r"[^0-9a-z]+")

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
    scrub_pii = True  # real consultations: names, phone numbers, places
    language = "en"
    boilerplate = True  # "Hi, Thanks for your query." … "Regards, Chat Doctor."
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {"icliniq_answer": "answer_icliniq"}

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        if self.options_in_effect["icliniq_answer"] not in ICLINIQ_ANSWERS:
            raise RecipeError(
                f"sources.{self.name}.options.icliniq_answer",
                f"expected one of {', '.join(ICLINIQ_ANSWERS)}, "
                f"got {self.options_in_effect['icliniq_answer']!r}",
            )
        # A recipe's instruction replaces the rows' own; otherwise each row keeps its own.
        self._instruction_given = instruction is not None

    # -- files ----------------------------------------------------------------------------

    def folder_shards(self, folder: Path) -> list[Path]:
        """The ChatDoctor files of a folder (by name); other JSON files are ignored."""
        found, ignored = [], []
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if subset_of(path) is not None and path.suffix.lower() in (".json", ".jsonl"):
                found.append(path)
            elif path.suffix.lower() == ".json":
                ignored.append(path.name)
        if not found:
            raise RawFileError(
                folder, f"folder holds none of ChatDoctor's files: expected {EXPECTED_NAMES}"
            )
        if ignored:
            logger.warning(
                "chatdoctor: ignoring %s in %s (not a ChatDoctor file name; expected %s)",
                ", ".join(ignored),
                folder,
                EXPECTED_NAMES,
            )
        return found

    # -- parsing --------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Rows of one file, in order: `{"subset", "index", "row": the raw object}`."""
        path = Path(path)
        subset, answer_key = self._layout(path)
        rows = stream_array_or_lines(path, "a list of ChatDoctor conversations")
        for index, row in enumerate(rows):
            if type(row) is not dict or "input" not in row or answer_key not in row:
                raise _bad_row(path, row, index, subset, answer_key)
            yield {"subset": subset, "index": index, "row": row}

    def _layout(self, path: Path) -> tuple[str, str]:
        """(subset, answer key) of a file, told from its name."""
        subset = subset_of(path)
        if subset is None:
            raise RawFileError(
                path,
                f"cannot tell which ChatDoctor file this is from its name: expected "
                f"{EXPECTED_NAMES}; rename it",
            )
        return subset, self._answer_key(subset)

    def _answer_key(self, subset: str) -> str:
        return self.options_in_effect["icliniq_answer"] if subset == "icliniq" else "output"

    # -- mapping --------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """The question is the input; the (doctor's) answer is the output."""
        row: dict[str, Any] = item["row"]
        subset: str = item["subset"]
        question, answer = row["input"], row[self._answer_key(subset)]
        if not (_is_text(question) and _is_text(answer)):
            return [Skip("not_text")]
        question, answer = _clean(question or ""), _clean(answer or "")
        if not question:
            return [Skip("empty_input")]
        if not answer:
            return [Skip("empty_output")]
        instruction = None if self._instruction_given else _own_instruction(row.get("instruction"))
        return [
            self.record(
                input=question,
                output=answer,
                source_id=f"{subset}/{item['index']}",
                subset=subset,
                instruction=instruction,
            )
        ]

    def records(self, path: Path) -> Iterator[Record | Skip]:
        """Records of one file, with exact repeats of a (question, answer) pair skipped."""
        seen: set[bytes] = set()
        for item in super().records(path):
            if isinstance(item, Record) and _repeated(item.input, item.output, seen):
                yield Skip("duplicate_pair")
                continue
            yield item

    def batches(self, path: Path) -> Iterator[Rows | Skip]:
        """The rows of `read`, mapped a list of items at a time: columns taken out of the
        list in C (`itemgetter`), the raw items' lengths checked once per list
        (`array_or_lines_batches`' bound), the whitespace of all its texts at once
        (`texts_to_clean`); Python runs per row only for the repeats."""
        path = Path(path)
        subset, answer_key = self._layout(path)
        limit = max_field_chars()
        get_question, get_answer = itemgetter("input"), itemgetter(answer_key)
        seen: set[bytes] = set()
        start = 0
        for items, bound in array_or_lines_batches(path, "a list of ChatDoctor conversations"):
            try:  # fails on an item that is not an object or lacks a key
                questions = list(map(get_question, items))
                answers = list(map(get_answer, items))
            except (TypeError, KeyError):
                index = next(
                    i
                    for i, row in enumerate(items)
                    if type(row) is not dict or "input" not in row or answer_key not in row
                )
                raise _bad_row(path, items[index], start + index, subset, answer_key) from None
            skips: Counter[str] = Counter()
            owns = None if self._instruction_given else [row.get("instruction") for row in items]
            positions: list[int] | range = range(start, start + len(items))
            start += len(items)
            if bound > limit or not {*map(type, questions), *map(type, answers)} <= {str}:
                kept = []
                for i, row in enumerate(items):
                    if bound > limit and (len(subset) > limit or has_text_over(row, limit)):
                        skips[FIELD_TOO_LONG] += 1
                    elif not (_is_text(questions[i]) and _is_text(answers[i])):
                        skips["not_text"] += 1
                    else:
                        kept.append(i)
                questions = [questions[i] or "" for i in kept]
                answers = [answers[i] or "" for i in kept]
                owns = owns and [owns[i] for i in kept]
                positions = [positions[i] for i in kept]
            texts = questions + answers
            for i in texts_to_clean(texts):
                texts[i] = _clean(texts[i])
            questions, answers = texts[: len(questions)], texts[len(questions) :]
            kept = []
            for i, (question, answer) in enumerate(zip(questions, answers, strict=True)):
                if not question:
                    skips["empty_input"] += 1
                elif not answer:
                    skips["empty_output"] += 1
                elif _repeated(question, answer, seen):
                    skips["duplicate_pair"] += 1
                else:
                    kept.append(i)
            for reason, count in skips.items():
                yield Skip(reason, count=count)
            if not kept:
                continue
            if len(kept) < len(questions):
                questions = [questions[i] for i in kept]
                answers = [answers[i] for i in kept]
                owns = owns and [owns[i] for i in kept]
            ids = [f"{subset}/{positions[i]}" for i in kept]
            instruction = None  # the source's: the recipe's, or ChatDoctor's own
            if owns and owns.count(CHATDOCTOR_INSTRUCTION) < len(owns):
                instruction = [_own_instruction(own) or self.instruction for own in owns]
            yield Rows(questions, answers, ids, subset, instruction)


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


def _own_instruction(own: Any) -> str | None:
    """A row's own instruction, cleaned; None when it has none (the source's is used)."""
    if own == CHATDOCTOR_INSTRUCTION:  # the common case needs no cleaning
        return None
    return (_clean(own) or None) if isinstance(own, str) else None


def _repeated(question: str, answer: str, seen: set[bytes]) -> bool:
    """Whether the (question, answer) pair is in `seen`; adds it when not."""
    digest = xxh3_128_digest(f"{question}\x1f{answer}".encode())
    if digest in seen:
        return True
    seen.add(digest)
    return False


def _bad_row(path: Path, row: Any, index: int, subset: str, answer_key: str) -> RawFileError:
    """The error for an item that is not an object with the question and answer keys."""
    required = ("input", answer_key)
    if type(row) is not dict:
        return RawFileError(
            path,
            f"item {index} is {_json_kind(row)}, not an object with "
            f"{' and '.join(required)}: not a ChatDoctor file",
            row=index,
        )
    key = next(key for key in required if key not in row)
    return RawFileError(
        path,
        f"item {index} has no key {key!r} (keys: {', '.join(row) or 'none'})"
        f"; a ChatDoctor {SUBSET_FILES[subset][0]} has {', '.join(required)}",
        row=index,
    )


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
