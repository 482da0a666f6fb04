from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meadow.converters.html import normalize_whitespace
from meadow.converters.multiple_choice import (
    LETTERS,
    format_answer,
    format_question,
    option_text,
    parse_question,
)


def test_question_lists_lettered_options():
    options = {"A": "Aspirin ", "B": "Heparin", "C": "Warfarin\n"}
    assert format_question("Which drug  is an antiplatelet? ", options) == (
        "Which drug is an antiplatelet?\n\nA: Aspirin\nB: Heparin\nC: Warfarin"
    )
    assert format_answer(" a", options) == "A: Aspirin"


def test_unknown_answer_letter_is_a_key_error():
    with pytest.raises(KeyError):
        format_answer("E", {"A": "x", "B": "y"})


# -- parse_question gives back what format_question wrote (issue 14) --------------------
# Valid input: any question text, 1 to 10 options lettered A, B, … in order, each option
# any text (empty, blank, multi-line, any unicode). An option is written on one line, its
# whitespace collapsed (`option_text`), and is read back as written.


@pytest.mark.parametrize(
    "options",
    [
        {"A": "", "B": "Heparin"},
        {"A": "Aspirin", "B": ""},
        {"A": "two\nlines", "B": "blank\n\nline", "C": "  \n "},
        {"A": "A: looks like an option", "B": "B:"},
    ],
)
def test_empty_and_multi_line_options_come_back(options):
    text = format_question("Which drug?", options)
    question, parsed = parse_question(text)
    assert question == "Which drug?"
    assert parsed == {letter: option_text(value) for letter, value in options.items()}
    assert parse_question(text.rstrip()) == (question, parsed)  # a trimmed trailing "E: "


@settings(max_examples=300, deadline=None)
@given(
    question=st.text(),
    texts=st.lists(st.text(), min_size=1, max_size=len(LETTERS)),
)
def test_parse_question_inverts_format_question(question, texts):
    options = dict(zip(LETTERS, texts, strict=False))
    question_back, options_back = parse_question(format_question(question, options))
    assert question_back == normalize_whitespace(question)
    assert options_back == {letter: option_text(value) for letter, value in options.items()}
    assert "\n" not in "".join(options_back.values())


def test_text_without_options_is_not_parsed():
    assert parse_question("Just a question\n\nand its answer") == (
        "Just a question\n\nand its answer",
        {},
    )
