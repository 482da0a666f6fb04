"""Deterministic multiple-choice evaluation on medical benchmarks (`meadow eval`).

    from meadow.eval import evaluate
    result = evaluate("adapters/my-run", benchmarks=["usmle", "medqa"],
                      raw={"usmle": "./usmle", "medqa": "./MedQA/US"})
    result.results["benchmarks"]["usmle"]["accuracy"]

`benchmarks` reads the items (through the sources), `model` loads what is evaluated,
`scoring` runs the model (option log-likelihood, greedy answers), `extract` reads a letter
out of a generated answer, `results` writes and resumes the result files, `card` puts the
results in the model card, `run` joins them. torch is imported only when a model is loaded.
"""

from __future__ import annotations

from meadow.errors import EvalError
from meadow.eval.benchmarks import (
    BENCHMARK_NAMES,
    DEFAULT_BENCHMARKS,
    BenchmarkItems,
    EvalBenchmark,
    get_benchmark,
    load_benchmark,
)
from meadow.eval.extract import extract_letter
from meadow.eval.run import MEDALPACA_PRIME, MODES, EvaluationResult, evaluate

__all__ = [
    "BENCHMARK_NAMES",
    "DEFAULT_BENCHMARKS",
    "MEDALPACA_PRIME",
    "MODES",
    "EvalBenchmark",
    "BenchmarkItems",
    "EvalError",
    "EvaluationResult",
    "evaluate",
    "extract_letter",
    "get_benchmark",
    "load_benchmark",
]
