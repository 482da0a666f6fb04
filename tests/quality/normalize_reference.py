"""`normalize` and `Words.of` as they were before issue 17's faster ones (every dash pass
over every text; the split at Unicode whitespace): the reference the new ones must equal."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from meadow.quality.text import (
    _ANY_VARIANT,
    _DASHES,
    _FACT,
    _HYPHEN,
    _NOISE,
    _SYMBOL,
    _VARIANTS,
    Words,
    word_hashes,
)


def reference_normalize(texts: pa.Array | list[str | None]) -> pa.Array:
    if not isinstance(texts, pa.Array):
        texts = pa.array(texts, pa.string())
    text = pc.fill_null(texts, "")
    text = pc.utf8_lower(pc.utf8_normalize(text, "NFKC"))
    if len(text) and pc.any(pc.match_substring_regex(text, _ANY_VARIANT)).as_py():
        for variant, form in _VARIANTS.items():
            text = pc.replace_substring(text, pattern=variant, replacement=form)
    text = pc.replace_substring_regex(text, pattern=_DASHES, replacement="-")
    for _ in range(2):
        text = pc.replace_substring_regex(text, pattern=_HYPHEN, replacement=r"\1 \2")
    text = pc.replace_substring_regex(text, pattern=_NOISE, replacement=" ")
    text = pc.replace_substring_regex(text, pattern=_SYMBOL, replacement=r" \0 ")
    text = pc.replace_substring_regex(text, pattern="  +", replacement=" ")
    return pc.utf8_trim_whitespace(text)


def reference_words(normalized: pa.Array) -> Words:
    split = pc.utf8_split_whitespace(normalized)
    flat = pc.list_flatten(split)
    parents = pc.list_parent_indices(split).to_numpy(zero_copy_only=False)
    keep = pc.greater(pc.utf8_length(flat), 0)
    flat = pc.filter(flat, keep)
    parents = parents[keep.to_numpy(zero_copy_only=False)]
    if not len(flat):
        empty = np.zeros(0, np.int64)
        return Words(np.zeros(0, np.uint64), empty, len(normalized), empty.astype(bool))
    encoded = pc.dictionary_encode(flat)
    vocabulary = word_hashes(encoded.dictionary)
    is_fact = pc.match_substring_regex(encoded.dictionary, _FACT)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    facts = is_fact.to_numpy(zero_copy_only=False)[indices]
    return Words(vocabulary[indices], parents.astype(np.int64), len(normalized), facts)
