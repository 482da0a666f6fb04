"""The small types passed between a source and the LLM stage: a task and its result, and
a request's prepared input and raw reply. No heavy imports, so sources may import it."""

from __future__ import annotations

from dataclasses import dataclass

from meadow.llm.prompts import FIELDS


@dataclass(frozen=True)
class LlmTask:
    """One row to write a question for.

    Attributes:
        key: the row id the answer belongs to (unique within a run).
        kind: "textbook" (fields: title, heading, paragraph) or "flashcard" (front, back).
        fields: the texts the prompt is filled with; other fields are ignored.
    """

    key: str
    kind: str
    fields: dict[str, str]

    def __post_init__(self) -> None:
        if self.kind not in FIELDS:
            known = ", ".join(FIELDS)
            raise ValueError(f"task {self.key!r}: expected kind in {known}, got {self.kind!r}")
        missing = [name for name in FIELDS[self.kind] if name not in self.fields]
        if missing:
            raise ValueError(f"task {self.key!r} ({self.kind}): missing fields {missing}")


@dataclass(frozen=True)
class LlmResult:
    """The outcome for one task.

    Attributes:
        key: the task's key.
        question: the accepted question, or None when rejected.
        answer: flashcard: the rephrased answer; textbook: None (the paragraph stays the answer).
        rejected: None, or why the reply was rejected ("llm_empty", "llm_refused",
            "llm_too_long", "llm_not_a_question", "llm_copies_text", "llm_bad_format").
        cached: answered from the cache, no request made.
    """

    key: str
    question: str | None
    answer: str | None
    rejected: str | None
    cached: bool


@dataclass(frozen=True)
class Item:
    """A task ready to ask: its cache key and its chat messages."""

    task: LlmTask
    id: str  # the cache key of its input
    messages: tuple[tuple[str, str], ...]  # (role, content)


@dataclass(frozen=True)
class Reply:
    """A reply's raw text, as sent and as cached (the gate judges it afterwards)."""

    text: str
    input_tokens: int | None  # the server's usage, when it reported one
    output_tokens: int | None
