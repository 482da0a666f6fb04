"""PubMedQA: research questions answered yes, no or maybe from a PubMed abstract.

PubMedQA (Jin et al. 2019) pairs the title question of an abstract with the abstract
without its conclusion (the context), the conclusion (the long answer) and a yes/no/maybe
decision. Its three files are each ONE JSON object keyed by PMID:

* `ori_pqal.json` (PQA-L, 1,000 items labelled by experts): the benchmark;
* `ori_pqaa.json` (PQA-A, 211,269 items labelled by a heuristic, yes/no only; hundreds of
  MB, streamed item by item with ijson's C backend);
* `ori_pqau.json` (PQA-U, ~61k items without a decision): nothing to answer with, so its
  items are counted as `unlabelled` skips.

An item is `{"QUESTION", "CONTEXTS": [...], "LABELS": [...] (section labels, same length),
"MESHES", "YEAR", "reasoning_required_pred", "reasoning_free_pred", "final_decision",
"LONG_ANSWER"}` (PQA-A and PQA-U carry fewer of the optional keys). Each labelled item
gives two rows that share their input: a decision row (subset `labelled`/`artificial`,
output `yes`/`no`/`maybe`) and a reasoning row (subset `…_reasoning`, output the long
answer then `Answer: {decision}`). `to_records` and `evaluation_items` share one mapping,
so the `labelled` record of a PMID and its benchmark item share an id.

Skips are counted per raw item (`empty_question`, `no_context`, `bad_decision`,
`unlabelled`), except `no_long_answer`, which drops only the reasoning row.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from meadow.errors import RawFileError
from meadow.schema import EvalItem, Record
from meadow.sources import register_source
from meadow.sources._json import object_batches, stream_object
from meadow.sources._readers import texts_to_clean
from meadow.sources.base import (
    FIELD_TOO_LONG,
    RawFile,
    Rows,
    Skip,
    Source,
    has_text_over,
    max_field_chars,
)

logger = logging.getLogger(__name__)
# the bundled sample (meadow/samples) builds silently: its notes go to the manifest only
_BUNDLED_SAMPLES = Path(__file__).resolve().parent.parent / "samples"

# file name -> the subset its decision rows go to (None: unlabelled, no rows)
FILES: dict[str, str | None] = {
    "ori_pqal.json": "labelled",
    "ori_pqaa.json": "artificial",
    "ori_pqau.json": None,
}
EXPECTED_NAMES = "ori_pqal.json, ori_pqaa.json or ori_pqau.json"
REQUIRED_KEYS = ("QUESTION", "CONTEXTS")
DECISIONS = ("yes", "no", "maybe")
OPTIONS = {"A": "yes", "B": "no", "C": "maybe"}
LETTERS = {text: letter for letter, text in OPTIONS.items()}
REASONING_SUFFIX = "_reasoning"
# Section labels that say the section has none (PubMed's mark for unstructured text).
_NO_LABEL = frozenset({"", "UNLABELLED", "UNLABELED", "UNASSIGNED", "NONE"})

PQAL_URL = "https://raw.githubusercontent.com/pubmedqa/pubmedqa/master/data/ori_pqal.json"

DECISION_INSTRUCTION = "Answer the question about the abstract with yes, no or maybe."
DECISION_PARAPHRASES = (
    DECISION_INSTRUCTION,
    "Based on the abstract, answer the research question with yes, no or maybe.",
    "Read the study summary and reply yes, no or maybe to the question.",
    "Does the abstract support a yes, a no or a maybe? Answer the question with one word.",
    "Using only the context given, answer the question: yes, no or maybe.",
)
REASONING_INSTRUCTION = (
    "Answer the question about the abstract: give the reasoning first, then the answer "
    "(yes, no or maybe)."
)
REASONING_PARAPHRASES = (
    REASONING_INSTRUCTION,
    "Read the abstract, explain what its findings say about the question, and end with "
    "yes, no or maybe.",
    "Draw a conclusion from the study summary that answers the question, then give the "
    "final answer: yes, no or maybe.",
    "Reason from the abstract to an answer to the research question, and finish with "
    "yes, no or maybe.",
    "Using only the context given, state the conclusion that answers the question and "
    "then the answer (yes, no or maybe).",
)

CITATION = """\
@inproceedings{jin2019pubmedqa,
  title={PubMedQA: A Dataset for Biomedical Research Question Answering},
  author={Jin, Qiao and Dhingra, Bhuwan and Liu, Zhengping and Cohen, William and Lu, Xinghua},
  booktitle={Proceedings of the 2019 Conference on Empirical Methods in Natural Language Processing and the 9th International Joint Conference on Natural Language Processing (EMNLP-IJCNLP)},
  pages={2567--2577},
  year={2019}
}"""  # noqa: E501


@register_source
class PubMedQASource(Source):
    """PubMedQA's labelled (PQA-L) and artificial (PQA-A) items as yes/no/maybe records.

    Subsets: `labelled` and `labelled_reasoning` (from ori_pqal.json, the benchmark: kept
    in the test split unless a recipe sets `train_on_evaluation`), `artificial` and
    `artificial_reasoning` (from ori_pqaa.json).
    """

    name = "pubmedqa"
    description = (
        "PubMedQA (Jin et al. 2019): research questions from PubMed titles answered yes, no "
        "or maybe from the abstract, with the abstract's conclusion as reasoning. PQA-L "
        "(1,000 expert-labelled items) is the benchmark; PQA-A (211k heuristically "
        "labelled items) is training data. Only ori_pqal.json is downloaded: pass "
        "ori_pqaa.json with --raw to get the artificial subsets."
    )
    homepage = "https://pubmedqa.github.io/"
    license = "MIT"
    citation = CITATION
    subsets = ("labelled", "labelled_reasoning", "artificial", "artificial_reasoning")
    default_instruction = DECISION_INSTRUCTION
    raw_files = (RawFile("ori_pqal.json", PQAL_URL),)
    how_to_get = (
        f"ori_pqal.json is in the repository ({PQAL_URL}); ori_pqaa.json (PQA-A) and "
        "ori_pqau.json (PQA-U) are shared only through the Google-Drive links in the README "
        "of https://github.com/pubmedqa/pubmedqa, which meadow cannot download: get them "
        "there and put all three in one folder (or pass one of the files)."
    )
    file_suffixes = (".json",)
    expected_files = FILES  # found by exact name, at any depth
    missing_files = (
        f"folder holds none of PubMedQA's files: expected {EXPECTED_NAMES} "
        "(other files, such as test_ground_truth.json, are ignored)"
    )
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {}
    evaluation_subsets = ("labelled", "labelled_reasoning")
    instruction_paraphrases: ClassVar[dict[str, tuple[str, ...]]] = {
        "labelled": DECISION_PARAPHRASES,
        "artificial": DECISION_PARAPHRASES,
        "labelled_reasoning": REASONING_PARAPHRASES,
        "artificial_reasoning": REASONING_PARAPHRASES,
    }

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        # A recipe's instruction is used for every row; otherwise reasoning rows get their own.
        self.reasoning_instruction = instruction or REASONING_INSTRUCTION

    # -- files ----------------------------------------------------------------------------

    def file_shards(self, path: Path) -> list[Path]:
        """One of the ori_*.json files, by its exact name."""
        if path.name not in FILES:
            raise RawFileError(
                path,
                f"not a PubMedQA file: expected {EXPECTED_NAMES} (rename it, or pass "
                "the folder holding them)",
            )
        return [path]

    def notes(self, raw: Path) -> list[str]:
        """Says that a PQA-U file gives no rows, for the manifest and the card."""
        try:
            shards = self.shards(raw)
        except RawFileError:  # reported where the files are read
            return []
        return [_unlabelled_note(p) for p in shards if FILES.get(p.name, "") is None]

    # -- parsing --------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Items of one file, in file order: `{"subset", "pmid", "row": the raw object}`.

        ori_pqau.json yields a single `Skip("unlabelled", count=n)` once it is read.
        """
        path = Path(path)
        if path.name not in FILES:
            raise RawFileError(path, f"not a PubMedQA file: expected {EXPECTED_NAMES}")
        subset = FILES[path.name]
        if subset is None:
            yield from _count_unlabelled(path)
            return
        for position, pmid, row in _items(path):
            if "final_decision" not in row:
                raise _unlabelled_item(path, position, pmid, row)
            yield {"subset": subset, "pmid": pmid, "row": row}

    def batches(self, path: Path) -> Iterator[Rows | Skip]:
        """The rows of `read`, a list of items at a time: the raw items' lengths checked
        once per list (`object_batches`' bound) and the whitespace of all its texts at
        once (`texts_to_clean`); the mapping is `_decide`, as for `to_records`."""
        path = Path(path)
        if FILES.get(path.name, "") is None:
            yield from _count_unlabelled(path)
            return
        if path.name not in FILES:
            raise RawFileError(path, f"not a PubMedQA file: expected {EXPECTED_NAMES}")
        subset = FILES[path.name]
        reasoning_subset = subset + REASONING_SUFFIX
        instructions = (self.instruction, self.reasoning_instruction)
        limit = max_field_chars()
        position = 0
        what = "an object of PubMedQA items keyed by PMID"
        for pairs, bound in object_batches(path, what):
            skips: Counter[str] = Counter()
            texts: list[str] = []  # per item: question, long answer, contexts
            kept: list[tuple[str, dict[str, Any], int, Any]] = []  # pmid, row, contexts, labels
            for pmid, row in pairs:
                position += 1
                _check_item(path, position, pmid, row)
                if "final_decision" not in row:
                    raise _unlabelled_item(path, position, pmid, row)
                if bound > limit and has_text_over(
                    {"subset": subset, "pmid": pmid, "row": row}, limit
                ):
                    skips[FIELD_TOO_LONG] += 1
                    continue
                contexts, labels = _context_texts(row["CONTEXTS"], row.get("LABELS"))
                texts += (_text(row["QUESTION"]), _text(row.get("LONG_ANSWER")), *contexts)
                kept.append((pmid, row, len(contexts), labels))
            for i in texts_to_clean(texts):
                texts[i] = _clean(texts[i])
            inputs, outputs, ids, subsets, row_instructions = [], [], [], [], []
            at = 0
            for pmid, row, count, labels in kept:
                question, long_answer = texts[at], texts[at + 1]
                checked = _decide(question, texts[at + 2 : at + 2 + count], labels, row)
                at += 2 + count
                if type(checked) is Skip:
                    skips[checked.reason] += 1
                    continue
                text, decision = checked
                inputs.append(text)
                outputs.append(decision)
                ids.append(pmid)
                subsets.append(subset)
                row_instructions.append(instructions[0])
                if not long_answer:
                    skips["no_long_answer"] += 1
                    continue
                inputs.append(text)
                outputs.append(f"{long_answer}\n\nAnswer: {decision}")
                ids.append(pmid)
                subsets.append(reasoning_subset)
                row_instructions.append(instructions[1])
            for reason, count in skips.items():
                yield Skip(reason, count=count)
            if ids:
                yield Rows(inputs, outputs, ids, subsets, row_instructions)

    # -- mapping --------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """A decision row and a reasoning row sharing one input, or why the item is left out."""
        checked = _checked(item["row"])
        if isinstance(checked, Skip):
            return [checked]
        text, decision = checked
        subset, pmid = item["subset"], item["pmid"]
        decision_row = self.record(input=text, output=decision, source_id=pmid, subset=subset)
        long_answer = _clean(_text(item["row"].get("LONG_ANSWER")))
        if not long_answer:
            return [decision_row, Skip("no_long_answer")]
        reasoning_row = self.record(
            input=text,
            output=f"{long_answer}\n\nAnswer: {decision}",
            source_id=pmid,
            subset=subset + REASONING_SUFFIX,
            instruction=self.reasoning_instruction,
        )
        return [decision_row, reasoning_row]

    def evaluation_items(self, path: Path) -> Iterator[EvalItem | Skip]:
        """PQA-L's items as three-option questions (A yes, B no, C maybe).

        Only ori_pqal.json is the benchmark; the other files give no items.
        """
        if FILES.get(Path(path).name) != "labelled":
            return
        for item in self.parse(path):
            if isinstance(item, Skip):
                yield item
                continue
            row = item["row"]
            checked = _checked(row)
            if isinstance(checked, Skip):
                yield checked
                continue
            text, decision = checked
            yield EvalItem(
                source=self.name,
                subset=item["subset"],
                source_id=item["pmid"],
                question=text,
                options=dict(OPTIONS),
                answer=LETTERS[decision],
                meta={"year": _year(row.get("YEAR")), "meshes": _meshes(row.get("MESHES"))},
            )


