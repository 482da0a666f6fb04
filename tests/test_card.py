"""The dataset card: rendered from the manifest and counted rows, valid Hub metadata, merged
into a repo's README without wiping other configs."""

from __future__ import annotations

import re
import struct
import zlib

import pyarrow as pa
import pytest
import yaml
from huggingface_hub import DatasetCard, DatasetCardData

import meadow.llm.tokens
from meadow.card import render_dataset_card
from meadow.card_merge import merge_dataset_card
from meadow.card_metadata import dataset_card_metadata, size_category
from meadow.chart import composition_chart
from meadow.errors import CardError, MeadowError
from meadow.token_stats import APPROXIMATE_TOKENIZER, token_statistics

WIKIDOC_CITATION = "@misc{wikidoc,\n  title = {WikiDoc}\n}\n"


def _manifest(n_files: int = 2, name: str = "demo") -> dict:
    raw = [{"name": f"page{i}.html", "sha256": f"{i:064x}", "size": 10} for i in range(n_files)]
    return {
        "name": name,
        "revision": "0123456789abcdef",
        "meadow_version": "0.1.0",
        "recipe": {
            "name": name,
            "description": "A demo.",
            "seed": 1,
            "splits": {"validation": 0.1, "test": 0.0},
            "sources": {"wikidoc": {"quota": 1650}},
        },
        "seed": 1,
        "splits": {"train": 1500, "validation": 150},
        "sources": {
            "wikidoc": {
                "license": "CC-BY-SA-3.0",
                "adapter_version": "1",
                "raw_files": raw,
                "available": 2000,
                "quota": 1650,
                "taken": 1650,
                "skipped": {"duplicate_question": 3},
                "subsets": {
                    "textbook": {
                        "available": 2000,
                        "quota": "all",
                        "taken": 1650,
                        "licenses": {"CC-BY-SA-3.0": 1650},
                    }
                },
                "licenses": {"CC-BY-SA-3.0": 1650},
            },
        },
    }


def _two_source_manifest(name: str = "mixed") -> dict:
    """wikidoc plus stackexchange, whose rows carry two licenses; an empty test split."""
    manifest = _manifest(name=name)
    manifest["splits"] = {"train": 40_000, "validation": 5_000, "test": 0}
    manifest["sources"]["stackexchange"] = {
        "license": "CC-BY-SA-4.0",
        "adapter_version": "2",
        "raw_files": [{"name": "biology.7z", "sha256": "ab" * 32, "size": 99}],
        "available": 50_000,
        "quota": "all",
        "taken": 43_350,
        "skipped": {},
        "subsets": {
            "biology": {
                "available": 50_000,
                "quota": "all",
                "taken": 43_350,
                "licenses": {"CC-BY-SA-3.0": 350, "CC-BY-SA-4.0": 43_000},
            }
        },
        "licenses": {"CC-BY-SA-3.0": 350, "CC-BY-SA-4.0": 43_000},
    }
    return manifest


def _token_stats() -> dict:
    return {
        "tokenizer": "o200k_base",
        "model": "gpt-4o-mini",
        "approximate": False,
        "total": 123_456,
        "by_source": {
            "wikidoc": {
                "rows": 1650,
                "total": 123_456,
                "mean": 74.8,
                "median": 70.0,
                "p95": 140.5,
                "max": 512,
            }
        },
        "by_split": {"train": 111_000, "validation": 12_456},
    }


def _card(manifest: dict | None = None, **kwargs) -> str:
    manifest = manifest or _manifest()
    kwargs.setdefault("token_stats", _token_stats())
    kwargs.setdefault("chart", f"assets/{manifest['name']}/composition.png")
    info = {"wikidoc": {"homepage": "https://www.wikidoc.org", "citation": WIKIDOC_CITATION}}
    return render_dataset_card(manifest, info, f"meadow build --name {manifest['name']}", **kwargs)


def _rows(*rows: tuple[str, str, str, str]) -> pa.Table:
    instruction, input_, output, source = zip(*rows, strict=True)
    return pa.table(
        {
            "instruction": list(instruction),
            "input": list(input_),
            "output": list(output),
            "source": list(source),
        }
    )


