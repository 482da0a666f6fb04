"""`meadow show` and `meadow list`: what is in the local store."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated, Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import typer
from rich.table import Table

from meadow.cli._common import console, err_console, fmt
from meadow.errors import MeadowError, RecipeError, StoreError
from meadow.manifest import Manifest, SourceStats, as_manifest
from meadow.manifest import read as read_revision_manifest
from meadow.publications import publications
from meadow.quality.removed import REMOVED_FILE, read_removed
from meadow.quality.rows import STEPS
from meadow.schema import SPLITS
from meadow.store import list_mixtures, list_revisions, revision_dir, revision_manifest, split_files

SHOWN_REMOVED = 20  # removed rows listed by default
TEXT_WIDTH = 160  # characters of each text in the removed-rows table
FIELD_CHARS = 500  # characters of each field `meadow show --rows` prints


def show_command(
    name: Annotated[str, typer.Argument(help="Mixture name in the local store.")],
    revision: Annotated[
        str | None, typer.Option(help="A revision (prefix); default latest.")
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print manifest.json as it is (with --removed: the rows)."),
    ] = False,
    removed: Annotated[
        bool,
        typer.Option(
            "--removed",
            help="List the rows the quality steps removed, each with why: the row it "
            "duplicated (id and text) or the benchmark item it overlaps (and the shared text).",
        ),
    ] = False,
    rows: Annotated[
        int | None,
        typer.Option(
            "--rows", help="Print the first N rows of a split, each field wrapped and cut short."
        ),
    ] = None,
    split: Annotated[
        str | None, typer.Option("--split", help="With --rows: which split (default train).")
    ] = None,
    max_chars: Annotated[
        int,
        typer.Option("--max-chars", help="With --rows: characters shown of each field."),
    ] = FIELD_CHARS,
    source: Annotated[
        str | None,
        typer.Option("--source", help="With --removed or --rows: only this source's rows."),
    ] = None,
    step: Annotated[
        str | None,
        typer.Option(
            "--step",
            help=f"With --removed: only the rows of one step ({', '.join(STEPS.values())}).",
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", help="With --removed: how many rows to list.")
    ] = SHOWN_REMOVED,
) -> None:
    """Show a built mixture's manifest: per source available, taken, skipped; raw files.

    Examples:

      meadow show my-mix

      meadow show my-mix --rows 3 --split validation --source anki

      meadow show my-mix --removed --source anki --limit 50

      meadow show my-mix --removed --step near_dedup --json
    """
    folder = revision_dir(name, revision)
    manifest = read_revision_manifest(folder)
    if removed:
        show_removed(manifest, source=source, step=step, limit=limit, json_output=json_output)
        return
    if rows is not None:
        if step is not None:
            raise RecipeError("--step", "--step goes with --removed")
        show_rows(
            manifest,
            folder,
            rows,
            split=split or "train",
            source=source,
            max_chars=max_chars,
            json_output=json_output,
        )
        return
    if source is not None or step is not None:
        raise RecipeError(
            "--source", "--source goes with --removed or --rows, --step with --removed"
        )
    if split is not None:
        raise RecipeError("--split", "--split goes with --rows, e.g. --rows 3 --split validation")
    if json_output:
        console.print_json(manifest.to_json())
        return
    console.print(
        f"[bold]{manifest.name}[/bold] revision {manifest.revision} "
        f"(meadow {manifest.meadow_version}, seed {manifest.recipe['seed']})"
    )
    _print_paths(folder)
    splits = manifest.splits
    console.print("splits: " + ", ".join(f"{s} {fmt(splits[s])}" for s in SPLITS if s in splits))
    table = Table(show_lines=True)
    columns = ("source", "subset", "available", "quota", "taken", "skipped", "hygiene", "raw files")
    for column in columns:
        table.add_column(column, overflow="fold")
    for source, stats in manifest.sources.items():
        skipped = "\n".join(f"{r}: {fmt(n)}" for r, n in (stats.skipped or {}).items()) or "–"
        raw_files = stats.raw_files or []
        raw = "\n".join(f"{f['name']} {f['sha256'][:12]}" for f in raw_files[:5])
        if len(raw_files) > 5:
            raw += f"\n… {len(raw_files) - 5} more"
        table.add_row(
            source,
            "(all)",
            fmt(stats.available),
            fmt(stats.quota),
            fmt(stats.taken),
            skipped,
            _hygiene(stats),
            raw,
        )
        for subset, sub in (stats.subsets or {}).items():
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
    benchmarks = (manifest.quality.benchmarks if manifest.quality else None) or {}
    if benchmarks:
        checked = [f"{n} ({fmt(b['items'])} items)" for n, b in benchmarks.items() if b["checked"]]
        unchecked = [n for n, b in benchmarks.items() if not b["checked"]]
        console.print("decontaminated against: " + (", ".join(checked) or "none"))
        if unchecked:
            console.print("not checked (no raw files): " + ", ".join(unchecked))
    for where in publications(name, manifest.revision):  # one per repo
        if "tag" in where:
            console.print(
                f"published: {where['repo_id']} config {where['config']}, tag {where['tag']}, "
                f"commit {where['commit']}"
            )
        else:
            console.print(f"pulled from: {where['repo_id']} at {where['pulled_revision']}")


def list_command(
    name: Annotated[
        str | None, typer.Argument(help="A mixture name: list each of its revisions.")
    ] = None,
) -> None:
    """List the mixtures in the local store: latest revision, rows per split, and where
    its folder, card (README.md) and manifest.json are.

    Examples:

      meadow list

      meadow list my-mix
    """
    if name is not None:
        _list_revisions(name)
        return
    names = list_mixtures()
    if not names:
        console.print("the local store is empty; try: meadow build --mixture sample")
        return
    table = Table()
    for column in ("name", "latest revision", "built at", "revisions", "rows"):
        table.add_column(column)
    folders: dict[str, Path] = {}
    for name in names:
        try:  # a damaged name is reported, the others listed
            revisions = list_revisions(name)
            folders[name] = revision_dir(name)
            latest = read_revision_manifest(folders[name])
        except MeadowError as exc:
            err_console.print(f"{name}: {exc}", soft_wrap=True, highlight=False)
            continue
        built = next((r["built_at"] for r in revisions if r["revision"] == latest.revision), "")
        table.add_row(name, latest.revision, built, str(len(revisions)), _rows(latest))
    console.print(table)
    for name, folder in folders.items():
        console.print(
            f"{name}: {folder} (README.md, manifest.json)", soft_wrap=True, highlight=False
        )


def _list_revisions(name: str) -> None:
    """Every revision of one name, oldest first, with its rows and folder."""
    revisions = list_revisions(name)
    latest = revision_dir(name).name
    table = Table(title=f"{name}: {len(revisions)} revision(s)", title_justify="left")
    for column in ("revision", "built at", "rows"):
        table.add_column(column)
    for entry in revisions:
        rev = entry["revision"]
        try:
            rows = _rows(revision_manifest(name, rev))
        except MeadowError as exc:
            rows = f"unreadable: {exc}"
        table.add_row(rev + (" (latest)" if rev == latest else ""), entry["built_at"], rows)
    console.print(table)
    for entry in revisions:
        console.print(
            f"{entry['revision'][:12]}: {revision_dir(name, entry['revision'])}",
            soft_wrap=True,
            highlight=False,
        )


def _rows(manifest: Manifest) -> str:
    """Rows per split and in all: `train 24, validation 6 (30)`."""
    splits = manifest.splits
    shown = ", ".join(f"{s} {fmt(splits[s])}" for s in SPLITS if splits.get(s))
    return f"{shown} ({fmt(sum(splits.values()))})" if shown else "0"


def _print_paths(folder: Path) -> None:
    """Where a revision is on disk: its folder, card and manifest."""
    for label, path in (
        ("folder", folder),
        ("card", folder / "README.md"),
        ("manifest", folder / "manifest.json"),
    ):
        console.print(f"{label + ':':<10}{path}", soft_wrap=True, highlight=False)


# -- rows ---------------------------------------------------------------------------------


def show_rows(
    manifest: Manifest,
    folder: Path,
    count: int,
    *,
    split: str = "train",
    source: str | None = None,
    max_chars: int = FIELD_CHARS,
    json_output: bool = False,
) -> None:
    """The first `count` rows of a split, as `ds[:3]` shows them in `datasets`: every field,
    wrapped to the terminal, each cut at `max_chars` with how much was cut."""
    name, rev = manifest.name, manifest.revision
    if count < 1:
        raise RecipeError("--rows", f"expected a number of rows (1 or more), got {count}")
    if max_chars < 1:
        raise RecipeError("--max-chars", f"expected a number of characters, got {max_chars}")
    splits = manifest.splits
    if split not in splits:
        raise RecipeError("--split", f"{name} has no split {split!r}; splits: {', '.join(splits)}")
    if source is not None and source not in manifest.sources:
        known = ", ".join(manifest.sources)
        raise RecipeError("--source", f"{source!r} is not a source of {name} (sources: {known})")
    found = head_rows(folder, name, split, count, source=source)
    if json_output:
        console.print_json(json.dumps(found, ensure_ascii=False))
        return
    which = f"{split}" + (f", source {source}" if source else "")
    console.print(
        f"{name} @ {rev[:12]}: {which}: {len(found)} of {fmt(splits[split])} rows in the split",
        highlight=False,
        soft_wrap=True,
    )
    width = max(40, console.width)
    for i, row in enumerate(found, 1):
        console.print(f"── row {i} " + "─" * max(0, width - 8 - len(str(i))), highlight=False)
        for line in row_lines(row, width, max_chars):
            console.print(line, markup=False, highlight=False, soft_wrap=True)


def head_rows(
    folder: Path, config: str, split: str, limit: int, *, source: str | None = None
) -> list[dict[str, Any]]:
    """The first `limit` rows of one split of a revision folder (only `source`'s when
    given), as dicts; reads the row groups they are in and no others."""
    rows: list[dict[str, Any]] = []
    for shard in split_files(folder, config, split):
        file = pq.ParquetFile(shard)
        for group in range(file.num_row_groups):
            if len(rows) >= limit:
                return rows
            if source is None:
                table = file.read_row_group(group)
            else:  # the source column first: a row group without the source is not read
                mask = pc.equal(file.read_row_group(group, columns=["source"])["source"], source)
                if not pc.any(mask).as_py():
                    continue
                table = file.read_row_group(group).filter(mask)
            rows.extend(table.slice(0, limit - len(rows)).to_pylist())
    return rows


def row_lines(row: dict[str, Any], width: int, max_chars: int = FIELD_CHARS) -> list[str]:
    """One row as `field  value` lines no wider than `width`: each value wrapped with a
    hanging indent, and cut after `max_chars` characters with how many were cut."""
    label = max(len(key) for key in row) + 2
    room = max(20, width - label)
    lines: list[str] = []
    for key, value in row.items():
        text = "–" if value is None else str(value) if value != "" else '""'
        marker = (
            f"… [{fmt(len(text) - max_chars)} more characters]" if len(text) > max_chars else ""
        )
        wrapped = [
            piece
            for paragraph in text[:max_chars].split("\n")
            for piece in textwrap.wrap(paragraph, width=room) or [""]
        ]
        if marker:  # on the last line when it fits, else on a line of its own
            if len(wrapped[-1]) + len(marker) <= room:
                wrapped[-1] += marker
            else:
                wrapped.append(marker)
        lines.append(f"{key:<{label}}{wrapped[0]}")
        lines += [(" " * label + piece).rstrip() for piece in wrapped[1:]]
    return lines


def _hygiene(stats: SourceStats | dict[str, Any]) -> str:
    """What the data-hygiene steps removed from a source, and what they rewrote."""
    if not isinstance(stats, SourceStats):  # as in `meadow show --json`
        stats = SourceStats.from_dict(stats)
    removed = stats.removed or {}
    lines = [f"{r}: {fmt(removed[r])}" for r in ("duplicate", "near_duplicate") if removed.get(r)]
    lines += [f"contaminated ({b}): {fmt(n)}" for b, n in removed.get("contaminated", {}).items()]
    lines += [f"{r}: {fmt(n)}" for r, n in removed.get("filtered", {}).items()]
    if stats.boilerplate_stripped:
        lines.append(f"boilerplate stripped: {fmt(stats.boilerplate_stripped)}")
    pii = {kind: n for kind, n in (stats.pii_replaced or {}).items() if n}
    if pii:
        lines.append("PII replaced: " + ", ".join(f"{k} {fmt(n)}" for k, n in pii.items()))
    return "\n".join(lines) or "–"


# -- removed rows --------------------------------------------------------------------------


def show_removed(
    manifest: Manifest,
    *,
    source: str | None = None,
    step: str | None = None,
    limit: int = SHOWN_REMOVED,
    json_output: bool = False,
) -> None:
    """The rows a build's quality steps removed, from its removed.parquet: a table (or JSON
    records) of the first `limit`, each with the row or benchmark item it matched."""
    name, rev = manifest.name, manifest.revision
    if source is not None and source not in manifest.sources:
        known = ", ".join(manifest.sources)
        raise RecipeError("--source", f"{source!r} is not a source of {name} (sources: {known})")
    if step is not None and step not in STEPS.values():
        raise RecipeError("--step", f"unknown step {step!r}; steps: {', '.join(STEPS.values())}")
    if limit < 0:
        raise RecipeError("--limit", f"expected a count of rows (0 or more), got {limit}")
    path = revision_dir(name, rev) / REMOVED_FILE
    if not path.is_file():
        raise StoreError(_no_removed_file(manifest))
    rows, total = read_removed(path, source=source, step=step, limit=limit)
    if json_output:
        console.print_json(json.dumps(rows, ensure_ascii=False))
        return
    which = " ".join(
        f"{flag} {value}" for flag, value in (("--source", source), ("--step", step)) if value
    )
    title = f"{name} @ {rev}: rows removed: {fmt(total)}" + (f" ({which})" if which else "")
    if not total:
        console.print(title, highlight=False)
        return
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("row", "removed by", "text", "duplicate of / overlaps"):
        table.add_column(column, overflow="fold")
    for row in rows:
        where = f"{row['source']}/{row['subset']}" if row["subset"] else row["source"]
        table.add_row(
            f"{row['id']}\n{where}\n{row['split']}",
            f"{row['step']}: {row['reason']}",
            _texts(row["input"], row["output"]),
            _matched(row),
        )
    console.print(table)
    if total > len(rows):
        console.print(
            f"… {fmt(total - len(rows))} more: --limit {total} lists them all, --json prints "
            f"them whole ({path})",
            highlight=False,
        )


def _no_removed_file(manifest: Manifest) -> str:
    """Why a revision has no removed.parquet, and what to do."""
    name, rev = manifest.name, manifest.revision
    if not _steps_on(manifest):
        return f"{name} @ {rev} was built without quality steps: nothing removed"
    if manifest.quality.removed_rows is not None:  # named: pulled from the Hub, or deleted
        return (
            f"{name} @ {rev}: {REMOVED_FILE} is not in its folder (a mixture "
            "pulled from the Hub has only the kept rows); build it here to list removed rows"
        )
    return (
        f"{name} @ {rev} was built before meadow recorded removed rows; build it again to list them"
    )


def _steps_on(manifest: Manifest) -> bool:
    settings = manifest.quality.settings if manifest.quality else {}
    return any(settings.get(step) for step in STEPS.values())


def _cut(text: str | None, width: int = TEXT_WIDTH) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _texts(input_text: str | None, output_text: str | None) -> str:
    """A row's input and output, one above the other."""
    parts = [f"in: {_cut(input_text)}"] if input_text else []
    return "\n".join([*parts, f"out: {_cut(output_text)}"])


