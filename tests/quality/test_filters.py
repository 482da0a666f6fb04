"""Filters: ChatDoctor's boilerplate stripped, rows dropped for shape or language."""

from __future__ import annotations

import pyarrow as pa
import pytest

from meadow.quality.filters import LanguageCheck, shape_reasons, strip_boilerplate
from meadow.quality.text import normalize


@pytest.mark.parametrize(
    ("answer", "stripped"),
    [
        (
            "Hi, Thanks for your query. Burning pain suggests acid reflux. Regards, Chat Doctor.",
            "Burning pain suggests acid reflux.",
        ),
        (
            "Hello and welcome to Chat Doctor. I have gone through your query and understand "
            "your concern. You should get an ultrasound, e.g. of the neck.\nHope I have "
            "answered your query. Let me know if I can assist you further.\nRegards,\n"
            "Dr. Rajesh Kumar",
            "You should get an ultrasound, e.g. of the neck.",
        ),
        (
            "Hi there, Vitamin D deficiency is common. Wish you good health.",
            "Vitamin D deficiency is common.",
        ),
        ("Hello, Welcome. Rest and fluids. Hope this helps. Take care.", "Rest and fluids."),
        ("Hi. Thanks for your query. Hope this helps.", ""),
    ],
)
def test_greetings_and_sign_offs_are_stripped(answer, stripped):
    assert strip_boilerplate(answer) == stripped


@pytest.mark.parametrize(
    "answer",
    [
        "Take care to avoid sugar in your diet. Thanks for asking.",
        "Hi Dr. Smith gave you this advice.",
        "Plain answer, nothing to strip.",
    ],
)
def test_answers_without_boilerplate_stay_as_they_are(answer):
    assert strip_boilerplate(answer) == answer


def _reasons(inputs, outputs, **limits):
    settings = {"min_input_chars": 0, "min_output_chars": 1, "max_chars": 100}
    settings.update(limits)
    ins, outs = pa.array(inputs), pa.array(outputs)
    return shape_reasons(
        ins, outs, normalize(ins), normalize(outs), copied_question=True, **settings
    )


def test_shape_filters_name_their_reason():
    reasons = _reasons(
        ["What is gout?", "What is gout?", "Q", "x" * 90, "What is gout?"],
        ["A kind of arthritis.", "what is GOUT", " ", "y" * 20, "Gout."],
        min_input_chars=2,
    )
    assert reasons == [None, "copied_question", "too_short", "too_long", None]


def test_an_empty_question_with_an_empty_answer_is_short_not_copied():
    assert _reasons([""], [""]) == ["too_short"]


def test_language_check_drops_only_confident_other_languages():
    texts = [
        "Hola doctor, tengo dolor de cabeza desde hace tres días y fiebre, qué debo tomar?",
        "Bonjour docteur, j'ai de la fièvre depuis trois jours et mal à la gorge.",
        "Hi, my BP is 140/90, HbA1c 7.2%, and I take metformin 500 mg twice daily.",
        "Fever, cough, headache, myalgia. Paracetamol 500 mg. Amoxicillin 500 mg TDS.",
        "Hola",  # too short to judge
    ]
    assert LanguageCheck().other_language(texts, "en").tolist() == [True, True, False, False, False]


def test_language_check_of_another_language():
    texts = [
        "Hola doctor, tengo dolor de cabeza desde hace tres días y fiebre alta.",
        "I have a headache and a fever since three days, what should I take?",
    ]
    assert LanguageCheck().other_language(texts, "es").tolist() == [False, True]
