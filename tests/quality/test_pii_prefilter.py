"""The batch prefilters of the PII scrub (`may_match`): each RE2 pattern finds every text
its Python pattern or keyword test can match, and scrubbing with the flags gives the same
texts and counts as scrubbing each text without them."""

from __future__ import annotations

import random
import re
from collections import Counter

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

import meadow.quality.pii as pii
from meadow.quality.pii import MAY_MATCH, Scrubber, may_match, may_name_relatives
from tests.quality.test_parallel import _cased_characters, realistic_rows

# Per flag: whether the Python side may fire on a text (a pattern's match, a keyword test).
FIRES = {
    "phone": lambda t: bool(pii._PHONE.search(t)),
    "id_layout": lambda t: bool(pii._ID_LAYOUTS.search(t)),
    "uk_postcode": lambda t: bool(pii._POSTCODES[0].search(t)),
    "ca_postcode": lambda t: bool(pii._POSTCODES[1].search(t)),
    "zip": lambda t: bool(pii._POSTCODES[2].search(t)),
    "zip_word": lambda t: bool(pii._POSTCODES[3].search(t)),
    "id_value": lambda t: bool(pii._ID_WORDS.search(t)),
    "phone_value": lambda t: bool(pii._PHONE_WORDS.search(t)),
    "url_word": lambda t: pii._has(t.lower(), pii._URL_KEYS),
    "birth_word": lambda t: pii._has(t.lower(), pii._BIRTH_KEYS),
    "street_word": lambda t: pii._has(t, pii._STREET_KEYS),
}

# Pieces that make matches and near-matches: digits (ASCII and others that `\d` takes),
# separators, the letters of postcodes, ID, postcode and keyword words in odd cases.
PIECES = [
    *"0123456789",
    *"0123456789",
    "٣",
    "５",
    "९",
    " ",
    " ",
    "-",
    ".",
    "/",
    ",",
    "(",
    ")",
    "+",
    "#",
    ":",
    "\n",
    *"ABCDEGHJKLMNPRSTUWXYZ",
    *"abdeiknosz",
    "İ",
    "ı",
    "ſ",
    "\u212a",
    "ID",
    "Id",
    "MRN",
    "SSN",
    " no",
    "patient no.",
    "Passport No",
    "ZIP",
    "zip code",
    "Pin",
    "PİN",
    "pın code",
    "poſt code",
    "postal code",
    "MA",
    "NY",
    "CA",
    "DOB",
    "born",
    "Bİrth",
    "www.",
    "://",
    ".COM/",
    ".me/",
    "Street",
    "St.",
    "Ave",
    "Road",
    "Apt",
    "phone",
    "Mobile no. ",
    "call me at ",
    "is",
]
# Whole layouts, so that every pattern matches often.
LAYOUTS = [
    "+44 20 7946 0958",
    "phone: 98 (76) 54-321",
    "WhatsApp 555 1234",
    "+1 (555) 123-4567",
    "(555) 123-4567",
    "555-123-4567",
    "555.123.4567",
    "020 7946 0958",
    "0161-496-0000",
    "98765 43210",
    "919876543210",
    "09876543210",
    "123-45-6789",
    "1234-5678-9012-3456",
    "12345678901234",
    "SW1A 1AA",
    "M1 1AE",
    "B33 8TH",
    "CR2 6XH",
    "K1A 0B1",
    "M5V 3L9",
    "H2X1Y4",
    "T2P 1J9",
    "Boston, MA 02115",
    "NY 10001-1234",
    "ID, 83702",
    "zip 02115",
    "PIN code: 560001",
    "postcode - 4000",
    "MRN 12345678",
    "MRN: AB 1234567",
    "patient ID is 98 7654",
    "Aadhaar no. 1234 5678 9012",
    "passport number X1234567",
    "NHS No 943 476 5919",
    "ID 12/34/5678",
    "42 Elm Street",
    "1600 Pennsylvania Ave NW",
    "DOB 03/14/2015",
    "https://www.facebook.com/jane",
    "instagram.com/jane",
]


