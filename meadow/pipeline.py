"""`build()`: raw files → per-source caches → mixer → a revision in the local store."""

from __future__ import annotations

import hashlib
import json
import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meadow._version import __version__
from meadow.build_benchmarks import checked_benchmarks
from meadow.card import render_dataset_card
from meadow.chart import composition_chart
from meadow.errors import EmptyBuildError, MeadowError, RecipeError
from meadow.file_hashes import rehashing
from meadow.llm import DEFAULT_MODEL as DEFAULT_LLM_MODEL
from meadow.llm import LlmPlan
from meadow.llm.step import plan_llm_step, run_llm_step
from meadow.manifest import Manifest, QualityReport, SourceStats
from meadow.manifest import read as read_manifest
from meadow.mixer import MIXER_VERSION, Selection, evaluation_only
from meadow.options import BuildOptions
from meadow.parse_runner import SourceCache
from meadow.paths import meadow_home
from meadow.prepare import Parsed, parse, select_rows
from meadow.quality import (
    BenchmarkIndex,
    Benchmarks,
    QualityRun,
    QualitySettings,
    SourcePolicy,
    libraries,
    source_policy,
)
from meadow.quality.removed import REMOVED_FILE
from meadow.recipe import Recipe
from meadow.schema import columns
from meadow.sources.base import Source
from meadow.store import (
    chart_path,
    flagged,
    keep_revision,
    new_revision,
    revision_path,
    write_manifest_and_card,
    write_rows,
)


@dataclass
class BuildResult:
    """What a build produced.

    Attributes:
        name: the mixture name in the local store.
        revision: the build's fingerprint; the same recipe, seed and raw files give the
            same revision.
        path: the revision's folder (data/, manifest.json, README.md).
        splits: rows per split.
        manifest: the manifest as written to manifest.json (its JSON object: per-source
            counts, raw-file hashes, recipe); `meadow.manifest.read(path)` gives it typed.
        timings: seconds per stage, in the order they ran: `parse SOURCE` (hashing the
            raw files, and parsing them unless cached), `mixing`, `llm`, `benchmarks`,
            `quality STEP`, `writing`. Kept out of the manifest, whose bytes do not
            depend on the clock.
        unchanged: the revision was already in the store (the same recipe, seed and raw
            files built before); the store keeps it as it was.
    """

    name: str
    revision: str
    path: Path
    splits: dict[str, int]
    manifest: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    unchanged: bool = False

    @property
    def rows(self) -> int:
        return sum(self.splits.values())


def _revision(
    recipe: Recipe,
    caches: Mapping[str, SourceCache],
    llm: dict[str, Any] | None = None,
    quality: dict[str, Any] | None = None,
) -> str:
    key: dict[str, Any] = {
        "mixer": MIXER_VERSION,
        "recipe": recipe.canonical(),
        "sources": {name: caches[name].fingerprint for name in recipe.sources},
    }
    if llm:  # LLM-written rows: the model, the prompts and the answers themselves
        key["llm"] = llm
    if quality:  # the quality settings, the benchmark files checked, the libraries used
        key["quality"] = quality
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]


def _rebuild_command(
    recipe: Recipe,
    quality: QualitySettings | None = None,
    benchmarks: Benchmarks | None = None,
    columns: Mapping[str, str] | None = None,
) -> str:
    """A command that rebuilds this recipe: every quota spelled out, raw paths to fill in."""
    parts = ["meadow", "build"]
    if recipe.origin.startswith("builtin:"):
        parts += ["--mixture", recipe.origin.removeprefix("builtin:")]
    elif recipe.origin and recipe.origin != "--sources":
        parts += ["--mixture", recipe.origin]
    quotas = {}
    for name, spec in recipe.sources.items():
        quotas[name] = str(spec.quota)
        quotas.update({f"{name}.{subset}": str(q) for subset, q in (spec.subsets or {}).items()})
    options = BuildOptions(
        sources=list(recipe.sources),
        quotas=quotas,
        seed=recipe.seed,
        name=recipe.name,
        validation=recipe.validation,
        test=recipe.test,
        raw={name: "PATH" for name, spec in recipe.sources.items() if spec.raw is None},
        columns=dict(columns or {}),
    )
    if recipe.uses_llm():  # the answers come back from the LLM cache, not from a new call
        options.llm, options.llm_model = True, str(recipe.llm.get("model", DEFAULT_LLM_MODEL))
    decontamination = quality.decontamination if quality else None
    if decontamination is not None:
        options.contamination = decontamination.action
        options.require_benchmarks = list(decontamination.require) or None
        options.benchmark_mixture = decontamination.mixture or None
    for name in benchmarks.found if benchmarks else {}:
        if name not in recipe.sources:  # a benchmark checked but not mixed in
            options.raw[name] = "PATH"
    return shlex.join(parts + options.to_flags())