# -- metadata -----------------------------------------------------------------------------


def test_card_metadata_is_valid_hub_yaml():
    card = DatasetCard(render_dataset_card(_manifest(), {}, "meadow build --mixture demo"))
    data = card.data.to_dict()
    assert data["license"] == "cc-by-sa-3.0"
    assert data["size_categories"] == ["1K<n<10K"]
    assert data["configs"][0]["config_name"] == "demo"
    assert [f["split"] for f in data["configs"][0]["data_files"]] == ["train", "validation"]
    assert "| wikidoc | textbook | 2,000 | all | 1,650 | CC-BY-SA-3.0 |" in card.text
    assert "| wikidoc | duplicate_question | 3 |" in card.text
    assert "meadow build --mixture demo" in card.text


def test_license_is_one_id_or_a_sorted_list_of_hub_ids():
    assert dataset_card_metadata(_manifest())["license"] == "cc-by-sa-3.0"
    licenses = dataset_card_metadata(_two_source_manifest())["license"]
    assert licenses == ["cc-by-sa-3.0", "cc-by-sa-4.0"]
    manifest = _manifest()
    manifest["sources"]["wikidoc"]["licenses"] = {"CC-BY": 1, "LicenseRef-CORD19-pmc": 1, "MIT": 1}
    # ids the Hub does not list would make it refuse the card; the table keeps the exact ones
    assert dataset_card_metadata(manifest)["license"] == ["cc", "mit", "other"]


def test_configs_point_at_this_configs_folder_and_skip_empty_splits():
    meta = dataset_card_metadata(_two_source_manifest("mixed"))
    assert meta["configs"] == [
        {
            "config_name": "mixed",
            "data_files": [
                {"split": "train", "path": "data/mixed/train-*.parquet"},
                {"split": "validation", "path": "data/mixed/validation-*.parquet"},
            ],
        }
    ]
    assert meta["source_datasets"] == ["stackexchange", "wikidoc"]
    assert meta["size_categories"] == ["10K<n<100K"]
    assert meta["tags"] == ["medical", "meadow"] and meta["pretty_name"] == "mixed"


def test_yaml_round_trips_through_huggingface_hub():
    """What DatasetCard reads back is dataset_card_metadata() exactly; it writes the card as is.

    (`DatasetCard.validate()` posts the card to the Hub, so it is not called here.)
    """
    manifest = _two_source_manifest()
    meta = dataset_card_metadata(manifest)
    text = _card(manifest)
    assert DatasetCard(text).data.to_dict() == meta
    assert DatasetCardData(**meta).to_dict() == meta
    assert str(DatasetCard(text)) == text
    assert text.startswith("---\n" + DatasetCardData(**meta).to_yaml() + "\n---\n")


def test_size_categories():
    assert [size_category(n) for n in (0, 999, 1000, 99_999, 2_000_000)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "1M<n<10M",
    ]


# -- the body -----------------------------------------------------------------------------


def test_card_has_every_section_inside_its_config_markers():
    text = _card()
    body = DatasetCard(text).text
    assert body.startswith("<!-- meadow:config demo -->\n# demo\n")
    assert body.rstrip().endswith("<!-- meadow:end demo -->")
    for heading in (
        "## Composition",
        "## Token statistics",
        "## Raw files",
        "## Rebuild",
        "## Recipe",
        "## Citations",
        "## Limitations",
    ):
        assert f"\n{heading}\n" in body, heading
    assert "| wikidoc | textbook | 2,000 | all | 1,650 | CC-BY-SA-3.0 |" in body
    assert "![Rows taken per source and subset of demo](assets/demo/composition.png)" in body
    assert "counted with tiktoken's `o200k_base` encoding (the one of `gpt-4o-mini`)" in body
    assert "| wikidoc | 1,650 | 123,456 | 74.8 | 70.0 | 140.5 | 512 |" in body
    assert "| validation | 12,456 |" in body
    assert f"| wikidoc | `page1.html` | `{1:064x}` | 1 |" in body
    assert "```\nmeadow build --name demo\n```" in body
    assert "```yaml\nname: demo\n" in body
    assert "**wikidoc** (https://www.wikidoc.org):\n\n```bibtex\n@misc{wikidoc," in body
    assert "must not be used for clinical decisions" in body


