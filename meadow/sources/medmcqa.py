"""MedMCQA (Pal et al. 2022): Indian medical entrance exam (AIIMS, NEET PG) questions.

The release (`data.zip`, linked from github.com/medmcqa/medmcqa) holds `train.json`,
`dev.json` and `test.json`, which are JSON lines despite their suffix, one question per
line: `{question, opa, opb, opc, opd, cop, exp, subject_name, topic_name, id,
choice_type}`. `cop` is the correct option, 1-based (1..4 = A..D) in the release and
0-based in the Hugging Face copy (option `cop_base`); `exp` is an explanation, often
null or empty; the test file carries no answers (no `cop`, or a null or -1 one).
`choice_type` "multi" marks stems with several statements, of which the options are
combinations: one option is still correct, so they are kept unless `multi_choice: drop`.

Each train question gives an `answer` record (the option) and, when it has an
explanation, a `rationale` record (the option, then the explanation). Dev and test
questions give `dev` and `test` records, both evaluation subsets. `source_id` is the
row's own `id`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from meadow.converters.html import normalize_whitespace
from meadow.converters.multiple_choice import (
    MULTIPLE_CHOICE_INSTRUCTION,
    MULTIPLE_CHOICE_PARAPHRASES,
    RATIONALE_PARAPHRASES,
    format_answer,
    format_question,
)
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._choice import Choice, MultipleChoiceSource
from meadow.sources._json import json_lines
from meadow.sources.base import Skip

SPLITS = ("train", "dev", "test")
FILES = tuple(f"{split}.json" for split in SPLITS)
OPTION_KEYS = ("opa", "opb", "opc", "opd")
LETTERS = "ABCD"
REQUIRED_KEYS = ("id", "question", *OPTION_KEYS, "choice_type")
MULTI_CHOICE = ("keep", "drop")
DATA_URL = "https://drive.google.com/uc?export=download&id=15VkJdq5eyWIkfb_aoD3oS8i4tScbHYky"

_SPLIT_IN_STEM = re.compile(r"(?:.*[_-])?(train|dev|test)")
_REQUIRED = frozenset(REQUIRED_KEYS)
_EXPECTED_LINE = "one MedMCQA question object per line (MedMCQA's .json files are JSON lines)"

CITATION = """\
@InProceedings{pmlr-v174-pal22a,
  title={MedMCQA: A Large-scale Multi-Subject Multi-Choice Dataset for Medical domain Question Answering},
  author={Pal, Ankit and Umapathi, Logesh Kumar and Sankarasubbu, Malaikannan},
  booktitle={Proceedings of the Conference on Health, Inference, and Learning},
  pages={248--260},
  year={2022},
  editor={Flores, Gerardo and Chen, George H and Pollard, Tom and Ho, Joyce C and Naumann, Tristan},
  volume={174},
  series={Proceedings of Machine Learning Research},
  publisher={PMLR}
}"""  # noqa: E501


@register_source
class MedmcqaSource(MultipleChoiceSource):
    """MedMCQA questions as multiple-choice records, with explanations as rationales.

    Options:
        cop_base: 1 (default) when `cop` counts options from 1, as the released files do;
            0 for the Hugging Face copy (`openlifescienceai/medmcqa`) saved as JSON lines.
        multi_choice: "keep" (default) or "drop" the questions whose `choice_type` is
            "multi" (skipped as `multi_choice`).
    """

    name = "medmcqa"
    description = (
        "MedMCQA (Pal et al. 2022): four-option questions from the AIIMS and NEET PG "
        "medical entrance exams over 21 subjects, as answer records and, where an "
        "explanation is given, rationale records (train), plus the dev and test splits as "
        "benchmarks. MedMCQA's test answers are not public, so `test` is normally empty "
        "and `dev` is the held-out benchmark."
    )
    homepage = "https://medmcqa.github.io"
    license = "apache-2.0"
    citation = CITATION
    subsets = ("answer", "rationale", "dev", "test")
    default_instruction = MULTIPLE_CHOICE_INSTRUCTION
    instruction_paraphrases: ClassVar[dict[str, tuple[str, ...]]] = {
        "answer": MULTIPLE_CHOICE_PARAPHRASES,
        "rationale": RATIONALE_PARAPHRASES,
        "dev": MULTIPLE_CHOICE_PARAPHRASES,
        "test": MULTIPLE_CHOICE_PARAPHRASES,
    }
    raw_files = ()
    how_to_get = (
        "Download data.zip from the Google Drive link in the README of "
        f"https://github.com/medmcqa/medmcqa ({DATA_URL}), unzip it and pass the folder "
        "holding train.json, dev.json and test.json, or one of them. The Hugging Face copy "
        "(openlifescienceai/medmcqa) works too once each split is saved as JSON lines "
        "under those names (`ds['validation'].to_json('dev.json')`), with "
        "options: {cop_base: 0}."
    )
    file_suffixes = (".json",)
    expected_files = dict(zip(FILES, SPLITS, strict=True))  # searched recursively
    several_files = "pass the one folder to use"
    missing_files = (
        f"holds none of the MedMCQA files {', '.join(FILES)} (JSON lines, from the "
        "data.zip of github.com/medmcqa/medmcqa)"
    )
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {"cop_base": 1, "multi_choice": "keep"}
    evaluation_subsets = ("dev", "test")

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        base, multi = self.options_in_effect["cop_base"], self.options_in_effect["multi_choice"]
        if type(base) is not int or base not in (0, 1):
            raise RecipeError(
                f"sources.{self.name}.options.cop_base",
                f"expected 1 (the released files) or 0 (the Hugging Face copy); got {base!r}",
            )
        if multi not in MULTI_CHOICE:
            raise RecipeError(
                f"sources.{self.name}.options.multi_choice",
                f"expected one of {', '.join(MULTI_CHOICE)}; got {multi!r}",
            )
        self.cop_base: int = base
        self.drop_multi: bool = multi == "drop"
        # rationale rows ask for an explanation, unless the recipe fixed one instruction
        self.rationale_instruction = instruction or RATIONALE_PARAPHRASES[0]

    # -- raw files ----------------------------------------------------------------------

    def file_shards(self, path: Path) -> list[Path]:
        """One split's file; its name must say which split."""
        split_of(path)
        return [path]

    # -- parsing --------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """The rows of one file as they are, plus `split` (from the file name) and `line`.

        Every row must have the keys of `REQUIRED_KEYS`, and `cop` outside the test file.
        A `cop` of 0 with `cop_base: 1` means the file is the 0-based copy: an error, since
        reading it 1-based would shift every answer by one option.
        """
        path = Path(path)
        split = split_of(path)
        cop_needed = split != "test"
        zero_is_wrong = self.cop_base == 1
        for line, row in json_lines(path, _EXPECTED_LINE):
            if (
                type(row) is not dict
                or not row.keys() >= _REQUIRED
                or (cop_needed and "cop" not in row)
            ):
                raise _bad_row(path, line, row)
            source_id = row["id"]
            if source_id is None or source_id == "":
                raise RawFileError(path, f"line {line} has an empty 'id'", row=line)
            cop = row.get("cop")
            if zero_is_wrong and (cop == 0 or cop == "0") and cop is not False:
                raise RawFileError(
                    path,
                    f"line {line} has cop 0, but cop_base is 1 (the released files count "
                    "options from 1): this is the 0-based Hugging Face copy; set "
                    "options: {cop_base: 0} for the source",
                    row=line,
                )
            row["split"] = split
            row["line"] = line
            yield row

    # -- mapping --------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """An answer record (and a rationale one for train), or why the row is left out."""
        checked = self.choice(item)
        if type(checked) is Skip:
            return (checked,)
        question, options, letter = checked
        split, source_id = item["split"], _text(item["id"])
        question_text = format_question(question, options)
        answer = format_answer(letter, options)
        if split != "train":
            return (
                self.record(input=question_text, output=answer, source_id=source_id, subset=split),
            )
        first = self.record(
            input=question_text, output=answer, source_id=source_id, subset="answer"
        )
        exp = item.get("exp")
        explanation = normalize_whitespace(_text(exp)) if exp else ""
        if not explanation:
            return first, Skip("no_explanation")
        return first, self.record(
            input=question_text,
            output=f"{answer}\n\nExplanation: {explanation}",
            source_id=source_id,
            subset="rationale",
            instruction=self.rationale_instruction,
        )

    def item_subset(self, item: dict[str, Any]) -> str:
        return item["split"]

    def item_source_id(self, item: dict[str, Any]) -> str:
        return _text(item["id"])

    def item_meta(self, item: dict[str, Any]) -> dict[str, Any]:
        return {
            "subject_name": item.get("subject_name"),
            "topic_name": item.get("topic_name"),
            "choice_type": item["choice_type"],
        }

    def evaluation_shards(self, raw: Path) -> list[Path]:
        """Only dev and test: train questions are for training."""
        return [s for s in super().evaluation_shards(raw) if split_of(s) in self.evaluation_subsets]

    def choice(self, item: dict[str, Any]) -> Choice | Skip:
        """(question, options by letter, answer letter), or why the row is left out."""
        cop = item.get("cop")
        if type(cop) is int and 0 <= cop - self.cop_base < 4:  # the common case, made cheap
            letter = LETTERS[cop - self.cop_base]
        else:
            letter = self._answer_letter(cop)
            if type(letter) is Skip:
                return letter
        return self._question(item, letter)

    def unanswered_choice(self, item: dict[str, Any]) -> Choice | Skip:
        """A test question (its answers are not published) with the answer left empty."""
        return self._question(item, "")

    def _question(self, item: dict[str, Any], letter: str) -> Choice | Skip:
        if self.drop_multi and _text(item["choice_type"]).strip().lower() == "multi":
            return Skip("multi_choice")
        a, b, c, d = item["opa"], item["opb"], item["opc"], item["opd"]
        if not (type(a) is str and type(b) is str and type(c) is str and type(d) is str):
            a, b, c, d = _text(a), _text(b), _text(c), _text(d)
        if not (a.strip() and b.strip() and c.strip() and d.strip()):
            return Skip("empty_options")
        question = _text(item["question"])
        if not question.strip():
            return Skip("empty_question")
        return question, {"A": a, "B": b, "C": c, "D": d}, letter

    def _answer_letter(self, cop: Any) -> str | Skip:
        """The letter `cop` points to: `no_answer` when absent, `bad_cop` when out of range."""
        if cop is None or cop == -1 or cop == "" or cop == "-1":
            return Skip("no_answer")
        if (type(cop) is str and cop.strip().isdigit()) or (
            type(cop) is float and cop.is_integer()
        ):
            cop = int(cop)  # "3" and 3.0 from copies written by other tools
        if type(cop) is not int:
            return Skip("bad_cop")
        index = cop - self.cop_base
        return LETTERS[index] if 0 <= index < len(LETTERS) else Skip("bad_cop")


# -- helpers --------------------------------------------------------------------------------


def split_of(path: Path) -> str:
    """The split a MedMCQA file holds, from its name (`train.json`, `dev.json`, …)."""
    match = _SPLIT_IN_STEM.fullmatch(path.stem)
    if not match:
        raise RawFileError(
            path,
            f"cannot tell the split from the file name: expected {', '.join(FILES)}",
        )
    return match.group(1)


def _bad_row(path: Path, line: int, row: Any) -> RawFileError:
    """Why a row cannot be read: not an object, or a key missing."""
    if not isinstance(row, dict):
        return RawFileError(
            path,
            f"line {line} is a JSON {type(row).__name__}, not an object with "
            f"{', '.join(REQUIRED_KEYS)}, cop; is this a MedMCQA file?",
            row=line,
        )
    missing = next((key for key in REQUIRED_KEYS if key not in row), None)
    if missing is None:
        return _missing_key(path, line, "cop", only_test=True)
    return _missing_key(path, line, missing)


def _missing_key(path: Path, line: int, key: str, *, only_test: bool = False) -> RawFileError:
    note = " (only test.json may leave it out)" if only_test else ""
    return RawFileError(
        path,
        f"line {line} has no {key!r} key{note}; expected keys: {', '.join(REQUIRED_KEYS)}, "
        "cop, exp, subject_name, topic_name",
        row=line,
    )


def _text(value: Any) -> str:
    return value if type(value) is str else "" if value is None else str(value)
