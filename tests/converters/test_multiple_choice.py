from __future__ import annotations

import pytest

from meadow.converters.multiple_choice import format_answer, format_question, option_letters


def test_question_lists_lettered_options():
    options = {"A": "Aspirin ", "B": "Heparin", "C": "Warfarin\n"}
    assert format_question("Which drug  is an antiplatelet? ", options) == (
        "Which drug is an antiplatelet?\n\nA: Aspirin\nB: Heparin\nC: Warfarin"
    )
    assert format_answer(" a", options) == "A: Aspirin"


def test_unknown_answer_letter_is_a_key_error():
    with pytest.raises(KeyError):
        format_answer("E", {"A": "x", "B": "y"})


def test_option_letters():
    assert option_letters(4) == "ABCD"
    with pytest.raises(ValueError, match="expected 1 to 10 options"):
        option_letters(0)