# -- reading --------------------------------------------------------------------------------


def _items(path: Path) -> Iterator[tuple[int, str, dict[str, Any]]]:
    """(1-based position, PMID, item) of a PubMedQA file, each item checked to be an object
    with the required keys."""
    for position, (pmid, row) in enumerate(
        stream_object(path, "an object of PubMedQA items keyed by PMID"), start=1
    ):
        _check_item(path, position, pmid, row)
        yield position, pmid, row


def _check_item(path: Path, position: int, pmid: str, row: Any) -> None:
    """Raise unless the item is an object with the required keys."""
    if not isinstance(row, dict):
        raise RawFileError(
            path,
            f"PMID {pmid} is {_json_kind(row)}, not an object with "
            f"{', '.join(REQUIRED_KEYS)}: is this a PubMedQA file?",
            row=position,
        )
    if "QUESTION" not in row or "CONTEXTS" not in row:
        missing = next(key for key in REQUIRED_KEYS if key not in row)
        raise RawFileError(
            path,
            f"PMID {pmid} has no {missing!r} key (keys: {', '.join(row) or 'none'}); "
            f"PubMedQA items have {', '.join(REQUIRED_KEYS)}",
            row=position,
        )


def _unlabelled_item(path: Path, position: int, pmid: str, row: dict[str, Any]) -> RawFileError:
    return RawFileError(
        path,
        f"PMID {pmid} has no 'final_decision' key (keys: {', '.join(row)}); "
        f"items of {path.name} are labelled: is this ori_pqau.json renamed?",
        row=position,
    )


