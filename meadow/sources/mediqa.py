"""MEDIQA: answers to consumer health questions, summarised (MEDIQA-AnS) or judged (2019 QA).

Two subsets, one per upstream collection:

* `answer_summarization` — MEDIQA-AnS (Savery et al. 2020), the set medAlpaca's
  `medical_meadow_mediqa` was made from: one JSON object keyed by question id,
  `{qid: {question, multi_abs_summ, multi_ext_summ, answers: {aid: {article, section,
  url, rating, answer_abs_summ, answer_ext_summ}}}}`. Each question gives

  - one record *question → multi-document summary* (`source_id` = qid): the experts'
    summary of all the answers, written to answer the question;
  - one record per answer *question + the answer's passage → that answer's summary*
    (`source_id` = qid/aid), with the instruction "Summarize the passage to answer the
    question." The passage is the answer's `section` (the part of the page that answers;
    the whole `article` when the section is empty).

  The summaries are the **abstractive** ones (`multi_abs_summ`, `answer_abs_summ`):
  experts wrote them as prose that answers the question, whereas the extractive ones are
  sentences lifted from the pages, often reading out of context. The option
  `summary: extractive` takes the extractive ones instead.

* `qa` — MEDIQA 2019 task 3 (Ben Abacha et al. 2019): XML whose root tag names the set,
  `<Question QID>` with `<QuestionText>` and `<AnswerList><Answer AID SystemRank
  ReferenceRank ReferenceScore>` holding `<AnswerURL>` and `<AnswerText>`. Each answer
  the reference judged correct (`ReferenceScore` ≥ the `min_reference_score` option,
  default 3: 4 excellent, 3 correct but incomplete, 2 related, 1 incorrect — the task's
  own correct/incorrect split) gives a record *question → answer*; the others are
  counted as `judged_incorrect`, answers without a score (the unlabelled test set) as
  `unjudged`. `source_id` is the set name (the root tag, without a `-V2` suffix) and the
  answer id, so a corrected file and its first version share ids and the mixer keeps one
  (the `-V2` file, which sorts first in a folder); likewise the labelled test set
  (`…-TestSet-wLabels.xml`) and the unlabelled one share their root tag.

JSON is streamed with meadow's shared JSON reader (`meadow.sources._json`: ijson's C
backend, the same errors as every JSON source), XML with `lxml.etree.iterparse` without
resolving entities or loading DTDs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from meadow.converters.html import normalize_whitespace
from meadow.errors import RawFileError, RecipeError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._json import stream_object
from meadow.sources._readers import safe_iterparse, xml_error_text
from meadow.sources.base import Skip, Source

ANS = "answer_summarization"
QA = "qa"
ANS_FILE = "question_driven_answer_summarization_primary_dataset.json"
QA_FILES = "MEDIQA2019-Task3-QA-*.xml"
SUMMARIZE_INSTRUCTION = "Summarize the passage to answer the question."
SUMMARY_KINDS = {"abstractive": "abs", "extractive": "ext"}

# Files a MEDIQA folder may hold that are not read: the OSF release's derived views of the
# AnS collection (the same summaries again) and the other two MEDIQA 2019 tasks.
_DERIVED_JSON = ("page2answer_", "section2answer_")
_OTHER_TASKS = re.compile(r"Task[12]\b", re.IGNORECASE)
_SET_VERSION = re.compile(r"-V\d+$", re.IGNORECASE)

CITATION = r"""@article{savery2020question,
  title     = {Question-driven summarization of answers to consumer health questions},
  author    = {Savery, Max and Ben Abacha, Asma and Gayen, Soumya and Demner-Fushman, Dina},
  journal   = {Scientific Data},
  volume    = {7},
  number    = {1},
  pages     = {322},
  year      = {2020},
  doi       = {10.1038/s41597-020-00667-z}
}
@inproceedings{ben-abacha-etal-2019-overview,
  title     = {Overview of the {MEDIQA} 2019 Shared Task on Textual Inference, Question Entailment and Question Answering},
  author    = {Ben Abacha, Asma and Shivade, Chaitanya and Demner-Fushman, Dina},
  booktitle = {Proceedings of the 18th BioNLP Workshop and Shared Task},
  pages     = {370--379},
  year      = {2019},
  publisher = {Association for Computational Linguistics},
  doi       = {10.18653/v1/W19-5039}
}"""  # noqa: E501


@register_source
class MediqaSource(Source):
    """MEDIQA-AnS summaries (`answer_summarization`) and MEDIQA 2019 judged answers (`qa`).

    `--raw mediqa=PATH` takes the MEDIQA-AnS JSON file, a MEDIQA 2019 task 3 XML file, or
    a folder holding any of them.
    """

    name = "mediqa"
    description = (
        "MEDIQA (NLM): consumer health questions answered from trusted sites. "
        "answer_summarization: MEDIQA-AnS expert summaries of the answers (medAlpaca's "
        "medical_meadow_mediqa); qa: MEDIQA 2019 task 3 answers the reference judged correct."
    )
    homepage = "https://osf.io/fyg46/"
    # No license is stated for either collection (MEDIQA-AnS on OSF, MEDIQA 2019 on GitHub);
    # both are NLM research releases whose answers quote MedlinePlus, NIH and other sites.
    license = "other"
    citation = CITATION
    subsets = (ANS, QA)
    default_instruction = "Answer this question truthfully"
    raw_files = ()
    how_to_get = (
        f"Download MEDIQA-AnS from https://doi.org/10.17605/OSF.IO/FYG46 (the file {ANS_FILE}) "
        "and/or the MEDIQA 2019 task 3 files from "
        f"https://github.com/abachaa/MEDIQA2019/tree/master/MEDIQA_Task3_QA ({QA_FILES}); "
        "put them in one folder."
    )
    file_suffixes = (".json", ".xml")
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {"min_reference_score": 3, "summary": "abstractive"}

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        kind = self.options_in_effect["summary"]
        if kind not in SUMMARY_KINDS:
            raise RecipeError(
                f"sources.{self.name}.options.summary",
                f"expected one of {', '.join(SUMMARY_KINDS)}, got {kind!r}",
            )
        score = self.options_in_effect["min_reference_score"]
        if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 4:
            raise RecipeError(
                f"sources.{self.name}.options.min_reference_score",
                f"expected a score from 1 (incorrect) to 4 (excellent), got {score!r}",
            )

    def file_shards(self, path: Path) -> list[Path]:
        """A JSON or XML file, as it is."""
        if path.suffix.lower() not in self.file_suffixes:
            raise RawFileError(path, f"not a MEDIQA file: expected {ANS_FILE} or {QA_FILES}")
        return [path]

    def folder_shards(self, folder: Path) -> list[Path]:
        """The JSON and XML files to read, without derived views and other MEDIQA tasks."""
        files = sorted(
            p
            for p in folder.rglob("*")
            if p.is_file() and p.suffix.lower() in self.file_suffixes and not _ignored(p)
        )
        if not files:
            raise RawFileError(
                folder,
                f"folder holds no MEDIQA files: expected {ANS_FILE} (MEDIQA-AnS) "
                f"and/or {QA_FILES} (MEDIQA 2019 task 3)",
            )
        return files

    # -- parsing ------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """One item per question: AnS questions from JSON, judged QA questions from XML."""
        path = Path(path)
        if path.suffix.lower() == ".xml":
            yield from _parse_qa(path)
        else:
            yield from _parse_answer_summarization(path)

    # -- mapping ------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """Records of one question (see the module docstring for the pairing)."""
        if item["subset"] == QA:
            return self._qa_records(item)
        return self._summary_records(item)

    def _summary_records(self, item: dict[str, Any]) -> list[Record | Skip]:
        kind = SUMMARY_KINDS[self.options_in_effect["summary"]]
        question = normalize_whitespace(item["question"])
        if not question:
            return [Skip("no_question")]
        out: list[Record | Skip] = []
        summary = normalize_whitespace(item[f"multi_{kind}_summ"])
        if summary:
            out.append(
                self.record(input=question, output=summary, source_id=item["qid"], subset=ANS)
            )
        else:
            out.append(Skip("no_summary"))
        # A recipe's own instruction replaces ours everywhere; ours differs per record kind.
        instruction = (
            SUMMARIZE_INSTRUCTION if self.instruction == self.default_instruction else None
        )
        for answer in item["answers"]:
            summary = normalize_whitespace(answer[f"answer_{kind}_summ"])
            passage = normalize_whitespace(answer["section"] or answer["article"])
            if not summary:
                out.append(Skip("no_summary"))
            elif not passage:
                out.append(Skip("no_passage"))
            else:
                out.append(
                    self.record(
                        instruction=instruction,
                        input=f"Question: {question}\n\nPassage: {passage}",
                        output=summary,
                        source_id=f"{item['qid']}/{answer['aid']}",
                        subset=ANS,
                    )
                )
        return out

    def _qa_records(self, item: dict[str, Any]) -> list[Record | Skip]:
        question = normalize_whitespace(item["question"])
        if not question:
            return [Skip("no_question")]
        minimum = self.options_in_effect["min_reference_score"]
        out: list[Record | Skip] = []
        for answer in item["answers"]:
            score = answer["score"]
            if score is None:
                out.append(Skip("unjudged"))
            elif not score.strip().isdigit():
                out.append(Skip("bad_reference_score"))
            elif int(score) < minimum:
                out.append(Skip("judged_incorrect"))
            elif not (text := normalize_whitespace(answer["text"])):
                out.append(Skip("empty_answer"))
            else:
                out.append(
                    self.record(
                        input=question,
                        output=text,
                        source_id=f"{item['set']}/{answer['aid']}",
                        subset=QA,
                    )
                )
        return out


def _ignored(path: Path) -> bool:
    """Files of a MEDIQA folder that are not read (derived views, other MEDIQA tasks)."""
    name = path.name
    if path.suffix.lower() == ".json":
        return name.startswith(_DERIVED_JSON)
    return bool(_OTHER_TASKS.search(path.stem))


# -- MEDIQA-AnS (JSON) ------------------------------------------------------------------------


def _parse_answer_summarization(path: Path) -> Iterator[dict[str, Any]]:
    """One item per AnS question, streamed from the object keyed by question id."""
    for qid, entry in _questions(path):
        yield _ans_question(path, qid, entry)


def _questions(path: Path) -> Iterator[tuple[str, Any]]:
    """(qid, entry) of the AnS object; a broken file's error names the last question read."""
    qid = None
    try:
        for qid, entry in stream_object(path, "MEDIQA-AnS questions keyed by question id"):
            yield qid, entry
    except RawFileError as exc:
        if qid is None:
            raise
        raise RawFileError(
            path, f"stopped after question {qid!r}: {exc.problem}", row=exc.row
        ) from None


