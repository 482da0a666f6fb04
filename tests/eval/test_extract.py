"""Reading the letter out of a generated answer: documented rules, never a guess."""

from __future__ import annotations

import pytest

from meadow.eval.extract import extract_letter
from meadow.eval.scoring import read_answer
from meadow.schema import EvalItem

FOUR = {"A": "Capsule", "B": "Endotoxin", "C": "Fimbriae (P pili)", "D": "Flagella"}
DECISIONS = {"A": "yes", "B": "no", "C": "maybe"}


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("B", "B"),
        ("B.", "B"),
        ("  b", "B"),
        ("(c)", "C"),
        ("[D]", "D"),
        ("d) Flagella", "D"),
        ("C: Fimbriae (P pili)", "C"),
        ("Answer: D", "D"),
        ("answer - a.", "A"),
        ("The Answer to the question is: B", "B"),
        ("The correct option is (c) because the pili attach.", "C"),
        ("I think the answer is B because of adhesion", "B"),
        ("Fimbriae (P pili) let it attach", "C"),
        ("flagella.", "D"),
        ("none", None),
        ("None of these", None),
        ("A patient with cystitis", None),
        ("the answer is a good one", None),
        ("E.", None),  # a letter, but not an option
        ("Answer: F", None),
        ("", None),
        ("I don't know", None),
    ],
)
def test_letter_extraction(answer, expected):
    assert extract_letter(answer, FOUR) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("yes", "A"),
        ("No.", "B"),
        ("Maybe, the data are thin", "C"),
        ("none", None),
        ("noted", None),
    ],
)
def test_decisions_are_read_by_their_text(answer, expected):
    assert extract_letter(answer, DECISIONS) == expected


def test_a_primed_answer_is_read_alone_then_with_its_priming_text():
    item = EvalItem("medqa", "test", "test/1", "Q?", FOUR, "B")
    prime = "The Answer to the question is:"
    assert read_answer("B: Endotoxin", item, prime) == "B"
    assert read_answer(" (d)", item, prime) == "D"
    assert read_answer("Endotoxin", item, prime) == "B"
    assert read_answer("unclear", item, prime) is None
