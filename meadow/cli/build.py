"""`meadow build`: raw files → a mixture in the local store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from meadow.cli._common import console, err_console, fmt, parse_pairs, split_csv
from meadow.pipeline import BuildResult, build


def build_command(
    mixture: Annotated[
        str | None,
        typer.Option(
            "--mixture",
            "-m",
            help="Built-in recipe (sample, small, medalpaca) or a recipe YAML path.",
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
    seed: Annotated[int | None, typer.Option(help="Sampling seed (overrides the recipe).")] = None,
    name: Annotated[str | None, typer.Option(help="Name in the local store.")] = None,
    validation: Annotated[float | None, typer.Option(help="Validation fraction.")] = None,
    test: Annotated[float | None, typer.Option(help="Test fraction.")] = None,
    num_proc: Annotated[int, typer.Option("--num-proc", help="Parallel processes.")] = 1,
) -> None:
    """Build a mixture from raw corpora into the local store.

    Examples:

      meadow build --mixture sample

      meadow build --sources wikidoc,anki --raw wikidoc=./pages --raw anki=./Med.apkg --name m

      meadow build --mixture medalpaca --quota wikidoc=10000 --seed 7
    """
    result = build(
        mixture,
        sources=split_csv(sources),
        raw={k: Path(v) for k, v in parse_pairs(raw, "--raw").items()},
        quotas=parse_pairs(quota, "--quota"),
        seed=seed,
        name=name,
        validation=validation,
        test=test,
        num_proc=num_proc,
    )
    print_build_summary(result)


def print_build_summary(result: BuildResult) -> None:
    table = Table(title=f"{result.name} @ {result.revision}")
    for column in ("source", "available", "quota", "taken", "skipped"):
        table.add_column(column, justify="left" if column in ("source", "skipped") else "right")
    for source, stats in result.manifest["sources"].items():
        skipped = ", ".join(f"{r}: {fmt(n)}" for r, n in stats["skipped"].items()) or "–"
        quota = fmt(stats["quota"])
        if stats.get("quota_exceeds_available"):
            quota += " (more than available: took all)"
        table.add_row(source, fmt(stats["available"]), quota, fmt(stats["taken"]), skipped)
    console.print(table)
    splits = ", ".join(f"{s} {fmt(n)}" for s, n in result.splits.items())
    console.print(f"splits: {splits}")
    console.print(f"stored: {result.path}")
    err_console.print(
        f"load it with: from meadow import load_mixture; load_mixture({result.name!r})", style="dim"
    )
