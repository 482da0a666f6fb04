"""The per-batch quality work: what maps one batch of rows to its changed texts, filter
reasons, exact-duplicate keys and near-duplicate band keys (`scan_batch`), reading nothing
but its `BatchJob`, so `QualityRun` can run it in this process or, with `num_proc > 1`, in
worker processes.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from meadow.quality.filters import LanguageCheck, shape_reasons, strip_boilerplate
from meadow.quality.near import NearDuplicates
from meadow.quality.pii import Scrubber, may_name_relatives
from meadow.quality.settings import Filters, NearDedup
from meadow.quality.text import Words, normalize, text_hash


@dataclass
class BatchJob:
    """One batch's texts and, per source code, what its policy asks (all picklable)."""

    inputs: pa.Array
    outputs: pa.Array
    codes: np.ndarray
    subsets: list[str]
    evaluation: np.ndarray
    sources: list[str]
    boilerplate: list[bool]
    pii: list[bool]
    languages: list[str | None]
    filters: Filters | None
    exact_dedup: bool
    by_input: bool
    near: NearDedup | None = None


@dataclass
class BatchResult:
    """What `scan_batch` found: the changed texts (None: unchanged), their normalised forms,
    why each row is filtered (None: it is not), the counts, the exact-duplicate keys and,
    with near dedup on, every row's near-duplicate band keys (rows, bands): the words are
    split here once, and `QualityRun` keeps the keys of the rows still in after pass 1."""

    inputs: pa.Array | None
    outputs: pa.Array | None
    norm_in: pa.Array
    norm_out: pa.Array
    reasons: list[str | None]
    pii: dict[str, Counter[str]]
    stripped: Counter[str]
    pairs: np.ndarray
    singles: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    near_keys: np.ndarray | None = None


_LANGUAGE: LanguageCheck | None = None  # one per process: py3langid's model loads once
_NEAR: dict[NearDedup, NearDuplicates] = {}  # one per process and settings: its permutations


def scan_batch(job: BatchJob) -> BatchResult:
    """Boilerplate, PII, normalisation, the row filters, the exact keys and the near-dedup
    band keys of one batch.

    Pure: it reads nothing but `job`, so it runs the same in a worker process as here, and
    `QualityRun` takes the results in batch order.
    """
    global _LANGUAGE
    timings: dict[str, float] = {}
    started = time.perf_counter()
    inputs, outputs, pii, stripped = _transform(job)
    timings["pii_and_boilerplate"] = (now := time.perf_counter()) - started
    texts_in = inputs if inputs is not None else job.inputs
    texts_out = outputs if outputs is not None else job.outputs
    norm_in, norm_out = normalize(texts_in), normalize(texts_out)
    reasons: list[str | None] = [None] * len(job.codes)
    filters = job.filters
    if filters is not None:
        reasons = shape_reasons(
            texts_in,
            texts_out,
            norm_in,
            norm_out,
            min_input_chars=filters.min_input_chars,
            min_output_chars=filters.min_output_chars,
            max_chars=filters.max_chars,
            copied_question=filters.copied_question,
        )
        if filters.language:
            _LANGUAGE = _LANGUAGE or LanguageCheck()
            _language_reasons(job, texts_in, texts_out, reasons, _LANGUAGE)
    timings["filters"] = (started := time.perf_counter()) - now
    n = len(job.codes)
    pairs, singles = np.zeros(n, np.int64), np.zeros(n, np.int64)
    if job.exact_dedup:
        texts = zip(norm_in.to_pylist(), norm_out.to_pylist(), strict=True)
        codes = job.codes
        for i, (a, b) in enumerate(texts):
            pairs[i] = text_hash(f"{a}\x1f{b}")
            if job.by_input and a:  # a question repeated within one source's subset
                singles[i] = text_hash(f"{codes[i]}\x1f{job.subsets[i]}\x1f{a}")
        timings["exact_dedup"] = (now := time.perf_counter()) - started
        started = now
    near_keys = None
    if job.near is not None:  # every row's: which are still in is known only after pass 1
        index = _NEAR.get(job.near) or _NEAR.setdefault(job.near, NearDuplicates(job.near))
        near_keys = index.keys(Words.of(norm_in), Words.of(norm_out))
        timings["near_keys"] = time.perf_counter() - started
    return BatchResult(
        inputs,
        outputs,
        norm_in,
        norm_out,
        reasons,
        pii,
        stripped,
        pairs,
        singles,
        timings,
        near_keys,
    )


def _transform(
    job: BatchJob,
) -> tuple[pa.Array | None, pa.Array | None, dict[str, Counter[str]], Counter[str]]:
    """Boilerplate stripped and PII scrubbed, for the sources that ask for it: the new
    inputs and outputs (None where no row changed), PII replaced and rows stripped."""
    pii: dict[str, Counter[str]] = {}
    stripped: Counter[str] = Counter()
    wanted = list(zip(job.boilerplate, job.pii, strict=True))
    if not any(a or b for a, b in wanted):
        return None, None, pii, stripped
    inputs = job.inputs.to_pylist()
    outputs = job.outputs.to_pylist()
    codes = job.codes.tolist()
    todo = [
        i for i, c in enumerate(codes) if not job.evaluation[i] and (wanted[c][0] or wanted[c][1])
    ]
    changed = False
    for i in todo:
        if wanted[codes[i]][0]:
            new = strip_boilerplate(outputs[i])
            if new != outputs[i]:
                stripped[job.sources[codes[i]]] += 1
                outputs[i], changed = new, True
    scrubbed = [i for i in todo if wanted[codes[i]][1]]
    if scrubbed:  # which texts may name a relative: one RE2 pass over the batch
        relatives_in = may_name_relatives(pa.array([inputs[i] for i in scrubbed], pa.string()))
        relatives_out = may_name_relatives(pa.array([outputs[i] for i in scrubbed], pa.string()))
    for k, i in enumerate(scrubbed):
        scrubber = Scrubber()
        new_in = scrubber.scrub(inputs[i], relatives=bool(relatives_in[k]))
        new_out = scrubber.scrub(outputs[i], relatives=bool(relatives_out[k]))
        if scrubber.counts:
            pii.setdefault(job.sources[codes[i]], Counter()).update(scrubber.counts)
            inputs[i], outputs[i], changed = new_in, new_out, True
    if not changed:
        return None, None, pii, stripped
    return pa.array(inputs, pa.string()), pa.array(outputs, pa.string()), pii, stripped


def _language_reasons(
    job: BatchJob,
    inputs: pa.Array,
    outputs: pa.Array,
    reasons: list[str | None],
    check: LanguageCheck,
) -> None:
    """`not_<language>` for the rows not yet filtered whose source declares a language
    their text is confidently not in (evaluation rows are never judged)."""
    codes = job.codes.tolist()
    for language in sorted({lang for lang in job.languages if lang}):
        rows = [
            i
            for i, c in enumerate(codes)
            if job.languages[c] == language and reasons[i] is None and not job.evaluation[i]
        ]
        if rows:
            texts = [f"{inputs[i].as_py()}\n{outputs[i].as_py()}" for i in rows]
            other = check.other_language(texts, language)
            for i in np.asarray(rows)[other].tolist():
                reasons[i] = f"not_{language}"
