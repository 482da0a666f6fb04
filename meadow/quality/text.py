r"""Text as the quality steps compare it: normalised, split into tokens, hashed, in batches.

Every step that compares texts (exact and near duplicates, decontamination, the copied
question filter) goes through one function, `normalize`, so "What is X?" and "what is x"
are the same text everywhere, and `HER2+` and `HER2-` never are:

* NFKC, then lower case (`ＨＥＲ２＋` is `her2 +`);
* **words** are runs of letters and digits;
* **symbols that carry meaning are tokens of their own**: every character of the Unicode
  symbol categories Sm, Sc, Sk and So (`+ < > = ≤ ≥ ≠ ± × ^ | $ € ° ↑ ↓ → ♭ ©` …) and the
  punctuation that carries meaning in medicine, `# % ‰ / *` (`~` is Sm). Variants of one
  symbol become one form: the dash/minus family (`-` `−` `–` `—` `‐` `‒` `―` `﹘` `➖` `˗`,
  and `⁻` `₋` `－` `﹣` through NFKC) is `-`, a run of dashes is one `-`; `♯` is `#`; `∗`
  and `⁎` are `*`; `⁄` `∕` `⧸` are `/`; `∼` is `~`; `٪` is `%`; `➕` is `+`; `⩽` `⩾` are
  `≤` `≥`; `⬆` `⬇` are `↑` `↓` (full-width and super/subscript forms go through NFKC);
* **a dash is a hyphen, that is noise, only between two word characters** (a letter or a
  digit right before it and right after it): `beta-blocker` is `beta blocker`, `COVID-19`
  is `covid 19`, `HER-2-positive` is `her 2 positive`, `5–10 mg` is `5 10 mg`. Anywhere
  else it is a sign, and a token: at a word's end (`HER2-`, `Rh- mother`, `ER-/PR+`,
  `well- and poorly-`), at a word's start (`-5`, `−5 °C`, `(-)`), or on its own
  (`5 - 3`, `fever — a sign`);
* everything else is noise, one space: whitespace, sentence punctuation (`. , ; : ! ? " '
  ( ) [ ] { }`), the other punctuation (`& @ § † _ \` …), combining marks on their own,
  and the two symbols used as quotes, the backtick and `´` (Sk, but quotes).

So `K+ < 3.5` is `k + < 3 5`, `ER+/PR-` is `er + / pr -`, `10%` is `10 %`, `C#` is `c #`,
`↑ TSH` is `↑ tsh` and `120/80` is `120 / 80`. The rules are a handful of RE2
replacements over whole Arrow arrays (pyarrow.compute), with no Python loop over rows.

Tokens are hashed to 64-bit integers (the same on every machine), and a run of `m` tokens
to one polynomial hash of its token hashes, computed for a whole Arrow batch at once with
numpy: no Python loop over the words of a row. A token that is not all letters (a number,
a symbol) is a *fact*: near duplicates must agree on all of them (`Words.fact_keys`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# The multiplier of the polynomial window hash (odd: multiplication by it is a bijection
# modulo 2^64, so no information is lost from one word to the next).
_BASE = np.uint64(0x100000001B3)

# The dash/minus family; each variant, and a run of them, becomes one `-`.
_DASHES = "[-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2796\u02d7]+"
_DASH = _DASHES[:-1]  # one character of the family
# Other variants of one symbol and their one form (rare: replaced only when present).
_VARIANTS = {
    "\u266f": "#",  # ♯ music sharp
    "\u2217": "*",  # ∗ asterisk operator
    "\u204e": "*",  # ⁎ low asterisk
    "\u2044": "/",  # ⁄ fraction slash
    "\u2215": "/",  # ∕ division slash
    "\u29f8": "/",  # ⧸ big solidus
    "\u223c": "~",  # ∼ tilde operator
    "\u066a": "%",  # ٪ Arabic percent sign
    "\u2795": "+",  # ➕ heavy plus sign
    "\u2a7d": "\u2264",  # ⩽ -> ≤
    "\u2a7e": "\u2265",  # ⩾ -> ≥
    "\u2b06": "\u2191",  # ⬆ -> ↑
    "\u2b07": "\u2193",  # ⬇ -> ↓
}
_ANY_VARIANT = "[" + "".join(_VARIANTS) + "]"
_WORD = r"\p{L}\p{N}"
# A hyphen: a dash between two word characters (applied twice, as `a-b-c` shares its `b`).
_HYPHEN = rf"([{_WORD}])-([{_WORD}])"
# Kept punctuation: `# % ‰ / *` and the dash as a sign (the symbol categories are kept whole).
_KEPT = r"#%‰/*\-"
_SYMBOL = rf"[\p{{S}}{_KEPT}]"
# Noise: neither a word character, nor a symbol, nor a plain space; and the quote-like "`".
_NOISE = rf"(?:[^{_WORD}\p{{S}}{_KEPT} ]|`)+"
# A token that is a fact: not all letters (a number, a symbol).
_FACT = r"[^\p{L}]"


def word_list(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a (multi-line) literal, in order."""
    return tuple(text.split())