def _with_quality(manifest: dict, *, flag: bool = False) -> dict:
    """The manifest of a build whose quality steps removed (or flagged) rows."""
    from meadow.quality import QualitySettings
    from meadow.quality.settings import Decontamination

    settings = QualitySettings(decontamination=Decontamination(action="flag" if flag else "remove"))
    manifest["quality"] = {
        "settings": settings.canonical(),
        "benchmarks": {
            "usmle": {
                "checked": True,
                "items": 325,
                "files": [{"name": "step1.json", "sha256": "ab" * 32, "items": 92}],
                "skipped": {"has_image": 11},
            },
            "medqa": {"checked": False, "reason": "no raw files found (pass --raw medqa=PATH)"},
        },
    }
    removed = {
        "filtered": {"too_short": 2},
        "contaminated": {} if flag else {"usmle": 3},
        "duplicate": 40,
        "near_duplicate": 5,
        "total": 47 if flag else 50,
    }
    manifest["sources"]["wikidoc"].update(
        removed=removed, rows=1650 - removed["total"], duplicate_of={"anki": 4}
    )
    if flag:
        manifest["sources"]["wikidoc"]["flagged"] = {"usmle": 3}
        manifest["columns"] = [*manifest.get("columns", []), "contamination"]
    return manifest


def test_data_hygiene_section_shows_what_was_checked_and_removed():
    body = DatasetCard(_card(_with_quality(_manifest()))).text
    section = body[body.index("\n## Data hygiene\n") : body.index("\n## Skipped rows\n")]
    assert "- near duplicates (MinHash LSH: threshold 0.85, 5-word shingles" in section
    assert "| usmle | 325 | `step1.json` (`abababababab`, 92) | has_image 11 |" in section
    assert "- `medqa` was **not checked**: no raw files found (pass --raw medqa=PATH)" in section
    assert "| wikidoc | 1,650 | too_short 2 | usmle 3 | 40 | 5 | 50 | 1,600 |" in section
    assert "`wikidoc`: of its removed duplicates, the copy kept is in anki 4." in section
    assert "### PII replaced" not in section  # no source was scrubbed


def test_flagged_rows_are_named_in_the_card_and_its_columns():
    body = DatasetCard(_card(_with_quality(_manifest(), flag=True))).text
    assert "rows flagged in the `contamination` column" in body
    assert "`wikidoc`: usmle 3 rows overlap a benchmark and are flagged, not removed." in body
    assert "`contamination` (the benchmarks a row overlaps, comma-separated" in body


def test_card_of_a_build_without_quality_record_has_no_hygiene_section():
    assert "## Data hygiene" not in _card()


def test_approximate_token_counts_say_so():
    stats = {**_token_stats(), "tokenizer": APPROXIMATE_TOKENIZER, "approximate": True}
    text = _card(token_stats=stats)
    assert "**approximate**: counted as ~4 characters per token" in text


def test_card_without_token_stats_or_chart_leaves_those_out():
    text = _card(token_stats=None, chart=None)
    assert "## Token statistics" not in text and "![" not in text
    assert "\n\n## Skipped rows\n" in text


def test_sources_without_citation_are_named_and_shared_citations_given_once():
    manifest = _two_source_manifest()
    manifest["sources"]["local"] = {**manifest["sources"]["wikidoc"], "raw_files": []}
    info = {
        "wikidoc": {"homepage": "https://www.wikidoc.org", "citation": WIKIDOC_CITATION},
        "stackexchange": {"homepage": "https://archive.org", "citation": WIKIDOC_CITATION},
        "local": {"homepage": "", "citation": ""},
    }
    text = render_dataset_card(manifest, info, "meadow build")
    assert text.count("@misc{wikidoc,") == 1
    assert "**wikidoc** (https://www.wikidoc.org), **stackexchange** (https://archive.org):" in text
    assert "No citation is published for `local`" in text


