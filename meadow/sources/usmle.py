"""USMLE self-assessment: the sample questions of Steps 1, 2 CK and 3, a benchmark.

medAlpaca evaluated on these questions and never trained on them; so does meadow (every
subset is an evaluation subset). The raw files are the ones medAlpaca published, all in
one folder:

* `step1.json`, `step2.json`, `step3.json`: a JSON list of `{no, question, options}`,
  `options` an object `{"A": …, "B": …}` (empty for a few questions);
* `step1_solutions.json`, …: `{"<no>": "C"}` (letters sometimes lower case);
* `question_with_images.json`: `{"step1": [0-based positions into step1.json], …}`:
  questions that show a picture the text cannot replace.

Copies circulate without `question_with_images.json` (the one kept with QLoRA's evaluation
data, for one); their questions carry their own `image` / `image_url` key instead. When the
file is absent, a question shows a picture when either key holds a value (not null, empty or
false); the warning says once which rule was used, and the eval results note it. Where both
are there, the file decides (it is medAlpaca's list), and the counts are the same. A copy
with neither cannot tell image questions apart and is refused, unless
`include_image_questions` keeps them all.

`parse(stepN.json)` reads that step's questions together with its solutions file and
the image list when there is one (its sibling files) and streams one raw item per
question; the solutions and image files themselves parse to nothing, they are shards only
so that their hashes are part of the cache key. `choice` is the one mapping that records
and benchmark items share (`_choice.py`), so a record and the item of the same question
share an id.

Of the 119/120/135 questions of the real files, 92/110/122 remain once image questions
(`has_image`) and questions without options (`empty_options`) are dropped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from meadow.converters.multiple_choice import (
    MULTIPLE_CHOICE_INSTRUCTION,
)
from meadow.errors import RawFileError
from meadow.sources import register_source
from meadow.sources._choice import Choice, MultipleChoiceSource
from meadow.sources._json import stream_array, stream_object
from meadow.sources.base import Skip

STEPS = (1, 2, 3)
IMAGES_FILE = "question_with_images.json"
QUESTION_KEYS = ("no", "question", "options")
IMAGE_KEYS = ("image", "image_url")  # a question's own picture, in copies without IMAGES_FILE
IMAGE_KEYS_RULE = (
    f"image questions are those with an 'image' or 'image_url' key ({IMAGES_FILE} not found)"
)

logger = logging.getLogger(__name__)
_warned: set[Path] = set()  # folders whose image rule was already said

_STEP_FILE = re.compile(r"step([123])\.json")

CITATION = """\
@article{han2023medalpaca,
  title={MedAlpaca -- An Open-Source Collection of Medical Conversational AI Models and Training Data},
  author={Han, Tianyu and Adams, Lisa C. and Papaioannou, Jens-Michalis and Grundmann, Paul and Oberhauser, Tom and L{\\"o}ser, Alexander and Truhn, Daniel and Bressem, Keno K.},
  journal={arXiv preprint arXiv:2304.08247},
  year={2023}
}"""  # noqa: E501


def step_file(step: int) -> str:
    """File name of a step's questions: `step1.json`."""
    return f"step{step}.json"


def solutions_file(step: int) -> str:
    """File name of a step's answer key: `step1_solutions.json`."""
    return f"step{step}_solutions.json"


@register_source
class UsmleSource(MultipleChoiceSource):
    """USMLE Step 1/2/3 sample questions as multiple-choice records (test split only).

    Options:
        include_image_questions: keep questions listed in `question_with_images.json`
            (or, without that file, those with an `image` / `image_url` key); medAlpaca
            dropped them: their picture is not in the text. Default False.
    """

    name = "usmle"
    description = (
        "USMLE self-assessment sample questions (Steps 1, 2 CK and 3) as medAlpaca used "
        "them: multiple-choice benchmark items, kept in the test split. The questions are "
        "USMLE sample test materials (c) NBME/FSMB, not openly licensed (license: other)."
    )
    homepage = "https://www.usmle.org/prepare-your-exam"
    license = "other"  # USMLE sample test materials, (c) FSMB and NBME
    citation = CITATION
    subsets = ("step1", "step2", "step3")
    default_instruction = MULTIPLE_CHOICE_INSTRUCTION
    raw_files = ()
    how_to_get = (
        "Get medAlpaca's USMLE self-assessment files (question_with_images.json, "
        "step1.json, step1_solutions.json, step2.json, step2_solutions.json, step3.json, "
        "step3_solutions.json) from the Hugging Face dataset "
        "medalpaca/medical_meadow_usmle_self_assessment (linked from the medical_meadow "
        "section of github.com/kbressem/medAlpaca), or the sample questions from "
        "https://www.usmle.org, and put them in one folder (without "
        "question_with_images.json, each question's own 'image' / 'image_url' key marks "
        "the image questions)."
    )
    file_suffixes = (".json",)
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {"include_image_questions": False}
    evaluation_subsets = ("*",)

    # -- raw files ----------------------------------------------------------------------

    def file_shards(self, path: Path) -> list[Path]:
        """A single `stepN.json` given instead of the folder: that step, with its siblings."""
        match = _STEP_FILE.fullmatch(path.name)
        if not match:
            raise RawFileError(
                path,
                "not a USMLE questions file: pass the folder holding step1.json, "
                "step2.json, step3.json (or one of them)",
            )
        return self._step_files(path.parent, [int(match.group(1))])

    def folder_shards(self, folder: Path) -> list[Path]:
        """Each present step's questions and solutions, then the image list if there is one."""
        steps = [step for step in STEPS if (folder / step_file(step)).is_file()]
        if not steps:
            raise RawFileError(
                folder,
                "folder holds none of step1.json, step2.json, step3.json (expected with "
                f"step1_solutions.json, step2_solutions.json, step3_solutions.json and "
                f"{IMAGES_FILE})",
            )
        return self._step_files(folder, steps)

    def _step_files(self, folder: Path, steps: list[int]) -> list[Path]:
        """The steps' questions and solutions, then the image list; without the list, a
        warning says (once per folder) how image questions are found instead."""
        files: list[Path] = []
        for step in steps:
            files.append(folder / step_file(step))
            files.append(_required(folder / solutions_file(step), step))
        if (folder / IMAGES_FILE).is_file():
            files.append(folder / IMAGES_FILE)
        elif not self.options_in_effect["include_image_questions"]:
            if not _has_image_keys(folder):
                raise _cannot_tell_images(folder / step_file(steps[0]))
            if folder not in _warned:
                _warned.add(folder)
                logger.warning("usmle: %s: %s", folder, IMAGE_KEYS_RULE)
        return files

    def image_rule(self, raw: Path) -> str | None:
        """How image questions are told apart in `raw`, when it is not medAlpaca's list.

        None when `question_with_images.json` is there (the canonical rule) or when image
        questions are kept anyway; otherwise `IMAGE_KEYS_RULE`, for results to record.
        """
        raw = Path(raw)
        folder = raw if raw.is_dir() else raw.parent
        if self.options_in_effect["include_image_questions"] or (folder / IMAGES_FILE).is_file():
            return None
        return IMAGE_KEYS_RULE

    def notes(self, raw: Path) -> list[str]:
        rule = self.image_rule(raw)
        return [rule] if rule else []

    # -- parsing --------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Questions of one `stepN.json`, each joined with its solution and image flag.

        Items: `{step, position, no, question, options, answer, has_image}`, `answer` the
        raw letter (None when the key has none). A solutions file or the image list
        parses to nothing: `stepN.json` reads them. A solution whose number no question
        has is a `solution_without_question` skip; a repeated number is `duplicate_no`.
        `has_image` comes from the image list, or without it from the question's own
        `image` / `image_url` key.
        """
        path = Path(path)
        match = _STEP_FILE.fullmatch(path.name)
        if not match:
            if path.name == IMAGES_FILE or re.fullmatch(r"step[123]_solutions\.json", path.name):
                return
            raise RawFileError(
                path,
                "not a USMLE self-assessment file; expected step1.json, step2.json, "
                f"step3.json, their stepN_solutions.json or {IMAGES_FILE}",
            )
        step = int(match.group(1))
        images_file = path.parent / IMAGES_FILE
        images = read_image_positions(images_file, step) if images_file.is_file() else None
        solutions = read_solutions(_required(path.parent / solutions_file(step), step))
        seen: set[str] = set()
        count = keyed = disagree = 0
        for position, raw in enumerate(stream_array(path, "a list of questions")):
            count += 1
            item = _question_item(path, position, raw)
            if item.pop("image_keyed"):
                keyed += 1
                disagree += images is not None and item["has_image"] != (position in images)
            if images is not None:
                item["has_image"] = position in images
            if item["no"] in seen:
                yield Skip("duplicate_no")
                continue
            seen.add(item["no"])
            item["step"] = step
            item["answer"] = solutions.get(item["no"])
            yield item
        if images is not None:
            _check_images_fit(path, step, images, count)
            if disagree:
                logger.warning(
                    "usmle: %s: %d questions' image/image_url keys disagree with %s; the "
                    "list decides",
                    path,
                    disagree,
                    IMAGES_FILE,
                )
        elif (
            count
            and not keyed
            and not self.options_in_effect["include_image_questions"]
            and not _has_image_keys(path.parent)  # a step may key only its image questions
        ):
            raise _cannot_tell_images(path)
        if solutions and seen and seen.isdisjoint(solutions):
            raise RawFileError(
                path.parent / solutions_file(step),
                f"none of its question numbers is in {path.name}: is it the solutions file "
                "of another step? Put the matching file in its place",
            )
        for _ in set(solutions) - seen:
            yield Skip("solution_without_question")

    # -- mapping --------------------------------------------------------------------------

    def item_subset(self, item: dict[str, Any]) -> str:
        return f"step{item['step']}"

    def item_source_id(self, item: dict[str, Any]) -> str:
        return f"step{item['step']}/{item['no']}"

    def item_meta(self, item: dict[str, Any]) -> dict[str, Any]:
        return {"step": item["step"], "no": _number(item["no"])}

    def choice(self, item: dict[str, Any]) -> Choice | Skip:
        """(question, options by upper-case letter, answer letter), or why it is left out."""
        if item["has_image"] and not self.options_in_effect["include_image_questions"]:
            return Skip("has_image")
        options = {letter.strip().upper(): text for letter, text in item["options"].items()}
        if not options or any(not text.strip() for text in options.values()):
            return Skip("empty_options")  # option texts lost (in a picture, or never written)
        if not item["question"].strip():
            return Skip("empty_question")
        answer = item["answer"]
        if answer is None or not str(answer).strip():
            return Skip("no_solution")
        answer = str(answer).strip().upper()
        if answer not in options:
            return Skip("answer_not_an_option")
        return item["question"], options, answer


# -- item helpers -----------------------------------------------------------------------------


def _number(no: str) -> int | str:
    return int(no) if no.isdigit() else no


def normalize_no(value: Any) -> str | None:
    """A question number as the solutions file keys it: `12`, `"12"`, `12.0` -> `"12"`."""
    if type(value) is int:  # the common cases, made cheap
        return str(value)
    if type(value) is str and value.isdigit() and value[0] != "0":
        return value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if text.isdigit():
        return str(int(text))
    return text or None


def _question_item(path: Path, position: int, raw: Any) -> dict[str, Any]:
    row = position + 1
    if not isinstance(raw, dict):
        raise RawFileError(
            path,
            f"question is a JSON {type(raw).__name__}, not an object with "
            f"{', '.join(QUESTION_KEYS)}; is this a USMLE self-assessment file?",
            row=row,
        )
    try:
        no, question, options = raw["no"], raw["question"], raw["options"]
    except KeyError:
        missing = next(key for key in QUESTION_KEYS if key not in raw)
        raise RawFileError(
            path,
            f"question has no {missing!r} key (expected keys: {', '.join(QUESTION_KEYS)})",
            row=row,
        ) from None
    number = normalize_no(no)
    if number is None:
        raise RawFileError(path, f"question has no number ('no' is {no!r})", row=row)
    keyed = [raw[key] for key in IMAGE_KEYS if key in raw]
    return {
        "position": position,
        "no": number,
        "question": _text(question),
        "options": _options(options),
        "has_image": any(_shows_picture(value) for value in keyed),
        "image_keyed": bool(keyed),
    }


def _shows_picture(value: Any) -> bool:
    """Whether a question's `image` / `image_url` value names a picture: a path, a URL,
    a list of them, `true`; not null, "", [], {}, 0 or false."""
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def _options(value: Any) -> dict[str, str]:
    """Options as letter -> text; a plain list (unverified shape) gets letters A, B, …"""
    if isinstance(value, dict):
        if all(type(v) is str for v in value.values()):
            return value
        return {str(k): _text(v) for k, v in value.items()}
    if isinstance(value, list):
        return {chr(ord("A") + i): _text(v) for i, v in enumerate(value)}
    return {}


def _text(value: Any) -> str:
    return value if type(value) is str else "" if value is None else str(value)


# -- the two side files ----------------------------------------------------------------------


def read_solutions(path: Path) -> dict[str, str | None]:
    """`{"<no>": "C"}` as normalized number -> raw letter (None when not a string)."""
    solutions: dict[str, str | None] = {}
    for key, value in stream_object(path):
        no = normalize_no(key)
        if no is not None:
            solutions[no] = value if isinstance(value, str) else None
    return solutions


def read_image_positions(path: Path, step: int) -> set[int]:
    """The 0-based positions of `step`'s questions that show a picture."""
    key = f"step{step}"
    for name, value in stream_object(path):
        if name != key:
            continue
        if not isinstance(value, list):
            raise RawFileError(path, f"{key!r} is not a list of question positions")
        positions: set[int] = set()
        for entry in value:
            if isinstance(entry, bool) or not (
                isinstance(entry, int) or (isinstance(entry, str) and entry.strip().isdigit())
            ):
                raise RawFileError(path, f"{key!r} holds {entry!r}, not a 0-based position")
            positions.add(int(entry))
        return positions
    raise RawFileError(
        path,
        f"has no {key!r} key (expected keys step1, step2, step3, each a list of the "
        "positions of questions with images)",
    )


def _check_images_fit(path: Path, step: int, images: set[int], count: int) -> None:
    beyond = sorted(p for p in images if p >= count)
    if beyond:
        raise RawFileError(
            path.parent / IMAGES_FILE,
            f"lists position {beyond[0]} for step{step}, but {path.name} has only {count} "
            "questions (positions are 0-based): the files do not belong together",
        )


def _has_image_keys(folder: Path) -> bool:
    """Whether any question of the folder's step files has an `image` / `image_url` key."""
    for step in STEPS:
        path = folder / step_file(step)
        if path.is_file():
            for raw in stream_array(path, "a list of questions"):
                if isinstance(raw, dict) and any(key in raw for key in IMAGE_KEYS):
                    return True
    return False


def _cannot_tell_images(path: Path) -> RawFileError:
    return RawFileError(
        path.parent,
        f"{IMAGES_FILE} is missing and no question of {', '.join(_present_steps(path.parent))} "
        "has an 'image' or 'image_url' key, so image questions cannot be told apart: put "
        f"{IMAGES_FILE} next to {path.name}, or set the option include_image_questions to "
        "keep them all",
    )


def _present_steps(folder: Path) -> list[str]:
    return [step_file(s) for s in STEPS if (folder / step_file(s)).is_file()]


def _required(path: Path, step: int) -> Path:
    if not path.is_file():
        raise RawFileError(
            path.parent,
            f"{path.name} is missing: it is needed next to {step_file(step)} "
            f"(the USMLE self-assessment files come as stepN.json, stepN_solutions.json "
            f"and {IMAGES_FILE})",
        )
    return path
