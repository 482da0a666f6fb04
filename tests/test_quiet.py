"""A plain build prints meadow's output only: no tiktoken download warning, no source note
for the bundled sample, no bars or notes of `datasets` and transformers."""

from __future__ import annotations

import os
import subprocess
import sys

from meadow import build, load_mixture


def test_sample_builds_silently_and_keeps_its_note_in_the_card(tmp_path):
    env = {
        **os.environ,
        "MEADOW_HOME": str(tmp_path / "home"),
        "TIKTOKEN_CACHE_DIR": str(tmp_path / "no-tiktoken-files"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "meadow", "build", "--mixture", "sample"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    for noise in ("PQA-U", "tiktoken", "ConnectionError", "Warning", "WARNING", "cost"):
        assert noise not in done.stderr, done.stderr
    (card,) = (tmp_path / "home" / "store" / "sample" / "revisions").glob("*/README.md")
    text = card.read_text()
    assert "- pubmedqa: ori_pqau.json (PQA-U) has no answers" in text
    assert "**approximate**: counted as ~4 characters per token" in text


def test_load_mixture_hides_the_datasets_bars_and_restores_them(capfd):
    from datasets.utils import logging as ds_logging

    build(mixture="sample", progress=False)
    ds_logging.enable_progress_bar()
    capfd.readouterr()
    splits = load_mixture("sample")
    assert splits["train"].num_rows > 0
    _, err = capfd.readouterr()
    assert "Generating" not in err and "split" not in err, err
    assert ds_logging.is_progress_bar_enabled()  # the caller's setting, given back
