"""Multiple-choice questions as instruction rows: one format for every benchmark source.

input:   the question, a blank line, then one "A: option" line per option
output:  "C: the correct option"
"""

from __future__ import annotations

from collections.abc import Mapping

from meadow.converters.html import normalize_whitespace

LETTERS = "ABCDEFGHIJ"
# medAlpaca's wording for its MedQA set, kept verbatim so rebuilt rows match the published ones.
MULTIPLE_CHOICE_INSTRUCTION = "Please answer with one of the option in the bracket"
# Wordings that ask for the same thing, for sources that vary their instructions the way
# PMC-LLaMA did (a source lists them in `instruction_paraphrases`; the mixer picks one per
# row). The first is the fixed instruction above, so `paraphrase: false` keeps medAlpaca's.
MULTIPLE_CHOICE_PARAPHRASES = (
    MULTIPLE_CHOICE_INSTRUCTION,
    "Choose the correct option and give its letter and text.",
    "Which of the options answers the question? Reply with the letter and the option.",
    "Answer the multiple-choice question below with the single best option.",
    "Pick the one correct answer from the lettered options.",
    "Read the question and select the best answer among the options.",
)
# For rows whose answer is followed by its explanation (MedMCQA's rationale subset).
RATIONALE_PARAPHRASES = (
    "Answer the multiple-choice question and explain why the answer is correct.",
    "Choose the correct option, then give the reasoning behind it.",
    "Select the best answer from the options and justify your choice.",
    "Give the correct option for this question followed by an explanation.",
)


def option_letters(n: int) -> str:
    """The letters of `n` options: A, B, C, …"""
    if not 0 < n <= len(LETTERS):
        raise ValueError(f"expected 1 to {len(LETTERS)} options, got {n}")
    return LETTERS[:n]


def format_question(question: str, options: Mapping[str, str]) -> str:
    """The question followed by its lettered options."""
    lines = [f"{letter}: {normalize_whitespace(text)}" for letter, text in options.items()]
    return normalize_whitespace(question) + "\n\n" + "\n".join(lines)


def parse_question(text: str) -> tuple[str, dict[str, str]]:
    """`format_question`'s text back into (question, options); ({text}, {}) for a text that
    does not end with lettered option lines."""
    question, separator, tail = text.rpartition("\n\n")
    lines = tail.split("\n")
    if not separator or not all(
        len(ln) > 3 and ln[0] in LETTERS and ln[1:3] == ": " for ln in lines
    ):
        return text, {}
    return question, {line[0]: line[3:] for line in lines}


def format_answer(letter: str, options: Mapping[str, str]) -> str:
    """The answer as `"{letter}: {text}"`; KeyError if the letter is not an option."""
    letter = letter.strip().upper()
    return f"{letter}: {normalize_whitespace(options[letter])}"
