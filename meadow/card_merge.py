"""A config's dataset card merged into a repo's README, and the check every card passes.

`merge_dataset_card` puts a config's card into a repo's README without wiping the other
configs' metadata and text (each config's body sits between `meadow:config` markers);
`through_dataset_card` writes a card the way huggingface_hub's `DatasetCard` does, after
checking offline what meadow can get wrong.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from meadow.card_metadata import size_rank
from meadow.errors import CardError

# YAML keys a merged card holds as the sorted union of every config's values
_UNION_KEYS = ("license", "language", "task_categories", "tags", "source_datasets")


def _block_pattern(config: str) -> re.Pattern[str]:
    name = re.escape(config)
    return re.compile(rf"<!-- meadow:config {name} -->.*?<!-- meadow:end {name} -->", re.DOTALL)


def merge_dataset_card(existing: str | None, new: str, config: str) -> str:
    """The README a repo gets when `new`, the card of `config`, is published into it.

    The YAML is merged: `configs` (and `dataset_info`) entries of `config` are replaced or
    added and the other configs' kept; license, language, tags, task_categories and
    source_datasets become sorted unions; size_categories the largest; an existing
    pretty_name stays; other existing keys stay. In the body, this config's
    `<!-- meadow:config … -->` block is replaced, or appended after what is there; other
    configs' blocks and any text outside the markers stay. With no existing README, `new`.
    """
    new_meta, new_body = _split_card(new)
    if new_meta is None:
        raise CardError(f"the card of config {config!r} has no YAML metadata block")
    if existing is None or not existing.strip():
        return through_dataset_card(new)
    pattern = _block_pattern(config)
    found = pattern.search(new_body)
    block = found.group(0) if found else _wrap(config, new_body.strip())
    old_meta, old_body = _split_card(existing)
    meta = _merge_metadata(old_meta or {}, new_meta, config)
    if pattern.search(old_body):
        body = pattern.sub(lambda _: block, old_body, count=1)
    elif old_body.strip():
        body = old_body.rstrip() + "\n\n" + block + "\n"
    else:
        body = "\n" + block + "\n"
    dumped = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True)
    return through_dataset_card(f"---\n{dumped}---\n{body}")


def _wrap(config: str, body: str) -> str:
    return f"<!-- meadow:config {config} -->\n{body}\n<!-- meadow:end {config} -->"


def _split_card(text: str) -> tuple[dict[str, Any] | None, str]:
    """(YAML metadata in its written order, body); (None, text) when there is no YAML."""
    from huggingface_hub.repocard import REGEX_YAML_BLOCK  # here: a build may render no card

    match = REGEX_YAML_BLOCK.search(text)
    if not match:
        return None, text
    try:
        meta = yaml.safe_load(match.group(2)) or {}
    except yaml.YAMLError as error:
        raise CardError(f"the README's YAML metadata cannot be read: {error}") from None
    if not isinstance(meta, dict):
        raise CardError("the README's YAML metadata block is not a mapping")
    return meta, text[match.end() :]


def _merge_metadata(old: dict[str, Any], new: dict[str, Any], config: str) -> dict[str, Any]:
    merged = dict(old)
    for key, value in new.items():
        if key not in old:
            merged[key] = value
        elif key == "configs":
            merged[key] = _merge_by_config(old.get(key), value, config)
        elif key in _UNION_KEYS:
            union = sorted(set(_as_list(old.get(key))) | set(_as_list(value)), key=str)
            merged[key] = union[0] if key == "license" and len(union) == 1 else union
        elif key == "size_categories":
            labels = _as_list(old.get(key)) + _as_list(value)
            merged[key] = [max(labels, key=size_rank)]
        elif key == "pretty_name":
            merged[key] = old.get(key) or value
        else:
            merged[key] = value
    if "dataset_info" in old:  # the old sizes of this config would fail `datasets`' checks
        info = _merge_by_config(old["dataset_info"], new.get("dataset_info"), config)
        if info:
            merged["dataset_info"] = info
        else:
            del merged["dataset_info"]
    return merged


def _merge_by_config(old: Any, new: Any, config: str) -> Any:
    """Per-config entries (`configs`, `dataset_info`): `config`'s from `new`, in the place
    of the old ones, or appended; the other configs' entries kept as they are."""
    fresh = [e for e in _as_list(new) if isinstance(e, dict)]
    merged: list[Any] = []
    placed = False
    for entry in _as_list(old):
        if isinstance(entry, dict) and entry.get("config_name", "default") == config:
            if not placed:
                merged.extend(fresh)
                placed = True
        else:
            merged.append(entry)
    if not placed:
        merged.extend(fresh)
    return merged[0] if isinstance(old, dict) and len(merged) == 1 else merged


def _set_keys(meta: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (meta or {}).items() if v is not None}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def through_dataset_card(text: str) -> str:
    """The card as huggingface_hub's `DatasetCard` writes it, after checking what it reads.

    `DatasetCard.validate()` asks the Hub; this checks offline what meadow can get wrong:
    metadata that reads back as a mapping, through `DatasetCardData` unchanged, and
    `configs` with one entry per config name, each with data files.
    """
    from huggingface_hub import DatasetCard

    card = DatasetCard(text)
    written = str(card)
    if _set_keys(_split_card(written)[0]) != _set_keys(_split_card(text)[0]):
        raise CardError("the card's YAML does not read back the same through DatasetCardData")
    data = card.data.to_dict()
    names = [c.get("config_name") for c in data.get("configs", []) if isinstance(c, dict)]
    if len(names) != len(data.get("configs", [])) or len(set(names)) != len(names):
        raise CardError(f"the card's configs must have unique config_name entries, got {names}")
    if any(not c.get("data_files") for c in data.get("configs", [])):
        raise CardError("every config in the card must list its data_files")
    return written
