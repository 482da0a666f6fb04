"""The bundled `sample` recipe builds to the same revision and rows as it did when these
values were recorded, so a refactoring that changes any output byte is caught.

Parquet bytes also carry the writer's version (`created_by`), so the file hashes are
compared under the pyarrow they were recorded with; the revision and the rows, everywhere.
"""

from __future__ import annotations

import hashlib

import pyarrow
import pyarrow.parquet as pq

from meadow import build

REVISION = "b777a9f84eb45f04"
# per split: sha256 of the rows as Python values, and of the file written by RECORDED_PYARROW
ROWS = {
    "train": "23a0384c1320fdb8",
    "validation": "f3ed36360f1b3829",
    "test": "55f99989e4596336",
}
RECORDED_PYARROW = "26.0.1"
FILES = {
    "train": "8c077c631fcd3afd7034a05dd010528068b61b8d75e07c7d687613ad34f3d5ee",
    "validation": "a42b65191b5097ff4a1969454e215992af4f0982206561683ad359c697da8f5c",
    "test": "81a5e6bdb5bd1f77290155bed89cccb217e1855f360d16e7b3f926e61b025ed2",
}


def test_sample_builds_to_the_recorded_revision_rows_and_bytes():
    result = build(mixture="sample", progress=False)
    assert result.revision == REVISION
    for split in ROWS:
        (path,) = (result.path / "data" / "sample").glob(f"{split}-*.parquet")
        rows = str(pq.read_table(path).to_pylist()).encode()
        assert hashlib.sha256(rows).hexdigest()[:16] == ROWS[split], split
        if pyarrow.__version__ == RECORDED_PYARROW:
            assert hashlib.sha256(path.read_bytes()).hexdigest() == FILES[split], split
