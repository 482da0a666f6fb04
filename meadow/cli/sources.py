"""`meadow sources`: what meadow can read and what each source needs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from meadow.cli._common import console
from meadow.sources import get_source, list_sources


def sources_command(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> None:
    """List every source: name, subsets, license, homepage and the raw files it needs.

    Example: meadow sources
    """
    infos = [get_source(name).info() for name in list_sources()]
    if json_output:
        console.print_json(data=infos)
        return
    table = Table(title="meadow sources", show_lines=True)
    for column in ("name", "subsets", "license", "homepage", "raw files"):
        table.add_column(column, overflow="fold")
    for info in infos:
        if info["raw_files"]:
            raw = "\n".join(f"{f['name']}: {f['url'] or 'manual'}" for f in info["raw_files"])
        else:
            raw = f"--raw {info['name']}=PATH. {info['how_to_get']}"
        subsets = ", ".join(info["subsets"]) or "(from the data)"
        if info["evaluation_subsets"]:
            held = ", ".join(info["evaluation_subsets"]).replace("*", "all")
            subsets += f"\nbenchmark, test split only: {held}"
        table.add_row(
            info["name"],
            subsets,
            info["license"],
            info["homepage"],
            raw,
        )
    console.print(table)
