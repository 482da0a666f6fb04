"""The dataset card (README.md) of a build, rendered from its manifest and nothing else."""

from __future__ import annotations

from importlib import resources
from typing import Any

import jinja2
import yaml

_SIZE_BUCKETS = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
]


def size_category(rows: int) -> str:
    """The Hub's `size_categories` bucket for a row count."""
    for limit, label in _SIZE_BUCKETS:
        if rows < limit:
            return label
    return "n>100M"


def card_metadata(manifest: dict[str, Any]) -> dict[str, Any]:
    """The card's YAML header, in the Hub's dataset-card vocabulary."""
    licenses = sorted({lic for src in manifest["sources"].values() for lic in src["licenses"]})
    name = manifest["name"]
    return {
        "license": [lic.lower() for lic in licenses] if len(licenses) != 1 else licenses[0].lower(),
        "language": ["en"],
        "task_categories": ["question-answering", "text-generation"],
        "tags": ["medical", "meadow"],
        "size_categories": [size_category(sum(manifest["splits"].values()))],
        "pretty_name": name,
        "configs": [
            {
                "config_name": name,
                "data_files": [
                    {"split": s, "path": f"data/{s}-*.parquet"} for s in manifest["splits"]
                ],
            }
        ],
    }


def render_dataset_card(
    manifest: dict[str, Any], sources_info: dict[str, dict[str, Any]], rebuild_command: str
) -> str:
    template_text = (resources.files("meadow") / "cards" / "dataset_card.md.j2").read_text()
    env = jinja2.Environment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, autoescape=False
    )
    recipe = manifest["recipe"]
    return env.from_string(template_text).render(
        manifest=manifest,
        metadata_yaml=yaml.safe_dump(card_metadata(manifest), sort_keys=False).strip(),
        pretty_name=manifest["name"],
        description=recipe.get("description") or f"The `{manifest['name']}` meadow mixture.",
        recipe_yaml=yaml.safe_dump(recipe, sort_keys=False),
        sources_info=sources_info,
        rebuild_command=rebuild_command,
    )
