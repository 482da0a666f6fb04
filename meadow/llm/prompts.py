"""The prompts: for each kind of task, the fields it is filled with, its system and user
messages, and their version (the reply cache is keyed by it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class PromptTask(Protocol):
    """What a prompt is filled from: an `LlmTask` (named by its shape here, so that this
    module does not import `meadow.llm.tasks`, which imports `FIELDS` from it)."""

    @property
    def kind(self) -> str: ...

    @property
    def fields(self) -> Mapping[str, str]: ...


# A change to a kind's prompt below must bump its version: cached replies stay keyed by it.
PROMPT_VERSIONS: dict[str, str] = {"textbook": "textbook-1", "flashcard": "flashcard-1"}

PROMPTS: dict[str, tuple[str, str]] = {  # kind -> (system message, user message template)
    "textbook": (
        "You write exam questions from a medical textbook. You are given a page title, a "
        "section heading and one paragraph of that section. Write one question that the "
        "paragraph answers. The question must make sense to a reader who has not seen the "
        "paragraph: name the topic instead of saying 'the paragraph' or 'the text', and do "
        "not quote the paragraph. It must end with a question mark. Reply with the question "
        "only.",
        "Title: {title}\nHeading: {heading}\nParagraph:\n{paragraph}",
    ),
    "flashcard": (
        "You rewrite medical flashcards as question-and-answer pairs. You are given the front "
        "and the back of one card; a blank on the front is what the back fills in. Write one "
        "self-contained question, ending with a question mark, and its answer, using only "
        "the facts on the card. Reply in exactly this form and nothing else:\n"
        "Question: <the question>\nAnswer: <the answer>",
        "Front: {front}\nBack: {back}",
    ),
}
FIELDS: dict[str, tuple[str, ...]] = {
    "textbook": ("title", "heading", "paragraph"),
    "flashcard": ("front", "back"),
}
TYPICAL_OUTPUT_TOKENS = {"textbook": 30, "flashcard": 60}  # for the estimate, before asking


def chat_messages(task: PromptTask) -> tuple[tuple[str, str], ...]:
    """The system and user messages of a task's request."""
    system, template = PROMPTS[task.kind]
    user = template.format(**{name: task.fields[name].strip() for name in FIELDS[task.kind]})
    return (("system", system), ("user", user))
