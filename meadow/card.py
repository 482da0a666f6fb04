"""The dataset card (README.md) of a build: rendered from its manifest and counted rows only.

`render_dataset_card` fills `cards/dataset_card.md.j2` and passes it through
`huggingface_hub.DatasetCard`, so the YAML is exactly what the Hub client reads back. Its
parts live next door: the YAML header in `meadow.card_metadata`, the token statistics in
`meadow.token_stats`, the composition chart in `meadow.chart`, and the merge into a repo's
README (and the check every card passes) in `meadow.card_merge`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import yaml

from meadow.card_merge import through_dataset_card
from meadow.card_metadata import dataset_card_metadata
from meadow.llm.tokens import CHARS_PER_TOKEN
from meadow.manifest import Manifest, as_manifest
from meadow.templates import card_template

if TYPE_CHECKING:
    import jinja2


def render_dataset_card(
    manifest: Manifest | Mapping[str, Any],
    sources_info: dict[str, dict[str, Any]],
    rebuild_command: str,
    *,
    token_stats: dict[str, Any] | None = None,
    chart: str | None = None,
) -> str:
    """The README.md of one build: YAML metadata and this config's body between markers.

    `sources_info` maps a source to its `Source.info()` (homepage, citation);
    `token_stats` is `token_statistics()`'s result (no token section without it); `chart`
    is the card-relative path of `composition_chart()`'s PNG (no image without it).
    """
    from huggingface_hub import DatasetCardData  # here: an unchanged rebuild renders no card

    manifest = as_manifest(manifest)
    metadata = dataset_card_metadata(manifest)
    recipe = manifest.recipe
    text = _template().render(
        card_data=DatasetCardData(**metadata).to_yaml(),
        config=manifest.name,
        manifest=manifest.to_dict(),  # the template reads it as the JSON object
        pretty_name=manifest.name,
        description=recipe.get("description") or f"The `{manifest.name}` meadow mixture.",
        recipe_yaml=yaml.safe_dump(recipe, sort_keys=False),
        citations=_citations(manifest, sources_info),
        uncited=[n for n in manifest.sources if not _citation(sources_info.get(n))],
        rebuild_command=rebuild_command,
        token_stats=token_stats,
        chars_per_token=CHARS_PER_TOKEN,
        chart=chart,
        hygiene=hygiene_section(manifest),
    )
    return through_dataset_card(text)


def _counts(counts: dict[str, int]) -> str:
    """`{"too_short": 2}` as "too_short 2", or "–" when empty."""
    return ", ".join(f"{k} {v:,}" for k, v in counts.items() if v) or "–"


def hygiene_section(manifest: Manifest | Mapping[str, Any]) -> dict[str, Any] | None:
    """What the card's "Data hygiene" section shows, from the manifest's `quality` record
    and the per-source counts; None for a build made without quality steps."""
    manifest = as_manifest(manifest)
    quality = manifest.quality
    if not quality:
        return None
    settings = quality.settings
    steps = []
    if settings.get("exact_dedup"):
        also = (
            " (and rows repeating a question alone)" if settings["exact_dedup"]["by_input"] else ""
        )
        steps.append(f"exact duplicates of the normalised input and output{also}")
    if settings.get("near_dedup"):
        near = settings["near_dedup"]
        steps.append(
            f"near duplicates (MinHash LSH: threshold {near['threshold']}, "
            f"{near['shingle_size']}-word shingles, {near['num_perm']} permutations)"
        )
    decontamination = settings.get("decontamination")
    if decontamination:
        action = (
            "flagged in the `contamination` column"
            if decontamination["action"] == "flag"
            else "removed"
        )
        steps.append(
            f"decontamination of training and validation rows: {decontamination['ngram']}-word "
            f"overlap, or a short question with all its options, rows {action}"
        )
    sources = manifest.sources
    scrubbed = [n for n, s in sources.items() if s.pii_replaced is not None]
    if settings.get("pii") and scrubbed:
        steps.append("PII scrubbing (" + ", ".join(f"`{n}`" for n in scrubbed) + ")")
    filters = settings.get("filters")
    if filters:
        parts = [
            f"outputs of at least {filters['min_output_chars']:,} and inputs of at least "
            f"{filters['min_input_chars']:,} characters, {filters['max_chars']:,} at most together"
        ]
        if filters["copied_question"]:
            parts.append("answers that copy the question dropped")
        if filters["boilerplate"]:
            parts.append("greetings and sign-offs stripped")
        if filters["language"]:
            parts.append("rows in another language than their source's dropped")
        steps.append("filters: " + "; ".join(parts))
    benchmarks = quality.benchmarks or {}
    checked = [
        {
            "name": name,
            "count": b["items"],
            "files": ", ".join(
                f"`{f['name']}` (`{f['sha256'][:12]}`, {f['items']:,})" for f in b["files"]
            ),
            "skipped": _counts(b.get("skipped", {})),
        }
        for name, b in benchmarks.items()
        if b["checked"]
    ]
    unchecked = [(name, b["reason"]) for name, b in benchmarks.items() if not b["checked"]]
    removed = [
        {
            "source": name,
            "taken": s.taken,
            "filtered": _counts(s.removed["filtered"]),
            "contaminated": _counts(s.removed["contaminated"]),
            "duplicate": s.removed["duplicate"],
            "near_duplicate": s.removed["near_duplicate"],
            "total": s.removed["total"],
            "rows": s.rows,
        }
        for name, s in sources.items()
        if s.removed is not None
    ]
    pii = [(name, sources[name].pii_replaced) for name in scrubbed]
    notes = [
        f"`{name}`: greetings and sign-offs stripped from {s.boilerplate_stripped:,} answers."
        for name, s in sources.items()
        if s.boilerplate_stripped
    ]
    notes += [
        f"`{name}`: {_counts(s.flagged)} rows overlap a benchmark and are flagged, not removed."
        for name, s in sources.items()
        if s.flagged
    ]
    notes += [
        f"`{name}`: of its removed duplicates, the copy kept is in {_counts(s.duplicate_of)}."
        for name, s in sources.items()
        if s.duplicate_of
    ]
    return {
        "steps": steps,
        "decontamination": bool(decontamination),
        "checked": checked,
        "unchecked": unchecked,
        "removed": removed,
        "pii": pii,
        "notes": notes,
    }


@functools.cache
def _template() -> jinja2.Template:
    import jinja2

    text = card_template("dataset_card.md.j2")
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    return env.from_string(text)


def _citation(info: dict[str, Any] | None) -> str:
    return ((info or {}).get("citation") or "").strip()


def _citations(manifest: Manifest, sources_info: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each distinct citation once, with the sources (and homepages) that ask for it."""
    grouped: dict[str, dict[str, Any]] = {}
    for name in manifest.sources:
        info = sources_info.get(name) or {}
        citation = _citation(info)
        if citation:
            entry = grouped.setdefault(citation, {"sources": [], "citation": citation})
            entry["sources"].append((name, info.get("homepage") or ""))
    return list(grouped.values())
