"""Text as the quality steps compare it: normalised, split into words, hashed, in batches.

Every step that compares texts (exact and near duplicates, decontamination) goes through
`normalize` (NFKC, lower case, every run of characters that are not letters or digits
becomes one space), so "What is X?" and "what is x" are the same text everywhere. Words
are hashed to 64-bit integers (blake2b, the same on every machine), and a run of `m` words
to one polynomial hash of its word hashes, computed for a whole Arrow batch at once with
numpy: no Python loop over the words of a row.
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
_NOT_WORD = r"[^\p{L}\p{N}]+"


def word_list(text: str) -> tuple[str, ...]:
    """The whitespace-separated words of a (multi-line) literal, in order."""
    return tuple(text.split())


def normalize(texts: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    """Texts as the quality steps compare them: NFKC, lower case, words joined by one space.

    A null is an empty text. Every run of characters that are neither letters nor digits
    (punctuation, symbols, whitespace) becomes one space, so `120/80` is `120 80`.
    """
    if not isinstance(texts, pa.Array | pa.ChunkedArray):
        texts = pa.array(list(texts), pa.string())
    if isinstance(texts, pa.ChunkedArray):
        texts = texts.combine_chunks()
    texts = pc.fill_null(texts.cast(pa.string()), "")
    lowered = pc.utf8_lower(pc.utf8_normalize(texts, "NFKC"))
    spaced = pc.replace_substring_regex(lowered, pattern=_NOT_WORD, replacement=" ")
    return pc.utf8_trim_whitespace(spaced)


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
    """The words of a batch of normalised texts, hashed, with the text each belongs to.

    Attributes:
        hashes: one uint64 per word, texts one after the other.
        segment: for each word, the index of its text in the batch.
        count: the number of texts (some may have no words).
    """

    hashes: np.ndarray
    segment: np.ndarray
    count: int

    @classmethod
    def of(cls, normalized: pa.Array) -> Words:
        """The words of `normalize()`d texts; the hashing runs once per distinct word."""
        split = pc.utf8_split_whitespace(normalized)
        flat = pc.list_flatten(split)
        parents = pc.list_parent_indices(split).to_numpy(zero_copy_only=False)
        keep = pc.greater(pc.utf8_length(flat), 0)
        flat = pc.filter(flat, keep)
        parents = parents[keep.to_numpy(zero_copy_only=False)]
        encoded = pc.dictionary_encode(flat) if len(flat) else None
        if encoded is None:
            return cls(np.zeros(0, np.uint64), np.zeros(0, np.int64), len(normalized))
        vocabulary = word_hashes(encoded.dictionary)
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        return cls(vocabulary[indices], parents.astype(np.int64), len(normalized))

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
