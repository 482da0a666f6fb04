"""Decontamination in the per-batch work: `BenchmarkIndex.match_words` on a batch's words
(split once, for near dedup too) and a mask of rows finds exactly what `match` finds on
those rows alone, and a quality run finds the same overlaps for every `num_proc`."""

from __future__ import annotations

import random

import numpy as np
import pyarrow as pa
import pytest

from benchmarks import medtext
from benchmarks.gen_quality import Texts
from meadow.quality import BenchmarkIndex, QualityRun, QualitySettings, SourcePolicy
from meadow.quality.settings import Decontamination
from meadow.quality.text import Words, normalize
from meadow.schema import ARROW_SCHEMA, EvalItem


def _items(rng: random.Random) -> dict[str, list[EvalItem]]:
    """Long items (13-grams) and short ones (question and options), medical text."""
    items: dict[str, list[EvalItem]] = {"medqa": [], "medmcqa": []}
    for n in range(60):
        question = medtext.sentences(rng, 3)
        options = {k: medtext.sentence(rng) for k in "ABCD"}
        items["medqa"].append(EvalItem("medqa", "test", f"test/{n}", question, options, "A"))
    for n in range(60):
        question = f"Drug of choice for {medtext.title(rng)[:40]} is:"
        options = {k: rng.choice(medtext.DRUGS) for k in "ABCD"}
        items["medmcqa"].append(EvalItem("medmcqa", "dev", f"dev/{n}", question, options, "A"))
    return items


def _rows(rng: random.Random, items: dict[str, list[EvalItem]], count: int):
    """Medical rows, a tenth of them copying a long item's 13+ words or a short item whole."""
    texts = Texts(3)
    inputs = [medtext.question(rng) for _ in range(count)]
    outputs = texts.many(texts.lengths(count, 60))
    for i in range(0, count, 10):
        if i % 20:
            item = rng.choice(items["medqa"])
            words = item.question.split()
            start = rng.randrange(max(1, len(words) - 16))
            inputs[i] = "Case: " + " ".join(words[start : start + 16]) + " " + inputs[i]
        else:
            item = rng.choice(items["medmcqa"])
            options = " ".join(f"{k}. {v}" for k, v in item.options.items())
            outputs[i] = f"Question: {item.question} Options: {options}"
    return inputs, outputs


@pytest.fixture(scope="module")
def corpus():
    rng = random.Random(17)
    items = _items(rng)
    inputs, outputs = _rows(rng, items, 600)
    return BenchmarkIndex(items), inputs, outputs


def test_match_words_on_a_row_mask_is_match_of_those_rows(corpus):
    index, inputs, outputs = corpus
    norm_in, norm_out = normalize(inputs), normalize(outputs)
    words = (Words.of(norm_in), Words.of(norm_out))
    every, every_matches = index.match(norm_in, norm_out, details=True)
    assert (every > 0).sum() >= 40  # the planted copies are found
    rows = np.random.default_rng(5).random(len(inputs)) < 0.6
    masks, matches = index.match_words(norm_in, norm_out, *words, rows=rows, details=True)
    take = np.flatnonzero(rows)
    alone, alone_matches = index.match(
        norm_in.take(pa.array(take)), norm_out.take(pa.array(take)), details=True
    )
    np.testing.assert_array_equal(masks[take], alone)
    assert not masks[~rows].any()
    assert matches == {int(take[k]): hits for k, hits in alone_matches.items()}
    assert list(matches) == [int(take[k]) for k in alone_matches]  # in the same order
    full, full_matches = index.match_words(norm_in, norm_out, *words, details=True)
    np.testing.assert_array_equal(full, every)
    assert full_matches == every_matches


@pytest.mark.parametrize("action", ["remove", "flag"])
def test_every_num_proc_finds_the_same_overlaps(tmp_path, corpus, action):
    index, inputs, outputs = corpus
    count = len(inputs)
    table = pa.table(
        {
            "id": [f"{k:016x}" for k in range(count)],
            "instruction": ["Answer this question truthfully"] * count,
            "input": inputs,
            "output": outputs,
            "source": ["wikidoc"] * count,
            "subset": [""] * count,
            "source_id": [str(k) for k in range(count)],
            "license": ["CC-BY-SA-4.0"] * count,
        },
        schema=ARROW_SCHEMA,
    )
    settings = QualitySettings(decontamination=Decontamination(action=action))
    found = []
    for num_proc in (1, 2):
        pieces = [("train", table.slice(s, 100)) for s in range(0, count, 100)]
        pieces.append(("test", table.slice(0, 100)))  # test rows are never checked
        with QualityRun(
            settings, {"wikidoc": SourcePolicy()}, index=index, num_proc=num_proc, details=True
        ) as run:
            run.run(pieces, progress=False)
            found.append((run.matches, run.previews, run.source_stats(), run.split_counts()))
    assert found[0] == found[1]
    matches = found[0][0]
    assert len(matches) >= 40 and max(matches) < count
    assert {m.benchmark for hits in matches.values() for m in hits} == {"medqa", "medmcqa"}