def _ans_question(path: Path, qid: str, entry: Any) -> dict[str, Any]:
    """One AnS question as a plain dict; RawFileError when a key is missing."""
    if not isinstance(entry, dict):
        raise RawFileError(path, "expected an object for each question id", row=qid)
    if "answers" not in entry and "summary" in entry:
        raise RawFileError(
            path,
            f"this is one of the derived views of MEDIQA-AnS, not the collection itself: "
            f"pass {ANS_FILE}",
        )
    for key in ("question", "multi_abs_summ", "multi_ext_summ", "answers"):
        if key not in entry:
            raise RawFileError(path, f"question {qid!r} has no {key!r} key", row=qid)
    answers = entry["answers"]
    if not isinstance(answers, dict):
        raise RawFileError(path, f"question {qid!r}: 'answers' is not an object", row=qid)
    out = []
    for aid, answer in answers.items():
        if not isinstance(answer, dict):
            raise RawFileError(path, f"answer {aid!r} is not an object", row=qid)
        for key in ("answer_abs_summ", "answer_ext_summ", "section", "article"):
            if key not in answer:
                raise RawFileError(path, f"answer {aid!r} has no {key!r} key", row=qid)
        out.append(
            {
                "aid": str(aid),
                "section": _text(answer["section"]),
                "article": _text(answer["article"]),
                "answer_abs_summ": _text(answer["answer_abs_summ"]),
                "answer_ext_summ": _text(answer["answer_ext_summ"]),
            }
        )
    return {
        "subset": ANS,
        "qid": str(qid),
        "question": _text(entry["question"]),
        "multi_abs_summ": _text(entry["multi_abs_summ"]),
        "multi_ext_summ": _text(entry["multi_ext_summ"]),
        "answers": out,
    }


