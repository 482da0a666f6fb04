"""Hygiene never merges distinct facts: symbols that carry meaning are tokens of their own,
in exact and near duplicates and in decontamination, while true duplicates still go."""

from __future__ import annotations

import unicodedata

import genanki
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meadow import build, load_mixture
from meadow.quality import QualitySettings
from meadow.quality.text import Words, normalize, word_list
from tests.quality.helpers import kept_rows, table
from tests.sources.test_anki import deck, note, write_apkg

DEDUP_ONLY = QualitySettings(decontamination=None, filters=None, pii=False)

# (a, b): texts the old rule (letters and digits only) made the same, and are not
DISTINCT = [
    ("HER2+ breast cancer", "HER2- breast cancer"),
    ("ER+/PR- tumour", "ER-/PR+ tumour"),
    ("K+ < 3.5 mmol/L", "K+ > 3.5 mmol/L"),
    ("↑ TSH, ↓ free T4", "↓ TSH, ↑ free T4"),
    ("Relative minor of C#", "Relative minor of C"),
    ("A 10% dextrose drip", "A 10 dextrose drip"),
    ("Rh+ mother", "Rh- mother"),
    ("Rh− mother", "Rh+ mother"),  # U+2212 minus
    ("Temperature −5 °C", "Temperature 5 °C"),
    ("Apoe−/− mice", "Apoe mice"),
    ("BP 120/80", "BP 120 80"),
    ("2 × 3", "2 3"),
    ("a ≥ b", "a ≤ b"),
]
# (a, b): texts that are the same after normalisation
SAME = [
    ("What causes gout?", "what  causes GOUT"),
    ("Uric acid, crystals!", "uric acid crystals"),
    ("beta-blocker", "beta blocker"),
    ("β‐blocker", "β blocker"),  # U+2010 hyphen
    ("COVID-19", "covid 19"),
    ("HER-2-positive", "her 2 positive"),
    ("5–10 mg", "5-10 mg"),  # en dash between digits: a range, a hyphen
    ("Rh− mother", "Rh- mother"),  # one minus, two spellings
    ("Rh⁻ mother", "Rh- mother"),
    ("fever — a sign", "fever -- a sign"),
    ("C♯ major", "C# major"),
    ("ＨＥＲ２＋", "HER2+"),
    ("x ⩽ 3", "x ≤ 3"),
    ("5 ∗ 3", "5 * 3"),
    ("50 ٪", "50 %"),
    ("(Answer: 'yes'.)", "answer yes"),
]


@pytest.mark.parametrize(("a", "b"), DISTINCT)
def test_texts_that_differ_in_a_symbol_stay_distinct(a, b):
    first, second = normalize([a, b]).to_pylist()
    assert first != second


@pytest.mark.parametrize(("a", "b"), SAME)
def test_case_spacing_punctuation_and_hyphens_are_noise(a, b):
    first, second = normalize([a, b]).to_pylist()
    assert first == second


def test_a_dash_is_a_sign_at_a_words_edge_and_a_hyphen_between_words():
    assert normalize(["HER2- and ER-negative", "-5 (-) well- and poorly-fed"]).to_pylist() == [
        "her2 - and er negative",
        "- 5 - well - and poorly fed",
    ]


def test_numbers_and_symbols_are_the_facts_of_a_text():
    words = Words.of(normalize(["HER2+ tumour", "HER2- tumour", "her2 + TUMOUR.", "tumour"]))
    plus, minus, plus_again, none = words.fact_keys().tolist()
    assert plus == plus_again and plus != minus and none == 0


# -- the property: one meaning-bearing symbol apart is never a duplicate --------------------

WORDS = st.lists(
    st.sampled_from(
        word_list(
            """
            the patient with breast cancer tumour serum potassium level is mmol dose mg
            mother fetus blood type her2 er pr rh tsh t4 k na 3 5 10 120 80 c major minor
            """
        )
    ),
    min_size=1,
    max_size=60,
)
# one form of each: a symbol and its variants (`−` and `-`) are the same symbol on purpose
CANONICAL = list("+-<>=≤≥≠±×÷↑↓→←#%/*~°$€^|♭‰") + ["©", "✓", "√", "∞", "∆"]


