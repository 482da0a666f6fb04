"""MedQA (Jin et al. 2021), US questions: USMLE-style multiple-choice questions.

The release (a Google Drive zip linked from github.com/jind11/MedQA) holds the US
questions in `data_clean/questions/US/` as JSON lines, one question per line:
`{"question", "answer", "options": {"A": …}, "meta_info": "step1" | "step2&3",
"answer_idx": "C"}`, `answer` being the text of the correct option. Two variants:

* 5 options: `train.jsonl`, `dev.jsonl`, `test.jsonl` (10,178 / 1,272 / 1,273 lines);
* 4 options (one distractor removed, the variant PMC-LLaMA and most papers report on):
  `4_options/phrases_no_exclude_{train,dev,test}.jsonl`, whose lines also carry
  `metamap_phrases` (ignored).

The option `option_count` (4 by default) picks the variant from a folder; the `test` split
is a benchmark, held out of training like usmle. MedQA has no question ids and its files
are fixed, so a row's `source_id` is `{split}/{line number}`; the two variants list the
questions in the same order, so they share ids. `to_records` and `evaluation_items`
share one mapping, so a record and the benchmark item of a question share an id.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from meadow.converters.html import normalize_whitespace
from meadow.converters.multiple_choice import (
    LETTERS,
    MULTIPLE_CHOICE_INSTRUCTION,
    MULTIPLE_CHOICE_PARAPHRASES,
)
from meadow.errors import RawFileError, RecipeError
from meadow.sources import register_source
from meadow.sources._choice import Choice, MultipleChoiceSource
from meadow.sources._json import json_lines
from meadow.sources.base import Skip

SPLITS = ("train", "dev", "test")
OPTION_COUNTS = (4, 5)
FOUR_OPTIONS_FOLDER = "4_options"
REQUIRED_KEYS = ("question", "answer", "options", "answer_idx")
REGIONS = ("US", "Mainland", "Taiwan")  # folders of data_clean/questions/
PHRASES_FOLDER = "metamap_extracted_phrases"  # MetaMap phrases, not a question set to read

_REQUIRED = frozenset(REQUIRED_KEYS)
_LETTERS = frozenset(LETTERS)
_SPLIT_IN_STEM = re.compile(r"(?:.*[_-])?(train|dev|test)")
_EXPECTED_FILES = (
    "train.jsonl, dev.jsonl, test.jsonl (5 options) or "
    f"{FOUR_OPTIONS_FOLDER}/phrases_no_exclude_train.jsonl, ..._dev.jsonl, ..._test.jsonl "
    "(4 options)"
)

CITATION = """\
@article{jin2021disease,
  title={What Disease Does This Patient Have? A Large-Scale Open Domain Question Answering Dataset from Medical Exams},
  author={Jin, Di and Pan, Eileen and Oufattole, Nassim and Weng, Wei-Hung and Fang, Hanyi and Szolovits, Peter},
  journal={Applied Sciences},
  volume={11},
  number={14},
  pages={6421},
  year={2021},
  publisher={MDPI}
}"""  # noqa: E501


@register_source
class MedqaSource(MultipleChoiceSource):
    """MedQA US questions as multiple-choice records; the test split is a benchmark.

    Options:
        option_count: 4 (default, `4_options/phrases_no_exclude_*.jsonl`) or 5
            (`train.jsonl`, `dev.jsonl`, `test.jsonl`): which variant a folder gives.
    """

    name = "medqa"
    description = (
        "MedQA (Jin et al. 2021), US subset: USMLE-style multiple-choice questions in "
        "train/dev/test splits (10,178 / 1,272 / 1,273), 4 options by default (5 with "
        "option_count: 5). The test split is a benchmark, kept in the test split."
    )
    homepage = "https://github.com/jind11/MedQA"
    license = "MIT"
    citation = CITATION
    subsets = SPLITS
    default_instruction = MULTIPLE_CHOICE_INSTRUCTION
    instruction_paraphrases: ClassVar[dict[str, tuple[str, ...]]] = {
        "*": MULTIPLE_CHOICE_PARAPHRASES
    }
    raw_files = ()
    how_to_get = (
        "Download the MedQA data from the Google Drive link in the README of "
        "https://github.com/jind11/MedQA "
        "(https://drive.google.com/file/d/1ImYUSLk9JbgHXOemfvyiDiirluZHPeQw), unzip it and "
        "pass its data_clean/questions/US folder (train.jsonl, dev.jsonl, test.jsonl and "
        f"{FOUR_OPTIONS_FOLDER}/phrases_no_exclude_{{train,dev,test}}.jsonl), a folder above "
        "it, or one of those files."
    )
    file_suffixes = (".jsonl",)
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {"option_count": 4}
    evaluation_subsets = ("test",)

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        count = self.options_in_effect["option_count"]
        if type(count) is not int or count not in OPTION_COUNTS:
            raise RecipeError(
                f"sources.{self.name}.options.option_count",
                f"expected 4 or 5 (MedQA's two variants); got {count!r}",
            )
        self.option_count: int = count

    # -- raw files ----------------------------------------------------------------------

    def file_shards(self, path: Path) -> list[Path]:
        """A single file, whatever its variant (`parse` checks its option count)."""
        split_of(path)
        return [path]

    def folder_shards(self, folder: Path) -> list[Path]:
        """The chosen variant's train, dev and test files (those present), in that order.

        The folder is searched recursively, keeping to `US/` when the other regions'
        folders are there too.
        """
        found: dict[int, dict[str, list[Path]]] = {4: {}, 5: {}}
        phrases_elsewhere: dict[str, list[Path]] = {}
        for path in sorted(folder.rglob("*.jsonl")):
            folders = path.relative_to(folder).parts[:-1]
            region = next((part for part in reversed(path.parts[:-1]) if part in REGIONS), "US")
            split = _split_in_name(path)
            if region != "US" or split is None or PHRASES_FOLDER in folders:
                continue
            if FOUR_OPTIONS_FOLDER in folders:
                found[4].setdefault(split, []).append(path)
            elif path.name.startswith("phrases_"):
                phrases_elsewhere.setdefault(split, []).append(path)
            elif path.stem == split:
                found[5].setdefault(split, []).append(path)
        if not found[4]:  # a 4-option file moved out of its folder keeps its name
            found[4] = phrases_elsewhere
        chosen = found[self.option_count]
        if not chosen:
            other = 5 if self.option_count == 4 else 4
            if found[other]:
                names = ", ".join(
                    p.relative_to(folder).as_posix()
                    for s in SPLITS
                    for p in found[other].get(s, [])
                )
                raise RawFileError(
                    folder,
                    f"holds only {other}-option MedQA files ({names}) but option_count is "
                    f"{self.option_count}: set options: {{option_count: {other}}} for the "
                    f"source, or add the {self.option_count}-option files "
                    f"({_EXPECTED_FILES})",
                )
            raise RawFileError(
                folder,
                f"holds none of the MedQA US files: expected {_EXPECTED_FILES}, as in "
                "data_clean/questions/US of the MedQA release",
            )
        shards: list[Path] = []
        for split in SPLITS:
            paths = chosen.get(split, [])
            if len(paths) > 1:  # the release's own 4-option name wins over other copies
                paths = [p for p in paths if p.name == f"phrases_no_exclude_{split}.jsonl"] or paths
            if len(paths) > 1:
                names = ", ".join(p.relative_to(folder).as_posix() for p in paths)
                raise RawFileError(
                    folder,
                    f"holds several {self.option_count}-option {split} files ({names}): "
                    "pass the one US folder to use",
                )
            shards.extend(paths)
        return shards

    # -- parsing --------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """The rows of one file as they are, plus `split` (from the file name) and `line`.

        Every row must have `question`, `answer`, `options` and `answer_idx`. The first
        question with options must have `option_count` of them: a 5-option file read as
        the 4-option variant (or the reverse) is an error, not silently mixed in.
        """
        path = Path(path)
        split = split_of(path)
        checked = False
        for line, row in json_lines(path, "one MedQA question object per line"):
            if type(row) is not dict or not row.keys() >= _REQUIRED:
                raise _bad_row(path, line, row)
            if not checked and row["options"]:
                checked = True
                self._check_option_count(path, line, len(_options(row["options"])))
            row["split"] = split
            row["line"] = line
            yield row

    def _check_option_count(self, path: Path, line: int, count: int) -> None:
        if count == self.option_count:
            return
        if count in OPTION_COUNTS:
            fix = (
                f"this is the {count}-option MedQA file: set options: {{option_count: {count}}} "
                f"for the source, or pass the {self.option_count}-option file"
            )
        else:
            fix = "MedQA files have 4 or 5 options per question: is this a MedQA file?"
        raise RawFileError(
            path,
            f"line {line} has {count} options but option_count is {self.option_count}: {fix}",
            row=line,
        )

    # -- mapping --------------------------------------------------------------------------

    def choice(self, item: dict[str, Any]) -> Choice | Skip:
        """(question, options by letter, answer letter), or why the question is left out."""
        options = _options(item["options"])
        if not options or not all(text.strip() for text in options.values()):
            return Skip("empty_options")
        question = _text(item["question"])
        if not question.strip():
            return Skip("empty_question")
        letter = _text(item["answer_idx"]).strip().upper()
        if letter not in options:
            return Skip("answer_not_an_option")
        answer, option = _text(item["answer"]), options[letter]
        if answer != option and normalize_whitespace(answer) != normalize_whitespace(option):
            return Skip("answer_mismatch")
        return question, options, letter

    def item_subset(self, item: dict[str, Any]) -> str:
        return item["split"]

    def item_source_id(self, item: dict[str, Any]) -> str:
        return f"{item['split']}/{item['line']}"

    def item_meta(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"meta_info": item.get("meta_info")}

    def evaluation_shards(self, raw: Path) -> list[Path]:
        """Only the test files: the other splits are for training."""
        return [s for s in super().evaluation_shards(raw) if split_of(s) in self.evaluation_subsets]


# -- helpers --------------------------------------------------------------------------------


def split_of(path: Path) -> str:
    """The split a MedQA file holds, from its name (`train.jsonl`, `phrases_…_dev.jsonl`)."""
    split = _split_in_name(path)
    if split is None:
        raise RawFileError(
            path,
            f"cannot tell the split from the file name: expected {_EXPECTED_FILES}",
        )
    return split


def _split_in_name(path: Path) -> str | None:
    match = _SPLIT_IN_STEM.fullmatch(path.stem)
    return match.group(1) if match else None


def _bad_row(path: Path, line: int, row: Any) -> RawFileError:
    """Why a row cannot be read: not an object, or a key missing."""
    if not isinstance(row, dict):
        return RawFileError(
            path,
            f"line {line} is a JSON {type(row).__name__}, not an object with "
            f"{', '.join(REQUIRED_KEYS)}; is this a MedQA file?",
            row=line,
        )
    missing = next(key for key in REQUIRED_KEYS if key not in row)
    return RawFileError(
        path,
        f"line {line} has no {missing!r} key (expected keys: {', '.join(REQUIRED_KEYS)}, "
        "meta_info)",
        row=line,
    )


def _options(value: Any) -> dict[str, str]:
    """Options as upper-case letter -> text.

    The release writes an object `{"A": …}`; copies converted with `datasets` write a list
    of `{"key", "value"}` objects, and a plain list gets the letters A, B, … in order.
    """
    if type(value) is dict:
        for key, text in value.items():  # the release's own shape passes as it is
            if type(text) is not str or key not in _LETTERS:
                return {str(k).strip().upper(): _text(v) for k, v in value.items()}
        return value
    if isinstance(value, list):
        if value and all(isinstance(v, dict) and "key" in v for v in value):
            return {str(v["key"]).strip().upper(): _text(v.get("value")) for v in value}
        return {chr(ord("A") + i): _text(v) for i, v in enumerate(value[:26])}
    return {}


def _text(value: Any) -> str:
    return value if type(value) is str else "" if value is None else str(value)
