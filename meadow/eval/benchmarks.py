"""The benchmarks `meadow eval` scores, and their items, read by the sources themselves.

A benchmark is a source's structured evaluation items (`Source.evaluation_items`), so an
item is left out for the same reason its training record would be, and the two share an
id. What a benchmark adds is which raw files hold it, how it is asked and answered, and
what it is called on the Hub:

* `usmle`: Steps 1-3 of the self-assessment (image questions and questions without
  options excluded and counted), reported per step; a copy without
  `question_with_images.json` has its image questions found by their own `image` /
  `image_url` keys, and the results' note says so;
* `medqa` / `medqa5`: MedQA's US test split, 4 options (the variant papers report) or 5;
* `medmcqa`: MedMCQA's dev split (its test split has no public answers);
* `pubmedqa`: PQA-L's official test split, the 500 PMIDs of `test_ground_truth.json` from
  github.com/pubmedqa/pubmedqa (downloaded beside `ori_pqal.json`, or found in the
  `--raw` folder); without that file all 1,000 labelled items are scored, and the results
  say so;
* `mmlu`: the health subjects' test split, reported per subject.

An item is asked exactly as its training row was written: the source's default
instruction (the first of its paraphrases) and, as input, the question with its options
formatted by `meadow.converters.multiple_choice` (PubMedQA: the abstract and the question).
The answer an option stands for is the training row's output: `"C: text"` for a lettered
question, the decision word (`yes`, `no`, `maybe`) for PubMedQA.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from meadow.converters.multiple_choice import format_answer, format_question
from meadow.download import download, sha256_file
from meadow.errors import DownloadError, EvalError, RawFileError
from meadow.raw import resolve_raw
from meadow.schema import EvalItem
from meadow.sources import get_source
from meadow.sources.base import Skip, Source
from meadow.sources.usmle import UsmleSource

logger = logging.getLogger("meadow.eval")

ITEMS_VERSION = "1"  # bump when the same raw files give other items or prompts
PUBMEDQA_TEST_FILE = "test_ground_truth.json"
PUBMEDQA_TEST_URL = (
    "https://raw.githubusercontent.com/pubmedqa/pubmedqa/master/data/" + PUBMEDQA_TEST_FILE
)
NOT_IN_TEST_SPLIT = "not_in_test_split"


@dataclass(frozen=True)
class EvalBenchmark:
    """One benchmark: where its items come from and how they are asked.

    Attributes:
        name: what `--bench` takes.
        source: the source whose evaluation items these are (what `--raw SOURCE=` names).
        title: the name shown in tables and cards.
        split: the split of the corpus that is scored.
        hub_dataset, hub_config: the Hub dataset the card's `model-index` points to.
        task: the Hub task type (`multiple-choice`, `question-answering`).
        answers: `choice` (the answer is `"C: text"`) or `decision` (the option's text).
        source_options: options for the source (MedQA's `option_count`).
        group: the item `meta` key results are also reported by (`step`, `subject`).
        keep: which of the source's raw files hold the scored split.
    """

    name: str
    source: str
    title: str
    split: str
    hub_dataset: str
    hub_config: str | None = None
    task: str = "multiple-choice"
    answers: str = "choice"
    source_options: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    keep: Callable[[Path], bool] = lambda path: True

    def adapter(self) -> Source:
        return get_source(self.source)(**self.source_options)

    def prompt(self, item: EvalItem, instruction: str) -> tuple[str, str]:
        """(instruction, input) of the item, as its training row has them."""
        if self.answers == "decision":
            return instruction, item.question
        return instruction, format_question(item.question, item.options)

    def answer(self, item: EvalItem, letter: str) -> str:
        """The response that picks `letter`, as training wrote responses."""
        if self.answers == "decision":
            return item.options[letter]
        return format_answer(letter, item.options)

    def group_of(self, item: EvalItem) -> str | None:
        """The item's group key (`step1`, `anatomy`), or None."""
        value = item.meta.get(self.group) if self.group else None
        if value is None:
            return None
        return f"step{value}" if self.group == "step" else str(value)

    def group_label(self, key: str) -> str:
        """A group as tables show it: `Step 1`, `clinical knowledge`."""
        if self.group == "step":
            return "Step " + key.removeprefix("step")
        return key.replace("_", " ")


def _split_is(split: str, split_of: Callable[[Path], str]) -> Callable[[Path], bool]:
    return lambda path: split_of(path) == split


def _mmlu_test(path: Path) -> bool:
    return path.suffix.lower() == ".tar" or path.stem.endswith("_test")


def _pubmedqa_labelled(path: Path) -> bool:
    from meadow.sources.pubmedqa import FILES

    return FILES.get(path.name) == "labelled"


def _benchmarks() -> dict[str, EvalBenchmark]:
    from meadow.sources import medmcqa, medqa

    medqa_test = _split_is("test", medqa.split_of)
    return {
        b.name: b
        for b in (
            EvalBenchmark(
                "usmle",
                "usmle",
                "USMLE self-assessment",
                "test",
                "medalpaca/medical_meadow_usmle_self_assessment",
                group="step",
            ),
            EvalBenchmark(
                "medqa",
                "medqa",
                "MedQA (USMLE, 4 options)",
                "test",
                "bigbio/med_qa",
                hub_config="med_qa_en_4options_source",
                source_options={"option_count": 4},
                keep=medqa_test,
            ),
            EvalBenchmark(
                "medqa5",
                "medqa",
                "MedQA (USMLE, 5 options)",
                "test",
                "bigbio/med_qa",
                hub_config="med_qa_en_source",
                source_options={"option_count": 5},
                keep=medqa_test,
            ),
            EvalBenchmark(
                "medmcqa",
                "medmcqa",
                "MedMCQA",
                "dev",
                "openlifescienceai/medmcqa",
                keep=_split_is("dev", medmcqa.split_of),
            ),
            EvalBenchmark(
                "pubmedqa",
                "pubmedqa",
                "PubMedQA (PQA-L)",
                "test",
                "qiaojin/PubMedQA",
                hub_config="pqa_labeled",
                task="question-answering",
                answers="decision",
                keep=_pubmedqa_labelled,
            ),
            EvalBenchmark(
                "mmlu",
                "mmlu",
                "MMLU (health subjects)",
                "test",
                "cais/mmlu",
                group="subject",
                keep=_mmlu_test,
            ),
        )
    }


BENCHMARK_NAMES: tuple[str, ...] = ("usmle", "medqa", "medqa5", "medmcqa", "pubmedqa", "mmlu")
DEFAULT_BENCHMARKS: tuple[str, ...] = ("usmle", "medqa", "medmcqa", "pubmedqa", "mmlu")


def get_benchmark(name: str) -> EvalBenchmark:
    """The benchmark `name`; the error lists the ones there are."""
    found = _benchmarks().get(name)
    if found is None:
        raise EvalError(f"unknown benchmark {name!r}; available: {', '.join(BENCHMARK_NAMES)}")
    return found


@dataclass
class BenchmarkItems:
    """A benchmark's items, ready to score.

    Attributes:
        benchmark: what they are.
        items: the scored items, in the raw files' order.
        excluded: items left out, by reason (`has_image`, `empty_options`, …).
        instruction: the instruction every item is asked with.
        revision: a fingerprint of the items (the source's adapter version and options,
            the sha256 of the raw files that hold them); the card's dataset revision.
        raw_files: name and sha256 of each raw file read.
        split: the split scored (PubMedQA without its test split file: `labelled`).
        note: what a reader of the results must know (PubMedQA without its test split,
            USMLE without its image list).
    """

    benchmark: EvalBenchmark
    items: list[EvalItem]
    excluded: Counter
    instruction: str
    revision: str
    raw_files: list[dict[str, str]]
    split: str = ""
    note: str | None = None


def sample_path(source: str) -> Path:
    """The bundled sample corpus of a source (invented text, for trying meadow offline)."""
    return Path(str(resources.files("meadow") / "samples" / source))


def load_benchmark(benchmark: EvalBenchmark, raw: Path | None = None) -> BenchmarkItems:
    """The items of `benchmark` from `raw` (`--raw`), or from the download cache.

    Raw files are found as `meadow build` finds them (`meadow.raw.resolve_raw`): a source
    that cannot be downloaded stops with where to get its files and which flag takes them.
    """
    source = benchmark.adapter()
    path = resolve_raw(source, raw)
    shards = [s for s in source.shards(path) if benchmark.keep(s)]
    test_split = _pubmedqa_test_split(path, raw is None) if benchmark.name == "pubmedqa" else None
    items: list[EvalItem] = []
    excluded: Counter = Counter()
    for shard in shards:
        for item in source.evaluation_items(shard):
            if isinstance(item, Skip):
                excluded[item.reason] += item.count
            elif test_split is not None and item.source_id not in test_split[1]:
                excluded[NOT_IN_TEST_SPLIT] += 1
            else:
                items.append(item)
    if not items:
        raise RawFileError(
            path,
            f"holds no items of benchmark {benchmark.name!r} ({benchmark.title}, "
            f"{benchmark.split} split); {source.how_to_get}",
        )
    read = list(shards) + ([test_split[0]] if test_split else [])
    raw_files = [{"name": _relative(s, path), "sha256": sha256_file(s)} for s in read]
    key = {
        "benchmark": benchmark.name,
        "items_version": ITEMS_VERSION,
        "source": source.fingerprint_data(),
        "raw_files": raw_files,
    }
    note, split = None, benchmark.split
    if isinstance(source, UsmleSource):  # a copy without question_with_images.json
        note = source.image_rule(path)
    if benchmark.name == "pubmedqa" and test_split is None:
        split = "labelled"
        note = (
            f"all labelled items scored: {PUBMEDQA_TEST_FILE} (the official 500-item test "
            "split) was not found beside ori_pqal.json"
        )
    return BenchmarkItems(
        benchmark=benchmark,
        items=items,
        excluded=Counter(dict(sorted(excluded.items()))),
        instruction=source.instruction,
        revision=hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16],
        raw_files=raw_files,
        split=split,
        note=note,
    )


def _relative(shard: Path, raw: Path) -> str:
    if raw.is_dir():
        try:
            return shard.relative_to(raw).as_posix()
        except ValueError:
            pass
    return shard.name


def _pubmedqa_test_split(raw: Path, downloaded: bool) -> tuple[Path, frozenset[str]] | None:
    """(file, PMIDs) of PubMedQA's official test split, or None when it is not there.

    It is looked for in the `--raw` folder (or beside the given ori_pqal.json); beside a
    downloaded ori_pqal.json it is downloaded too.
    """
    folder = raw if raw.is_dir() else raw.parent
    found = sorted(folder.rglob(PUBMEDQA_TEST_FILE)) if raw.is_dir() else []
    path = found[0] if found else folder / PUBMEDQA_TEST_FILE
    if not path.is_file() and downloaded:
        try:
            download(PUBMEDQA_TEST_URL, path, source="pubmedqa")
        except DownloadError as error:
            logger.warning("pubmedqa: %s", error)
    if not path.is_file():
        return None
    try:
        answers = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise RawFileError(
            path, f"not JSON ({error}); download {PUBMEDQA_TEST_URL} again"
        ) from None
    if not isinstance(answers, dict) or not answers:
        raise RawFileError(path, "expected an object of PMID -> yes/no/maybe (the test split)")
    return path, frozenset(str(pmid) for pmid in answers)


__all__ = [
    "BENCHMARK_NAMES",
    "DEFAULT_BENCHMARKS",
    "EvalBenchmark",
    "BenchmarkItems",
    "get_benchmark",
    "load_benchmark",
    "sample_path",
]
