"""The per-batch quality work (`scan_batch`) and `--num-proc`: the same decisions as the
row-by-row steps on realistic text, and the same bytes for every number of processes."""

from __future__ import annotations

import functools
import hashlib
import json
import random
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

import meadow.mixer
from meadow import build
from meadow.quality.filters import LanguageCheck, shape_reasons, strip_boilerplate
from meadow.quality.pii import _NAME_PATTERNS, Scrubber, may_name_relatives
from meadow.quality.scan import BatchJob, scan_batch
from meadow.quality.settings import Filters
from meadow.quality.text import normalize

SNIPPETS = Path(__file__).with_name("pii_snippets.yaml")
OPENINGS = ["Hi, Thanks for your query.", "Hello, Welcome to Chat Doctor.", "Dear friend,", ""]
CLOSINGS = ["Hope this helps. Regards, Chat Doctor.", "Take care.", "Regards, Dr. Anil Mehta", ""]
OTHER_LANGUAGE = [
    "Hola doctor, tengo fiebre y dolor de garganta desde hace tres días y no puedo dormir.",
    "Bonjour docteur, j'ai mal à la tête depuis une semaine et je me sens très fatigué.",
    "Guten Tag, ich habe seit zwei Wochen Husten und manchmal Fieber am Abend.",
]


def realistic_rows(count: int, seed: int = 0) -> list[tuple[str, str]]:
    """(input, output) pairs in ChatDoctor's style: labelled patient messages with personal
    details (tests/quality/pii_snippets.yaml), their sentences recombined, greetings and
    sign-offs around the answers, a few texts in other languages and a few empty ones."""
    texts = [e["text"] for e in yaml.safe_load(SNIPPETS.read_text())]
    sentences = [s.strip() + "." for t in texts for s in t.split(". ") if s.strip()]
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.03:
            rows.append((rng.choice(OTHER_LANGUAGE), rng.choice(OTHER_LANGUAGE)))
            continue
        question = rng.choice(texts) if roll < 0.5 else " ".join(rng.sample(sentences, 4))
        body = " ".join(rng.sample(sentences, rng.randint(1, 6)))
        answer = f"{rng.choice(OPENINGS)} {body} {rng.choice(CLOSINGS)}".strip()
        rows.append((question, "" if roll > 0.995 else answer))
    return rows


def _job(rows: list[tuple[str, str]], codes: list[int], evaluation: list[bool]) -> BatchJob:
    return BatchJob(
        inputs=pa.array([a for a, _ in rows], pa.string()),
        outputs=pa.array([b for _, b in rows], pa.string()),
        codes=np.asarray(codes, np.int16),
        subsets=[""] * len(rows),
        evaluation=np.asarray(evaluation, bool),
        sources=["doctor", "plain"],
        boilerplate=[True, False],
        pii=[True, False],
        languages=["en", None],
        filters=Filters(),
        exact_dedup=True,
        by_input=True,
    )


def _row_by_row(job: BatchJob) -> tuple[list[str], list[str], list[str | None], Counter]:
    """What the steps decided before they worked in batches: one row at a time."""
    inputs, outputs = job.inputs.to_pylist(), job.outputs.to_pylist()
    replaced: Counter[str] = Counter()
    for i, code in enumerate(job.codes.tolist()):
        if code != 0 or job.evaluation[i]:
            continue
        outputs[i] = strip_boilerplate(outputs[i])
        scrubber = Scrubber()
        new_in, new_out = scrubber.scrub(inputs[i]), scrubber.scrub(outputs[i])
        if scrubber.counts:
            inputs[i], outputs[i] = new_in, new_out
            replaced.update(scrubber.counts)
    a, b = pa.array(inputs, pa.string()), pa.array(outputs, pa.string())
    reasons = shape_reasons(
        a, b, normalize(a), normalize(b), **{
            "min_input_chars": 0, "min_output_chars": 1, "max_chars": 100_000,
            "copied_question": True,
        }
    )  # fmt: skip
    rows = [
        i
        for i, c in enumerate(job.codes.tolist())
        if c == 0 and reasons[i] is None and not job.evaluation[i]
    ]
    other = LanguageCheck().other_language([f"{inputs[i]}\n{outputs[i]}" for i in rows], "en")
    for i in np.asarray(rows, int)[other].tolist():
        reasons[i] = "not_en"
    return inputs, outputs, reasons, replaced


