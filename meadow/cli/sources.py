"""`meadow sources`: what meadow can read, and one source in full."""

from __future__ import annotations

import difflib
import json
from typing import Annotated, Any

import typer
from rich.table import Table

from meadow.cli._common import console
from meadow.errors import SourceNotFoundError
from meadow.sources import get_source, list_sources
from meadow.sources.base import Source

SUBSETS_WIDTH = 24  # characters of the table's subsets column; longer lists are counted


def sources_command(
    name: Annotated[str | None, typer.Argument(help="A source: print everything about it.")] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print JSON instead of a table.")
    ] = False,
) -> None:
    """List every source in one line each (name, subsets, license, where its raw files come
    from); with a NAME, that source in full: subsets, license, raw files and how to get
    them, options with their defaults.

    Examples:

      meadow sources

      meadow sources stackexchange
    """
    if name is not None:
        cls = find_source(name)
        if json_output:
            console.print_json(data=describe(cls), default=str)
        else:
            print_source(cls)
        return
    if json_output:
        console.print_json(data=[get_source(n).info() for n in list_sources()])
        return
    infos = [describe(get_source(n)) for n in list_sources()]
    table = Table(title="meadow sources", title_justify="left")
    for column in ("name", "subsets", "license", "raw files"):
        table.add_column(column, overflow="ellipsis", no_wrap=True)
    for info in infos:
        table.add_row(info["name"], _subsets_short(info), info["license"], _needs(info))
    console.print(table)
    console.print(
        "* has benchmark subsets (test split only). One source in full: meadow sources NAME",
        highlight=False,
    )


def find_source(name: str) -> type[Source]:
    """The source named `name`; an unknown name says which known ones are close."""
    known = list_sources()
    if name in known:
        return get_source(name)
    raise SourceNotFoundError(name, known, difflib.get_close_matches(name, known, n=2))


def describe(cls: type[Source]) -> dict[str, Any]:
    """Everything `meadow sources NAME --json` prints: `info()` and what a recipe may set."""
    return {
        **cls.info(),
        "default_instruction": cls.default_instruction,
        "default_options": dict(cls.default_options),
        "file_suffixes": list(cls.file_suffixes),
        "expected_files": dict(cls.expected_files),
    }


def print_source(cls: type[Source]) -> None:
    """One source in full, as lines a user reads top to bottom."""
    info = describe(cls)
    name = info["name"]
    lines = [f"[bold]{name}[/bold]: {info['description']}".rstrip(": ")]
    lines.append(f"homepage: {info['homepage'] or '–'}")
    lines.append(f"license:  {info['license'] or '–'}")
    lines.append(f"adapter version: {info['version']}")
    lines.append("subsets:  " + (", ".join(info["subsets"]) or "from the data"))
    if info["evaluation_subsets"]:
        held = ", ".join(info["evaluation_subsets"]).replace("*", "all")
        lines.append(f"benchmark subsets (test split only, unless train_on_evaluation): {held}")
    if info["llm_subsets"]:
        lines.append("subsets an LLM may rewrite (--llm): " + ", ".join(info["llm_subsets"]))
    lines.append("raw files:")
    downloads = [f for f in info["raw_files"] if f["url"]]
    for raw in info["raw_files"]:
        where = f"downloaded from {raw['url']}" if raw["url"] else "not downloadable"
        lines.append(f"  {raw['name']}: {where}")
    if info["expected_files"]:
        wanted = ", ".join(info["expected_files"])
        lines.append(f"  a --raw folder is searched for: {wanted}")
    elif info["file_suffixes"]:
        lines.append(f"  a --raw folder is read for: {', '.join(info['file_suffixes'])} files")
    give = f"--raw {name}=PATH"
    if downloads:
        lines.append(f"  given with {give}, or downloaded into MEADOW_HOME when not given")
    else:
        lines.append(f"  must be given: {give}")
    if info["how_to_get"]:
        lines.append(f"how to get them: {info['how_to_get']}")
    options = info["default_options"]
    if options:
        lines.append(f"options (a recipe's sources: {{{name}: {{options: {{…}}}}}}), defaults:")
        lines += [f"  {key}: {json.dumps(value, default=str)}" for key, value in options.items()]
    else:
        lines.append("options: none")
    lines.append(f"default instruction: {info['default_instruction']}")
    if info["citation"]:
        lines.append("citation: " + " ".join(info["citation"].split()))
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


def _subsets_short(info: dict[str, Any]) -> str:
    subsets = info["subsets"]
    text = ", ".join(subsets) or "from the data"
    if len(text) > SUBSETS_WIDTH:
        text = f"{len(subsets)}: {subsets[0]}, …"
    return text + (" *" if info["evaluation_subsets"] else "")


def _needs(info: dict[str, Any]) -> str:
    """Where the raw files come from: downloaded when not given, or given with --raw."""
    urls = {f["name"] for f in info["raw_files"] if f["url"]}
    if not urls:
        return "--raw"
    others = {f["name"] for f in info["raw_files"]} | set(info.get("expected_files", {}))
    return "downloaded" if others <= urls else "partly downloaded"
