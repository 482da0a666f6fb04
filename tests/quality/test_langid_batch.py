"""The batched language identifier gives py3langid's own answers, bit for bit."""

from __future__ import annotations

import random

import pytest
from py3langid.langid import MODEL_FILE, LanguageIdentifier, visit_counts

from benchmarks import medtext
from meadow.quality.filters import _CONFIDENCE, _ENGLISH_WORDS, _SAMPLE_CHARS, LanguageCheck
from meadow.quality.langid_batch import BatchIdentifier, encode

FOREIGN = [
    "Le patient présente une fièvre persistante depuis trois jours, avec des céphalées "
    "et une toux sèche. Nous recommandons une radiographie thoracique et un bilan sanguin.",
    "Der Patient klagt seit einer Woche über starke Rückenschmerzen, die in das linke Bein "
    "ausstrahlen. Eine Magnetresonanztomographie der Lendenwirbelsäule wird empfohlen.",
    "La paciente tiene dolor abdominal intenso desde ayer, acompañado de náuseas y vómitos. "
    "Se sospecha una apendicitis aguda y se solicita una ecografía abdominal urgente.",
    "У пациента повышенное артериальное давление и головная боль в течение недели. "
    "Рекомендуется измерять давление дважды в день и обратиться к кардиологу.",
    "患者持续发热三天，伴有咳嗽和乏力。建议进行血常规检查和胸部X光检查，并多喝水、注意休息。",
    "يعاني المريض من ألم في الصدر وضيق في التنفس منذ يومين. ننصح بإجراء تخطيط القلب "
    "وتحليل الدم في أقرب وقت ممكن.",
    "Il paziente ha la febbre alta e dolori muscolari; si consiglia riposo e paracetamolo.",
    "O paciente apresenta tosse persistente e febre; recomenda-se radiografia do tórax.",
]
ODD = [
    "",
    "a",
    "é",
    "\ud800",  # a lone surrogate: py3langid encodes it with surrogatepass
    "abc\udfffdef \ud83d x",
    "e\u0301 cafe\u0301 na\u0308ive",  # combining marks: NFC changes the bytes
    "\u00a0\u200b\ufeff zero width \u2028 separators",
    "🙂🙂🙂 emoji only 🧬💊",
    "THE PATIENT HAS A FEVER AND A SEVERE HEADACHE SINCE TUESDAY",  # isupper -> lower
    "ΑΣΘΕΝΗΣ ΜΕ ΠΥΡΕΤΟ",
    "   \n\t  ",
    "1234567890 ++ -- ** 0.5 mg/kg",
    "x" * 3000,
    "\x00\x01\x02 control bytes",
]


@pytest.fixture(scope="module")
def identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _texts(count: int) -> list[str]:
    rng = random.Random(17)
    texts = []
    for i in range(count):
        kind = i % 7
        if kind == 0:
            text = medtext.question(rng)
        elif kind == 1:
            text = medtext.sentences(rng, rng.randint(1, 12))
        elif kind == 2:
            text = medtext.title(rng)
        elif kind == 3:
            text = rng.choice(FOREIGN)[: rng.randint(1, 400)]
        elif kind == 4:
            text = medtext.sentences(rng, 3).upper()
        elif kind == 5:
            text = medtext.sentence(rng) + " " + rng.choice(FOREIGN) + " " + rng.choice(ODD)
        else:
            text = medtext.sentences(rng, 40)  # longer than the 1,000 characters judged
        texts.append(text[:_SAMPLE_CHARS])
    return texts + FOREIGN + ODD


def test_visits_are_py3langids(identifier: LanguageIdentifier) -> None:
    encoded = [encode(t) for t in _texts(700)]
    assert encoded == [identifier._encode(t) for t in _texts(700)]
    for data, (keys, counts) in zip(
        encoded, BatchIdentifier(identifier).visits(encoded), strict=True
    ):
        expected = visit_counts(
            identifier.tk_nextmove, identifier._rowbase, identifier.tk_output, data
        )
        got = dict(zip(keys.tolist(), counts.tolist(), strict=True))
        # the same features, in the same (first-occurrence) order, with the same counts
        assert list(got.items()) == list((expected or {}).items()), data[:60]


def test_classify_is_py3langids_bit_for_bit(identifier: LanguageIdentifier) -> None:
    texts = _texts(3000)
    got = BatchIdentifier(identifier).classify(texts)
    expected = [identifier.classify(t) for t in texts]
    assert got == expected  # languages and float probabilities, exactly
    assert {language for language, _ in got} >= {"en", "fr", "de", "es", "ru", "zh", "ar"}


def test_small_chunks_give_the_same_answers(
    identifier: LanguageIdentifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _texts(300)
    whole = BatchIdentifier(identifier).classify(texts)
    monkeypatch.setattr("meadow.quality.langid_batch._CHUNK_BYTES", 2000)
    assert BatchIdentifier(identifier).classify(texts) == whole
    assert BatchIdentifier(identifier).classify([]) == []
    assert BatchIdentifier(identifier).classify([""]) == [identifier.classify("")]


def _one_at_a_time(texts: list[str], language: str, identifier) -> list[bool]:
    """`LanguageCheck.other_language` before the batch path: py3langid text by text."""
    out = []
    for text in texts:
        sample = text[:_SAMPLE_CHARS]
        if language == "en":
            words = sample.lower().split()
            common = sum(w.strip(".,;:!?()\"'") in _ENGLISH_WORDS for w in words)
            if words and common / len(words) >= 0.2:
                out.append(False)
                continue
        if sum(c.isalpha() for c in sample) < 20:
            out.append(False)
            continue
        found, probability = identifier.classify(sample)
        out.append(found != language and probability >= _CONFIDENCE)
    return out


def test_other_language_decides_as_one_text_at_a_time(identifier: LanguageIdentifier) -> None:
    texts = [t + " " + t for t in _texts(1400)]  # some past the 1,000 characters judged
    check = LanguageCheck()
    for language in ("en", "fr", "zh"):
        got = check.other_language(texts, language).tolist()
        assert got == _one_at_a_time(texts, language, identifier)
        assert 0 < sum(got) < len(texts)


def test_the_batch_needs_normalised_probabilities() -> None:
    raw = LanguageIdentifier.from_model_file(MODEL_FILE)
    with pytest.raises(ValueError, match="norm_probs"):
        BatchIdentifier(raw)