def build(
    mixture: str | Path | Recipe | None = None,
    options: BuildOptions | None = None,
    **settings: Any,
) -> BuildResult:
    """Build a mixture into the local store and return where it went.

    `mixture` is a built-in recipe name, a recipe YAML path or a `Recipe`; without one,
    `sources` lists the sources to take whole. `options` (a `BuildOptions`) or its fields
    as keywords (`build("small", raw={"wikidoc": path}, seed=7)`) override the recipe:
    `raw` maps a source to its raw file or folder (`--raw`), `quotas` maps `source` or
    `source.subset` to a count, a fraction or `all`. Nothing is written to the store
    unless the whole build succeeds.

    `llm` has an LLM write the rows of the sources that support it (wikidoc textbook
    questions, Anki cards); the `llm_*` options and `max_cost` win over the recipe's
    `llm:` settings.

    The recipe's quality steps run between the mixer and the store (see `meadow.quality`);
    `contamination` (`remove` or `flag`), `require_benchmarks` and `benchmark_mixture` (a
    built evaluation mixture whose benchmark rows are checked against) override its
    decontamination settings, and `raw` may also name benchmarks to check that are not
    mixed in.
    """
    options = BuildOptions.of(options, **settings)
    with rehashing(options.rehash):  # every raw file the build hashes, benchmarks' too
        return _build(mixture, options)


def _build(mixture: str | Path | Recipe | None, options: BuildOptions) -> BuildResult:
    """`build()` with its options known."""
    parsed = parse(mixture, options)
    progress, llm_options = options.progress, options.llm_overrides(DEFAULT_LLM_MODEL)
    recipe, adapters, caches = parsed.recipe, parsed.adapters, parsed.caches
    quality, timings = parsed.quality, parsed.timings
    started = time.perf_counter()
    benchmarks = checked_benchmarks(quality, parsed.benchmark_raw, adapters, caches)
    if benchmarks.found:
        timings["benchmarks"] = time.perf_counter() - started
    kept = _unchanged(parsed, benchmarks)
    if kept is not None:
        return kept
    selection = select_rows(parsed)
    policies = _policies(
        recipe,
        adapters,
        {sel.spec.name: sel.stats.get("evaluation_only", ()) for sel in selection.sources},
    )
    started = time.perf_counter()
    llm = run_llm_step(recipe, selection, adapters, llm_options, progress)
    if recipe.uses_llm():
        timings["llm"] = time.perf_counter() - started
    quality_key = _quality_key(quality, policies, benchmarks)
    revision = _revision(recipe, caches, llm.key, quality_key)
    sources_info = {n: type(a).info() for n, a in adapters.items()}
    sources = {
        sel.spec.name: SourceStats.from_dict(
            {"license": sources_info[sel.spec.name]["license"], **sel.stats}, file="mixer"
        )
        for sel in selection.sources
    }
    for source, stats in llm.sources.items():
        sources[source].llm = stats
    manifest = Manifest(
        name=recipe.name,
        revision=revision,
        meadow_version=__version__,
        recipe=recipe.to_dict(),
        seed=recipe.seed,
        splits=selection.split_counts(),
        sources=sources,
        llm=llm.report,
    )
    rebuild = _rebuild_command(recipe, quality, benchmarks, options.columns)
    card = _CardInputs(sources_info, rebuild, chart_path(recipe.name))
    unchanged = revision_path(recipe.name, revision).is_dir()

    if not quality.enabled:
        manifest.quality = QualityReport(settings=quality.canonical())
        _refuse_empty(manifest)
        started = time.perf_counter()  # the mixer's rows are read while they are written
        with new_revision(recipe.name, revision) as folder:
            _write(folder, selection, manifest, card)
        timings["writing"] = time.perf_counter() - started
    else:
        index = None
        if benchmarks.found:
            items = {name: bench.items for name, bench in benchmarks.found.items()}
            index = BenchmarkIndex(items, quality.decontamination.ngram)
        work = meadow_home() / "tmp"
        work.mkdir(parents=True, exist_ok=True)
        with QualityRun(
            quality,
            policies,
            index=index,
            splits=selection.splits(),
            work_dir=work,
            num_proc=options.num_proc,
        ) as rows:
            rows.run(selection.iter_tables(), total=manifest.rows, progress=progress)
            _add_quality_timings(timings, rows.timings, quality)
            for name, stats in rows.source_stats().items():
                manifest.sources[name].update(stats)
            manifest.splits = rows.split_counts()
            _refuse_empty(manifest)
            manifest.columns = list(columns(rows.flag))
            manifest.quality = QualityReport(
                settings=quality.canonical(),
                benchmarks=benchmarks.manifest(),
                libraries=libraries(),
                near_duplicate_lsh=list(rows.near_index) if rows.near_index else None,
                removed_rows=rows.removed_record(),
            )
            started = time.perf_counter()
            with new_revision(recipe.name, revision) as folder:
                rows.write_removed(folder / REMOVED_FILE)  # `meadow show NAME --removed`
                _write(folder, rows, manifest, card)
            timings["writing"] = time.perf_counter() - started
    return BuildResult(
        name=recipe.name,
        revision=revision,
        path=revision_path(recipe.name, revision),
        splits=manifest.splits,
        manifest=manifest.to_dict(),
        timings=timings,
        unchanged=unchanged,
    )


