"""Near dedup without datasketch and scipy at run time (~50 MiB of memory per process): its
bands, permutations and connected components equal theirs."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from datasketch import MinHash
from datasketch.lsh import _optimal_param
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from meadow.quality.near import _smallest_linked, lsh_bands, permutations


@pytest.mark.parametrize("num_perm", [16, 64, 128, 256])
def test_the_bands_are_datasketchs(num_perm):
    for threshold in [0.05, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99]:
        assert lsh_bands(threshold, num_perm) == _optimal_param(threshold, num_perm, 0.5, 0.5)


@pytest.mark.parametrize("count", [8, 64, 512])
def test_the_permutations_are_datasketchs(count):
    sketch = MinHash(num_perm=count, seed=1, hashfunc=int, scheme="affine32")
    np.testing.assert_array_equal(permutations(count), sketch.permutations)


@pytest.mark.parametrize("seed", range(6))
def test_the_components_are_scipys(seed):
    rng = np.random.default_rng(seed)
    count = int(rng.integers(2, 3000))
    edges = int(rng.integers(1, count))
    a, b = rng.integers(0, count, edges), rng.integers(0, count, edges)
    if seed == 0:  # a long chain, the worst case for label propagation
        a, b = np.arange(count - 1)[::-1], np.arange(1, count)[::-1]
    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(count, count))
    _, component = connected_components(graph, directed=False)
    _, first = np.unique(component, return_index=True)
    np.testing.assert_array_equal(_smallest_linked(count, a, b), first[component])


def test_a_quality_run_imports_neither():
    code = (
        "import sys\n"
        "from meadow.quality.near import NearDuplicates\n"
        "from meadow.quality.settings import NearDedup\n"
        "from meadow.quality.text import Words, normalize\n"
        "index = NearDuplicates(NearDedup())\n"
        "w = Words.of(normalize(['a b c d e f', 'a b c d e f', 'x y']))\n"
        "index.add_batch(__import__('numpy').arange(3), w, w)\n"
        "assert [g.tolist() for g in index.clusters()] == [[0, 1]]\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'scipy', 'datasketch'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
