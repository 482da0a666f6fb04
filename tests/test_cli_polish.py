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
        (["show"], "error: Missing argument 'name'. (see 'meadow show --help')"),
        (
            ["build", "--llm", "true"],
            "error: Got unexpected extra argument(s) (true); a flag takes no value: give it "
            "alone to switch it on (see 'meadow build --help')",
        ),
    ],
)
def test_usage_errors_are_one_line_with_the_same_prefix_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and not out
    assert err.startswith(message), err
    assert "Error:" not in err and "Usage:" not in err and len(err.strip().splitlines()) == 1


def test_meadow_alone_still_prints_its_help(capsys):
    code, out, err = run(capsys)
    assert code == 2 and "Usage: meadow" in out + err and "error:" not in out + err


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
