"""Every removal is auditable: removed.parquet beside the manifest, `meadow show NAME
--removed`, and the line of `meadow build` that says what each step removed."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from meadow import load_mixture
from meadow.quality.removed import REMOVED_FILE, REMOVED_SCHEMA, REMOVED_TEXT_CHARS
from meadow.store import revision_dir
from tests.cli import run_cli
from tests.quality.helpers import (
    ABSTRACT,
    PARAPHRASE,
    WERNICKE,
    WERNICKE_OPTIONS,
    write_meadow_json,
    write_usmle,
)

LONG_ANSWER = "Uric acid crystals deposit in a joint and inflame it. " * 20  # 1,080 characters


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch):
    """A terminal wide enough that the tables do not wrap the texts they are checked for."""
    monkeypatch.setenv("COLUMNS", "400")


@pytest.fixture
def usmle(tmp_path):
    return write_usmle(tmp_path / "usmle", [(WERNICKE, WERNICKE_OPTIONS, "C")])


@pytest.fixture
def planted(tmp_path):
    """One row removed by each step, and rows that stay."""
    return write_meadow_json(
        tmp_path / "local" / "medical_meadow_wikidoc.json",
        [
            ("What causes gout?", LONG_ANSWER),
            ("what causes GOUT", LONG_ANSWER.upper()),  # exact duplicate
            (PARAPHRASE, "Thiamine, before any glucose."),  # contaminated (usmle)
            ("Is this copied?", "Is this copied?"),  # filtered: copied_question
            ("Does early mobilisation help?", ABSTRACT),
            ("Does early mobilisation help?", ABSTRACT.replace("halved", "reduced")),  # near
            ("Serum K+ < 3.5 mmol/L is called?", "Hypokalaemia (K+ < 3.5)."),
            ("Serum K+ > 5.5 mmol/L is called?", "Hyperkalaemia (K+ > 5.5)."),
        ],
    )


def _build(capsys, planted, usmle, *flags):
    return run_cli(
        capsys,
        "build",
        "--sources",
        "local",
        "--raw",
        f"local={planted}",
        "--raw",
        f"usmle={usmle}",
        "--name",
        "audited",
        *flags,
    )


def _kept_id(text: str) -> str:
    """The id of the kept row whose input starts with `text`."""
    rows = load_mixture("audited")["train"]
    return next(r["id"] for r in rows if r["input"].startswith(text))


def test_build_reports_what_each_step_removed_and_the_manifest_counts_it(capsys, planted, usmle):
    code, out, err = _build(capsys, planted, usmle)
    assert code == 0, err
    line = " ".join(out.split())  # the table may wrap it
    assert (
        "removed by step: filters 1, decontamination 1, exact_dedup 1, near_dedup 1 "
        "(4 of 8 rows); list them: meadow show audited --removed"
    ) in line
    manifest = json.loads((revision_dir("audited") / "manifest.json").read_text())
    removed = manifest["sources"]["local"]["removed"]
    assert removed["by_step"] == {
        "filters": 1,
        "decontamination": 1,
        "exact_dedup": 1,
        "near_dedup": 1,
    }
    assert manifest["quality"]["removed_rows"] == {
        "file": REMOVED_FILE,
        "rows": 4,
        "text_chars": REMOVED_TEXT_CHARS,
    }


def test_removed_parquet_names_the_kept_copy_or_the_benchmark_item(capsys, planted, usmle):
    assert _build(capsys, planted, usmle)[0] == 0
    table = pq.read_table(revision_dir("audited") / REMOVED_FILE)
    assert table.schema == REMOVED_SCHEMA
    by_step = {r["step"]: r for r in table.to_pylist()}
    assert sorted(by_step) == ["decontamination", "exact_dedup", "filters", "near_dedup"]

    exact = by_step["exact_dedup"]  # which copy stays is decided by id, not by order
    assert exact["reason"] == "duplicate"
    assert {exact["input"], exact["matched_input"]} == {"What causes gout?", "what causes GOUT"}
    assert exact["matched_id"] == _kept_id(exact["matched_input"])
    # texts are cut, and say so
    assert len(exact["output"]) == len(exact["matched_output"]) == REMOVED_TEXT_CHARS
    assert exact["output"].endswith("…") and exact["output"][:9].lower() == "uric acid"

    near = by_step["near_dedup"]
    assert near["reason"] == "near_duplicate"
    assert near["matched_id"] == _kept_id("Does early mobilisation help?")
    assert {near["output"], near["matched_output"]} == {
        ABSTRACT,
        ABSTRACT.replace("halved", "reduced"),
    }

    contaminated = by_step["decontamination"]
    assert contaminated["input"] == PARAPHRASE and contaminated["matched_id"] is None
    assert (contaminated["reason"], contaminated["benchmark"]) == ("usmle", "usmle")
    assert (contaminated["item"], contaminated["match"]) == ("step1/1", "ngram")
    shared = contaminated["shared_text"]
    assert len(shared.split()) == 13 and shared in "with long standing heavy alcohol use is " + (
        "brought to the emergency department because of confusion"
    )

    filtered = by_step["filters"]
    assert (filtered["reason"], filtered["input"]) == ("copied_question", "Is this copied?")
    assert filtered["matched_id"] is None and filtered["benchmark"] is None


def test_show_removed_lists_each_row_with_what_it_matched(capsys, planted, usmle):
    assert _build(capsys, planted, usmle)[0] == 0
    code, out, err = run_cli(capsys, "show", "audited", "--removed")
    assert code == 0, err
    text = " ".join(out.split())
    assert "rows removed: 4" in text
    for step in ("exact_dedup: duplicate", "near_dedup: near_duplicate", "filters:"):
        assert step in text
    kept = load_mixture("audited")["train"]["id"]
    assert sum(f"kept {row_id} (local)" in text for row_id in kept) == 2  # exact and near
    assert "usmle item step1/1 (ngram)" in text
    assert "in: what causes GOUT" in text and "in: What causes gout?" in text


def test_show_removed_takes_a_source_a_step_and_a_limit(capsys, planted, usmle):
    assert _build(capsys, planted, usmle)[0] == 0
    code, out, _ = run_cli(
        capsys, "show", "audited", "--removed", "--source", "local", "--limit", "1"
    )
    assert code == 0
    assert "rows removed: 4 (--source local)" in out
    assert "… 3 more: --limit 4 lists them all" in " ".join(out.split())

    near_kept = _kept_id("Does early mobilisation help?")
    capsys.readouterr()
    code, out, _ = run_cli(capsys, "show", "audited", "--removed", "--step", "near_dedup", "--json")
    records = json.loads(out)
    assert [(r["step"], r["matched_id"]) for r in records] == [("near_dedup", near_kept)]

    code, _, err = run_cli(capsys, "show", "audited", "--removed", "--source", "anki")
    assert code == 1
    assert "error: --source: 'anki' is not a source of audited (sources: local)" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run_cli(capsys, "show", "audited", "--removed", "--step", "dedup")
    assert code == 1 and "unknown step 'dedup'; steps: filters, decontamination" in err


def test_show_removed_says_why_a_revision_has_no_list(capsys, planted, usmle, tmp_path):
    assert _build(capsys, planted, usmle, "--name", "raw-only")[0] == 0
    recipe = tmp_path / "off.yaml"
    recipe.write_text(f"name: unchecked\nquality: false\nsources:\n  local: {{raw: {planted}}}\n")
    assert run_cli(capsys, "build", "--mixture", str(recipe))[0] == 0
    code, _, err = run_cli(capsys, "show", "unchecked", "--removed")
    assert code == 1 and "was built without quality steps: nothing removed" in err

    (revision_dir("raw-only") / REMOVED_FILE).unlink()  # as a revision pulled from the Hub
    code, _, err = run_cli(capsys, "show", "raw-only", "--removed")
    assert code == 1 and f"{REMOVED_FILE} is not in its folder" in err


def test_rows_one_sign_apart_are_not_in_the_removed_list(capsys, planted, usmle):
    assert _build(capsys, planted, usmle)[0] == 0
    removed = pq.read_table(revision_dir("audited") / REMOVED_FILE).column("input").to_pylist()
    assert not any("K+" in text for text in removed)
