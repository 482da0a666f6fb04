"""The per-batch quality work: what maps one batch of rows to its changed texts, filter
reasons, exact-duplicate keys, benchmark overlaps and near-duplicate band keys
(`scan_batch`), reading nothing but its `BatchJob` and the benchmark index, so `QualityRun`
can run it in this process or, with `num_proc > 1`, in worker processes (each given the
index once, by `use_index`, when it starts).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from meadow.quality.decontam import BenchmarkIndex, Match, benchmark_bit
from meadow.quality.filters import LanguageCheck, shape_reasons, strip_boilerplate
from meadow.quality.near import NearDuplicates
from meadow.quality.pii import Scrubber, may_match, may_name_relatives
from meadow.quality.settings import BENCHMARKS, Filters, NearDedup
from meadow.quality.text import Words, normalize, text_hash
from meadow.sources import get_source


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
    # check the rows not filtered against the benchmark index (training and validation)
    decontaminate: bool = False


@dataclass
class BatchResult:
    """What `scan_batch` found: the changed texts (None: unchanged), why each row is
    filtered (None: it is not), the counts, the exact-duplicate keys, per row the bits of
    the benchmarks it overlaps (`contamination`, 0 for a row not checked) with each
    overlapping row's matches (by row in the batch), and, with near dedup on, every row's
    near-duplicate band keys (rows, bands): the words are split here once, for both, and
    `QualityRun` keeps the keys of the rows still in after pass 1."""

    inputs: pa.Array | None
    outputs: pa.Array | None
    contamination: np.ndarray
    matches: dict[int, list[Match]]
    reasons: list[str | None]
    pii: dict[str, Counter[str]]
    stripped: Counter[str]
    pairs: np.ndarray
    singles: np.ndarray
    timings: dict[str, float] = field(default_factory=dict)
    near_keys: np.ndarray | None = None


_LANGUAGE: LanguageCheck | None = None  # one per process: py3langid's model loads once
_NEAR: dict[NearDedup, NearDuplicates] = {}  # one per process and settings: its permutations
_INDEX: BenchmarkIndex | None = None  # a worker's benchmark index, given once (`use_index`)


def use_index(index: BenchmarkIndex | None) -> None:
    """Give this (worker) process the benchmark index `scan_batch` checks rows against: a
    pool's initializer, so the index is sent once per worker, not with every batch."""
    global _INDEX
    _INDEX = index


def scan_batch(job: BatchJob, index: BenchmarkIndex | None = None) -> BatchResult:
    """Boilerplate, PII, normalisation, the row filters, the exact keys, decontamination
    and the near-dedup band keys of one batch.

    Pure: it reads nothing but `job` and the benchmark index (`index`, else the one
    `use_index` gave the process), so it runs the same in a worker process as here, and
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
    index = index if index is not None else _INDEX
    checking = job.decontaminate and index is not None
    words = (Words.of(norm_in), Words.of(norm_out)) if checking or job.near else None
    contamination, matches = np.zeros(n, np.uint8), {}
    if checking and words is not None:
        contamination, matches = _decontaminate(job, index, norm_in, norm_out, words, reasons)
        timings["decontamination"] = (now := time.perf_counter()) - started
        started = now
    near_keys = None
    if job.near is not None and words is not None:  # every row's: which rows are still in
        near = _NEAR.get(job.near) or _NEAR.setdefault(job.near, NearDuplicates(job.near))
        near_keys = near.keys(*words)  # is known only after pass 1
        timings["near_keys"] = time.perf_counter() - started
    return BatchResult(
        inputs,
        outputs,
        contamination,
        matches,
        reasons,
        pii,
        stripped,
        pairs,
        singles,
        timings,
        near_keys,
    )


def _decontaminate(
    job: BatchJob,
    index: BenchmarkIndex,
    norm_in: pa.Array,
    norm_out: pa.Array,
    words: tuple[Words, Words],
    reasons: list[str | None],
) -> tuple[np.ndarray, dict[int, list[Match]]]:
    """Per row, the bits of the benchmarks it overlaps, and the matches of each row that
    overlaps one; only rows not filtered and not evaluation-only are checked, and a
    benchmark's own evaluation subsets (trained on by choice) not against it."""
    checked = np.array([why is None for why in reasons], bool) & ~job.evaluation
    if not checked.any():
        return np.zeros(len(job.codes), np.uint8), {}
    masks, found = index.match_words(norm_in, norm_out, *words, rows=checked, details=True)
    for row in np.flatnonzero(masks).tolist():
        name = job.sources[job.codes[row]]
        if name in BENCHMARKS and get_source(name).is_evaluation_only(job.subsets[row]):
            masks[row] &= ~np.uint8(benchmark_bit(name))
    # the matches are kept for every overlapping row: removed.parquet names the item
    matches = {}
    for row, hits in found.items():
        kept = [m for m in hits if masks[row] & benchmark_bit(m.benchmark)]
        if kept:
            matches[row] = kept
    return masks, matches


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
        batch_in = pa.array([inputs[i] for i in scrubbed], pa.string())
        batch_out = pa.array([outputs[i] for i in scrubbed], pa.string())
        relatives_in, may_in = may_name_relatives(batch_in), may_match(batch_in)
        relatives_out, may_out = may_name_relatives(batch_out), may_match(batch_out)
    for k, i in enumerate(scrubbed):
        scrubber = Scrubber()
        new_in = scrubber.scrub(inputs[i], relatives=bool(relatives_in[k]), may=may_in[k])
        new_out = scrubber.scrub(outputs[i], relatives=bool(relatives_out[k]), may=may_out[k])
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
    texts_in: list[str | None] | None = None
    texts_out: list[str | None] = []
    for language in sorted({lang for lang in job.languages if lang}):
        rows = [
            i
            for i, c in enumerate(codes)
            if job.languages[c] == language and reasons[i] is None and not job.evaluation[i]
        ]
        if rows:
            if texts_in is None:  # each batch's texts once, not a Python object per value
                texts_in, texts_out = inputs.to_pylist(), outputs.to_pylist()
            texts = [f"{texts_in[i]}\n{texts_out[i]}" for i in rows]
            other = check.other_language(texts, language)
            for i in np.asarray(rows)[other].tolist():
                reasons[i] = f"not_{language}"
