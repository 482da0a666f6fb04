"""The `meadow` command as a new user meets it: `python -m meadow`, one `error:` prefix,
flags shown as flags, shell completion, clean examples, "did you mean" for typos."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.cli import run_cli

run = run_cli


def _help(capsys, *command: str) -> str:
    os.environ["COLUMNS"] = "120"  # rich reads the width at print time
    try:
        code, out, _ = run(capsys, *command, "--help")
    finally:
        del os.environ["COLUMNS"]
    assert code == 0
    return out


def test_python_dash_m_meadow_runs_the_command():
    done = subprocess.run(
        [sys.executable, "-m", "meadow", "--version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0 and done.stdout.startswith("meadow "), done.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["build", "--num-proc", "many"],
            "error: Invalid value for '--num-proc': ",
        ),
        (["build", "--nope"], "error: No such option: --nope"),
        (["nosuch"], "error: No such command 'nosuch'."),
        (["show"], "error: Missing argument 'NAME'. (see 'meadow show --help')"),
        (  # click before 8.2 says "argument" for one
            ["build", "--llm", "true"],
            "error: Got unexpected extra argument(s) (true); a flag takes no value: give it "
            "alone to switch it on (see 'meadow build --help')",
        ),
    ],
)
def test_usage_errors_are_one_line_with_the_same_prefix_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and not out
    assert _same_words(err).startswith(_same_words(message)), err
    assert "Error:" not in err and "Usage:" not in err and len(err.strip().splitlines()) == 1


def _same_words(text: str) -> str:
    """click's wording as it differs between the versions meadow supports: the case of an
    argument's name, "argument(s)" for one."""
    return text.lower().replace("argument(s)", "argument")


def test_meadow_alone_still_prints_its_help(capsys):
    code, out, err = run(capsys)
    # click 8.2 on exits 2 (no command given), earlier ones 0
    assert code in (0, 2) and "Usage: meadow" in out + err and "error:" not in out + err


@pytest.mark.parametrize("command", ["build", "train", "eval", "show", "push", "generate"])
def test_flags_are_shown_without_a_value_type(capsys, command):
    out = _help(capsys, command)
    assert "<bool>" not in out and "--help" in out


def test_build_help_shows_flags_alone(capsys):
    out = _help(capsys, "build")
    line = next(line for line in out.splitlines() if "│ --llm " in line)
    assert line.split("│")[1].split()[:2] == ["--llm", "Have"]  # no type between them
    train = _help(capsys, "train")
    packing = next(line for line in train.splitlines() if "--packing" in line)
    assert "--no-packing" in packing and "<" not in packing


def test_shell_completion_is_offered(capsys):
    out = _help(capsys)
    assert "--install-completion" in out and "--show-completion" in out
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1", "SHELL": "/bin/bash"}
    done = subprocess.run(
        [sys.executable, "-m", "meadow", "--show-completion", "bash"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "complete" in done.stdout and "meadow" in done.stdout


def test_build_help_examples_have_no_stray_spaces(capsys):
    out = _help(capsys, "build")
    examples = [line.strip() for line in out.splitlines() if "meadow build --" in line]
    assert len(examples) >= 5
    for line in examples:
        assert "  " not in line, line


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["build", "-m", "sample", "--quota", "wikidoc.textbok=3"],
            "error: --quota wikidoc.textbok: wikidoc has no subset 'textbok' (did you mean "
            "'textbook'?); it has: patient_information, textbook",
        ),
        (
            ["build", "-m", "sample", "--quota", "wikidco=3"],
            "error: --quota wikidco: source 'wikidco' (did you mean 'wikidoc'?) is not in this",
        ),
        (
            ["build", "-m", "sample", "--validation", "1.5"],
            "error: --validation: expected a fraction in [0, 1), got 1.5",
        ),
        (
            ["build", "-m", "sample", "--validation", "0.6", "--test", "0.5"],
            "error: --validation and --test: validation + test is 1.1: it must leave rows",
        ),
        (["build", "-m", "sample", "--seed", "-3"], "error: --seed: expected a non-negative"),
        (
            ["build", "-m", "sample", "--sources", "wikidco,ank"],
            "error: --sources: unknown sources 'ank' (did you mean 'anki'?), 'wikidco' (did "
            "you mean 'wikidoc'?); available: anki",
        ),
        (
            ["build", "--sources", "wikidco"],
            "error: unknown source 'wikidco' (did you mean 'wikidoc'?); available: anki",
        ),
        (
            ["build", "-m", "sampel"],
            "error: --mixture: no built-in recipe 'sampel' (did you mean 'sample'?)",
        ),
    ],
)
def test_flag_errors_name_the_flag_and_suggest_the_near_name(capsys, argv, message):
    code, _, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith(message), err
    assert "recipe builtin" not in err and len(err.strip().splitlines()) == 1


def test_a_recipe_reports_every_unknown_key_at_once(capsys, tmp_path):
    recipe = tmp_path / "typos.yaml"
    recipe.write_text(
        "name: typos\n"
        "sed: 3\n"
        "splits: {validaton: 0.1}\n"
        "llm: {modle: x}\n"
        "sources:\n"
        "  wikidoc:\n"
        "    qouta: 5\n"
        "    subsets: [textbok]\n"
        "  ankii: {}\n"
    )
    code, _, err = run(capsys, "build", "--mixture", str(recipe))
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert err.startswith(f"error: recipe {recipe}: 6 unknown keys: "), err
    for part in (
        "llm.modle (did you mean 'model'?)",
        "sed (did you mean 'seed'?)",
        "sources.ankii (did you mean 'anki'?)",
        "sources.wikidoc.qouta (did you mean 'quota'?)",
        "sources.wikidoc.subsets.textbok (did you mean 'textbook'?)",
        "splits.validaton (did you mean 'validation'?)",
    ):
        assert part in err, part


def test_one_unknown_recipe_key_lists_what_is_allowed(capsys, tmp_path):
    recipe = tmp_path / "typo.yaml"
    recipe.write_text("name: typo\nsources:\n  wikidoc:\n    subset: [textbook]\n")
    code, _, err = run(capsys, "build", "--mixture", str(recipe))
    assert code == 1
    assert err.startswith(
        f"error: recipe {recipe}: sources.wikidoc.subset: unknown key (did you mean "
        "'subsets'?); allowed: quota, subsets,"
    ), err
