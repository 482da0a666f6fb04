"""py3langid's `classify` for a whole batch of texts, with the same answers, bit for bit.

py3langid walks each text's bytes through its DFA in a Python loop (`visit_counts`): most
of the language check's time in a full build. Here the walk advances one state per text
at once, one byte position a step (texts sorted longest first, so the active set only
shrinks), and gathers each text's features. Each text's score is then the library's own
arithmetic on the same inputs: its visits in `Counter`'s order (features by first
occurrence) with their counts, `log1p(counts) @ nb_ptc[features] + nb_pc` one text at a
time (one matrix product across texts would sum in another order), then `_decide`'s
scaling, alias folding and argmax.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence

import numpy as np

_CHUNK_BYTES = 2_000_000  # texts walked together: their sorts stay in cache


def encode(text: str) -> bytes:
    """The bytes py3langid walks for `text` (`LanguageIdentifier._encode` on a str)."""
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf8", errors="surrogatepass")


class BatchIdentifier:
    """`classify` over many texts of one py3langid `LanguageIdentifier` (norm_probs=True)."""

    def __init__(self, identifier) -> None:  # py3langid.langid.LanguageIdentifier
        if not identifier._norm_probs or identifier.min_confidence is not None:
            raise ValueError("BatchIdentifier needs norm_probs=True and no min_confidence")
        self._identifier = identifier
        # int32 (states < 2**17, rows << 8 < 2**24): half the bytes to gather from
        self._nextmove = np.asarray(identifier.tk_nextmove, dtype=np.int32)
        self._rowbase = np.asarray(identifier.tk_row, dtype=np.int32) << 8
        self._output = np.asarray(identifier.tk_output, dtype=np.int32)
        # float16 -> float32 is exact, and the mixed product casts to it anyway (then the
        # same BLAS call): cast once, not per text
        self._ptc = np.asarray(identifier.nb_ptc, dtype=np.float32)

    def visits(self, encoded: Sequence[bytes]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text, its features in first-occurrence order and their counts: the keys and
        values of py3langid's `visit_counts` (empty arrays where that gives None)."""
        out: list[tuple[np.ndarray, np.ndarray]] = [None] * len(encoded)  # type: ignore[list-item]
        order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))
        start = 0
        while start < len(order):
            width = max(len(encoded[order[start]]), 1)  # the longest sets the grid's width
            end = min(len(order), start + max(1, _CHUNK_BYTES // width))
            chunk = order[start:end]
            for i, found in zip(chunk, self._walk([encoded[i] for i in chunk]), strict=True):
                out[i] = found
            start = end
        return out

    def _walk(self, texts: list[bytes]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The DFA walk of `texts` (longest first) side by side."""
        n = len(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        width = int(lengths[0]) if n else 0
        rows = np.zeros((n, width), dtype=np.uint8)
        for t, data in enumerate(texts):
            rows[t, : len(data)] = np.frombuffer(data, dtype=np.uint8)
        grid = np.ascontiguousarray(rows.T)  # grid[p, t]: text t's byte p, contiguous per step
        # active[p]: how many texts are longer than p (they are sorted longest first)
        active = np.searchsorted(-lengths, -np.arange(width), side="left")
        state = np.zeros(n, dtype=np.int32)
        hit_texts, hit_features = [], []
        nextmove, rowbase, output = self._nextmove, self._rowbase, self._output
        for p in range(width):
            k = int(active[p])
            s = nextmove[rowbase[state[:k]] + grid[p, :k]]
            state[:k] = s
            f = output[s]
            hits = np.flatnonzero(f >= 0)
            if len(hits):
                hit_texts.append(hits.astype(np.int64))
                hit_features.append(f[hits])
        if not hit_texts:
            return [(np.empty(0, np.intp), np.empty(0, np.int64))] * n
        texts_hit = np.concatenate(hit_texts)
        features = np.concatenate(hit_features)
        # one (text, feature) key per hit, hits in position order: the unique keys come
        # text by text, and each one's first hit orders a text's keys as Counter does
        pairs = texts_hit * len(self._output) + features.astype(np.int64)
        keys, first, counts = np.unique(pairs, return_index=True, return_counts=True)
        owner = keys // len(self._output)
        in_text_order = np.argsort(owner * len(pairs) + first)  # by text, then first hit
        keys, counts = keys[in_text_order], counts[in_text_order]
        owner, features = np.divmod(keys, len(self._output))
        bounds = np.searchsorted(owner, np.arange(n + 1)).tolist()
        features = features.astype(np.intp)
        return [
            (features[bounds[t] : bounds[t + 1]], counts[bounds[t] : bounds[t + 1]])
            for t in range(n)
        ]

    def classify(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """Per text, what `identifier.classify(text)` returns."""
        encoded = [encode(t) for t in texts]
        ident = self._identifier
        classes = ident.nb_classes
        results = []
        for data, (keys, counts) in zip(encoded, self.visits(encoded), strict=True):
            if len(keys):
                scores = np.log1p(counts.astype(np.float32)) @ self._ptc[keys] + ident.nb_pc
            else:
                scores = np.full(len(classes), 0.0, dtype=np.float32)
            scores *= 1.0 / math.sqrt(len(data) or 1)
            np.exp(scores - scores.max(), out=scores)
            scores /= scores.sum()
            for i, j in ident._alias_pairs:
                scores[i] += scores[j]
                scores[j] = 0.0
            best = int(scores.argmax())
            results.append((classes[best], float(scores[best])))
        return results