def _matched(row: dict[str, Any]) -> str:
    """What a removed row matched: the row kept in its place, or a benchmark item."""
    if row["matched_id"]:
        return (
            f"kept {row['matched_id']} ({row['matched_source']})\n"
            f"{_texts(row['matched_input'], row['matched_output'])}"
        )
    if row["benchmark"]:
        shared = _cut(row["shared_text"])
        return f"{row['benchmark']} item {row['item']} ({row['match']}):\n«{shared}»"
    return "–"


def removed_by_step(manifest: Manifest | dict[str, Any]) -> str | None:
    """One line on what each quality step removed from a build, for `meadow build`'s
    report; None for a build without quality steps."""
    manifest = as_manifest(manifest)
    if not _steps_on(manifest):
        return None
    totals = dict.fromkeys(STEPS.values(), 0)
    rows = 0
    for stats in manifest.sources.values():
        for step, count in (stats.removed or {}).get("by_step", {}).items():
            totals[step] = totals.get(step, 0) + count
        rows += stats.taken
    removed = sum(totals.values())
    steps = ", ".join(f"{step} {fmt(n)}" for step, n in totals.items())
    line = f"removed by step: {steps} ({fmt(removed)} of {fmt(rows)} rows)"
    if removed and manifest.quality.removed_rows is not None:
        line += f"; list them: meadow show {manifest.name} --removed"
    return line