def _text(value: Any) -> str:
    """A text field as a string (a list of sentences joined; null as empty)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value if v is not None)
    return str(value)


# -- MEDIQA 2019 task 3 (XML) -----------------------------------------------------------------


def _parse_qa(path: Path) -> Iterator[dict[str, Any]]:
    if path.stat().st_size == 0:
        raise RawFileError(path, f"empty file: not a MEDIQA 2019 task 3 file ({QA_FILES})")
    set_name = None
    questions = 0
    try:
        with path.open("rb") as stream:
            events = safe_iterparse(stream, events=("start", "end"))
            for event, element in events:
                if set_name is None:
                    set_name = _SET_VERSION.sub("", element.tag)
                    continue
                if event != "end" or element.tag != "Question":
                    continue
                questions += 1
                yield _qa_question(path, element, set_name, questions)
                element.clear()
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        reason = xml_error_text(exc)
        if "UTF-8" in reason or "encoding" in reason.lower():
            raise RawFileError(
                path,
                f"not UTF-8 text at line {exc.lineno} ({reason}); re-save the file as UTF-8",
            ) from None
        raise RawFileError(
            path,
            f"malformed XML at line {exc.lineno}: {reason}; the file is damaged or "
            "truncated: download it again",
        ) from None
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not questions:
        raise RawFileError(
            path,
            f"no <Question> elements under <{set_name}>: not a MEDIQA 2019 task 3 "
            f"file ({QA_FILES})",
        )


def _qa_question(
    path: Path, question: etree._Element, set_name: str, position: int
) -> dict[str, Any]:
    qid = question.get("QID")
    if qid is None:
        raise RawFileError(path, f"<Question> number {position} has no QID attribute", row=position)
    answers = []
    for answer in question.iter("Answer"):
        aid = answer.get("AID")
        if aid is None:
            raise RawFileError(
                path, f"an <Answer> of question {qid} has no AID attribute", row=position
            )
        answers.append(
            {
                "aid": aid,
                "score": answer.get("ReferenceScore"),
                "text": _element_text(answer.find("AnswerText")),
                "url": _element_text(answer.find("AnswerURL")),
            }
        )
    return {
        "subset": QA,
        "set": set_name,
        "qid": qid,
        "question": _element_text(question.find("QuestionText")),
        "answers": answers,
    }


def _element_text(element: etree._Element | None) -> str:
    """All text of an element, entity references (never resolved) kept as written."""
    if element is None:
        return ""
    if not len(element):
        return element.text or ""
    return "".join(element.itertext())
