"""The dataset card (README.md) of a build: rendered from its manifest and counted rows only.

* `card_metadata` is the YAML header in the Hub's dataset-card vocabulary;
* `token_statistics` counts the tokens of the published rows in one streaming pass;
* `composition_chart` draws rows taken per source and subset (a PNG, byte-identical per
  manifest);
* `render_dataset_card` fills `cards/dataset_card.md.j2` and passes it through
  `huggingface_hub.DatasetCard`, so the YAML is exactly what the Hub client reads back;
* `merge_dataset_card` puts a config's card into a repo's README without wiping the other
  configs' metadata and text (each config's body sits between `meadow:config` markers).
"""

from __future__ import annotations

import functools
import itertools
import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from huggingface_hub import DatasetCard, DatasetCardData
from huggingface_hub.repocard import REGEX_YAML_BLOCK

from meadow.errors import MeadowError
from meadow.llm.settings import DEFAULT_MODEL as DEFAULT_TOKENIZER_MODEL
from meadow.llm.tokens import CHARS_PER_TOKEN, encoding_for
from meadow.manifest import Manifest, as_manifest
from meadow.schema import SPLITS
from meadow.templates import card_template

if TYPE_CHECKING:
    import tiktoken

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

APPROXIMATE_TOKENIZER = f"approximate (~{CHARS_PER_TOKEN} characters per token)"
_TEXT_COLUMNS = ("instruction", "input", "output")
_ENCODE_ROWS = 1_000  # texts per tokenizer task
# YAML keys a merged card holds as the sorted union of every config's values
_UNION_KEYS = ("license", "language", "task_categories", "tags", "source_datasets")


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


def card_metadata(manifest: Manifest | Mapping[str, Any]) -> dict[str, Any]:
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
    splits = [s for s in sorted(rows, key=_split_rank) if rows[s]] or ["train"]
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


def _split_rank(split: str) -> tuple[int, str]:
    return (SPLITS.index(split) if split in SPLITS else len(SPLITS), split)


# -- token statistics ---------------------------------------------------------------------


def token_statistics(
    tables: Iterable[tuple[str, pa.Table]], model: str = DEFAULT_TOKENIZER_MODEL
) -> dict[str, Any]:
    """Tokens of `instruction` + `input` + `output` per row, per source and per split.

    `tables` is a stream of (split, rows) pieces with meadow's columns, read once
    (`Selection.iter_tables()` or the parquet shards of a revision). Tokens are counted with
    tiktoken's encoding for `model`; when that encoding cannot be loaded (offline, no
    TIKTOKEN_CACHE_DIR) with ~4 characters per token, and `approximate` says so. Memory is
    one 4-byte count per row.

    Returns `{"tokenizer", "model", "approximate", "total", "by_source": {source: {"rows",
    "total", "mean", "median", "p95", "max"}}, "by_split": {split: tokens}}`.
    """
    encoding = encoding_for(model)
    per_source: dict[str, list[np.ndarray]] = {}
    by_split: dict[str, int] = {}
    with ThreadPoolExecutor(min(8, os.cpu_count() or 1)) as pool:
        for split, table in tables:
            by_split[split] = by_split.get(split, 0)
            if not table.num_rows:
                continue
            tokens = np.zeros(table.num_rows, dtype=np.int64)
            for column in _TEXT_COLUMNS:
                tokens += _column_tokens(table.column(column), encoding, pool)
            by_split[split] += int(tokens.sum())
            sources = pc.dictionary_encode(table.column("source").combine_chunks())
            codes = sources.indices.to_numpy(zero_copy_only=False)
            for code, source in enumerate(sources.dictionary.to_pylist()):
                per_source.setdefault(source, []).append(tokens[codes == code].astype(np.uint32))
    by_source = {}
    for source, parts in per_source.items():
        counts = np.concatenate(parts)
        by_source[source] = {
            "rows": len(counts),
            "total": int(counts.sum(dtype=np.int64)),
            "mean": round(float(counts.mean()), 1),
            "median": round(float(np.median(counts)), 1),
            "p95": round(float(np.percentile(counts, 95)), 1),
            "max": int(counts.max()),
        }
    return {
        "tokenizer": encoding.name if encoding is not None else APPROXIMATE_TOKENIZER,
        "model": model,
        "approximate": encoding is None,
        "total": sum(by_split.values()),
        "by_source": by_source,
        "by_split": {s: by_split[s] for s in sorted(by_split, key=_split_rank)},
    }