def _texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = [rng.choice(PIECES) for _ in range(rng.randint(1, 14))]
        if rng.random() < 0.4:
            parts.insert(rng.randint(0, len(parts)), rng.choice(LAYOUTS))
        if rng.random() < 0.3:  # a near-match: one character of a layout changed
            layout = rng.choice(LAYOUTS)
            k = rng.randrange(len(layout))
            parts.append(layout[:k] + rng.choice(PIECES) + layout[k + 1 :])
        texts.append("".join(parts))
    return texts


def test_each_prefilter_finds_all_that_python_finds():
    texts = _texts(30_000, seed=11) + LAYOUTS + [t for row in realistic_rows(500) for t in row]
    flags = may_match(pa.array(texts))
    for k, name in enumerate(MAY_MATCH):
        fires = np.array([FIRES[name](t) for t in texts])
        missed = [t for t, f, m in zip(texts, fires, flags[:, k], strict=True) if f and not m]
        assert not missed, (name, missed[:5])
        assert fires.sum() > 50, name  # the test exercises it
        assert flags[:, k].sum() < len(texts), name  # and it rules texts out


def test_the_keyword_prefilters_take_every_character_python_takes():
    # a character whose lower case, or Python's case-insensitive match, is an ASCII letter
    chars = _cased_characters()
    texts = pa.array(chars)
    for letter in "abcdefghijklmnopqrstuvwxyz":
        by_re = {c for c in chars if re.fullmatch(f"(?i:{letter})", c) or letter in c.lower()}
        found = pc.match_substring_regex(texts, f"^(?:{pii._any_case((letter,))})$")
        assert by_re <= {chars[k] for k in np.flatnonzero(found.to_numpy(zero_copy_only=False))}


def test_unicode_digits_are_digits_to_both_engines():
    import sys

    digits = [chr(u) for u in range(sys.maxunicode + 1) if re.fullmatch(r"\d", chr(u))]
    found = pc.match_substring_regex(pa.array(digits), f"^{pii._D}$")
    assert found.to_numpy(zero_copy_only=False).all()


def _scrub_alone(texts: list[str]) -> tuple[list[str], Counter[str]]:
    scrubber = Scrubber()
    return [scrubber.scrub(t) for t in texts], scrubber.counts


def _scrub_batched(texts: list[str]) -> tuple[list[str], Counter[str]]:
    array = pa.array(texts, pa.string())
    relatives, may = may_name_relatives(array), may_match(array)
    scrubber = Scrubber()
    out = [scrubber.scrub(t, relatives=bool(relatives[k]), may=may[k]) for k, t in enumerate(texts)]
    return out, scrubber.counts


def test_scrubbing_with_the_flags_changes_nothing():
    # realistic messages with planted PII, several kinds in one text (a replacement before
    # a later pattern makes the flags stale: the scrubber must then run every pattern)
    rng = random.Random(5)
    rows = [t for row in realistic_rows(1500, seed=7) for t in row]
    texts = []
    for text in rows:
        words = text.split(" ")
        for _ in range(rng.choice([0, 0, 1, 2, 4])):
            words.insert(rng.randint(0, len(words)), rng.choice(LAYOUTS))
        texts.append(" ".join(words))
    texts += _texts(3000, seed=12)
    texts += ["1234567890123, 12345", "Email a@b.org, zip 02115", "ID 123-45-6789, 83702"]
    alone, batched = _scrub_alone(texts), _scrub_batched(texts)
    assert batched == alone
    assert sum(a != t for a, t in zip(alone[0], texts, strict=True)) > 1000
    assert set(alone[1]) >= {"phone", "id", "postcode", "address", "date", "url", "name"}


def test_the_flags_hold_only_while_the_text_is_unchanged():
    # a flag says what the text held when it was computed: trusted until a replacement
    nothing = np.zeros(len(MAY_MATCH), bool)
    scrubber = Scrubber()
    assert scrubber.scrub("call 555-123-4567", may=nothing) == "call 555-123-4567"
    text = "Write to a@b.org or call 555-123-4567, Boston, MA 02115"
    assert scrubber.scrub(text, may=nothing) == Scrubber().scrub(text)
    assert (
        scrubber.scrub(text, may=nothing)
        == "Write to [EMAIL] or call [PHONE], Boston, MA [POSTCODE]"
    )
