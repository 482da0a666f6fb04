"""Write a large mixture's rows and ~15k benchmark items for benchmarks/bench_quality.py.

The rows are meadow's columns (as the mixer hands them to the quality steps) in a zstd
parquet file; the texts are made of a Zipf-distributed vocabulary of 60,000 invented words,
with inputs of ~30 and outputs of ~70 words on average (lognormal, as in the medAlpaca
mixture: short flashcards next to long forum answers). Planted: 2% exact duplicates
(another row with its case and punctuation changed), 1% near duplicates (a few output words
changed) and 0.3% contaminated rows (a 20-word run of a benchmark question in the input).

The items mimic the sizes of the real benchmarks: 325 USMLE and 1,273 MedQA vignettes of
~110 words, 10,333 MedMCQA one-liners of ~12 words with four short options, 1,000 PubMedQA
abstracts of ~250 words and 1,800 MMLU questions of ~25 words: 14,731 items.

    python benchmarks/gen_quality.py OUT_DIR --rows 1000000 [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from meadow.quality.text import word_list  # noqa: E402
from meadow.schema import ARROW_SCHEMA, record_id  # noqa: E402

VOCABULARY = 60_000
BATCH = 10_000
# name, items, question words, option words (0: a yes/no/maybe item)
BENCHMARK_SHAPES = [
    ("usmle", 325, 110, 4),
    ("medqa", 1_273, 110, 3),
    ("medmcqa", 10_333, 12, 2),
    ("pubmedqa", 1_000, 250, 0),
    ("mmlu", 1_800, 25, 3),
]
# the most frequent words are English function words, as in real text
FUNCTION_WORDS = word_list(
    """
    the of and to a in is that for it as with was on be by are this or at from have an not
    which but has were can may their been more also its other these than after who when
    should there all if most into some
    """
)
SYLLABLES = [c + v for c in "bklmnrstv" for v in "aeiou"]


def vocabulary() -> list[str]:
    """60,000 distinct invented words of two to four syllables, in a fixed order."""
    rng = np.random.default_rng(1234)
    syllables = np.array(SYLLABLES, dtype=object)
    parts = syllables[rng.integers(0, len(SYLLABLES), size=(3 * VOCABULARY, 4))]
    sizes = rng.integers(2, 5, size=3 * VOCABULARY)
    words = dict.fromkeys(FUNCTION_WORDS)
    words.update(dict.fromkeys("".join(row[:n]) for row, n in zip(parts, sizes, strict=True)))
    return list(words)[:VOCABULARY]


class Texts:
    """Random texts over the vocabulary, Zipf-distributed, with sentence punctuation."""

    def __init__(self, seed: int):
        self.words = np.array(vocabulary(), dtype=object)
        ranks = np.arange(1, VOCABULARY + 1)
        weights = 1 / ranks**1.05
        self.cdf = np.cumsum(weights / weights.sum())
        self.rng = np.random.default_rng(seed)

    def lengths(self, n: int, mean: float) -> np.ndarray:
        sigma = 0.8
        raw = self.rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, n)
        return np.clip(raw.astype(int), 1, 600)

    def many(self, lengths: np.ndarray, rare: float = 0.0) -> list[str]:
        """Texts of these lengths; a share `rare` of their words drawn uniformly (the rare
        content words that make a benchmark item specific)."""
        total = int(lengths.sum())
        picks = np.searchsorted(self.cdf, self.rng.random(total))
        uniform = self.rng.random(total) < rare
        picks[uniform] = self.rng.integers(0, VOCABULARY, int(uniform.sum()))
        words = self.words[np.minimum(picks, VOCABULARY - 1)]
        out, at = [], 0
        for n in lengths.tolist():
            chunk = words[at : at + n].tolist()
            at += n
            for k in range(14, len(chunk), 15):
                chunk[k] += "."
            chunk[0] = chunk[0].capitalize()
            out.append(" ".join(chunk) + ".")
        return out


def write_items(folder: Path, seed: int = 0) -> Path:
    """The benchmark items as JSON lines: {benchmark, id, question, options}."""
    texts = Texts(seed + 1)
    path = folder / "items.jsonl"
    with path.open("w") as out:
        for name, count, words, option_words in BENCHMARK_SHAPES:
            questions = texts.many(np.maximum(texts.lengths(count, words), 4), rare=0.5)
            choices = (
                texts.many(texts.lengths(4 * count, option_words), 0.5) if option_words else []
            )
            for i, question in enumerate(questions):
                if option_words:
                    options = dict(zip("ABCD", choices[4 * i : 4 * i + 4], strict=True))
                else:
                    options = {"A": "yes", "B": "no", "C": "maybe"}
                item = {"benchmark": name, "id": f"{name}/{i}", "question": question}
                out.write(json.dumps({**item, "options": options}) + "\n")
    return path


def read_items(path: Path):
    """The items as meadow's `EvalItem`s, by benchmark."""
    from meadow.schema import EvalItem

    found: dict[str, list] = {}
    for line in path.open():
        item = json.loads(line)
        name = item["benchmark"]
        found.setdefault(name, []).append(
            EvalItem(name, "test", item["id"], item["question"], item["options"], "A")
        )
    return found


