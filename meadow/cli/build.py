"""`meadow build`: raw files → a mixture in the local store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from meadow.cli._common import console, err_console, fmt, parse_pairs, split_csv
from meadow.cli.audit import BenchmarkMixtureOption
from meadow.cli.hub import PrivateOption, RepoOption, print_push
from meadow.cli.plan import print_checks, raw_checks
from meadow.cli.show import removed_by_step
from meadow.errors import RecipeError
from meadow.hub import push as publish
from meadow.hub_client import check_token
from meadow.options import BuildOptions
from meadow.pipeline import BuildResult, build, plan_llm


def build_command(
    mixture: Annotated[
        str | None,
        typer.Option(
            "--mixture",
            "-m",
            help="Built-in recipe (sample, small, medalpaca, pmc-llama) or a recipe YAML path.",
        ),
    ] = None,
    sources: Annotated[
        str | None,
        typer.Option(
            "--sources", "-s", help="Comma-separated sources; alone, takes every row of each."
        ),
    ] = None,
    raw: Annotated[
        list[str] | None,
        typer.Option("--raw", help="SOURCE=PATH: a source's raw file or folder (repeatable)."),
    ] = None,
    quota: Annotated[
        list[str] | None,
        typer.Option("--quota", help="SOURCE[.SUBSET]=N|FRACTION|all (repeatable)."),
    ] = None,
    columns: Annotated[
        list[str] | None,
        typer.Option(
            "--columns",
            help="SOURCE=FIELD:COLUMN,…: your file's column names, e.g. "
            "local=input:question,output:answer,id:qid (repeatable).",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed (overrides the recipe).")] = None,
    name: Annotated[str | None, typer.Option(help="Name in the local store.")] = None,
    validation: Annotated[float | None, typer.Option(help="Validation fraction.")] = None,
    test: Annotated[float | None, typer.Option(help="Test fraction.")] = None,
    num_proc: Annotated[int, typer.Option("--num-proc", help="Parallel processes.")] = 1,
    rehash: Annotated[
        bool,
        typer.Option(
            "--rehash",
            help="Read every raw file again, not trusting the remembered sha256 of unchanged ones.",
        ),
    ] = False,
    llm: Annotated[
        bool,
        typer.Option(
            "--llm",
            help="Have an LLM write the rows that can be (wikidoc textbook questions, Anki "
            "cards). Key from OPENAI_API_KEY.",
        ),
    ] = False,
    llm_model: Annotated[
        str | None, typer.Option("--llm-model", help="Model name (default gpt-4o-mini).")
    ] = None,
    llm_base_url: Annotated[
        str | None,
        typer.Option(
            "--llm-base-url",
            help="An OpenAI-compatible endpoint (Azure, vLLM, Ollama: http://HOST:PORT/v1).",
        ),
    ] = None,
    llm_concurrency: Annotated[
        int | None, typer.Option("--llm-concurrency", help="Requests in flight at most (8).")
    ] = None,
    llm_refresh: Annotated[
        bool, typer.Option("--llm-refresh", help="Ask again, ignoring cached LLM answers.")
    ] = False,
    llm_price: Annotated[
        str | None,
        typer.Option(
            "--llm-price", help="IN,OUT: USD per 1M input and output tokens for the model."
        ),
    ] = None,
    max_cost: Annotated[
        float | None,
        typer.Option("--max-cost", help="USD: stop before the LLM requests would pass it."),
    ] = None,
    push: Annotated[
        bool, typer.Option("--push", help="Publish the build to the Hub (token: HF_TOKEN).")
    ] = False,
    repo: RepoOption = None,
    private: PrivateOption = False,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="With --llm: print requests, tokens and cost; ask nothing."),
    ] = False,
    contamination: Annotated[
        str | None,
        typer.Option(
            "--contamination",
            help="remove (default) or flag: what happens to rows overlapping a benchmark.",
        ),
    ] = None,
    require_benchmarks: Annotated[
        str | None,
        typer.Option(
            "--require-benchmarks",
            help="Comma-separated benchmarks (usmle, medqa, medmcqa, pubmedqa, mmlu) that must "
            "be checked for contamination: stop if their raw files (--raw NAME=PATH) are missing.",
        ),
    ] = None,
    benchmark_mixture: BenchmarkMixtureOption = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="List every source's raw files (found, download, missing); build nothing.",
        ),
    ] = False,
) -> None:
    """Build a mixture from raw corpora into the local store.

    Examples:

      meadow build --mixture sample

      meadow build --sources wikidoc,anki --raw wikidoc=./pages --raw anki=./Med.apkg --name m

      meadow build --mixture medalpaca --quota wikidoc=10000 --seed 7

      meadow build --sources local --raw local=qa.csv --columns local=input:question,output:answer

      meadow build --sources wikidoc --raw wikidoc=./pages --llm --dry-run

      meadow build --sources wikidoc,anki --raw wikidoc=./pages --raw anki=./decks --push

      meadow build -m small --raw wikidoc=./pages --raw usmle=./usmle --require-benchmarks usmle
    """
    if check:  # before anything is parsed: every source's raw files at once
        pairs = {k: Path(v) for k, v in parse_pairs(raw, "--raw").items()}
        code = print_checks(raw_checks(mixture, split_csv(sources), pairs))
        raise typer.Exit(code)
    options = BuildOptions(
        sources=split_csv(sources),
        raw={k: Path(v) for k, v in parse_pairs(raw, "--raw").items()},
        quotas=parse_pairs(quota, "--quota"),
        columns=parse_pairs(columns, "--columns"),
        seed=seed,
        name=name,
        validation=validation,
        test=test,
        num_proc=num_proc,
        rehash=rehash,
        llm=llm,
        llm_model=llm_model,
        llm_base_url=llm_base_url,
        llm_concurrency=llm_concurrency,
        llm_refresh=llm_refresh,
        llm_price=_price(llm_price),
        max_cost=max_cost,
        contamination=contamination,
        require_benchmarks=split_csv(require_benchmarks),
        benchmark_mixture=benchmark_mixture,
    )
    if dry_run:
        console.print(plan_llm(mixture, options).describe())
        return
    if push:
        check_token()  # a missing token stops before the sources are parsed
    result = build(mixture, options)
    print_build_summary(result)
    if push:
        print_push(publish(result.name, revision=result.revision, repo_id=repo, private=private))


def _price(value: str | None) -> tuple[float, float] | None:
    """`--llm-price 0.15,0.6`: USD per 1M input and output tokens."""
    if value is None:
        return None
    try:
        prices = tuple(float(part) for part in value.split(","))
    except ValueError:
        prices = ()
    if len(prices) != 2 or min(prices) < 0:
        raise RecipeError(
            "--llm-price", f"expected IN,OUT in USD per 1M tokens (e.g. 0.15,0.6), got {value!r}"
        )
    return prices[0], prices[1]


def print_build_summary(result: BuildResult) -> None:
    table = Table(title=f"{result.name} @ {result.revision}")
    hygiene = "quality" in result.manifest
    columns = ("source", "available", "quota", "taken", "skipped") + (
        ("removed", "rows") if hygiene else ()
    )
    for column in columns:
        table.add_column(
            column, justify="left" if column in ("source", "skipped", "removed") else "right"
        )
    for source, stats in result.manifest["sources"].items():
        skipped = ", ".join(f"{r}: {fmt(n)}" for r, n in stats["skipped"].items()) or "–"
        quota = fmt(stats["quota"])
        if stats.get("quota_exceeds_available"):
            quota += " (more than available: took all)"
        cells = [source, fmt(stats["available"]), quota, fmt(stats["taken"]), skipped]
        if hygiene:
            cells += [
                removed_summary(stats.get("removed", {})),
                fmt(stats.get("rows", stats["taken"])),
            ]
        table.add_row(*cells)
    console.print(table)
    by_step = removed_by_step(result.manifest)
    if by_step:
        console.print(by_step, highlight=False)
    unchecked = [
        name
        for name, bench in result.manifest.get("quality", {}).get("benchmarks", {}).items()
        if not bench["checked"]
    ]
    if unchecked:
        err_console.print(
            f"not checked for contamination (no raw files): {', '.join(unchecked)}; "
            "pass --raw NAME=PATH to check them",
            style="dim",
        )
    for source, stats in result.manifest["sources"].items():
        if "llm" in stats:
            console.print(f"{source}: {llm_summary(stats['llm'])}")
    splits = ", ".join(f"{s} {fmt(n)}" for s, n in result.splits.items())
    console.print(f"splits: {splits}")
    fraction = result.manifest.get("recipe", {}).get("splits", {}).get("validation")
    if not fraction and not result.splits.get("validation"):
        err_console.print(
            "no validation split: training will show no validation loss; pass --validation "
            "0.05 (or set splits.validation in the recipe) to hold 5% of the rows out",
            style="dim",
        )
    if result.unchanged:
        console.print(
            f"unchanged: revision {result.revision} was already in the store (same recipe, "
            "seed and raw files); it is kept as it was"
        )
    console.print(f"stored: {result.path}")
    if result.timings:  # on stderr: stdout stays the same from one run to the next
        err_console.print(f"time: {timings_line(result.timings)}", style="dim", highlight=False)
    err_console.print(
        f"load it with: from meadow import load_mixture; load_mixture({result.name!r})", style="dim"
    )


def timings_line(timings: dict[str, float]) -> str:
    """Seconds per build stage, for the terminal, the parse and quality stages grouped:
    "parse 0.45s (anki 0.41s, wikidoc cached 0.04s), mixing 0.02s, quality 1.2s (filters
    0.9s, …), writing 0.3s; total 2.0s".
    """
    groups: dict[str, list[str]] = {}
    totals: dict[str, float] = {}
    for stage, seconds in timings.items():
        grouped = stage.startswith(("parse ", "quality "))
        group, _, part = stage.partition(" ") if grouped else (stage, "", "")
        totals[group] = totals.get(group, 0.0) + seconds
        if part:
            part = part.replace(" (cached)", " cached")
            groups.setdefault(group, []).append(f"{part} {_seconds(seconds)}")
    stages = ", ".join(
        f"{group} {_seconds(total)}" + (f" ({', '.join(groups[group])})" if group in groups else "")
        for group, total in totals.items()
    )
    return f"{stages}; total {_seconds(sum(timings.values()))}"


def _seconds(value: float) -> str:
    return f"{value:.2f}s" if value < 10 else f"{value:.0f}s" if value >= 100 else f"{value:.1f}s"


def removed_summary(removed: dict) -> str:
    """A source's removed rows by reason, for the terminal: "duplicate: 3, usmle: 1"."""
    parts = {**removed.get("filtered", {}), **removed.get("contaminated", {})}
    parts.update({k: removed.get(k, 0) for k in ("duplicate", "near_duplicate")})
    return ", ".join(f"{k}: {fmt(n)}" for k, n in parts.items() if n) or "–"


def llm_summary(llm: dict) -> str:
    """One line on a source's LLM-written rows, for the terminal."""
    rejected = ", ".join(f"{r}: {fmt(n)}" for r, n in llm["rejected_kept_template"].items())
    line = (
        f"{fmt(llm['rows_written'])} rows written by {llm['model']} "
        f"({fmt(llm['answered_from_cache'])} answers from the cache)"
    )
    return line + (f"; kept their template question: {rejected}" if rejected else "")
