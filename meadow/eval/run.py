"""`evaluate()`: benchmarks' items → a model's answers → result files and the model card.

One linear recipe:

1. the items of every benchmark, read by their sources (raw files found as `meadow build`
   finds them), with exclusions counted by reason; this fails before any model is loaded;
2. the model (a Hub id, a model folder, an adapter folder with its base), its tokenizer and
   the template it was trained with;
3. per benchmark, items in fixed batches: log-likelihood of every option, or a greedy
   answer; one JSON line per item, appended as batches finish, so an interrupted run
   resumes where it stopped (`OUTPUT/eval_run.json` holds the settings it must match);
4. `results.json` and the table, computed from the JSON lines (benchmarks an earlier run
   wrote to the same folder, with the same settings, are kept);
5. the model card with the results (`OUTPUT/README.md`; a meadow adapter's own card is
   updated too), and with `push_repo`, the card on the Hub in one commit.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from meadow._version import __version__
from meadow.errors import EvalError, RecipeError
from meadow.eval.benchmarks import (
    DEFAULT_BENCHMARKS,
    BenchmarkItems,
    get_benchmark,
    load_benchmark,
    sample_path,
)
from meadow.eval.card import CardPushResult, card_results, hub_for, model_name, push_card
from meadow.eval.results import ItemLog, dumps, summarize, write_json
from meadow.paths import meadow_home
from meadow.progress import ProgressBars

MODES = ("loglik", "generate")
SETTINGS_FILE = "eval_run.json"
RESULTS_FILE = "results.json"
CARD_FILE = "README.md"
DEFAULT_BATCH_SIZE = 4
DEFAULT_MAX_NEW_TOKENS = 32
TOO_LONG = "too_long"
MEDALPACA_PRIME = "The Answer to the question is:"


@dataclass(frozen=True)
class EvaluationResult:
    """What an evaluation wrote.

    Attributes:
        output_dir: the folder of the result files.
        results: what `results.json` holds (per benchmark: accuracy, interval, items
            scored and excluded, groups; the model and the settings).
        card: the model card with the results (`OUTPUT/README.md`).
        adapter_card: a meadow adapter's own card, updated too; None otherwise.
        pushed: where the card was published, when it was.
    """

    output_dir: Path
    results: dict[str, Any]
    card: Path
    adapter_card: Path | None = None
    pushed: CardPushResult | None = None


def evaluate(
    model: str | Path,
    *,
    adapter: str | Path | None = None,
    benchmarks: Sequence[str] = DEFAULT_BENCHMARKS,
    raw: Mapping[str, str | Path] | None = None,
    samples: bool = False,
    mode: str = "loglik",
    template: str | None = None,
    limit: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    output: str | Path | None = None,
    prime: str = "",
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    device: str = "auto",
    push_repo: str | None = None,
    progress: bool | None = None,
) -> EvaluationResult:
    """Score `model` on `benchmarks` and write the results; see the module docstring.

    `raw` maps a source (`usmle`, `medqa`, …) to its raw file or folder; `samples` takes
    the bundled sample corpora for the others (invented text, for trying meadow offline).
    `mode` is `loglik` (option log-likelihood) or `generate` (greedy answers, `prime`
    starting each response; `"medalpaca"` is medAlpaca's "The Answer to the question is:").
    """
    _check_arguments(mode, limit, batch_size, max_new_tokens)
    prime = MEDALPACA_PRIME if prime == "medalpaca" else prime
    chosen = [get_benchmark(name) for name in dict.fromkeys(benchmarks)]
    if not chosen:
        raise EvalError("--bench: name at least one benchmark")
    raw = {name: Path(path) for name, path in (raw or {}).items()}
    sources = sorted({b.source for b in chosen})
    stray = sorted(set(raw) - set(sources))
    if stray:
        raise RecipeError(
            f"--raw {stray[0]}",
            f"source {stray[0]!r} is not read by these benchmarks (sources: {', '.join(sources)})",
        )
    if samples:
        raw = {source: raw.get(source) or sample_path(source) for source in sources}
    hub = hub_for(push_repo) if push_repo else None  # a bad token stops before any work

    # 1. the items (before the model: a missing raw file should not wait for a 7B load)
    loaded = [load_benchmark(b, raw.get(b.source)) for b in chosen]

    # 2. the model
    from meadow.eval.model import load_model

    lm = load_model(model, adapter=adapter, template=template, device=device)
    out = Path(output).expanduser() if output else _default_output(lm.info.model, mode)
    out.mkdir(parents=True, exist_ok=True)
    settings = {
        "mode": mode,
        "batch_size": batch_size,
        "model": lm.info.to_dict(),
        "benchmarks": {b.benchmark.name: b.revision for b in loaded},
    }
    if mode == "generate":
        settings.update(prime=prime, max_new_tokens=max_new_tokens)
    _check_settings(out, settings)

    # 3. scoring
    summaries: dict[str, Any] = {}
    with ProgressBars(unit="items", enabled=progress) as bars:
        for bench in loaded:
            summaries[bench.benchmark.name] = _run_benchmark(
                lm, bench, out, mode, batch_size, limit, prime, max_new_tokens, bars
            )

    # 4. the results
    from meadow.train.publish import library_versions

    command = _command(lm.info.model, adapter, [b.name for b in chosen], mode, template, prime)
    results = {
        "mode": mode,
        "model": lm.info.to_dict(),
        "benchmarks": {**_earlier_benchmarks(out), **summaries},
        "command": command,
        "versions": library_versions(),
        "meadow_version": __version__,
    }
    if mode == "generate":
        results["generation"] = {"prime": prime, "max_new_tokens": max_new_tokens}
    write_json(out / RESULTS_FILE, results)

    # 5. the card
    name = push_repo or model_name(lm.info)
    own = lm.info.card
    text = card_results(own.read_text(encoding="utf-8") if own else None, name, results)
    (out / CARD_FILE).write_text(text, encoding="utf-8")
    adapter_card = None
    if lm.info.meadow_adapter is not None and own is not None:
        own.write_text(text, encoding="utf-8")
        adapter_card = own
    pushed = None
    if push_repo:
        pushed = push_card(push_repo, partial(card_results, name=name, results=results), hub)
    return EvaluationResult(out, results, out / CARD_FILE, adapter_card, pushed)


# -- one benchmark ----------------------------------------------------------------------------


def _run_benchmark(
    lm: Any,
    bench: BenchmarkItems,
    out: Path,
    mode: str,
    batch_size: int,
    limit: int | None,
    prime: str,
    max_new_tokens: int,
    bars: ProgressBars,
) -> dict[str, Any]:
    """Score the items not yet in `OUTPUT/{name}.jsonl` and summarise them all."""
    from meadow.eval import scoring

    benchmark = bench.benchmark
    room = lm.max_positions
    prepared: list[tuple[Any, Any]] = []  # (item, encoded item or generation prompt)
    too_long = 0
    for item in bench.items:
        if mode == "loglik":
            encoded = scoring.encode_item(
                benchmark, item, bench.instruction, lm.template, lm.tokenizer
            )
            length = encoded.longest
        else:
            encoded = scoring.generation_prompt(
                benchmark, item, bench.instruction, lm.template, lm.tokenizer, prime
            )
            length = len(encoded) + max_new_tokens
        if room is not None and length > room:
            too_long += 1
            continue
        prepared.append((item, encoded))
    excluded = dict(bench.excluded)
    if too_long:
        excluded[TOO_LONG] = too_long
    wanted = len(prepared) if limit is None else min(limit, len(prepared))
    log = ItemLog(out / f"{benchmark.name}.jsonl", [item.id for item, _ in prepared])
    resumed = min(log.done, wanted)
    label = f"{benchmark.name} ({mode})" + (f", from {resumed}" if resumed else "")
    bar = bars.add(label, total=wanted - resumed)
    pad = lm.tokenizer.pad_token_id
    eos = lm.tokenizer.eos_token_id
    pad = pad if pad is not None else eos
    # batches are fixed slices of the item list: a resumed or limited run scores every
    # item in the same batch as a run straight through, so the numbers are the same
    start = log.done - log.done % batch_size
    for first in range(start, wanted if log.done < wanted else start, batch_size):
        batch = prepared[first : first + batch_size]
        if mode == "loglik":
            scores = scoring.option_scores(lm.model, [e for _, e in batch], lm.device, pad)
            lines = [
                _loglik_line(benchmark, item, s) for (item, _), s in zip(batch, scores, strict=True)
            ]
        else:
            answers = scoring.generate_answers(
                lm.model,
                [e for _, e in batch],
                lm.device,
                pad_id=pad,
                eos_id=eos,
                max_new_tokens=max_new_tokens,
                tokenizer=lm.tokenizer,
            )
            lines = [
                _generate_line(benchmark, item, text, scoring.read_answer(text, item, prime))
                for (item, _), text in zip(batch, answers, strict=True)
            ]
        new = lines[max(0, log.done - first) : wanted - first]
        log.append(new)
        bars.advance(bar, len(new))
    bars.finish(bar)
    summary = summarize(log.lines[:wanted], mode, grouped=benchmark.group is not None)
    summary.update(
        title=benchmark.title,
        source=benchmark.source,
        split=bench.split,
        revision=bench.revision,
        raw_files=bench.raw_files,
        instruction=bench.instruction,
        items=len(prepared),
        limit=limit,
        excluded=excluded,
    )
    if bench.note:
        summary["note"] = bench.note
    return summary


def _base_line(benchmark: Any, item: Any, prediction: str | None) -> dict[str, Any]:
    line = {
        "id": item.id,
        "source_id": item.source_id,
        "gold": item.answer,
        "prediction": prediction,
        "correct": prediction == item.answer,
    }
    if benchmark.group is not None:
        line["group"] = benchmark.group_of(item)
    return line


def _loglik_line(benchmark: Any, item: Any, scores: dict[str, Any]) -> dict[str, Any]:
    from meadow.eval.scoring import best

    line = _base_line(benchmark, item, best(scores, "mean"))
    by_sum = best(scores, "sum")
    line.update(prediction_sum=by_sum, correct_sum=by_sum == item.answer, scores=scores)
    return line


def _generate_line(
    benchmark: Any, item: Any, generation: str, prediction: str | None
) -> dict[str, Any]:
    line = _base_line(benchmark, item, prediction)
    line["generation"] = generation
    return line


# -- settings, paths, the command -------------------------------------------------------------


def _check_arguments(mode: str, limit: int | None, batch_size: int, max_new_tokens: int) -> None:
    if mode not in MODES:
        raise EvalError(f"--mode: expected one of {', '.join(MODES)}, got {mode!r}")
    if limit is not None and limit < 1:
        raise EvalError(f"--limit: expected a positive number of items, got {limit}")
    if batch_size < 1:
        raise EvalError(f"--batch-size: expected a positive number of questions, got {batch_size}")
    if max_new_tokens < 1:
        raise EvalError(f"--max-new-tokens: expected a positive number, got {max_new_tokens}")


def _check_settings(out: Path, settings: dict[str, Any]) -> None:
    """Resume only a run with the same settings; record them (and new benchmarks)."""
    path = out / SETTINGS_FILE
    if path.is_file():
        earlier = json.loads(path.read_text())
        for key, value in settings.items():
            if key == "benchmarks":
                continue
            if earlier.get(key) != value:
                raise EvalError(
                    f"{out} holds results of a run with another {key} "
                    f"({dumps(earlier.get(key))} there, {dumps(value)} now): pass a new "
                    "--output, or remove that folder to start again"
                )
        for name, revision in settings["benchmarks"].items():
            before = earlier.get("benchmarks", {}).get(name)
            if before not in (None, revision):
                raise EvalError(
                    f"{out} holds {name} results on other items (revision {before}, now "
                    f"{revision}): pass a new --output, or remove {out / (name + '.jsonl')}"
                )
        settings = {**settings, "benchmarks": {**earlier["benchmarks"], **settings["benchmarks"]}}
    write_json(path, settings)


def _earlier_benchmarks(out: Path) -> dict[str, Any]:
    """Benchmarks an earlier run with the same settings wrote to `out` (kept in results.json)."""
    path = out / RESULTS_FILE
    if not path.is_file():
        return {}
    return json.loads(path.read_text()).get("benchmarks", {})


def _default_output(model: str, mode: str) -> Path:
    name = Path(model.rstrip("/")).name or "model"
    return meadow_home() / "evals" / name / mode


def _command(
    model: str,
    adapter: str | Path | None,
    names: list[str],
    mode: str,
    template: str | None,
    prime: str,
) -> str:
    parts = ["meadow", "eval", "--model", model]
    if adapter is not None:
        parts += ["--adapter", str(adapter)]
    parts += ["--bench", ",".join(names), "--mode", mode]
    if template:
        parts += ["--template", template]
    if prime:
        parts += ["--prime", prime]
    return shlex.join(parts)


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "MEDALPACA_PRIME",
    "MODES",
    "EvaluationResult",
    "evaluate",
]