def _column_tokens(
    column: pa.ChunkedArray, encoding: tiktoken.Encoding | None, pool: ThreadPoolExecutor
) -> np.ndarray:
    """Tokens per text of a column (a null counts as empty)."""
    column = pc.fill_null(column, "")
    if encoding is None:  # the approximation meadow.llm.tokens counts with
        chars = pc.utf8_length(column).to_numpy().astype(np.int64)
        return -(-chars // CHARS_PER_TOKEN)
    texts = column.to_pylist()

    def lengths(start: int) -> list[int]:
        return [len(encoding.encode_ordinary(t)) for t in texts[start : start + _ENCODE_ROWS]]

    # tiktoken releases the GIL while it encodes; one task per _ENCODE_ROWS texts keeps the
    # threads busy (encode_ordinary_batch makes one task per text, slower on short texts)
    counts = pool.map(lengths, range(0, len(texts), _ENCODE_ROWS))
    return np.fromiter(itertools.chain.from_iterable(counts), np.int64, len(texts))


# -- the composition chart ----------------------------------------------------------------

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
_CHART_STYLE = {
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
    with matplotlib.rc_context(_CHART_STYLE):
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


# -- the card -----------------------------------------------------------------------------


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
    manifest = as_manifest(manifest)
    metadata = card_metadata(manifest)
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
    return _through_dataset_card(text)


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


# -- merging into a repo's README ---------------------------------------------------------


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
        raise MeadowError(f"the card of config {config!r} has no YAML metadata block")
    if existing is None or not existing.strip():
        return _through_dataset_card(new)
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
    return _through_dataset_card(f"---\n{dumped}---\n{body}")


def _wrap(config: str, body: str) -> str:
    return f"<!-- meadow:config {config} -->\n{body}\n<!-- meadow:end {config} -->"


def _split_card(text: str) -> tuple[dict[str, Any] | None, str]:
    """(YAML metadata in its written order, body); (None, text) when there is no YAML."""
    match = REGEX_YAML_BLOCK.search(text)
    if not match:
        return None, text
    try:
        meta = yaml.safe_load(match.group(2)) or {}
    except yaml.YAMLError as error:
        raise MeadowError(f"the README's YAML metadata cannot be read: {error}") from None
    if not isinstance(meta, dict):
        raise MeadowError("the README's YAML metadata block is not a mapping")
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
            merged[key] = [max(labels, key=_size_rank)]
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


def _size_rank(label: str) -> int:
    return _SIZE_ORDER.index(label) if label in _SIZE_ORDER else -1


def _set_keys(meta: dict[str, Any] | None) -> dict[str, Any]:
    return {k: v for k, v in (meta or {}).items() if v is not None}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _through_dataset_card(text: str) -> str:
    """The card as huggingface_hub's `DatasetCard` writes it, after checking what it reads.

    `DatasetCard.validate()` asks the Hub; this checks offline what meadow can get wrong:
    metadata that reads back as a mapping, through `DatasetCardData` unchanged, and
    `configs` with one entry per config name, each with data files.
    """
    card = DatasetCard(text)
    written = str(card)
    if _set_keys(_split_card(written)[0]) != _set_keys(_split_card(text)[0]):
        raise MeadowError("the card's YAML does not read back the same through DatasetCardData")
    data = card.data.to_dict()
    names = [c.get("config_name") for c in data.get("configs", []) if isinstance(c, dict)]
    if len(names) != len(data.get("configs", [])) or len(set(names)) != len(names):
        raise MeadowError(f"the card's configs must have unique config_name entries, got {names}")
    if any(not c.get("data_files") for c in data.get("configs", [])):
        raise MeadowError("every config in the card must list its data_files")
    return written
