"""Multiple-choice questions as instruction rows: one format for every benchmark source.

input:   the question, a blank line, then one "A: option" line per option
output:  "C: the correct option"

An option is always one line (its line breaks become spaces; an empty option is "A: "),
so that `parse_question` gives back exactly what `format_question` wrote: decontamination
reads benchmark items back from built rows.
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


def option_text(text: str) -> str:
    """An option as it is written: one line, its whitespace collapsed."""
    return " ".join(text.split())


def format_question(question: str, options: Mapping[str, str]) -> str:
    """The question followed by its lettered options, one line each."""
    lines = [f"{letter}: {option_text(text)}" for letter, text in options.items()]
    return normalize_whitespace(question) + "\n\n" + "\n".join(lines)


def _is_option_line(line: str) -> bool:
    # "A: text", or "A: " / "A:" for an empty option (a trailing space may have been trimmed)
    return len(line) >= 2 and line[0] in LETTERS and line[1] == ":" and line[2:3] in ("", " ")


def parse_question(text: str) -> tuple[str, dict[str, str]]:
    """`format_question`'s text back into (question, options); ({text}, {}) for a text that
    does not end with lettered option lines.

    For every question and options `format_question` accepts, this gives back the question
    as it was written (`normalize_whitespace`) and the options as written (`option_text`).
    """
    question, separator, tail = text.rpartition("\n\n")
    lines = tail.split("\n")
    if not separator or not all(_is_option_line(line) for line in lines):
        return text, {}
    return question, {line[0]: line[3:] for line in lines}


def format_answer(letter: str, options: Mapping[str, str]) -> str:
    """The answer as `"{letter}: {text}"`; KeyError if the letter is not an option."""
    letter = letter.strip().upper()
    return f"{letter}: {option_text(options[letter])}"