def test_card_lists_at_most_twenty_raw_files():
    text = render_dataset_card(_manifest(25), {}, "meadow build")
    assert "page19.html" in text and "page20.html" not in text
    assert "… and 5 more files (all in `manifest.json`)" in text


# -- token statistics ---------------------------------------------------------------------


def test_token_statistics_count_instruction_input_and_output(monkeypatch, encoding):
    # the test encoding has one token per byte
    monkeypatch.setitem(meadow.llm.tokens._ENCODINGS, "some-model", encoding)
    pieces = [
        ("train", _rows(("ab", "", "cdef", "a"), ("abc", "d", "é", "a"))),  # 6, 6 (é is 2 bytes)
        ("train", _rows(("x" * 10, "y", "z", "b"))),  # 12
        ("test", _rows(("a", "b", "c", "a"), ("", "", "", "b"))),  # 3, 0
    ]
    stats = token_statistics(pieces, model="some-model")
    assert stats == {
        "tokenizer": "test_bytes",
        "model": "some-model",
        "approximate": False,
        "total": 27,
        "by_source": {
            "a": {"rows": 3, "total": 15, "mean": 5.0, "median": 6.0, "p95": 6.0, "max": 6},
            "b": {"rows": 2, "total": 12, "mean": 6.0, "median": 6.0, "p95": 11.4, "max": 12},
        },
        "by_split": {"train": 24, "test": 3},
    }
    assert yaml.safe_load(yaml.safe_dump(stats)) == stats  # plain ints and floats


def test_token_statistics_approximate_when_the_encoding_cannot_load(monkeypatch):
    monkeypatch.setitem(meadow.llm.tokens._ENCODINGS, "offline-model", None)
    table = _rows(("abcde", "", "é" * 8, "a"), ("abcd", "a", "", "a"))  # 2+0+2, 1+1+0
    table = table.set_column(1, "input", pa.array([None, "a"], pa.string()))
    stats = token_statistics([("validation", table), ("train", table.slice(0, 0))], "offline-model")
    assert stats["approximate"] is True and stats["tokenizer"] == APPROXIMATE_TOKENIZER
    assert stats["total"] == 6 and stats["by_source"]["a"]["max"] == 4
    assert stats["by_split"] == {"train": 0, "validation": 6}


# -- the chart ----------------------------------------------------------------------------


def _png_chunks(data: bytes) -> list[bytes]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, at = [], 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length : at + 12 + length])[0] == zlib.crc32(
            kind + body
        )
        chunks.append(kind)
        at += 12 + length
    return chunks


def test_composition_chart_is_a_png_with_the_same_bytes_every_time(tmp_path):
    manifest = _two_source_manifest()
    first = composition_chart(manifest, tmp_path / "a" / "composition.png").read_bytes()
    second = composition_chart(manifest, tmp_path / "b.png").read_bytes()
    assert first == second
    chunks = _png_chunks(first)
    assert chunks[0] == b"IHDR" and chunks[-1] == b"IEND" and b"tEXt" not in chunks
    manifest["sources"]["wikidoc"]["subsets"]["textbook"]["taken"] = 10
    assert composition_chart(manifest, tmp_path / "c.png").read_bytes() != first


# -- merging into a repo's README ---------------------------------------------------------


def _blocks(text: str) -> list[str]:
    return re.findall(r"<!-- meadow:config (\S+) -->", text)


def test_merge_into_no_readme_is_the_card():
    card = _card()
    assert merge_dataset_card(None, card, "demo") == card
    assert merge_dataset_card("", card, "demo") == card


def test_second_config_is_added_without_wiping_the_first():
    first, second = _card(_manifest(name="small")), _card(_two_source_manifest("big"))
    merged = merge_dataset_card(first, second, "big")
    data = DatasetCard(merged).data.to_dict()
    assert [c["config_name"] for c in data["configs"]] == ["small", "big"]
    assert data["configs"][1]["data_files"][0]["path"] == "data/big/train-*.parquet"
    assert data["license"] == ["cc-by-sa-3.0", "cc-by-sa-4.0"]
    assert data["source_datasets"] == ["stackexchange", "wikidoc"]
    assert data["size_categories"] == ["10K<n<100K"]
    assert data["pretty_name"] == "small"  # the repo's name stays
    assert data["tags"] == ["meadow", "medical"]
    assert _blocks(merged) == ["small", "big"]
    assert "\n# small\n" in merged and "\n# big\n" in merged
    assert str(DatasetCard(merged)) == merged