def _policies(
    recipe: Recipe, adapters: Mapping[str, Source], held_out: Mapping[str, Any]
) -> dict[str, SourcePolicy]:
    """Each source's quality policy; `held_out` its evaluation-only subsets."""
    return {
        name: source_policy(
            type(adapters[name]),
            pii=recipe.sources[name].pii,
            language=recipe.sources[name].language,
            evaluation_subsets=frozenset(subsets),
        )
        for name, subsets in held_out.items()
    }


def _quality_key(
    quality: QualitySettings, policies: Mapping[str, SourcePolicy], benchmarks: Benchmarks
) -> dict[str, Any] | None:
    """What of the quality pass decides the revision (None when the pass is off)."""
    if not quality.enabled:
        return None
    return {
        "settings": quality.canonical(),
        "policies": {
            name: vars(p) | {"evaluation_subsets": sorted(p.evaluation_subsets)}
            for name, p in policies.items()
        },
        "benchmarks": benchmarks.fingerprint(),
        "libraries": libraries(),
    }


def _unchanged(parsed: Parsed, benchmarks: Benchmarks) -> BuildResult | None:
    """The revision this build would write, when the store already holds it complete:
    the name points at it again (as a build that writes it does) and nothing is mixed,
    no quality step runs and nothing is written; None when the build must run.

    The revision is worked out as `build` does, with the mixer's evaluation-only subsets
    taken from the parse's subset counts (`mixer.evaluation_only`): a mistake there could
    only miss the folder, never find another build's. A build whose rows an LLM writes
    always runs, since its revision depends on the answers, known only after the mixer.
    """
    recipe, caches = parsed.recipe, parsed.caches
    if recipe.uses_llm():
        return None
    held_out = {name: evaluation_only(spec, caches[name]) for name, spec in recipe.sources.items()}
    policies = _policies(recipe, parsed.adapters, held_out)
    revision = _revision(recipe, caches, None, _quality_key(parsed.quality, policies, benchmarks))
    folder = revision_path(recipe.name, revision)
    try:
        manifest = read_manifest(folder) if (folder / "manifest.json").is_file() else None
    except MeadowError:  # a damaged revision: the build runs and says what it finds
        return None
    if manifest is None or manifest.revision != revision:
        return None
    keep_revision(recipe.name, revision)
    return BuildResult(
        name=recipe.name,
        revision=revision,
        path=folder,
        splits=dict(manifest.splits),
        manifest=manifest.to_dict(),
        timings=parsed.timings,
        unchanged=True,
    )