def _unlabelled_note(path: Path) -> str:
    return (
        f"{path.name} (PQA-U) has no answers (no final_decision) and gives no rows; "
        "its items are counted as 'unlabelled' skips"
    )


def _count_unlabelled(path: Path) -> Iterator[Skip]:
    """PQA-U has no decisions: its items are read (so a broken file is still reported),
    counted, and reported as one skip. The note is in the manifest and the card; it is
    printed too, except for the bundled sample, which builds silently."""
    if not path.resolve().is_relative_to(_BUNDLED_SAMPLES):
        logger.warning("pubmedqa: %s", _unlabelled_note(path))
    count = sum(1 for _ in _items(path))
    if count:
        yield Skip("unlabelled", count=count)


# -- the mapping both records and evaluation items use -------------------------------------


def _checked(row: dict[str, Any]) -> tuple[str, str] | Skip:
    """(input text, decision), or why the item is left out."""
    contexts, labels = _context_texts(row["CONTEXTS"], row.get("LABELS"))
    question = _clean(_text(row["QUESTION"]))
    return _decide(question, [_clean(text) for text in contexts], labels, row)


def _decide(
    question: str, contexts: list[str], labels: list[Any] | None, row: dict[str, Any]
) -> tuple[str, str] | Skip:
    """(input text, decision) from the cleaned question and context sections, or why the
    item is left out: what both `to_records` and `batches` map an item with."""
    if not question:
        return Skip("empty_question")
    context = _context(contexts, labels)
    if not context:
        return Skip("no_context")
    decision = row["final_decision"]
    if decision not in DECISIONS:  # the raw values are already clean: check them first
        decision = decision.strip().lower() if isinstance(decision, str) else None
        if decision not in DECISIONS:
            return Skip("bad_decision")
    return f"{context}\n\nQuestion: {question}", decision