def test_republishing_a_config_replaces_only_its_block():
    readme = merge_dataset_card(_card(_manifest(name="small")), _card(_manifest(name="big")), "big")
    readme = readme.replace("<!-- meadow:end small -->", "<!-- meadow:end small -->\n\nOur notes.")
    rebuilt = _manifest(name="small")
    rebuilt["revision"] = "fedcba9876543210"
    merged = merge_dataset_card(readme, _card(rebuilt), "small")
    assert _blocks(merged) == ["small", "big"]
    assert "fedcba9876543210" in merged and merged.count("0123456789abcdef") == 1  # big's
    assert "<!-- meadow:end small -->\n\nOur notes.\n\n<!-- meadow:config big -->" in merged
    configs = DatasetCard(merged).data.configs
    assert [c["config_name"] for c in configs] == ["small", "big"]
    assert merge_dataset_card(merged, _card(rebuilt), "small") == merged


def test_readme_without_meadow_markers_is_kept():
    existing = (
        "---\nlicense: mit\npretty_name: Hospital notes\nconfigs:\n- config_name: default\n"
        "  data_files:\n  - split: train\n    path: notes/*.csv\ndataset_info:\n"
        "  config_name: default\n  splits:\n  - name: train\n    num_examples: 3\n"
        "custom_key: kept\n---\n\n# Hospital notes\n\nWritten by hand.\n"
    )
    merged = merge_dataset_card(existing, _card(), "demo")
    data = yaml.safe_load(merged.split("---\n")[1])
    assert [c["config_name"] for c in data["configs"]] == ["default", "demo"]
    assert data["license"] == ["cc-by-sa-3.0", "mit"] and data["pretty_name"] == "Hospital notes"
    assert data["dataset_info"]["config_name"] == "default" and data["custom_key"] == "kept"
    body = DatasetCard(merged).text
    assert body.startswith("\n# Hospital notes\n\nWritten by hand.\n\n<!-- meadow:config demo -->")


def test_stale_dataset_info_of_the_config_is_dropped():
    """Sizes of an earlier publish of this config would fail `datasets`' split checks."""
    head, body = _card().split("---\n")[1:3]
    existing = (
        f"---\n{head}dataset_info:\n- config_name: demo\n  splits:\n  - name: train\n"
        f"    num_examples: 1\n- config_name: other\n  splits: []\n---\n{body}"
    )
    merged = merge_dataset_card(existing, _card(), "demo")
    assert DatasetCard(merged).data.to_dict()["dataset_info"] == [
        {"config_name": "other", "splits": []}
    ]


def test_readme_without_yaml_keeps_its_text():
    merged = merge_dataset_card("# Notes\n\nHand-written.\n", _card(), "demo")
    assert DatasetCard(merged).data.to_dict() == dataset_card_metadata(_manifest())
    assert DatasetCard(merged).text.startswith("# Notes\n\nHand-written.\n\n<!-- meadow:config")


def test_merge_refuses_a_card_without_metadata():
    with pytest.raises(MeadowError, match="no YAML metadata"):
        merge_dataset_card(None, "# just text\n", "demo")


def test_merge_names_a_readme_whose_yaml_cannot_be_read():
    with pytest.raises(MeadowError, match="YAML metadata cannot be read"):
        merge_dataset_card("---\nlicense: [mit\n---\n# x\n", _card(), "demo")


def test_card_errors_are_card_errors():
    """A card meadow cannot read or write is a `CardError` (a `MeadowError`: the CLI's one line)."""
    with pytest.raises(CardError, match="YAML metadata block is not a mapping"):
        merge_dataset_card("---\n- a list\n---\n# x\n", _card(), "demo")