def _add_quality_timings(
    timings: dict[str, float], steps: Mapping[str, float], quality: QualitySettings
) -> None:
    """The quality run's seconds per step as `quality STEP` stages, the steps that are off
    left out; its wait for the mixer's rows goes to `mixing`."""
    on = {
        "reading": True,
        "pii_and_boilerplate": quality.pii,
        "filters": quality.filters is not None,
        "decontamination": quality.decontamination is not None,
        "exact_dedup": quality.exact_dedup is not None,
        "near_dedup": quality.near_dedup is not None,
        "spool": True,
    }
    for step, seconds in steps.items():
        if step == "reading":
            timings["mixing"] = timings.get("mixing", 0.0) + seconds
        elif on.get(step, True):
            timings[f"quality {step}"] = seconds


@dataclass
class _CardInputs:
    """What the dataset card needs besides the manifest."""

    sources_info: dict[str, dict[str, Any]]
    rebuild: str
    chart: str


def _write(
    folder: Path, rows: Selection | QualityRun, manifest: Manifest, card: _CardInputs
) -> None:
    """Write the rows into a new revision's folder, then (with the token statistics counted
    while writing them) its manifest, composition chart and card."""
    manifest.tokens = write_rows(folder, manifest.name, rows, flagged=flagged(manifest))
    composition_chart(manifest, folder / card.chart)
    text = render_dataset_card(
        manifest, card.sources_info, card.rebuild, token_stats=manifest.tokens, chart=card.chart
    )
    write_manifest_and_card(folder, manifest, text)


def _refuse_empty(manifest: Manifest) -> None:
    """Stop a build that kept no row, naming why each source gave none (skip reasons,
    quotas, hygiene removals), before anything is written or `latest` moves."""
    if manifest.rows:
        return
    why = []
    for source, stats in manifest.sources.items():
        counts = [f"{reason} {n:,}" for reason, n in (stats.skipped or {}).items() if n]
        if stats.available and not stats.taken:
            counts.append(f"quota {stats.quota} took 0 of {stats.available:,}")
        counts += [f"removed {reason} {n:,}" for reason, n in _flat(stats.removed or {})]
        if not counts:
            counts.append("no rows in the raw files")
        why.append(f"{source}: {', '.join(counts)}")
    raise EmptyBuildError(
        f"mixture {manifest.name!r} has no rows, nothing was written and its latest "
        f"revision is unchanged; every row was skipped or removed ({'; '.join(why)})"
    )


def _flat(counts: dict[str, Any], prefix: str = "") -> list[tuple[str, int]]:
    """`{"contaminated": {"medqa": 2}, "duplicate": 1}` as `[("contaminated.medqa", 2), …]`."""
    found: list[tuple[str, int]] = []
    for key, value in counts.items():
        if isinstance(value, dict):
            found += _flat(value, f"{prefix}{key}.")
        elif isinstance(value, int) and value:
            found.append((f"{prefix}{key}", value))
    return found


def plan_llm(
    mixture: str | Path | Recipe | None = None,
    options: BuildOptions | None = None,
    **settings: Any,
) -> LlmPlan:
    """What `build(..., llm=True)` would ask the LLM, and its cost, without asking it.

    Takes `build()`'s arguments. The sources are parsed and the rows selected as in a
    build; nothing is sent and nothing is written to the store.
    """
    try:
        options = BuildOptions.of(options, **settings)
    except TypeError as exc:  # an argument build() does not take
        raise RecipeError("plan_llm", str(exc)) from None
    parsed = parse(mixture, options)
    return plan_llm_step(
        parsed.recipe,
        select_rows(parsed),
        parsed.adapters,
        options.llm_overrides(DEFAULT_LLM_MODEL),
    )
