"""Near duplicates: MinHash LSH (datasketch) over the word shingles of input and output.

Each row gets two MinHash signatures from datasketch, one of its input's shingles and one
of its output's (a row without input uses its output's for both). Each LSH band takes the
same number of values from both, so two rows fall into one bucket only when their inputs
*and* their outputs are alike: the threshold applies to the geometric mean of the two
Jaccard similarities. A long shared context with different answers (PubMedQA's decision
and reasoning rows, MedMCQA's answer and explained answer) is therefore not a duplicate.

Near duplicates must also state the same facts: every band value of a row is salted with
the hash of its numbers and symbols in order (`text.Words.fact_keys`, input and output),
so rows that differ in one of them (`HER2+` / `HER2-`, `5 mg` / `50 mg`, `10%` / `10`)
never share a bucket, however alike their words; rows with the same facts collide exactly
as they would unsalted.

Rows linked by LSH candidate pairs form clusters (union-find); each cluster keeps one row,
chosen as for exact duplicates (evaluation-only first, then recipe source order, then the
smallest id), and every evaluation-only row. The result does not depend on row order.

What grows with the rows: the LSH index (one bucket entry per band per row), and the
union-find table of the rows that have candidates.
"""

from __future__ import annotations

import hashlib

import numpy as np

from meadow.quality.settings import NearDedup

SEED = 1


def _band_key(data: bytes) -> int:
    """A short, stable key per LSH band (instead of the band's raw bytes)."""
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def fact_salt(input_facts: np.ndarray, output_facts: np.ndarray) -> np.ndarray:
    """Per row, the 32-bit salt of its band values from the fact keys of its input and
    output (0 for a row without numbers or symbols)."""
    with np.errstate(over="ignore"):
        joined = input_facts.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + output_facts
    return (joined ^ (joined >> np.uint64(32))) & np.uint64(0xFFFFFFFF)


class NearDuplicates:
    """The LSH index of the rows seen so far, and the clusters their candidates form."""

    def __init__(self, settings: NearDedup):
        from datasketch import MinHash, MinHashLSH  # imports scipy: only when it is needed

        half = settings.num_perm // 2
        # datasketch's bands for the threshold; each band takes half its width from the input's
        # signature and half from the output's, so it collides with probability
        # (J_in * J_out) ** width: the geometric mean's, to the band's full width
        try:
            probe = MinHashLSH(threshold=settings.threshold, num_perm=settings.num_perm)
            bands, width = probe.b, probe.r
        except ValueError:  # so high a threshold that the optimum is one band: take two
            bands, width = 2, half
        self.width = max(1, round(width / 2))
        self.bands = min(bands, half // self.width)
        used = self.bands * self.width
        # one sketch reused for every text (cleared in between), one for the joined signature
        self._sketch = MinHash(num_perm=half, seed=SEED, hashfunc=int)
        self._joined = MinHash(
            hashvalues=np.zeros(2 * used, np.uint32),
            permutations=np.concatenate([self._sketch.permutations[:, :used]] * 2, axis=1),
            scheme="affine32",
        )
        self.lsh = MinHashLSH(
            num_perm=2 * used, params=(self.bands, 2 * self.width), hashfunc=_band_key
        )
        self._parent: dict[int, int] = {}

    def _signature(self, values: np.ndarray) -> np.ndarray:
        sketch = self._sketch
        sketch.clear()
        if len(values):
            sketch.update_batch(values.tolist())
        return sketch.hashvalues[: self.bands * self.width].reshape(self.bands, self.width)

    def add(
        self, key: int, input_shingles: np.ndarray, output_shingles: np.ndarray, facts: int = 0
    ) -> None:
        """Index row `key` and link it to the rows it collides with; `facts` (the hash of
        its numbers and symbols) must be equal for two rows to collide."""
        output = self._signature(output_shingles)
        source = input_shingles if len(input_shingles) else output_shingles
        joined = np.concatenate([self._signature(source), output], axis=1).reshape(-1)
        self._joined.hashvalues = joined ^ np.uint64(facts & 0xFFFFFFFF)
        for other in self.lsh.query(self._joined):
            self._union(key, other)
        self.lsh.insert(key, self._joined, check_duplication=False)

    def _find(self, key: int) -> int:
        root = key
        while self._parent.get(root, root) != root:
            root = self._parent[root]
        while key != root:  # path compression
            self._parent[key], key = root, self._parent[key]
        return root

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra != rb:
            self._parent[max(ra, rb)] = min(ra, rb)
            self._parent.setdefault(min(ra, rb), min(ra, rb))

    def clusters(self) -> list[np.ndarray]:
        """The rows of every cluster of two or more, each sorted."""
        groups: dict[int, list[int]] = {}
        for key in self._parent:
            groups.setdefault(self._find(key), []).append(key)
        return [np.array(sorted(m), np.int64) for _, m in sorted(groups.items()) if len(m) > 1]


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
