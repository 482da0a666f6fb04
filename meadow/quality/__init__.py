"""Data hygiene between the mixer and the store, one step per module.

* `exact`: exact duplicates (normalised input + output; optionally input alone);
* `near`: near duplicates (MinHash LSH with datasketch);
* `decontam`: overlap with the evaluation items of USMLE, MedQA, MedMCQA, PubMedQA and MMLU
  (`benchmarks` finds their raw files and reads their items);
* `pii`: personal details in dialogue sources replaced with typed placeholders;
* `filters`: lengths, answers that copy the question, ChatDoctor's boilerplate, language;
* `run`: the passes over a build's rows, and the counts for the manifest and the card;
* `settings`: the recipe's `quality:` block.

Every step is on by default and is switched off or tuned in the recipe; `meadow audit`
runs the duplicate and contamination checks on any mixture or file without building.
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from meadow.errors import BenchmarkMissingError
from meadow.quality.benchmarks import BenchmarkQuestions, Benchmarks, find_benchmarks
from meadow.quality.decontam import BenchmarkIndex, Match
from meadow.quality.run import QualityRun
from meadow.quality.settings import BENCHMARKS, QUALITY_VERSION, QualitySettings, SourcePolicy

__all__ = [
    "BENCHMARKS",
    "QUALITY_VERSION",
    "BenchmarkQuestions",
    "BenchmarkIndex",
    "BenchmarkMissingError",
    "Benchmarks",
    "Match",
    "QualityRun",
    "QualitySettings",
    "SourcePolicy",
    "find_benchmarks",
    "libraries",
    "source_policy",
]


def source_policy(
    source: type,
    *,
    pii: bool | None = None,
    language: str | bool | None = None,
    evaluation_subsets: frozenset[str] = frozenset(),
) -> SourcePolicy:
    """A source's policy: its class's defaults (`scrub_pii`, `language`, `boilerplate`),
    with a recipe's `pii:` and `language:` on top."""
    if language is None:
        language = getattr(source, "language", None)
    return SourcePolicy(
        pii=getattr(source, "scrub_pii", False) if pii is None else pii,
        language=language or None,
        boilerplate=getattr(source, "boilerplate", False),
        evaluation_subsets=evaluation_subsets,
    )


def libraries() -> dict[str, Any]:
    """The versions of the libraries whose output the quality steps depend on."""
    return {name: version(name) for name in ("datasketch", "py3langid")}
