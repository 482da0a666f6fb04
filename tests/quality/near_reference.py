"""The near-duplicate index as it was before issue 17: datasketch's MinHash and MinHashLSH,
one row at a time, with a Python union-find. The tests compare meadow.quality.near's
batched numpy index with it, cluster for cluster."""

from __future__ import annotations

import hashlib

import numpy as np

from meadow.quality.settings import NearDedup

SEED = 1


def _band_key(data: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


class ReferenceNearDuplicates:
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
