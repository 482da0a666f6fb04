"""`audit()`: the duplicate and contamination report of rows already made, without a build.

It runs the same steps a build runs (exact and near duplicates, decontamination) over any
stream of rows, a published mixture or a `medical_meadow_*.json`, but changes and removes
nothing: each finding is reported with the row it concerns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa

from meadow.quality.benchmarks import Benchmarks
from meadow.quality.decontam import BenchmarkIndex
from meadow.quality.run import QualityRun
from meadow.quality.settings import Decontamination, ExactDedup, QualitySettings, SourcePolicy

EXAMPLES = 20  # duplicate pairs shown per kind in the report
_KINDS = {
    "exact": "duplicate rows (same normalised input and output)",
    "input": "repeated questions (same normalised input, another output)",
    "near": "near duplicates (MinHash LSH over input and output)",
}


@dataclass
class AuditReport:
    """What `audit` found.

    Attributes:
        target: what was audited (a path, a mixture name, a repo id).
        rows: rows checked.
        benchmarks: per benchmark, checked or not (with its files), as in a manifest.
        contamination: per benchmark checked, the overlapping rows, each with its matches.
        duplicates: per kind (`exact`, `input`, `near`), the count and example pairs.
        settings: the settings the checks ran with.
    """

    target: str
    rows: int
    benchmarks: dict[str, Any]
    contamination: dict[str, list[dict[str, Any]]]
    duplicates: dict[str, dict[str, Any]]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "rows": self.rows,
            "settings": self.settings,
            "benchmarks": self.benchmarks,
            "contamination": self.contamination,
            "duplicates": self.duplicates,
        }


def audit_settings(ngram: int = 13, near: QualitySettings | None = None) -> QualitySettings:
    """The checks of an audit: duplicates (also repeated questions), near duplicates and
    decontamination (flagging, so every row stays in the duplicate checks); no filters,
    no scrubbing."""
    base = near or QualitySettings()
    return replace(
        QualitySettings.off(),
        exact_dedup=ExactDedup(by_input=True),
        near_dedup=base.near_dedup,
        decontamination=Decontamination(ngram=ngram, action="flag"),
    )


def audit(
    target: str,
    pieces: Iterable[tuple[str, pa.Table]],
    benchmarks: Benchmarks,
    *,
    settings: QualitySettings | None = None,
    policies: Mapping[str, SourcePolicy] | None = None,
    progress: bool | None = None,
) -> AuditReport:
    """Check `pieces` ((split, rows) with meadow's columns) for duplicates and for overlap
    with the benchmarks found; `policies` say which rows are evaluation-only (never
    reported as duplicates or contaminated)."""
    settings = settings or audit_settings()
    ngram = settings.decontamination.ngram if settings.decontamination else 13
    items = {name: bench.items for name, bench in benchmarks.found.items()}
    index = BenchmarkIndex(items, ngram) if items else None
    with QualityRun(settings, policies or {}, index=index, details=True) as run:
        run.run(pieces, progress=progress)
        contamination: dict[str, list[dict[str, Any]]] = {name: [] for name in items}
        for position in sorted(run.matches):
            hits = run.matches[position]
            for name in dict.fromkeys(m.benchmark for m in hits):
                contamination[name].append(
                    {
                        **run.previews[position],
                        "matches": [
                            {"item": m.item, "kind": m.kind, "text": m.text}
                            for m in hits
                            if m.benchmark == name
                        ],
                    }
                )
        duplicates: dict[str, dict[str, Any]] = {}
        shown = {k: run.duplicate_pairs(k) for k in _KINDS}
        previews = run.rows_at(
            p
            for losers, winners in shown.values()
            for p in [*losers[:EXAMPLES], *winners[:EXAMPLES]]
        )
        for kind, description in _KINDS.items():
            losers, winners = shown[kind]
            duplicates[kind] = {
                "description": description,
                "rows": len(losers),
                "examples": [
                    {"kept": previews[int(w)], "duplicate": previews[int(lo)]}
                    for lo, w in zip(losers[:EXAMPLES], winners[:EXAMPLES], strict=True)
                ],
            }
        rows = run.rows_total
    return AuditReport(
        target=target,
        rows=rows,
        benchmarks=benchmarks.manifest(),
        contamination=contamination,
        duplicates=duplicates,
        settings=settings.canonical(),
    )