def test_scan_batch_decides_as_the_row_by_row_steps_did():
    rows = realistic_rows(3000)
    rng = random.Random(1)
    codes = [0 if rng.random() < 0.8 else 1 for _ in rows]
    evaluation = [rng.random() < 0.02 for _ in rows]
    job = _job(rows, codes, evaluation)
    done = scan_batch(job)
    inputs, outputs, reasons, replaced = _row_by_row(job)
    assert done.inputs.to_pylist() == inputs and done.outputs.to_pylist() == outputs
    assert done.reasons == reasons
    assert done.pii == {"doctor": replaced}
    assert sum(replaced.values()) > 1000 and set(replaced) == {
        "email", "url", "phone", "postcode", "id", "name", "address", "date"
    }  # fmt: skip
    assert Counter(reasons)["not_en"] > 10
    assert done.stripped["doctor"] > 1000


def _write_chatdoctor(folder: Path, rows: list[tuple[str, str]]) -> Path:
    items = [{"instruction": "Answer as a doctor.", "input": a, "output": b} for a, b in rows]
    folder.mkdir(parents=True)
    (folder / "HealthCareMagic-100k.json").write_text(json.dumps(items, indent=4))
    return folder


def _revision_files(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_num_proc_gives_the_same_bytes(tmp_path, monkeypatch):
    rows = realistic_rows(1200, seed=2)
    rows += [(a + "!", b) for a, b in rows[:40]]  # copies but for punctuation: duplicates
    raw = _write_chatdoctor(tmp_path / "chatdoctor", rows)
    # small pieces, so that more batches are in flight than workers
    pieces = functools.partialmethod(meadow.mixer.Selection.iter_tables, batch_rows=100)
    monkeypatch.setattr(meadow.mixer.Selection, "iter_tables", pieces)
    options = {"sources": ["chatdoctor"], "raw": {"chatdoctor": raw}, "name": "par"}
    options.update(validation=0.1, test=0.1)
    one = build(**options, num_proc=1)
    monkeypatch.setenv("MEADOW_HOME", str(tmp_path / "other_home"))
    two = build(**options, num_proc=2)
    assert one.revision == two.revision
    files = _revision_files(one.path)
    assert "removed.parquet" in files and "manifest.json" in files
    assert files == _revision_files(two.path)
    doctor = one.manifest["sources"]["chatdoctor"]
    assert doctor["removed"]["duplicate"] >= 30 and doctor["removed"]["filtered"]["not_en"]
    assert all(doctor["splits"].values())
    assert sum(doctor["pii_replaced"].values()) > 500


def _cased_characters() -> list[str]:
    """Every character with a case mapping, and the ones Python's `re` folds specially."""
    chars = (chr(u) for u in range(0x30000) if not 0xD800 <= u < 0xE000)
    return [c for c in chars if c.lower() != c or c.upper() != c or c in "ıİſK"]


def test_the_relation_prefilter_finds_all_that_re_finds():
    # per character: every character Python's case-insensitive `re` takes for a letter of
    # the relation words (or the `[a-z]` class) is taken by the RE2 prefilter too
    chars = _cased_characters()
    texts = pa.array(chars)
    for piece, re2 in [(c, f"[{c}]") for c in "abcdefghijklmnopqrstuvwxyz"] + [
        ("[a-z]", "[a-zA-ZİıſK]")
    ]:
        re2 = re2.replace("[i]", "[iIİı]")
        by_re = {c for c in chars if re.fullmatch(f"(?i:{piece})", c)}
        by_re2 = pc.match_substring_regex(texts, f"^(?i:{re2})$").to_numpy(zero_copy_only=False)
        assert by_re <= {chars[k] for k in np.flatnonzero(by_re2)}, piece
    # per text: where the relation pattern matches, the prefilter says it may
    rows = realistic_rows(2000, seed=3)
    texts = [t for row in rows for t in row] + [
        "my mother-in-law (Dr. Ann Lee) and my SON, Jake",
        "MY FATHER, ROBERT",
        "our paedİatrician Dr Okafor",
    ]
    may = may_name_relatives(pa.array(texts))
    matched = [bool(_NAME_PATTERNS[6].search(t)) for t in texts]
    assert sum(matched) > 50 and not any(m and not p for m, p in zip(matched, may, strict=True))
    assert sum(may) < len(texts) / 2  # it spares most texts the pattern
