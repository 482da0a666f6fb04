"""The composition chart of a dataset card: rows taken per source and subset, as a PNG.

`CHART_STYLE` is shared with the model card's loss curve, so the two cards' charts match.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from meadow.manifest import Manifest, as_manifest

_PALETTE = [
    "#4c72b0",
    "#dd8452",
    "#55a868",
    "#c44e52",
    "#8172b3",
    "#937860",
    "#da8bc3",
    "#8c8c8c",
    "#ccb974",
    "#64b5cd",
]
CHART_STYLE = {
    "font.family": "DejaVu Sans",  # bundled with matplotlib: the same glyphs everywhere
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "meadow",
}


def composition_chart(manifest: Manifest | Mapping[str, Any], path: Path) -> Path:
    """Draw rows taken per source and subset as a horizontal bar chart PNG at `path`.

    One bar per (source, subset), in manifest order and colored by source, labelled with
    "taken of available". The same manifest gives the same bytes: fixed size, dpi and font,
    and no timestamp or software version in the file.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    manifest = as_manifest(manifest)
    bars = [
        (source, subset, int(sub["taken"]), int(sub["available"]), i)
        for i, (source, src) in enumerate(manifest.sources.items())
        for subset, sub in (src.subsets or {}).items()
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(CHART_STYLE):
        figure = Figure(figsize=(8, 1.2 + 0.3 * max(len(bars), 1)), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        positions = list(range(len(bars)))
        taken = [b[2] for b in bars]
        axes.barh(
            positions, taken, height=0.7, color=[_PALETTE[b[4] % len(_PALETTE)] for b in bars]
        )
        axes.set_yticks(positions, [f"{b[0]} / {b[1]}" if b[1] else b[0] for b in bars])
        axes.set_ylim(max(len(bars), 1) - 0.5, -0.5)  # first source on top, no empty margin
        widest = max(taken, default=0) or 1
        axes.set_xlim(0, widest * 1.3)  # room for the labels at the bar ends
        for y, (_, _, n, available, _) in zip(positions, bars, strict=True):
            axes.annotate(
                f"{n:,} of {available:,}",
                xy=(n, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        axes.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:,.0f}"))
        axes.set_xlabel("rows taken (labels: taken of available)")
        axes.set_title(
            f"{manifest.name}: {manifest.rows:,} rows from {len(manifest.sources)} sources",
            loc="left",
        )
        if not bars:
            axes.text(0.5, 0.5, "no rows", transform=axes.transAxes, ha="center")
        figure.savefig(
            path,
            format="png",
            dpi=100,
            bbox_inches="tight",
            metadata={"Software": None},
        )
    return path
