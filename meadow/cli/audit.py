"""`meadow audit`: duplicates and benchmark contamination of an existing mixture or file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import pyarrow.parquet as pq
import typer
from rich.table import Table

from meadow.build_benchmarks import mixture_benchmarks
from meadow.cli._common import console, err_console, fmt, parse_pairs, split_csv
from meadow.errors import AuditError, RecipeError
from meadow.manifest import read as read_manifest
from meadow.parse_runner import plan_source, run_plans
from meadow.paths import source_cache_root
from meadow.quality import BENCHMARKS, QualitySettings, SourcePolicy, find_benchmarks
from meadow.quality.audit import AuditReport, audit, audit_settings
from meadow.quality.settings import NearDedup
from meadow.sources import get_source
from meadow.store import list_mixtures, mixture_dir, revision_dir, revision_rows

SHOWN_ROWS = 20  # overlapping rows printed per benchmark (all of them are in the JSON)

BenchmarkMixtureOption = Annotated[
    str | None,
    typer.Option(
        "--benchmark-mixture",
        help="NAME[@REVISION]: a built mixture whose benchmark (test-split) rows are the "
        "items to check against, for benchmarks whose raw files are not given.",
    ),
]


def audit_command(
    target: Annotated[
        str,
        typer.Argument(
            help="A file or folder (.json, .jsonl, .csv, .parquet, read by the `local` "
            "source), a mixture in the local store, or a Hub repo id (with --name)."
        ),
    ],
    against: Annotated[
        str | None,
        typer.Option(
            "--against",
            help=f"Benchmarks to check ({', '.join(BENCHMARKS)}); each must be found. "
            "Default: every benchmark whose raw files are found.",
        ),
    ] = None,
    raw: Annotated[
        list[str] | None,
        typer.Option(
            "--raw", help="BENCHMARK=PATH: a benchmark's raw file or folder (repeatable)."
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Where to write the JSON report (default ./audit-NAME.json)."
        ),
    ] = None,
    name: Annotated[
        str | None, typer.Option(help="With a Hub repo id: the mixture's config name.")
    ] = None,
    revision: Annotated[
        str | None,
        typer.Option(help="A revision of the mixture (local prefix, Hub tag or commit)."),
    ] = None,
    benchmark_mixture: BenchmarkMixtureOption = None,
    ngram: Annotated[
        int, typer.Option(help="Words per n-gram compared with benchmark items.")
    ] = 13,
    threshold: Annotated[
        float, typer.Option(help="Near-duplicate threshold (Jaccard, input and output).")
    ] = 0.85,
) -> None:
    """Report duplicates and overlap with benchmarks of a mixture or file, without building.

    Examples:

      meadow audit medical_meadow_wikidoc.json --raw usmle=./usmle --raw medqa=./MedQA/US

      meadow audit my-mix --against usmle,medqa --raw usmle=./usmle --raw medqa=./MedQA/US

      meadow audit my-org/meadow --name small --revision small-3f2a9c0d1e --raw mmlu=./data

      meadow audit medical_meadow_wikidoc.json --benchmark-mixture my-eval-mix
    """
    given = {k: Path(v) for k, v in parse_pairs(raw, "--raw").items()}
    stray = sorted(set(given) - set(BENCHMARKS))
    if stray:
        raise RecipeError(
            f"--raw {stray[0]}", f"not a benchmark; benchmarks: {', '.join(BENCHMARKS)}"
        )
    wanted = split_csv(against)
    for bench in wanted or ():
        if bench not in BENCHMARKS:
            raise RecipeError(
                "--against", f"unknown benchmark {bench!r}; known: {', '.join(BENCHMARKS)}"
            )
    try:
        near = NearDedup(threshold=threshold)
        near.check("near_dedup")
        settings = audit_settings(ngram, QualitySettings(near_dedup=near))
        settings.decontamination.check("decontamination")
    except RecipeError as err:  # name the flag: quality.near_dedup.threshold -> --threshold
        raise RecipeError("--" + err.key.rsplit(".", 1)[-1], err.problem) from None
    label, slug, pieces, policies = _rows_of(target, name, revision)
    names = tuple(wanted or BENCHMARKS)
    built = mixture_benchmarks(benchmark_mixture or "", names)
    required = [name for name in wanted or () if name not in built.found]
    benchmarks = find_benchmarks(names, given=given, require=required)
    benchmarks.fill_from(built)
    if not benchmarks.found:
        raise AuditError(
            "no benchmark raw files found: pass them with --raw BENCHMARK=PATH "
            f"({', '.join(BENCHMARKS)}), e.g. --raw usmle=./usmle, or a built evaluation "
            "mixture with --benchmark-mixture NAME"
        )
    report = audit(label, pieces, benchmarks, settings=settings, policies=policies)
    path = output or Path(f"audit-{slug}.json")
    path.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    print_report(report)
    console.print(f"report: {path}")


# -- what is audited -----------------------------------------------------------------------


def _rows_of(
    target: str, config: str | None, revision: str | None
) -> tuple[str, str, Iterator[tuple[str, pa.Table]], dict[str, SourcePolicy]]:
    """(label, file-name slug, (split, rows) pieces, per-source policies) of a file, a
    mixture or a Hub repo."""
    path = Path(target).expanduser()
    if path.exists():
        return str(path), path.stem, _file_rows(path), {}
    if _plain_name(target) and (mixture_dir(target) / "refs.json").is_file():
        return _revision_rows(revision_dir(target, revision), target)
    if re.fullmatch(r"[\w.-]+/[\w.-]+", target) and not target.startswith("."):
        if not config:
            raise AuditError(
                f"{target} is read as a Hub repo id: add --name CONFIG (the mixture's name in "
                "it), or give the path of an existing file"
            )
        from meadow.hub import pull

        return _revision_rows(pull(target, config, revision=revision), config, label=target)
    built = ", ".join(list_mixtures()) or "none"
    raise AuditError(
        f"{target}: no such file or folder, and no mixture of that name in the local store "
        f"(built: {built}); pass a .json/.jsonl/.csv/.parquet file, a mixture name, or a Hub "
        "repo id with --name"
    )


def _plain_name(text: str) -> bool:
    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,95}", text) is not None


def _file_rows(path: Path) -> Iterator[tuple[str, pa.Table]]:
    """The rows of a file or folder as the `local` source reads them (parsed once, cached)."""
    plan = plan_source(get_source("local")(), path, source_cache_root())
    cache = run_plans([plan])["local"]
    for part in cache.part_paths:
        for batch in pq.ParquetFile(part).iter_batches():
            yield "train", pa.Table.from_batches([batch])


def _revision_rows(
    folder: Path, config: str, label: str | None = None
) -> tuple[str, str, Iterator[tuple[str, pa.Table]], dict[str, SourcePolicy]]:
    """The rows of a revision folder, split by split; its benchmark subsets are evaluation-only."""
    manifest = read_manifest(folder)
    policies = {
        source: SourcePolicy(evaluation_subsets=frozenset(stats.evaluation_only or ()))
        for source, stats in manifest.sources.items()
    }
    label = f"{label or config}@{manifest.revision}"
    return label, config, revision_rows(folder, config), policies


# -- printing ------------------------------------------------------------------------------


def _cut(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_report(report: AuditReport) -> None:
    """A table per benchmark of the rows that overlap it, then the duplicates."""
    console.print(f"[bold]{report.target}[/bold]: {fmt(report.rows)} rows")
    for bench, info in report.benchmarks.items():
        if not info["checked"]:
            err_console.print(f"{bench}: not checked: {info['reason']}", style="yellow")
            continue
        found = report.contamination.get(bench, [])
        table = Table(
            title=f"{bench}: {fmt(len(found))} rows overlap its {fmt(info['items'])} items",
            title_justify="left",
        )
        for column in ("row", "source", "split", "item", "match", "input"):
            table.add_column(column, overflow="fold")
        for row in found[:SHOWN_ROWS]:
            first = row["matches"][0]
            table.add_row(
                row["id"],
                f"{row['source']}/{row['subset']}" if row["subset"] else row["source"],
                row["split"],
                first["item"],
                first["kind"],
                _cut(row["input"] or row["output"]),
            )
        if found:
            console.print(table)
            if len(found) > SHOWN_ROWS:
                console.print(f"… and {fmt(len(found) - SHOWN_ROWS)} more in the JSON report")
        else:
            console.print(f"{bench}: no overlap with its {fmt(info['items'])} items")
    for kind in report.duplicates.values():
        console.print(f"{kind['description']}: {fmt(kind['rows'])}")
        for example in kind["examples"][:3]:
            duplicate, kept = example["duplicate"], example["kept"]
            console.print(
                f"  {duplicate['id']} (kept: {kept['id']}) {_cut(duplicate['input'], 40)!r}",
                highlight=False,
            )
