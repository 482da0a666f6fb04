"""The dataset card: rendered from the manifest only, valid Hub metadata."""

from __future__ import annotations

from huggingface_hub import DatasetCard

from meadow.card import render_dataset_card, size_category


def _manifest(n_files: int = 2) -> dict:
    raw = [{"name": f"page{i}.html", "sha256": f"{i:064x}", "size": 10} for i in range(n_files)]
    return {
        "name": "demo",
        "revision": "0123456789abcdef",
        "meadow_version": "0.1.0",
        "recipe": {
            "name": "demo",
            "description": "A demo.",
            "seed": 1,
            "splits": {"validation": 0.1, "test": 0.0},
            "sources": {},
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
                "subsets": {"textbook": {"available": 2000, "quota": "all", "taken": 1650}},
                "licenses": {"CC-BY-SA-3.0": 1650},
            },
        },
    }


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


def test_card_lists_at_most_twenty_raw_files():
    text = render_dataset_card(_manifest(25), {}, "meadow build")
    assert "page19.html" in text and "page20.html" not in text
    assert "… and 5 more files (all in `manifest.json`)" in text


def test_size_categories():
    assert [size_category(n) for n in (0, 999, 1000, 99_999, 2_000_000)] == [
        "n<1K",
        "n<1K",
        "1K<n<10K",
        "10K<n<100K",
        "1M<n<10M",
    ]
