"""The dataset card's YAML header in the Hub's dataset-card vocabulary.

`dataset_card_metadata` is what a build's card declares (license, size, configs);
`hub_license` maps a row's license to an identifier the Hub accepts, `size_category` a row
count to the Hub's bucket. The ranks order splits and size buckets for the token statistics
and for merging cards.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from meadow.manifest import Manifest, as_manifest
from meadow.schema import SPLITS

_SIZE_BUCKETS = [
    (1_000, "n<1K"),
    (10_000, "1K<n<10K"),
    (100_000, "10K<n<100K"),
    (1_000_000, "100K<n<1M"),
    (10_000_000, "1M<n<10M"),
    (100_000_000, "10M<n<100M"),
]
_SIZE_ORDER = [label for _, label in _SIZE_BUCKETS] + ["n>100M"]

# License identifiers the Hub accepts in a card's metadata (see
# https://huggingface.co/docs/hub/repositories-licenses). It refuses a card with any other, so
# other licenses are published as `cc` (a Creative Commons license with no listed version) or
# `other`; the card's composition table keeps every row's exact license.
_HUB_LICENSE_IDS = """
apache-2.0 mit openrail bigscience-openrail-m creativeml-openrail-m bigscience-bloom-rail-1.0
bigcode-openrail-m afl-3.0 artistic-2.0 bsl-1.0 bsd bsd-2-clause bsd-3-clause bsd-3-clause-clear
c-uda cc cc0-1.0 cc-by-2.0 cc-by-2.5 cc-by-3.0 cc-by-4.0 cc-by-sa-3.0 cc-by-sa-4.0 cc-by-nc-2.0
cc-by-nc-3.0 cc-by-nc-4.0 cc-by-nd-4.0 cc-by-nc-nd-3.0 cc-by-nc-nd-4.0 cc-by-nc-sa-2.0
cc-by-nc-sa-3.0 cc-by-nc-sa-4.0 cdla-sharing-1.0 cdla-permissive-1.0 cdla-permissive-2.0 wtfpl
ecl-2.0 epl-1.0 epl-2.0 etalab-2.0 eupl-1.1 eupl-1.2 agpl-3.0 gfdl gpl gpl-2.0 gpl-3.0 lgpl
lgpl-2.1 lgpl-3.0 isc lppl-1.3c ms-pl mpl-2.0 odc-by odbl openrail++ osl-3.0 postgresql ofl-1.1
ncsa unlicense zlib pddl lgpl-lr deepfloyd-if-license llama2 llama3 llama3.1 llama3.2 llama3.3
gemma unknown other
"""
HUB_LICENSES = frozenset(_HUB_LICENSE_IDS.split())


def size_category(rows: int) -> str:
    """The Hub's `size_categories` bucket for a row count."""
    for limit, label in _SIZE_BUCKETS:
        if rows < limit:
            return label
    return "n>100M"


def hub_license(license: str) -> str:
    """A row's license as the Hub's card metadata names it (`CC-BY-SA-4.0` → `cc-by-sa-4.0`)."""
    lowered = license.lower()
    if lowered in HUB_LICENSES:
        return lowered
    return "cc" if lowered.startswith("cc-") else "other"


def dataset_card_metadata(manifest: Manifest | Mapping[str, Any]) -> dict[str, Any]:
    """The card's YAML header, in the Hub's dataset-card vocabulary.

    `license` is one identifier, or a sorted list when the rows carry several; `configs`
    has this mixture as one config whose splits are `data/{config}/{split}-*.parquet`
    (only splits with rows: `datasets` cannot load an empty parquet file).
    """
    manifest = as_manifest(manifest)
    sources = manifest.sources
    found = {lic for src in sources.values() for lic in src.licenses or {}}
    if not found:  # no row taken: the sources' own licenses
        found = {src.license for src in sources.values() if src.license}
    licenses = sorted({hub_license(lic) for lic in found}) or ["unknown"]
    name = manifest.name
    rows = manifest.splits
    splits = [s for s in sorted(rows, key=split_rank) if rows[s]] or ["train"]
    return {
        "license": licenses if len(licenses) > 1 else licenses[0],
        "language": ["en"],
        "task_categories": ["question-answering", "text-generation"],
        "tags": ["medical", "meadow"],
        "size_categories": [size_category(manifest.rows)],
        "source_datasets": sorted(sources),
        "pretty_name": name,
        "configs": [
            {
                "config_name": name,
                "data_files": [{"split": s, "path": f"data/{name}/{s}-*.parquet"} for s in splits],
            }
        ],
    }


def split_rank(split: str) -> tuple[int, str]:
    """Sort key of a split: meadow's splits in their order, then any other by name."""
    return (SPLITS.index(split) if split in SPLITS else len(SPLITS), split)


def size_rank(label: str) -> int:
    """Sort key of a `size_categories` label: larger buckets rank higher, unknown lowest."""
    return _SIZE_ORDER.index(label) if label in _SIZE_ORDER else -1
