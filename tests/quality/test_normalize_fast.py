"""The faster `normalize` (dash passes only over texts with a dash) and `Words.of` (split
at spaces) give byte for byte what the old ones gave, on realistic medical text and on
Unicode edge cases."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa

from benchmarks import medtext
from meadow.quality.text import Words, normalize
from tests.quality.normalize_reference import reference_normalize, reference_words

# dashes of every kind, symbol variants, full-width and super/subscript forms, spaces and
# invisible characters, combining marks, quotes, other scripts, emoji
# fmt: off
ODD = [
    "-", "--", "\u2010", "\u2011", "\u2012", "\u2013", "\u2014", "\u2015", "\u2212",
    "\ufe58", "\ufe63", "\uff0d", "\u2796", "\u02d7", "\u207b", "\u208b", " - ", "- ",
    "\u266f", "\u2217", "\u204e", "\u2044", "\u2215", "\u29f8", "\u223c", "\u066a",
    "\u2795", "\u2a7d", "\u2a7e", "\u2b06", "\u2b07", "+", "<", ">", "=", "\u2264",
    "\u00b1", "\u00d7", "^", "|", "$", "\u20ac", "\u00b0", "\u2191", "\u2192", "#", "%",
    "\u2030", "/", "*", "~", "`", "\u00b4", "'", '"', "(", ")", "[", "]", ".", ",", ";",
    "&", "@", "\u00a7", "\u2020", "_", "\\", "\t", "\n", "\r\n", "\u00a0", "\u2003",
    "\u3000", "\u200b", "\u2028", "\ufeff", "\u0301", "e\u0301", "\uff28\uff25\uff32\uff12",
    "\uff0b", "\u00b2", "\u2082", "\u2460", "\u00bd", "\ufb01", "\u0130", "\u03a3\u0391",
    "\u0410\u0411", "\u05d0\u05d1", "\u0627\u0644", "\u0663", "\u4e2d\u6587", "\U0001f600",
    "\U0001d400", "K\u207a", "ER+/PR-", "HER-2-positive", "a-b-c-d", "5\u201310 mg",
    "well- and poorly-", "(-)", "\u22125 \u00b0C", "x\u2014\u2013y", "  ", "",
]
# fmt: on


def _texts(count: int, seed: int) -> list[str | None]:
    rng = random.Random(seed)
    out: list[str | None] = []
    for k in range(count):
        text = rng.choice([medtext.sentence, medtext.question, medtext.title])(rng)
        if k % 3 == 0:  # edge cases spliced in at random places
            for _ in range(rng.randint(1, 4)):
                at = rng.randint(0, len(text))
                text = text[:at] + rng.choice(ODD) + text[at:]
        if k % 5 == 0:
            text = text.upper() if k % 2 else text.replace(" ", rng.choice(["-", "\u2013"]), 2)
        out.append(text)
    return [*out, None, "", " ", "-", "\u2014\u2014", "a-b", *ODD]


def _same_words(a: Words, b: Words) -> None:
    assert a.count == b.count
    np.testing.assert_array_equal(a.hashes, b.hashes)
    np.testing.assert_array_equal(a.segment, b.segment)
    np.testing.assert_array_equal(a.facts, b.facts)


def test_normalize_and_words_equal_the_old_ones_on_many_texts():
    texts = _texts(20_000, 17)
    new, old = normalize(texts), reference_normalize(texts)
    assert new.equals(old)
    _same_words(Words.of(new), reference_words(old))
    dashed = sum("-" in t for t in new.to_pylist())
    assert 0 < dashed < len(texts)  # both branches: some texts with a dash, most without


def test_each_odd_piece_alone_and_batches_with_or_without_dashes():
    for texts in (ODD, [t for t in ODD if "-" not in t], ["a-b", "c\u2013d"], [], [None]):
        new, old = normalize(texts), reference_normalize(texts)
        assert new.equals(old), texts
        _same_words(Words.of(new), reference_words(old))
    for piece in ODD:
        assert normalize([f"x{piece}y"]).equals(reference_normalize([f"x{piece}y"])), piece


def test_sliced_and_chunked_input():
    texts = _texts(300, 3)
    array = pa.array(texts, pa.string())
    assert normalize(array.slice(7, 200)).equals(reference_normalize(texts[7:207]))
    chunked = pa.chunked_array([array.slice(0, 100), array.slice(100)])
    assert normalize(chunked).equals(reference_normalize(texts))
