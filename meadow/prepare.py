"""The build up to the mixer: the recipe with its overrides, the sources parsed into their
caches (`parse`), and the recipe's rows selected from them (`select_rows`)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

from meadow.errors import RecipeError
from meadow.mixer import Selection, select
from meadow.options import BuildOptions
from meadow.parse_runner import SourceCache, plan_source, run_plans
from meadow.paths import meadow_home, source_cache_root, store_root
from meadow.progress import ProgressBars
from meadow.quality import QualitySettings
from meadow.raw import resolve_raw
from meadow.recipe import Recipe, adhoc_recipe, load_recipe
from meadow.sources import get_source
from meadow.sources.base import Source
from meadow.store import check_name
from meadow.workdirs import remove_stale

logger = logging.getLogger("meadow.build")


@dataclass
class Parsed:
    """A build up to the parse: the recipe, parsed sources, quality plan."""

    recipe: Recipe
    adapters: dict[str, Source]
    caches: dict[str, SourceCache]
    quality: QualitySettings
    benchmark_raw: dict[str, Path]  # benchmark -> its raw file or folder, where one is known
    timings: dict[str, float]  # seconds per stage so far: parse SOURCE


def _remove_stale_work() -> None:
    """Remove what killed builds left (their temporary folders), and say so."""
    parents = [
        p for root in (source_cache_root(), store_root()) if root.is_dir() for p in root.iterdir()
    ]
    removed = remove_stale(p for p in parents if p.is_dir())
    if removed:
        home = meadow_home()
        names = [str(p.relative_to(home)) if p.is_relative_to(home) else str(p) for p in removed]
        shown = ", ".join(names[:3]) + (f", … {len(names) - 3} more" if len(names) > 3 else "")
        logger.warning(
            "removed %d stale temporary folder%s of killed builds (%s)",
            len(removed),
            "" if len(removed) == 1 else "s",
            shown,
        )


def parse(mixture: str | Path | Recipe | None, options: BuildOptions) -> Parsed:
    """The recipe with its overrides and the parsed sources."""
    sources, name, num_proc = options.sources, options.name, options.num_proc
    if mixture is None and not sources:
        raise RecipeError("--mixture", "give a recipe (--mixture NAME|PATH) or --sources a,b")
    if isinstance(mixture, Recipe):
        recipe = mixture
    elif mixture is not None:
        recipe = load_recipe(mixture)
    else:
        recipe = adhoc_recipe(list(sources or []), name)
    recipe = recipe.with_overrides(
        name=name,
        sources=sources if mixture is not None else None,
        quotas=options.quotas,
        seed=options.seed,
        validation=options.validation,
        test=options.test,
        llm=options.llm,
        columns=options.columns,
    )
    check_name(recipe.name)
    quality = QualitySettings.parse(recipe.quality, recipe=recipe.origin or None).with_overrides(
        contamination=options.contamination,
        require=options.require_benchmarks,
        mixture=options.benchmark_mixture,
    )
    raw = dict(options.raw or {})
    checked = quality.decontamination.checked if quality.decontamination else ()
    stray = sorted(set(raw) - set(recipe.sources) - set(checked))
    if stray:
        raise RecipeError(
            f"--raw {stray[0]}",
            f"source {stray[0]!r} is not in this build (sources: {', '.join(recipe.sources)})",
        )
    if num_proc < 1:
        raise RecipeError("--num-proc", f"expected a positive number of processes, got {num_proc}")

    adapters = {
        n: get_source(n)(instruction=spec.instruction, **spec.options)
        for n, spec in recipe.sources.items()
    }
    _remove_stale_work()
    raw_paths = {
        n: resolve_raw(adapter, Path(raw[n]) if n in raw else recipe.sources[n].raw)
        for n, adapter in adapters.items()
    }
    hashing: dict[str, float] = {}
    plans = []
    for n in adapters:
        started = time.perf_counter()
        plans.append(plan_source(adapters[n], raw_paths[n], source_cache_root(), workers=num_proc))
        hashing[n] = time.perf_counter() - started
    parsing: dict[str, float] = {}
    with ProgressBars(enabled=options.progress) as bars:
        caches = run_plans(plans, num_proc=num_proc, bars=bars, timings=parsing)
    timings = {
        f"parse {n}" + ("" if n in parsing else " (cached)"): hashing[n] + parsing.get(n, 0.0)
        for n in adapters
    }
    benchmark_raw = {n: raw_paths[n] for n in checked if n in raw_paths}
    benchmark_raw.update({n: Path(raw[n]) for n in checked if n in raw and n not in raw_paths})
    return Parsed(recipe, adapters, caches, quality, benchmark_raw, timings)


def select_rows(parsed: Parsed) -> Selection:
    """The recipe's rows, selected from the parsed sources (timed as `mixing`)."""
    started = time.perf_counter()
    selection = select(parsed.recipe, parsed.caches)
    parsed.timings["mixing"] = time.perf_counter() - started
    return selection
