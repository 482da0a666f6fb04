"""`meadow plan` (and `meadow build --check`): what a build needs, for every source at once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from meadow.cli._common import console, err_console, parse_pairs, split_csv
from meadow.errors import RecipeError
from meadow.raw import FOUND, MUST_BE_GIVEN, RawCheck, check_raw
from meadow.recipe import adhoc_recipe, load_recipe
from meadow.sources import get_source

_STYLE = {FOUND: "green", MUST_BE_GIVEN: "red"}


def raw_checks(
    mixture: str | None, sources: list[str] | None, raw: dict[str, Path]
) -> list[RawCheck]:
    """The raw-file check of the build `meadow build` would run with these flags.

    The recipe is read and every source's options checked as a build does, but nothing
    is parsed, downloaded or requested.
    """
    if mixture is None and not sources:
        raise RecipeError("--mixture", "give a recipe (--mixture NAME|PATH) or --sources a,b")
    recipe = load_recipe(mixture) if mixture is not None else adhoc_recipe(list(sources or []))
    recipe = recipe.with_overrides(sources=sources if mixture is not None else None)
    adapters = {
        n: get_source(n)(instruction=spec.instruction, **spec.options)
        for n, spec in recipe.sources.items()
    }
    given: dict[str, Path | None] = {n: spec.raw for n, spec in recipe.sources.items()}
    for extra in raw.keys() - adapters.keys():  # a benchmark checked for contamination
        adapters[extra] = get_source(extra)()
    given.update(raw)
    return check_raw(adapters, given)


def print_checks(checks: list[RawCheck]) -> int:
    """Print the table, then where to get each missing source's files; return the exit
    code (1: something must be given)."""
    table = Table(title="raw files")
    table.add_column("source", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("size", justify="right", no_wrap=True)
    table.add_column("where", overflow="fold")
    for check in checks:
        size = f"{check.size:,} B" if check.size is not None else "–"
        where = check.flag if check.missing else check.where.replace(" ", "\n")
        status = f"[{_STYLE.get(check.status, 'yellow')}]{check.status}[/]"
        table.add_row(check.source, status, size, where)
    console.print(table)
    missing = [c for c in checks if c.missing]
    for check in missing:
        console.print(f"{check.source}: {check.how}", highlight=False, soft_wrap=True)
    if missing:
        names = ", ".join(c.source for c in missing)
        err_console.print(
            f"error: {len(missing)} source(s) must be given: {names}; "
            "pass each with --raw NAME=PATH",
            style="red",
            highlight=False,
            soft_wrap=True,
        )
        return 1
    downloads = [c.source for c in checks if c.status not in (FOUND, MUST_BE_GIVEN)]
    note = f" ({', '.join(downloads)} will be downloaded)" if downloads else ""
    console.print(f"every source has its raw files{note}", highlight=False)
    return 0


def plan_command(
    mixture: Annotated[
        str | None,
        typer.Argument(
            help="Built-in recipe (sample, small, medalpaca, pmc-llama) or a YAML path."
        ),
    ] = None,
    sources: Annotated[
        str | None, typer.Option("--sources", "-s", help="Comma-separated sources.")
    ] = None,
    raw: Annotated[
        list[str] | None,
        typer.Option("--raw", help="SOURCE=PATH: a source's raw file or folder (repeatable)."),
    ] = None,
) -> None:
    """Say where every source's raw files would come from: found, downloaded, or missing.

    Nothing is parsed or downloaded. Exits 1 when a source's files must be given.
    The same as `meadow build … --check`.

    Examples:

      meadow plan medalpaca

      meadow plan small --raw wikidoc=./pages

      meadow plan --sources mmlu,pubmedqa
    """
    pairs = {k: Path(v) for k, v in parse_pairs(raw, "--raw").items()}
    code = print_checks(raw_checks(mixture, split_csv(sources), pairs))
    if code:
        raise typer.Exit(code)
