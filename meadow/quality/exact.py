"""Exact duplicates: rows whose normalised input and output are another row's.

Which copy is kept does not depend on row order: among the copies, an evaluation-only row
wins (it is never removed), then the row of the source listed first in the recipe, then the
smallest `id` (a hash of source, subset and source id). So a build keeps the same copy on
any machine, and adding rows to a corpus does not change which copy an existing pair keeps.
"""

from __future__ import annotations

import numpy as np


def pick_copies(
    keys: np.ndarray,
    candidates: np.ndarray,
    *,
    evaluation: np.ndarray,
    source_rank: np.ndarray,
    ids: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(losers, winners): the rows among `candidates` whose `keys` repeat a better copy's,
    and, for each, the row kept in its place.

    `keys` (int64, 0 = no key), `evaluation`, `source_rank` and `ids` are per row of the
    whole build; `candidates` are the row positions taking part. Evaluation-only rows are
    never losers.
    """
    rows = candidates[keys[candidates] != 0]
    if not len(rows):
        empty = np.zeros(0, np.int64)
        return empty, empty
    order = np.lexsort((ids[rows], source_rank[rows], ~evaluation[rows], keys[rows]))
    rows = rows[order]
    sorted_keys = keys[rows]
    first = np.concatenate([[True], sorted_keys[1:] != sorted_keys[:-1]])
    winner_of = rows[np.maximum.accumulate(np.where(first, np.arange(len(rows)), 0))]
    losers = ~first & ~evaluation[rows]
    return rows[losers], winner_of[losers]
