"""`build()`: raw files → per-source caches → mixer → a revision in the local store."""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meadow._version import __version__
from meadow.card import render_dataset_card
from meadow.errors import RecipeError
from meadow.mixture import MIXER_VERSION, Recipe, adhoc_recipe, load_recipe, select
from meadow.paths import source_cache_root
from meadow.progress import ProgressBars
from meadow.raw import resolve_raw
from meadow.source_cache import SourceCache, plan_source, run_plans
from meadow.sources import get_source
from meadow.store import check_name, write_revision


@dataclass
class BuildResult:
    """What a build produced.

    Attributes:
        name: the mixture name in the local store.
        revision: the build's fingerprint; the same recipe, seed and raw files give the
            same revision.
        path: the revision's folder (data/, manifest.json, README.md).
        splits: rows per split.
        manifest: the full manifest (per-source counts, raw-file hashes, recipe).
    """

    name: str
    revision: str
    path: Path
    splits: dict[str, int]
    manifest: dict[str, Any]

    @property
    def rows(self) -> int:
        return sum(self.splits.values())


def _revision(recipe: Recipe, caches: Mapping[str, SourceCache]) -> str:
    key = {
        "mixer": MIXER_VERSION,
        "recipe": recipe.canonical(),
        "sources": {name: caches[name].fingerprint for name in recipe.sources},
    }
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _rebuild_command(recipe: Recipe) -> str:
    """A command that rebuilds this recipe: every quota spelled out, raw paths to fill in."""
    parts = ["meadow", "build"]
    if recipe.origin.startswith("builtin:"):
        parts += ["--mixture", recipe.origin.removeprefix("builtin:")]
    elif recipe.origin and recipe.origin != "--sources":
        parts += ["--mixture", recipe.origin]
    parts += ["--sources", ",".join(recipe.sources)]
    for name, spec in recipe.sources.items():
        parts += ["--quota", f"{name}={spec.quota}"]
        for subset, quota in (spec.subsets or {}).items():
            parts += ["--quota", f"{name}.{subset}={quota}"]
    parts += ["--seed", str(recipe.seed), "--name", recipe.name]
    parts += ["--validation", str(recipe.validation), "--test", str(recipe.test)]
    for name, spec in recipe.sources.items():
        if spec.raw is None:
            parts += ["--raw", f"{name}=PATH"]
    return shlex.join(parts)


def build(
    mixture: str | Path | Recipe | None = None,
    *,
    sources: list[str] | None = None,
    raw: Mapping[str, str | Path] | None = None,
    quotas: Mapping[str, str] | None = None,
    seed: int | None = None,
    name: str | None = None,
    validation: float | None = None,
    test: float | None = None,
    num_proc: int = 1,
    progress: bool | None = None,
) -> BuildResult:
    """Build a mixture into the local store and return where it went.

    `mixture` is a built-in recipe name, a recipe YAML path or a `Recipe`; without one,
    `sources` lists the sources to take whole. `raw` maps a source to its raw file or
    folder (`--raw`), `quotas` maps `source` or `source.subset` to a count, a fraction or
    `all`. Nothing is written to the store unless the whole build succeeds.
    """
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
        quotas=quotas,
        seed=seed,
        validation=validation,
        test=test,
    )
    check_name(recipe.name)
    raw = dict(raw or {})
    stray = sorted(set(raw) - set(recipe.sources))
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
    raw_paths = {
        n: resolve_raw(adapter, Path(raw[n]) if n in raw else recipe.sources[n].raw)
        for n, adapter in adapters.items()
    }
    plans = [
        plan_source(adapters[n], raw_paths[n], source_cache_root(), workers=num_proc)
        for n in adapters
    ]
    with ProgressBars(enabled=progress) as bars:
        caches = run_plans(plans, num_proc=num_proc, bars=bars)

    selection = select(recipe, caches)
    revision = _revision(recipe, caches)
    sources_info = {n: type(a).info() for n, a in adapters.items()}
    manifest: dict[str, Any] = {
        "name": recipe.name,
        "revision": revision,
        "meadow_version": __version__,
        "recipe": recipe.to_dict(),
        "seed": recipe.seed,
        "splits": selection.split_counts(),
        "sources": {
            sel.spec.name: {"license": sources_info[sel.spec.name]["license"], **sel.stats}
            for sel in selection.sources
        },
    }
    card = render_dataset_card(manifest, sources_info, _rebuild_command(recipe))
    path = write_revision(recipe.name, revision, selection, manifest, card)
    return BuildResult(
        name=recipe.name, revision=revision, path=path, splits=manifest["splits"], manifest=manifest
    )
