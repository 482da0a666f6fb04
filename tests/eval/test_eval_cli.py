"""`meadow eval` from the command line."""

from __future__ import annotations

import json

from tests.cli import run_cli
from tests.eval import fixture_questions, write_usmle


def test_eval_prints_a_table_per_benchmark_with_usmle_per_step(capsys, random_model, tmp_path):
    steps = {1: fixture_questions()[:2], 2: fixture_questions()[2:5], 3: fixture_questions()[5:6]}
    raw = write_usmle(tmp_path / "usmle", steps, images={2: [0]})
    code, out, err = run_cli(
        capsys, "eval", "--model", str(random_model), "--bench", "usmle,pubmedqa",
        "--raw", f"usmle={raw}", "--samples", "--output", str(tmp_path / "out"),
    )  # fmt: skip
    assert code == 0, err
    assert "meadow eval (option log-likelihood)" in out
    for row in ("usmle", "Step 1", "Step 2", "Step 3", "pubmedqa", "excluded: usmle: has_image 1"):
        assert row in out
    assert "test_ground_truth.json" in err  # the bundled PubMedQA sample has no test split
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert results["benchmarks"]["usmle"]["groups"]["step2"]["scored"] == 2


def test_eval_errors_are_one_line(capsys, random_model, tmp_path):
    code, _, err = run_cli(capsys, "eval", "--model", str(random_model), "--bench", "usmle")
    assert code == 1 and "--raw usmle=PATH" in err and "Traceback" not in err
    code, _, err = run_cli(capsys, "eval", "--model", str(random_model), "--bench", "nejm")
    assert code == 1 and "unknown benchmark 'nejm'" in err
    code, _, err = run_cli(capsys, "eval", "--model", str(random_model), "--push")
    assert code == 1 and "--push: needs --repo ORG/NAME" in err


def test_eval_help_lists_its_options(capsys):
    code, out, _ = run_cli(capsys, "eval", "--help")
    assert code == 0
    for option in ("--bench", "--raw", "--mode", "--limit", "--batch-size", "--prime", "--push"):
        assert option in out