def _plant(texts: Texts, inputs: list[str], outputs: list[str], questions: list[str]) -> None:
    """Duplicates, near duplicates and contaminated rows, in place (2%, 1%, 0.3%)."""
    rng = texts.rng
    n = len(inputs)
    for i in rng.choice(np.arange(1, n), size=n // 50, replace=False):
        j = int(rng.integers(0, i))
        inputs[i], outputs[i] = inputs[j].upper().replace(".", " !"), outputs[j].lower()
    for i in rng.choice(np.arange(1, n), size=n // 100, replace=False):
        j = int(rng.integers(0, i))
        words = outputs[j].split()
        for k in rng.choice(len(words), size=min(3, max(1, len(words) // 25)), replace=False):
            words[k] = "changed"
        inputs[i], outputs[i] = inputs[j], " ".join(words)
    for i in rng.choice(n, size=max(1, n * 3 // 1000), replace=False):
        words = questions[int(rng.integers(0, len(questions)))].split()
        start = int(rng.integers(0, max(1, len(words) - 20)))
        inputs[i] = "Case: " + " ".join(words[start : start + 20]) + " " + inputs[i]


def write_rows(folder: Path, rows: int, items: Path, seed: int = 0) -> Path:
    """`rows` mixture rows in batches of 10,000 into rows.parquet."""
    texts = Texts(seed)
    questions = [
        json.loads(line)["question"]
        for line in items.open()
        if json.loads(line)["benchmark"] in ("usmle", "medqa", "pubmedqa")
    ]
    path = folder / "rows.parquet"
    with pq.ParquetWriter(path, ARROW_SCHEMA, compression="zstd") as writer:
        for start in range(0, rows, BATCH):
            n = min(BATCH, rows - start)
            inputs = texts.many(texts.lengths(n, 30))
            outputs = texts.many(texts.lengths(n, 70))
            _plant(texts, inputs, outputs, questions)
            sources = ["chatdoctor" if k % 3 == 0 else "wikidoc" for k in range(n)]
            ids = [str(start + k) for k in range(n)]
            table = {
                "id": [record_id(s, "", i) for s, i in zip(sources, ids, strict=True)],
                "instruction": ["Answer this question truthfully"] * n,
                "input": inputs,
                "output": outputs,
                "source": sources,
                "subset": [""] * n,
                "source_id": ids,
                "license": ["CC-BY-SA-4.0"] * n,
            }
            writer.write_table(pa.table(table, schema=ARROW_SCHEMA))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    items = write_items(args.out, args.seed)
    write_rows(args.out, args.rows, items, args.seed)
    print(f"wrote {args.out / 'rows.parquet'} ({args.rows:,} rows) and {items}")


if __name__ == "__main__":
    main()