def _context_texts(contexts: Any, labels: Any) -> tuple[list[str], list[Any] | None]:
    """The context sections as texts (not cleaned), and their labels where they fit."""
    if type(contexts) is not list:
        if not isinstance(contexts, str):
            return [], None
        contexts = [contexts]
    if type(labels) is not list or len(labels) != len(contexts):
        labels = None
    return [text if type(text) is str else _text(text) for text in contexts], labels


def _context(contexts: list[str], labels: list[Any] | None) -> str:
    """The cleaned context sections, one paragraph each, as `LABEL: text` where a label fits."""
    if not labels:
        return "\n\n".join([text for text in contexts if text])
    return "\n\n".join(
        [
            _prefix(label) + text if type(label) is str else text
            for text, label in zip(contexts, labels, strict=True)
            if text
        ]
    )


@lru_cache(maxsize=4096)
def _prefix(label: str) -> str:
    """`"LABEL: "`, or nothing for a blank label or PubMed's mark of an unlabelled section."""
    label = _clean(label)
    return "" if label.upper() in _NO_LABEL else f"{label}: "


def _clean(text: str) -> str:
    """One line, runs of whitespace (line breaks, no-break spaces) as one space, trimmed.

    Every PubMedQA text is one paragraph, and most need nothing: checking is about three
    times cheaper than rebuilding (the checks are what the hot loop spends its time on).
    """
    if text[:1] != " " and text[-1:] != " " and "  " not in text:
        if text.isascii():
            if not (
                "\n" in text
                or "\t" in text
                or "\r" in text
                or "\x0b" in text
                or "\x0c" in text
                or "\x1c" in text
                or "\x1d" in text
                or "\x1e" in text
                or "\x1f" in text
            ):
                return text
        elif text.isprintable():  # False for every whitespace but the ASCII space
            return text
    return " ".join(text.split())


def _text(value: Any) -> str:
    return value if type(value) is str else "" if value is None else str(value)


def _year(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _meshes(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [term for term in (_clean(_text(v)) for v in value if v is not None) if term]


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if value is None:
        return "null"
    return "a boolean" if isinstance(value, bool) else "a number"