def _meaningful(char: str) -> bool:
    """A symbol the rules keep: not one used as a quote (nor one NFKC turns into one, as
    the full-width grave accent), nor one NFKC turns into an accent."""
    form = unicodedata.normalize("NFKC", char)
    return form not in "`´" and not form.startswith(" ") and form.strip() != ""


SYMBOLS = st.one_of(
    st.sampled_from(CANONICAL),
    st.characters(categories=["Sm", "Sc", "Sk", "So"]).filter(_meaningful),
)


def _with_symbol(words: list[str], at: int, place: str, symbol: str) -> str:
    """`words` joined, with `symbol` after, before or standing beside word `at`."""
    words = list(words)
    if place == "suffix":
        words[at] += symbol
    elif place == "prefix":
        words[at] = symbol + words[at]
    else:
        words.insert(at, symbol)
    return " ".join(words)


@settings(max_examples=40, deadline=None)
@given(
    words=WORDS,
    data=st.data(),
    place=st.sampled_from(["suffix", "prefix", "alone"]),
    where=st.sampled_from(["input", "output"]),
    substitute=st.booleans(),
)
def test_texts_one_symbol_apart_are_never_exact_or_near_duplicates(
    words, data, place, where, substitute
):
    at = data.draw(st.integers(0, len(words) - 1))
    if substitute:  # HER2+ / HER2-: one symbol for another
        pair = st.lists(st.sampled_from(CANONICAL), min_size=2, max_size=2, unique=True)
        symbol, other = data.draw(pair)
        a, b = (_with_symbol(words, at, place, s) for s in (symbol, other))
    else:  # 10% / 10: a symbol or none
        a, b = _with_symbol(words, at, place, data.draw(SYMBOLS)), " ".join(words)
    shared = "A long shared answer that is the same in both rows, word for word."
    rows = [
        {"input": a, "output": shared, "source_id": "1"},
        {"input": b, "output": shared, "source_id": "2"},
    ]
    if where == "output":
        rows = [{**r, "input": shared, "output": t} for r, t in zip(rows, (a, b), strict=True)]
    kept, stats = kept_rows([("train", table(*rows))], DEDUP_ONLY)
    assert len(kept) == 2, (a, b, stats["local"]["removed"])


# -- through a real build --------------------------------------------------------------------


@pytest.fixture
def signs_deck(tmp_path):
    """Cards that differ only by a sign or a sharp (no two alike), and three true copies."""
    basic = genanki.BASIC_MODEL
    facts = [
        ("HER2+", "HER2-"),
        ("ER+/PR-", "ER-/PR+"),
        ("K+ &lt; 3.5 mmol/L", "K+ &gt; 3.5 mmol/L"),
        ("↑ TSH", "↓ TSH"),
        ("C#", "C"),
        ("10%", "10"),
        ("Rh+ mother", "Rh- mother"),
        ("F♯ minor", "F minor"),
    ]
    notes = []
    for i, pair in enumerate(facts):
        for j, fact in enumerate(pair):
            notes.append(
                note(basic, f"g-{i}-{j}", f"Which finding is written {fact}?", f"It is {fact}.")
            )
    copies = [  # the same card again: case, spacing, trailing punctuation
        ("which finding is written HER2+", "it is HER2+"),
        ("Which  finding is written   C#?", "It is C# ."),
        ("WHICH FINDING IS WRITTEN ↑ TSH ?", "It is ↑ TSH!"),
    ]
    for k, (front, back) in enumerate(copies):
        notes.append(note(basic, f"g-copy-{k}", front, back))
    return write_apkg(tmp_path / "signs.apkg", deck(3001, "Signs", *notes))


def test_a_deck_of_cards_one_sign_apart_keeps_every_card(signs_deck):
    result = build(sources=["anki"], raw={"anki": signs_deck}, name="signs", progress=False)
    removed = result.manifest["sources"]["anki"]["removed"]
    assert removed["duplicate"] == 3  # the three planted copies, and nothing else
    assert removed["near_duplicate"] == 0 and removed["total"] == 3
    rows = [r for split in load_mixture("signs").values() for r in split]
    assert len(rows) == 16
    fronts = {r["input"] for r in rows}
    assert "Which finding is written HER2-?" in fronts and "Which finding is written C#?" in fronts
    assert "Which finding is written F♯ minor?" in fronts
