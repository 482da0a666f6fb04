"""The LLM step of a build: which selected rows an LLM writes, asking for them (or only
pricing them), and what the manifest says about it.

Runs between the mixer and the quality steps; `meadow.pipeline` drives it. The rows an LLM
writes become the selection's `rewrites`, so the mixer's order and splits stay the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from meadow.errors import RecipeError
from meadow.llm.budget import LlmPlan
from meadow.llm.prompts import PROMPT_VERSIONS
from meadow.llm.settings import LlmSettings
from meadow.llm.tasks import LlmTask
from meadow.llm.writer import QaWriter
from meadow.manifest import LlmReport
from meadow.mixer import Selection
from meadow.progress import ProgressBars
from meadow.recipe import Recipe
from meadow.sources.base import Source


@dataclass
class LlmStep:
    """What the LLM step gave a build.

    Attributes:
        key: what the revision depends on (the model, the prompts, the answers); None when
            no LLM wrote rows.
        sources: per source, the rows written and the rejects, for the manifest and card.
        report: requests, tokens and cost for the manifest; None when no LLM wrote rows.
    """

    key: dict[str, Any] | None = None
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    report: LlmReport | None = None


def run_llm_step(
    recipe: Recipe,
    selection: Selection,
    adapters: Mapping[str, Source],
    overrides: Mapping[str, Any] | None,
    progress: bool | None,
) -> LlmStep:
    """Have the LLM write the selected rows of the sources that ask for it (nothing when
    the recipe uses no LLM); `overrides` are the command line's `llm_*` settings."""
    if not recipe.uses_llm():
        return LlmStep()
    writer = QaWriter(llm_settings(recipe, overrides))
    stats = write_with_llm(selection, adapters, writer, progress)
    key = {
        "model": writer.settings.model,
        "prompts": PROMPT_VERSIONS,
        "answers": hashlib.sha256(
            json.dumps(sorted(selection.rewrites.items())).encode()
        ).hexdigest(),
    }
    return LlmStep(key, stats, LlmReport.from_stats(writer.stats))


def plan_llm_step(
    recipe: Recipe,
    selection: Selection,
    adapters: Mapping[str, Source],
    overrides: Mapping[str, Any] | None,
) -> LlmPlan:
    """What the LLM step would ask for `selection`'s rows, and its cost, without asking."""
    if not recipe.uses_llm():
        raise RecipeError("--llm", "this build asks no LLM for anything: add --llm")
    writer = QaWriter(llm_settings(recipe, overrides))
    tasks = [task for task, _ in llm_tasks(selection, adapters)]
    return writer.plan(tasks)


def llm_settings(recipe: Recipe, options: Mapping[str, Any] | None) -> LlmSettings:
    """The recipe's `llm:` settings with the command line's on top (unset flags are None)."""
    merged = {**recipe.llm, **{k: v for k, v in (options or {}).items() if v is not None}}
    try:
        return LlmSettings(**merged)
    except TypeError as exc:
        raise RecipeError("llm", f"bad LLM settings: {exc}", recipe=recipe.origin or None) from None


def llm_tasks(
    selection: Selection, adapters: Mapping[str, Source]
) -> list[tuple[LlmTask, dict[str, str]]]:
    """(task, row) for every selected row an LLM is to write, in output order."""
    wanted = {sel.spec.name for sel in selection.sources if sel.spec.llm}
    found: list[tuple[LlmTask, dict[str, str]]] = []
    for _, table in selection.iter_tables():
        for row in table.to_pylist():
            adapter = adapters.get(row["source"])
            if row["source"] in wanted and adapter.llm_rewrites(row["subset"]):
                task = adapter.llm_task(row)
                if task is not None:
                    found.append((task, row))
    return found


def write_with_llm(
    selection: Selection,
    adapters: Mapping[str, Source],
    writer: QaWriter,
    progress: bool | None,
) -> dict[str, dict[str, Any]]:
    """Ask the LLM for the selected rows, set the selection's rewrites, say what happened.

    A row whose answer fails the quality gate keeps the question it was built with; the
    rejects are counted by reason for the manifest and the card.
    """
    pairs = llm_tasks(selection, adapters)
    with ProgressBars(enabled=progress) as bars:
        bar = bars.add(f"LLM ({writer.settings.model})", total=len(pairs))
        results = writer.run([task for task, _ in pairs], progress=lambda n: bars.advance(bar, n))
        bars.finish(bar)
    stats: dict[str, dict[str, Any]] = {}
    rewrites: dict[str, tuple[str, str]] = {}
    for (task, row), result in zip(pairs, results, strict=True):
        source = stats.setdefault(
            row["source"],
            {
                "model": writer.settings.model,
                "prompt_versions": {},
                "rows_written": 0,
                "answered_from_cache": 0,
                "rejected_kept_template": {},
            },
        )
        source["prompt_versions"][task.kind] = PROMPT_VERSIONS[task.kind]
        source["answered_from_cache"] += int(result.cached)
        if result.rejected:
            rejected = source["rejected_kept_template"]
            rejected[result.rejected] = rejected.get(result.rejected, 0) + 1
            continue
        rewrites[row["id"]] = adapters[row["source"]].llm_row(row, result)
        source["rows_written"] += 1
    selection.rewrites = rewrites
    for source in stats.values():
        source["rejected_kept_template"] = dict(sorted(source["rejected_kept_template"].items()))
    return stats


__all__ = [
    "LlmStep",
    "llm_settings",
    "llm_tasks",
    "plan_llm_step",
    "run_llm_step",
    "write_with_llm",
]
