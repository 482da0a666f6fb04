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


def option_letters(n: int) -> str:
    """The letters of `n` options: A, B, C, …"""
    if not 0 < n <= len(LETTERS):
        raise ValueError(f"expected 1 to {len(LETTERS)} options, got {n}")
    return LETTERS[:n]


def format_question(question: str, options: Mapping[str, str]) -> str:
    """The question followed by its lettered options."""
    lines = [f"{letter}: {normalize_whitespace(text)}" for letter, text in options.items()]
    return normalize_whitespace(question) + "\n\n" + "\n".join(lines)


def format_answer(letter: str, options: Mapping[str, str]) -> str:
    """The answer as `"{letter}: {text}"`; KeyError if the letter is not an option."""
    letter = letter.strip().upper()
    return f"{letter}: {normalize_whitespace(options[letter])}"
