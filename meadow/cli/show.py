"""`meadow show` and `meadow list`: what is in the local store."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from meadow.cli._common import console, fmt
from meadow.hub import published
from meadow.mixture import SPLITS
from meadow.store import list_mixtures, list_revisions, read_manifest


def show_command(
    name: Annotated[str, typer.Argument(help="Mixture name in the local store.")],
    revision: Annotated[
        str | None, typer.Option(help="A revision (prefix); default latest.")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print manifest.json as it is.")
    ] = False,
) -> None:
    """Show a built mixture's manifest: per source available, taken, skipped; raw files.

    Example: meadow show my-mix
    """
    manifest = read_manifest(name, revision)
    if json_output:
        console.print_json(json.dumps(manifest))
        return
    recipe = manifest["recipe"]
    console.print(
        f"[bold]{manifest['name']}[/bold] revision {manifest['revision']} "
        f"(meadow {manifest['meadow_version']}, seed {recipe['seed']})"
    )
    splits = manifest["splits"]
    console.print("splits: " + ", ".join(f"{s} {fmt(splits[s])}" for s in SPLITS if s in splits))
    table = Table(show_lines=True)
    columns = ("source", "subset", "available", "quota", "taken", "skipped", "hygiene", "raw files")
    for column in columns:
        table.add_column(column, overflow="fold")
    for source, stats in manifest["sources"].items():
        skipped = "\n".join(f"{r}: {fmt(n)}" for r, n in stats["skipped"].items()) or "–"
        raw = "\n".join(f"{f['name']} {f['sha256'][:12]}" for f in stats["raw_files"][:5])
        if len(stats["raw_files"]) > 5:
            raw += f"\n… {len(stats['raw_files']) - 5} more"
        table.add_row(
            source,
            "(all)",
            fmt(stats["available"]),
            fmt(stats["quota"]),
            fmt(stats["taken"]),
            skipped,
            _hygiene(stats),
            raw,
        )
        for subset, sub in stats["subsets"].items():
            table.add_row(
                "",
                subset or "–",
                fmt(sub["available"]),
                fmt(sub["quota"]),
                fmt(sub["taken"]),
                "",
                "",
                "",
            )
    console.print(table)
    benchmarks = (manifest.get("quality") or {}).get("benchmarks") or {}
    if benchmarks:
        checked = [f"{n} ({fmt(b['items'])} items)" for n, b in benchmarks.items() if b["checked"]]
        unchecked = [n for n, b in benchmarks.items() if not b["checked"]]
        console.print("decontaminated against: " + (", ".join(checked) or "none"))
        if unchecked:
            console.print("not checked (no raw files): " + ", ".join(unchecked))
    where = published(name, manifest["revision"])
    if where:
        console.print(
            f"published: {where['repo_id']} config {where['config']}, tag {where['tag']}, "
            f"commit {where['commit']}"
        )


def list_command() -> None:
    """List the mixtures in the local store with their revisions.

    Example: meadow list
    """
    names = list_mixtures()
    if not names:
        console.print("the local store is empty; try: meadow build --mixture sample")
        return
    table = Table()
    for column in ("name", "latest revision", "built at", "revisions"):
        table.add_column(column)
    for name in names:
        revisions = list_revisions(name)
        latest = read_manifest(name)["revision"]
        built = next((r["built_at"] for r in revisions if r["revision"] == latest), "")
        table.add_row(name, latest, built, str(len(revisions)))
    console.print(table)


def _hygiene(stats: dict[str, Any]) -> str:
    """What the data-hygiene steps removed from a source, and what they rewrote."""
    removed = stats.get("removed") or {}
    lines = [f"{r}: {fmt(removed[r])}" for r in ("duplicate", "near_duplicate") if removed.get(r)]
    lines += [f"contaminated ({b}): {fmt(n)}" for b, n in removed.get("contaminated", {}).items()]
    lines += [f"{r}: {fmt(n)}" for r, n in removed.get("filtered", {}).items()]
    if stats.get("boilerplate_stripped"):
        lines.append(f"boilerplate stripped: {fmt(stats['boilerplate_stripped'])}")
    pii = {kind: n for kind, n in (stats.get("pii_replaced") or {}).items() if n}
    if pii:
        lines.append("PII replaced: " + ", ".join(f"{k} {fmt(n)}" for k, n in pii.items()))
    return "\n".join(lines) or "–"
