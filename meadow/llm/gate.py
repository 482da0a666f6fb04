"""The quality gate: whether a reply is a question (and, for a flashcard, an answer) that
stands on its own. Pure, so it judges cached replies the same way every time."""

from __future__ import annotations

import re

_MAX_QUESTION_CHARS = 300
_MAX_ANSWER_CHARS = 1000
# A question repeating this many consecutive words of its paragraph copies it (shorter runs
# are how a fact is naturally asked about: "What is the first-line drug for type 2 diabetes?"
# shares 9 words with "Metformin is the first-line drug for type 2 diabetes because ...").
_COPY_RUN_WORDS = 12
_COPY_RUN_MIN_WORDS = 4  # a shorter paragraph repeated whole copies it too

_REFUSAL_START = re.compile(
    r"^(?:i'?m sorry|i am sorry|sorry\b|i apologi[sz]e|unfortunately\b"
    r"|i (?:cannot|can ?not|can't|am unable|'m unable|am not able|won't|will not)\b)",
    re.IGNORECASE,
)
_REFUSAL_ANYWHERE = re.compile(
    r"\bas an ai\b|\bas an? (?:ai )?language model\b|\bi'?m (?:just )?an ai\b", re.IGNORECASE
)
_LABEL = re.compile(r"^(?:question|q)\s*:\s*", re.IGNORECASE)
_QUOTES = " \t\r\n\"'`*“”‘’«»"
_NEEDS_CONTEXT = re.compile(
    r"\b(?:the|this|above|given|following) (?:paragraph|passage|text|excerpt)\b", re.IGNORECASE
)
_PAIR = re.compile(
    r"^\W*question\W*:\s*(?P<question>.+?)\s*\n\s*\W*answer\W*:\s*(?P<answer>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_WORD = re.compile(r"\w+")


def judge(
    kind: str, fields: dict[str, str], reply: str
) -> tuple[str | None, str | None, str | None]:
    """The quality gate: (question, answer, None) for an accepted reply, else
    (None, None, reason). Pure, so cached replies give the same results every time."""
    text = reply.replace("’", "'").strip()
    if not text.strip(_QUOTES):
        return None, None, "llm_empty"
    if _REFUSAL_START.match(text.lstrip(_QUOTES)) or _REFUSAL_ANYWHERE.search(text):
        return None, None, "llm_refused"
    if kind == "flashcard":
        pair = _PAIR.match(text)
        if pair is None:
            return None, None, "llm_bad_format"
        question, answer = _clean(pair["question"]), _clean(pair["answer"])
        if not question or not answer:
            return None, None, "llm_bad_format"
        if len(question) > _MAX_QUESTION_CHARS or len(answer) > _MAX_ANSWER_CHARS:
            return None, None, "llm_too_long"
        if not question.endswith("?"):
            return None, None, "llm_not_a_question"
        return question, answer, None
    question = _clean(text)
    if not question:
        return None, None, "llm_empty"
    if len(question) > _MAX_QUESTION_CHARS:
        return None, None, "llm_too_long"
    if not question.endswith("?") or _NEEDS_CONTEXT.search(question):
        return None, None, "llm_not_a_question"  # or not one that stands without the paragraph
    if _copies(question, fields.get("paragraph", "")):
        return None, None, "llm_copies_text"
    return question, None, None


def _clean(text: str) -> str:
    """Without surrounding quotes or markup, a "Question:" label, or runs of whitespace."""
    text = _LABEL.sub("", text.strip(_QUOTES)).strip(_QUOTES)
    return " ".join(text.split())


def _copies(question: str, paragraph: str) -> bool:
    """Whether the question repeats `_COPY_RUN_WORDS` consecutive words of the paragraph,
    or all of a shorter paragraph."""
    source = _words(paragraph)
    size = max(min(_COPY_RUN_WORDS, len(source)), _COPY_RUN_MIN_WORDS)
    return not _runs(_words(question), size).isdisjoint(_runs(source, size))


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def _runs(words: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}
