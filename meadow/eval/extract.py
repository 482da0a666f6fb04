"""Which option a generated answer picks, by three documented rules, or none.

medAlpaca scored its USMLE generations with a scorer it never published; PMC-LLaMA ran a
regex over free text. meadow's rules are these, tried in order on the answer (the priming
text, when one was given, followed by the generation):

1. a leading letter: the answer starts with an option letter standing alone, optionally
   in brackets, followed by `.`, `)`, `]`, `:`, `,` or nothing: `B`, `B.`, `(c)`,
   `C: Fimbriae`, `d)`. ("A patient…" is not a letter.)
2. an answer phrase: "answer", "option" or "choice" (any case), optionally "to the
   question", "is" or "would be", an optional `:` or `-`, then a letter: `Answer: D`,
   `The Answer to the question is: B` (medAlpaca's priming), `the correct option is (c)`.
   An upper-case letter must stand alone; a lower-case one must be bracketed or followed
   by `.`, `)`, `]`, `:`, `,` or the end ("the answer is a good one" picks nothing).
3. an option's text: the answer starts with the text of an option (any case, followed by
   a non-word character or the end); the longest such option wins. This is how PubMedQA's
   yes/no/maybe decisions are read, and a model that answers with the text alone.

A letter that is not one of the item's options, and an answer no rule reads ("none",
"I don't know"), give no prediction: it is counted as unparsed and scored wrong, never
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_LETTER_END = r"(?:[.)\]:,]|\s*$)"
LEADING_LETTER = re.compile(r"^\s*[(\[]?([A-Za-z])" + _LETTER_END)
ANSWER_PHRASE = re.compile(
    r"\b(?i:answer|option|choice)(?:\s+(?i:to\s+the\s+question))?"
    r"(?:\s+(?i:is|would\s+be))?\s*[:\-]?\s*"
    r"(?:[(\[]([A-Za-z])[)\]]|([A-Z])(?![\w'])|([a-z])" + _LETTER_END + ")"
)


def _normal(text: str) -> str:
    return " ".join(text.lower().split())


def extract_letter(answer: str, options: Mapping[str, str]) -> str | None:
    """The option letter `answer` picks by the module's rules, or None (unparsed)."""
    match = LEADING_LETTER.match(answer)
    if match is None:
        match = ANSWER_PHRASE.search(answer)
    if match is not None:
        letter = next(group for group in match.groups() if group).upper()
        return letter if letter in options else None
    text = _normal(answer)
    best: tuple[int, str] | None = None
    for letter, option in options.items():
        wanted = _normal(option)
        follows = text[len(wanted) : len(wanted) + 1]
        longer = best is None or len(wanted) > best[0]
        if wanted and longer and text.startswith(wanted) and not follows.isalnum():
            best = (len(wanted), letter)
    return best[1] if best else None


__all__ = ["ANSWER_PHRASE", "LEADING_LETTER", "extract_letter"]