def normalize(texts: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    """Texts as the quality steps compare them: NFKC, lower case, tokens joined by one
    space, where a symbol that carries meaning is a token (see the module docstring).

    A null is an empty text. `What causes gout?` and `what  causes GOUT` are both
    `what causes gout`; `HER2+` is `her2 +` and `HER2-` is `her2 -`.
    """
    if not isinstance(texts, pa.Array | pa.ChunkedArray):
        texts = pa.array(list(texts), pa.string())
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = pc.fill_null(texts.cast(pa.string()), "")
    text = pc.utf8_lower(pc.utf8_normalize(texts, "NFKC"))
    if len(text) and pc.any(pc.match_substring_regex(text, _ANY_VARIANT)).as_py():
        for variant, form in _VARIANTS.items():
            text = pc.replace_substring(text, pattern=variant, replacement=form)
    # the three dash passes, the costliest, only over the texts with a dash (often a few)
    dashed = pc.match_substring_regex(text, _DASH)
    count = pc.sum(dashed).as_py() or 0
    if count == len(text):
        text = _hyphens(text)
    elif count:
        text = pc.replace_with_mask(text, dashed, _hyphens(pc.filter(text, dashed)))
    text = pc.replace_substring_regex(text, pattern=_NOISE, replacement=" ")
    text = pc.replace_substring_regex(text, pattern=_SYMBOL, replacement=r" \0 ")
    text = pc.replace_substring_regex(text, pattern="  +", replacement=" ")
    return pc.utf8_trim_whitespace(text)


def _hyphens(text: pa.Array) -> pa.Array:
    """Every run of dashes one `-`, and a dash between two word characters a space."""
    text = pc.replace_substring_regex(text, pattern=_DASHES, replacement="-")
    for _ in range(2):
        text = pc.replace_substring_regex(text, pattern=_HYPHEN, replacement=r"\1 \2")
    return text


def word_hashes(words: pa.Array | Sequence[str]) -> np.ndarray:
    """A stable 64-bit hash per word, the same on every machine and run.

    A polynomial hash of the word's UTF-8 bytes, finished with splitmix64's mixer, computed
    for all the words at once from the Arrow string buffers (no Python loop over words).
    """
    if not isinstance(words, pa.Array):
        words = pa.array(list(words), pa.string())
    if not len(words):
        return np.zeros(0, np.uint64)
    words = words.cast(pa.large_string())
    offsets = np.frombuffer(words.buffers()[1], dtype=np.int64)[
        words.offset : words.offset + len(words) + 1
    ]
    first, last = int(offsets[0]), int(offsets[-1])
    data = np.frombuffer(words.buffers()[2], dtype=np.uint8)[first:last].astype(np.uint64)
    lengths = np.diff(offsets)
    out = np.zeros(len(words), np.uint64)
    present = np.flatnonzero(lengths)
    if len(data):
        ends = offsets[1:] - first
        owner = np.repeat(np.arange(len(words)), lengths)
        powers = _powers(int(lengths.max()))
        terms = (data + np.uint64(1)) * powers[ends[owner] - 1 - np.arange(len(data))]
        out[present] = np.add.reduceat(terms, offsets[:-1][present] - first)
    return _mix(out ^ lengths.astype(np.uint64))


def _powers(count: int) -> np.ndarray:
    """1, B, B², … (mod 2^64): `count` powers of the polynomial base."""
    powers = np.cumprod(np.full(max(count, 1), _BASE, np.uint64))
    return np.concatenate([np.ones(1, np.uint64), powers[:-1]])


def _mix(values: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: every input bit reaches every output bit."""
    z = values + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def text_hash(text: str) -> int:
    """A stable 64-bit hash of a whole (normalised) text, as a signed int64 value."""
    return int.from_bytes(
        hashlib.blake2b(text.encode(), digest_size=8).digest(), "little", signed=True
    )


@dataclass
class Words:
    """The tokens of a batch of normalised texts, hashed, with the text each belongs to.

    Attributes:
        hashes: one uint64 per token, texts one after the other.
        segment: for each token, the index of its text in the batch.
        count: the number of texts (some may have no tokens).
        facts: for each token, whether it is a fact (not all letters: a number, a symbol).
    """

    hashes: np.ndarray
    segment: np.ndarray
    count: int
    facts: np.ndarray | None = None

    @classmethod
    def of(cls, normalized: pa.Array) -> Words:
        """The tokens of `normalize()`d texts; the hashing runs once per distinct token.

        `normalize` leaves one plain space between tokens and none at either end, so the
        texts are split at spaces (faster than at Unicode whitespace); the empty pieces
        (of empty texts) are dropped."""
        split = pc.split_pattern(normalized, " ")
        flat = pc.list_flatten(split)
        parents = pc.list_parent_indices(split).to_numpy(zero_copy_only=False)
        keep = pc.greater(pc.binary_length(flat), 0)
        if not pc.all(keep).as_py():
            flat = pc.filter(flat, keep)
            parents = parents[keep.to_numpy(zero_copy_only=False)]
        encoded = pc.dictionary_encode(flat) if len(flat) else None
        if encoded is None:
            empty = np.zeros(0, np.int64)
            return cls(np.zeros(0, np.uint64), empty, len(normalized), empty.astype(bool))
        vocabulary = word_hashes(encoded.dictionary)
        is_fact = pc.match_substring_regex(encoded.dictionary, _FACT)
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        facts = is_fact.to_numpy(zero_copy_only=False)[indices]
        return cls(vocabulary[indices], parents.astype(np.int64), len(normalized), facts)

    def fact_keys(self) -> np.ndarray:
        """Per text, one hash of its facts (numbers and symbols) in order; 0 for none.

        Near duplicates must have the same key: `5 mg` is not `50 mg`, `HER2+` not `HER2-`,
        however alike the rest of the words are."""
        facts = self.facts if self.facts is not None else np.zeros(len(self.hashes), bool)
        return Words(self.hashes[facts], self.segment[facts], self.count).whole()

    def lengths(self) -> np.ndarray:
        """Words per text."""
        return np.bincount(self.segment, minlength=self.count)

    def windows(self, longest: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
        """(m, hashes, starts) of every run of m consecutive words within one text, for
        m = 1 … `longest`; `starts` are the positions (in `hashes` order) of each run's
        first word, so `segment[starts]` says which text it is in."""
        current = self.hashes.copy()
        for m in range(1, longest + 1):
            if m > 1:
                if len(current) <= 1:
                    return
                current = current[:-1] * _BASE + self.hashes[m - 1 :]
            size = len(current)
            if not size:
                return
            valid = np.flatnonzero(self.segment[:size] == self.segment[m - 1 : m - 1 + size])
            yield m, current[valid], valid

    def whole(self) -> np.ndarray:
        """The hash of each text's whole word sequence (the window as long as the text), the
        same value `windows` gives that run; 0 for a text without words."""
        out = np.zeros(self.count, np.uint64)
        if not len(self.hashes):
            return out
        lengths = self.lengths()
        ends = np.cumsum(lengths)
        position_from_end = ends[self.segment] - 1 - np.arange(len(self.hashes))
        terms = self.hashes * _powers(int(lengths.max()))[position_from_end]
        present = np.flatnonzero(lengths)
        out[present] = np.add.reduceat(terms, ends[present] - lengths[present])
        return out


def shingles(words: Words, size: int) -> list[np.ndarray]:
    """Per text, the hashes of its runs of `size` words (a shorter text: its whole word
    sequence as its one shingle; no words: none), as 32-bit values for MinHash."""
    whole = words.whole()
    lengths = words.lengths()
    out: list[np.ndarray] = [np.zeros(0, np.uint64)] * words.count
    grams = next(((h, s) for m, h, s in words.windows(size) if m == size), None)
    if grams is not None:
        hashes, starts = grams
        owners = words.segment[starts]
        order = np.argsort(owners, kind="stable")
        hashes, owners = hashes[order], owners[order]
        bounds = np.searchsorted(owners, np.arange(words.count + 1))
        out = [hashes[bounds[i] : bounds[i + 1]] for i in range(words.count)]
    for i in np.flatnonzero((lengths > 0) & (lengths < size)):
        out[i] = whole[i : i + 1]
    return [(h & np.uint64(0xFFFFFFFF)) for h in out]
