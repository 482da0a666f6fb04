"""The README's "On a CPU, offline, in a few minutes" walkthrough, run as written.

The commands are read from README.md itself, so the README and this test cannot drift:
build the sample → a tiny smoke-test model → train a few steps → generate → eval on the
bundled samples. Offline (HF_HUB_OFFLINE=1), in a MEADOW_HOME of the test's own.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.cli import run_cli

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### On a CPU, offline, in a few minutes"


def walkthrough_commands() -> list[list[str]]:
    """The `meadow …` lines of the section's first code block, as argv lists."""
    text = README.read_text()
    assert SECTION in text, f"README.md has no section {SECTION!r}"
    section = text.split(SECTION, 1)[1]
    block = re.search(r"```\n(.*?)```", section, re.DOTALL)
    assert block, f"{SECTION!r} has no code block"
    lines = [line for line in block.group(1).splitlines() if line.startswith("meadow ")]
    return [shlex.split(line)[1:] for line in lines]


def test_the_readme_walkthrough_is_build_init_train_generate_eval():
    steps = [argv[0] for argv in walkthrough_commands()]
    assert steps == ["build", "init-model", "train", "generate", "eval"]


def test_the_readme_cpu_walkthrough_runs_offline(capsys, tmp_path, monkeypatch, meadow_home):
    monkeypatch.chdir(tmp_path)
    assert str(meadow_home) != str(Path.home() / ".cache" / "meadow")
    outputs: dict[str, tuple[list[str], str]] = {}
    for argv in walkthrough_commands():
        code, out, err = run_cli(capsys, *argv)
        assert code == 0, f"meadow {shlex.join(argv)} failed:\n{err}"
        outputs[argv[0]] = (argv, " ".join(out.split()))  # rich wraps long lines

    def value(command: str, flag: str) -> Path:
        argv = outputs[command][0]
        return tmp_path / argv[argv.index(flag) + 1]

    assert "stored:" in outputs["build"][1]

    model = value("train", "--base-model")
    assert "smoke-test model" in outputs["init-model"][1]
    assert "meadow_smoke_test" in json.loads((model / "config.json").read_text())

    adapter = value("train", "--output-dir")
    assert f"trained {adapter}" in outputs["train"][1]
    assert (adapter / "adapter_model.safetensors").is_file()
    assert (adapter / "meadow_template.json").is_file()

    assert value("generate", "--model") == adapter
    assert outputs["generate"][1], "generate printed no text"

    results = json.loads((value("eval", "--output") / "results.json").read_text())
    assert results, "eval wrote empty results"
    assert "eval" in (adapter / "README.md").read_text().lower()
