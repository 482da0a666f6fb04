"""Near duplicates: MinHash LSH over the word shingles of input and output, batched in numpy.

Each row gets two MinHash signatures, one of its input's shingles and one of its output's
(a row without input uses its output's for both). Each LSH band takes the same number of
values from both, so two rows fall into one bucket only when their inputs *and* their
outputs are alike: the threshold applies to the geometric mean of the two Jaccard
similarities. A long shared context with different answers (PubMedQA's decision and
reasoning rows, MedMCQA's answer and explained answer) is therefore not a duplicate.

Near duplicates must also state the same facts: every band value of a row is salted with
the hash of its numbers and symbols in order (`text.Words.fact_keys`, input and output),
so rows that differ in one of them (`HER2+` / `HER2-`, `5 mg` / `50 mg`, `10%` / `10`)
never share a bucket, however alike their words; rows with the same facts collide exactly
as they would unsalted.

The signatures are datasketch's (`MinHash(seed=1, hashfunc=int)`, scheme affine32: the
shingle value murmur-finalised, then `a * h + b` modulo 2^32, the minimum per
permutation), computed for a whole Arrow batch at once; the bands and permutations are
datasketch's (`lsh_bands`, `permutations` compute them as it does, without importing it:
datasketch imports scipy, ~50 MiB of memory in every process), so the buckets are the
ones its `MinHashLSH` would fill. Instead
of a bucket dict, each row keeps one 64-bit key per band (a hash of the band's values);
rows with equal keys in some band are linked, which is exactly what an LSH query before
each insert links. The keys go to one file per band in the run's temporary folder; at the
end each band's keys are sorted, equal neighbours linked, and the links joined into
clusters (connected components). Each cluster keeps one row, chosen as for exact
duplicates (evaluation-only first, then recipe source order, then the smallest id), and
every evaluation-only row. The result does not depend on row order.

What grows with the rows: 8 bytes per band per row on disk (in memory without a folder),
and while clustering about 40 bytes per row (one band's keys, their order, the labels).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from meadow.quality.settings import NearDedup
from meadow.quality.text import Words

SEED = 1
MAX_HASH = np.uint32(0xFFFFFFFF)
# the largest temporary matrix of permuted shingle values, in bytes
CHUNK_BYTES = 16 << 20
# murmur3's 32-bit finalizer, as datasketch's affine32 scheme pre-mixes every value
_FMIX32 = (16, np.uint32(0x85EBCA6B), 13, np.uint32(0xC2B2AE35), 16)


def permutations(count: int, seed: int = SEED) -> np.ndarray:
    """(2, count) uint32: the `a` and `b` of datasketch's affine32 `MinHash(num_perm=count,
    seed=seed)` (`a` odd, so `a * h + b` is a bijection modulo 2^32)."""
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, count, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, count, dtype=np.uint32)
    return np.array([a, b])


def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """(bands, rows per band) of datasketch's `MinHashLSH(threshold, num_perm)`: those that
    minimise the mean of the false positive and false negative probability integrals,
    the first of equals in its order. The integrands are polynomials of degree at most
    `num_perm`, so Gauss-Legendre quadrature with `num_perm // 2 + 1` nodes is exact."""
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 1)
    below = threshold / 2 * (nodes + 1)  # [0, threshold]
    above = threshold + (1 - threshold) / 2 * (nodes + 1)  # [threshold, 1]
    best, found = float("inf"), (0, 0)
    for b in range(1, num_perm + 1):
        r = np.arange(1, num_perm // b + 1, dtype=np.float64)[:, None]
        fp = (1 - (1 - below**r) ** b) @ weights * (threshold / 2)
        fn = (1 - (1 - (1 - above**r) ** b)) @ weights * ((1 - threshold) / 2)
        for k, error in enumerate((fp * 0.5 + fn * 0.5).tolist()):
            if error < best:
                best, found = error, (b, k + 1)
    return found


def fact_salt(input_facts: np.ndarray, output_facts: np.ndarray) -> np.ndarray:
    """Per row, the 32-bit salt of its band values from the fact keys of its input and
    output (0 for a row without numbers or symbols)."""
    with np.errstate(over="ignore"):
        joined = input_facts.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + output_facts
    return (joined ^ (joined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)


def shingle_sets(words: Words, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(values, offsets): per text, the 32-bit hashes of its runs of `size` words (a
    shorter text: its whole word sequence as its one shingle; no words: none), text i's
    being values[offsets[i]:offsets[i + 1]] (the sets `text.shingles` gives, flat)."""
    lengths = words.lengths()
    short = np.flatnonzero((lengths > 0) & (lengths < size))
    values = [words.whole()[short]]
    owners = [short]
    grams = next(((h, s) for m, h, s in words.windows(size) if m == size), None)
    if grams is not None:
        values.append(grams[0])
        owners.append(words.segment[grams[1]])
    flat_owners = np.concatenate(owners)
    order = np.argsort(flat_owners, kind="stable")
    flat = (np.concatenate(values)[order] & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    offsets = np.zeros(words.count + 1, np.int64)
    np.cumsum(np.bincount(flat_owners, minlength=words.count), out=offsets[1:])
    return flat, offsets


def _fmix32(values: np.ndarray) -> np.ndarray:
    s1, m1, s2, m2, s3 = _FMIX32
    h = values ^ (values >> s1)
    h *= m1
    h ^= h >> s2
    h *= m2
    return h ^ (h >> s3)


def signatures(values: np.ndarray, offsets: np.ndarray, permutations: np.ndarray) -> np.ndarray:
    """(texts, permutations) uint32: each text's MinHash, as datasketch's affine32
    `MinHash.update_batch` of its values gives it (all 2^32 - 1 for a text without
    any), in chunks so that the matrix of permuted values stays under CHUNK_BYTES."""
    a, b = permutations[0][:, None], permutations[1][:, None]
    count = len(offsets) - 1
    out = np.full((count, len(a)), MAX_HASH, np.uint32)
    mixed = _fmix32(values)
    starts, ends = offsets[:-1], offsets[1:]
    step = max(1, CHUNK_BYTES // (4 * len(a)))
    for lo in range(0, len(values), step):
        hi = min(lo + step, len(values))
        texts = np.arange(np.searchsorted(ends, lo, "right"), np.searchsorted(starts, hi))
        first = np.maximum(starts[texts], lo)
        inside = first < np.minimum(ends[texts], hi)  # not empty within the chunk
        texts, first = texts[inside], first[inside]
        # (permutations, values): each text's values are a contiguous run of every row
        permuted = a * mixed[lo:hi]
        permuted += b
        partial = np.minimum.reduceat(permuted, first - lo, axis=1)
        out[texts] = np.minimum(out[texts], partial.T)
    return out


def _fmix64(h: np.ndarray) -> np.ndarray:
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return h


def band_keys(values: np.ndarray) -> np.ndarray:
    """One 64-bit key per row of `values` (rows, even number of uint32 columns): equal rows
    have equal keys, different ones (practically) never; a chain of murmur3 finalisers over
    the values two at a time."""
    pairs = np.ascontiguousarray(values).view(np.uint64)
    key = np.full(len(pairs), 0x9E3779B97F4A7C15, np.uint64)
    for column in pairs.T:
        key ^= column
        _fmix64(key)
    return key


class NearDuplicates:
    """The band keys of the rows seen so far, and the clusters they form.

    With a `folder` (the run's temporary folder), the keys are appended to files there
    (8 bytes per band per row), so memory does not grow with the rows; without, they are
    kept in memory."""

    def __init__(self, settings: NearDedup, folder: Path | None = None):
        half = settings.num_perm // 2
        # datasketch's bands for the threshold; each band takes half its width from the input's
        # signature and half from the output's, so it collides with probability
        # (J_in * J_out) ** width: the geometric mean's, to the band's full width
        bands, width = lsh_bands(settings.threshold, settings.num_perm)
        if bands < 2:  # so high a threshold that the optimum is one band: take two
            bands, width = 2, half  # (datasketch's MinHashLSH refuses one band)
        self.width = max(1, round(width / 2))
        self.bands = min(bands, half // self.width)
        used = self.bands * self.width
        # datasketch's permutations (a * h + b modulo 2^32 after murmur's finalizer)
        self._permutations = permutations(half)[:, :used]
        self.shingle_size = settings.shingle_size
        self._folder = folder
        self._parts: list[list[np.ndarray]] = [[] for _ in range(self.bands + 1)]
        self._count = 0

    def _store(self, part: int, array: np.ndarray) -> None:
        if self._folder is None:
            self._parts[part].append(array)
        else:
            with open(self._folder / f"near-{part}.bin", "ab") as file:
                array.tofile(file)

    def _load(self, part: int, dtype: type) -> np.ndarray:
        if self._folder is None:
            found = self._parts[part]
            return np.concatenate(found) if found else np.zeros(0, dtype)
        path = self._folder / f"near-{part}.bin"
        return np.fromfile(path, dtype) if path.exists() else np.zeros(0, dtype)

    def keys(self, inputs: Words, outputs: Words) -> np.ndarray:
        """(rows, bands) uint64: the band keys of a batch's rows (the normalised words of
        their inputs and outputs); rows whose facts (numbers and symbols, input and output)
        differ never share one. Needs no state but the settings: a worker can compute it."""
        ins, in_offsets = shingle_sets(inputs, self.shingle_size)
        outs, out_offsets = shingle_sets(outputs, self.shingle_size)
        out_sig = signatures(outs, out_offsets, self._permutations)
        in_sig = signatures(ins, in_offsets, self._permutations)
        no_input = np.diff(in_offsets) == 0
        in_sig[no_input] = out_sig[no_input]
        salt = fact_salt(inputs.fact_keys(), outputs.fact_keys()).astype(np.uint32)[:, None]
        width = self.width
        keys = np.empty((inputs.count, self.bands), np.uint64)
        for band in range(self.bands):
            part = slice(band * width, (band + 1) * width)
            values = np.concatenate([in_sig[:, part], out_sig[:, part]], axis=1)
            if width % 2:  # an even number of values, for the 64-bit view
                values = np.concatenate([values, np.zeros((len(values), 1), np.uint32)], axis=1)
            values ^= salt
            keys[:, band] = band_keys(values)
        return keys

    def add_keys(self, rows: np.ndarray, keys: np.ndarray) -> None:
        """Index rows `rows` with their band `keys` (from `keys`)."""
        for band in range(self.bands):
            self._store(band, np.ascontiguousarray(keys[:, band]))
        self._store(self.bands, np.asarray(rows, np.int64))
        self._count += len(rows)

    def add_batch(self, rows: np.ndarray, inputs: Words, outputs: Words) -> None:
        """Index rows `rows` (the normalised words of their inputs and outputs)."""
        self.add_keys(rows, self.keys(inputs, outputs))

    def clusters(self) -> list[np.ndarray]:
        """The rows of every cluster of two or more, each sorted, in the order of their
        first row."""
        labels = np.arange(self._count, dtype=np.int64)
        for band in range(self.bands):
            keys = self._load(band, np.uint64)
            order = np.argsort(keys, kind="stable")
            keys = keys[order]
            same = np.flatnonzero(keys[1:] == keys[:-1])
            del keys
            linked, to = order[same], order[same + 1]
            del order  # before linking: the labels and the links are all it needs
            if len(same):
                _link(labels, linked, to)
        sizes = np.bincount(labels, minlength=self._count)
        members = np.flatnonzero(sizes[labels] > 1)
        del sizes
        rows = self._load(self.bands, np.int64)
        if not len(members):
            return []
        members = members[np.argsort(labels[members], kind="stable")]
        bounds = np.flatnonzero(np.diff(labels[members])) + 1
        groups = [np.sort(rows[m]) for m in np.split(members, bounds)]
        return sorted(groups, key=lambda g: int(g[0]))


def _link(labels: np.ndarray, a: np.ndarray, b: np.ndarray) -> None:
    """Join the clusters of rows a[i] and b[i]; `labels` holds each row's cluster, named
    by its smallest row, and is updated in place."""
    la, lb = labels[a], labels[b]
    apart = la != lb
    if not apart.any():
        return
    la, lb = la[apart], lb[apart]
    nodes = np.unique(np.concatenate([la, lb]))
    ia, ib = np.searchsorted(nodes, la), np.searchsorted(nodes, lb)
    root = nodes[_smallest_linked(len(nodes), ia, ib)]
    at = np.searchsorted(nodes, labels)
    np.minimum(at, len(nodes) - 1, out=at)
    hit = nodes[at] == labels
    labels[hit] = root[at[hit]]


def _smallest_linked(count: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per node 0 … count-1, the smallest node it is linked to through the edges a[i]-b[i]
    (connected components, each named by its smallest node), in numpy: every edge pulls
    both its ends to the smaller of their labels, then labels jump to their label's label,
    until nothing changes."""
    label = np.arange(count, dtype=np.int64)
    while True:
        low = np.minimum(label[a], label[b])
        before = label.copy()
        np.minimum.at(label, a, low)
        np.minimum.at(label, b, low)
        while True:  # pointer jumping: a label's label is at most the label
            jumped = label[label]
            if np.array_equal(jumped, label):
                break
            label = jumped
        if np.array_equal(label, before):
            return label


def pick_survivors(
    clusters: list[np.ndarray],
    *,
    evaluation: np.ndarray,
    source_rank: np.ndarray,
    ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(losers, winners): per cluster, every row but the best one and the evaluation-only
    rows, with the row kept in their place."""
    losers: list[int] = []
    winners: list[int] = []
    for members in clusters:
        best = members[np.lexsort((ids[members], source_rank[members], ~evaluation[members]))[0]]
        for row in members.tolist():
            if row != best and not evaluation[row]:
                losers.append(row)
                winners.append(int(best))
    return np.array(losers, np.int64), np.array(winners, np.int64)
