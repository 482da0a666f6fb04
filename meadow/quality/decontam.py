"""Decontamination: which rows overlap a benchmark's evaluation items.

A row (its input and its output, each on its own, after `text.normalize`) overlaps an item
when

* **n-gram**: it shares a run of `ngram` words (13 by default) with the item's question
  or with one of its options; or
* **question + options**: the item's question is shorter than `ngram` words (but has at
  least `MIN_QUESTION_WORDS`), and one field of the row (its input or its output) contains
  that whole question and every one of the item's options, each as a whole run of words (in
  any order), and is not much longer than the item itself (at most twice its words plus
  ten, room for "Question:"/"Options:" labels) — a copied short item, such as a MedMCQA
  one-liner with its four options.

An option alone never flags a row, however often it appears ("Aspirin", "All of the
above"): a short option can only count together with its question and the other options,
and a long one (`ngram` words or more) through its n-grams. An n-gram that occurs in
`COMMON_ITEMS` or more benchmark items (a shared stem, a template sentence) is not used.

The index holds one 64-bit hash per benchmark n-gram in a sorted numpy array, with a 4 MiB
bit table in front of it, so most of a row's n-grams are rejected by one array lookup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from meadow.quality.settings import BENCHMARKS
from meadow.quality.text import Words, normalize
from meadow.schema import EvalItem

COMMON_ITEMS = 10
MIN_QUESTION_WORDS = 3
_BITS = np.uint64((1 << 25) - 1)  # a 2^25-bit (4 MiB) table


@dataclass(frozen=True)
class Match:
    """One overlap of a row with a benchmark item.

    Attributes:
        benchmark: the benchmark's name.
        item: the item's `source_id`.
        kind: `ngram` or `question_and_options`.
        text: what the row shares with the item, normalised: the first shared n-gram, or
            the item's whole (short) question.
    """

    benchmark: str
    item: str
    kind: str
    text: str = ""


def benchmark_bit(name: str) -> int:
    """The bit of a benchmark in the per-row masks."""
    return 1 << BENCHMARKS.index(name)


def benchmarks_of(mask: int) -> list[str]:
    """The benchmark names set in a mask, in the fixed order."""
    return [name for name in BENCHMARKS if mask & benchmark_bit(name)]


class BenchmarkIndex:
    """The n-grams and short questions of every benchmark item, ready to match batches."""

    def __init__(self, items: Mapping[str, Sequence[EvalItem]], ngram: int = 13):
        self.ngram = ngram
        self.items: list[tuple[str, EvalItem]] = [
            (name, item) for name in BENCHMARKS for item in items.get(name, ())
        ]
        self.item_bits = np.array([benchmark_bit(n) for n, _ in self.items], np.uint8)
        self._questions = normalize([item.question for _, item in self.items])
        questions = Words.of(self._questions)
        owners = [i for i, (_, item) in enumerate(self.items) for _ in item.options]
        options = Words.of(
            normalize([text for _, item in self.items for text in item.options.values()])
        )
        hashes, item_of = [], []
        for words, owner in ((questions, None), (options, np.asarray(owners, np.int64))):
            for m, found, starts in words.windows(ngram):
                if m == ngram:
                    segments = words.segment[starts]
                    hashes.append(found)
                    item_of.append(segments if owner is None else owner[segments])
        self._grams(np.concatenate(hashes or [np.zeros(0, np.uint64)]), item_of)
        lengths = questions.lengths()
        whole = questions.whole()
        self.short: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        short = (lengths >= MIN_QUESTION_WORDS) & (lengths < ngram)
        for m in sorted(set(lengths[short].tolist())):
            members = np.flatnonzero(lengths == m)
            order = np.argsort(whole[members], kind="stable")
            self.short[m] = (whole[members][order], members[order])
            self._mark(whole[members])
        # per short item: its normalised options, and the most words a copy of it may have
        self.short_options: dict[int, tuple[list[str], int]] = {}
        short_items = sorted({int(i) for _, members in self.short.values() for i in members})
        if short_items:
            texts = normalize(
                [t for i in short_items for t in self.items[i][1].options.values()]
            ).to_pylist()
            at = 0
            for i in short_items:
                count = len(self.items[i][1].options)
                options = texts[at : at + count]
                at += count
                words = int(lengths[i]) + sum(len(o.split()) for o in options)
                self.short_options[i] = (options, 2 * words + 10)

    def _grams(self, hashes: np.ndarray, item_of: list[np.ndarray]) -> None:
        """Sorted unique n-gram hashes, each with its benchmarks' bits and first item."""
        items = np.concatenate(item_of or [np.zeros(0, np.int64)])
        pairs = np.stack([hashes, items.astype(np.uint64)])
        if len(hashes):
            pairs = np.unique(pairs, axis=1)
        unique, first, counts = np.unique(pairs[0], return_index=True, return_counts=True)
        keep = counts < COMMON_ITEMS
        self.common_ngrams = int((~keep).sum())
        owners = pairs[1].astype(np.int64)
        bits = np.bitwise_or.reduceat(self.item_bits[owners], first) if len(first) else first
        self.gram_hashes = unique[keep]
        self.gram_bits = np.asarray(bits, np.uint8)[keep]
        self.gram_items = owners[first][keep]
        self._table = np.zeros((int(_BITS) + 1) // 8, dtype=np.uint8)
        self._mark(self.gram_hashes)

    def _mark(self, hashes: np.ndarray) -> None:
        """Set the bit-table slots of these hashes."""
        slots = (hashes & _BITS).astype(np.int64)
        np.bitwise_or.at(self._table, slots >> 3, (1 << (slots & 7)).astype(np.uint8))

    def _maybe(self, hashes: np.ndarray) -> np.ndarray:
        """Positions of the hashes whose slot in the bit table is set (a superset of hits)."""
        slots = (hashes & _BITS).astype(np.int64)
        return np.flatnonzero((self._table[slots >> 3] >> (slots & 7).astype(np.uint8)) & 1)

    def __len__(self) -> int:
        return len(self.items)

    def _lookup(self, hashes: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `hashes` found among `keys`, their index in `keys`)."""
        if not len(keys) or not len(hashes):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        where = np.searchsorted(keys, hashes)
        where[where == len(keys)] = 0
        hit = np.flatnonzero(keys[where] == hashes)
        return hit, where[hit]

    def match(
        self, inputs: pa.Array, outputs: pa.Array, *, details: bool = False
    ) -> tuple[np.ndarray, dict[int, list[Match]]]:
        """Per row of normalised `inputs`/`outputs`, the bits of the benchmarks it overlaps,
        and (with `details`) each row's matches."""
        return self.match_words(
            inputs, outputs, Words.of(inputs), Words.of(outputs), details=details
        )

    def match_words(
        self,
        inputs: pa.Array,
        outputs: pa.Array,
        input_words: Words,
        output_words: Words,
        *,
        rows: np.ndarray | None = None,
        details: bool = False,
    ) -> tuple[np.ndarray, dict[int, list[Match]]]:
        """`match`, given the texts' words (`Words.of` of `inputs` and `outputs`), so a
        batch that has split its words for near dedup does not split them again; only the
        rows in `rows` (a bool mask; None: all) are checked, the others get no bits and no
        matches. The same bits and matches as `match` of those rows alone."""
        masks = np.zeros(len(inputs), np.uint8)
        wanted = np.ones(len(inputs), bool) if rows is None else np.asarray(rows, bool)
        # row -> {(item, kind): (field, first token of the shared run)}, first found kept
        found: dict[int, dict[tuple[int, str], tuple[int, int]]] = {}
        # (row, field) -> items whose whole short question the field holds
        short_candidates: dict[tuple[int, int], set[int]] = {}
        longest = max([self.ngram, *self.short]) if self.short else self.ngram
        sizes, firsts = [], []
        for field, words in enumerate((input_words, output_words)):
            sizes.append(words.lengths())
            firsts.append(np.cumsum(sizes[-1]) - sizes[-1])
            for m, hashes, starts in words.windows(longest):
                if m == self.ngram:
                    sample = self._maybe(hashes)
                    hit, at = self._lookup(hashes[sample], self.gram_hashes)
                    positions = starts[sample[hit]]
                    owners = words.segment[positions]
                    checked = wanted[owners]
                    positions, owners, at = positions[checked], owners[checked], at[checked]
                    np.bitwise_or.at(masks, owners, self.gram_bits[at])
                    if details:
                        for row, item, start in zip(
                            owners.tolist(),
                            self.gram_items[at].tolist(),
                            positions.tolist(),
                            strict=True,
                        ):
                            found.setdefault(row, {}).setdefault((item, "ngram"), (field, start))
                if m in self.short:
                    keys, members = self.short[m]
                    sample = self._maybe(hashes)
                    hit, at = self._lookup(hashes[sample], keys)
                    holders = words.segment[starts[sample[hit]]]
                    checked = wanted[holders]
                    holders, at = holders[checked], at[checked]
                    for row, index in zip(holders.tolist(), at.tolist(), strict=True):
                        short_candidates.setdefault((row, field), set()).update(
                            _equal_run(keys, members, index)
                        )
        if short_candidates:
            for (row, field), candidates in short_candidates.items():
                text = f" {(inputs, outputs)[field][row].as_py()} "
                size = int(sizes[field][row])
                for item in sorted(candidates):
                    options, longest_copy = self.short_options[item]
                    copied = options and all(f" {o} " in text for o in options if o)
                    if copied and size <= longest_copy:
                        masks[row] |= self.item_bits[item]
                        found.setdefault(row, {})[(item, "question_and_options")] = (field, -1)
        if not details:
            return masks, {}
        out: dict[int, list[Match]] = {}
        for row, hits in found.items():
            out[row] = []
            for (item, kind), (field, start) in sorted(hits.items()):
                if start < 0:  # the whole short question
                    shared = self._questions[item].as_py()
                else:
                    tokens = (inputs, outputs)[field][row].as_py().split(" ")
                    offset = start - int(firsts[field][row])
                    shared = " ".join(tokens[offset : offset + self.ngram])
                name, entry = self.items[item]
                out[row].append(Match(name, entry.source_id, kind, shared))
        return masks, out


def _equal_run(keys: np.ndarray, members: np.ndarray, index: int) -> list[int]:
    """The items whose key equals `keys[index]` (several items may share a question)."""
    lo = np.searchsorted(keys, keys[index], side="left")
    hi = np.searchsorted(keys, keys[index], side="right")
    return members[lo:hi].tolist()
