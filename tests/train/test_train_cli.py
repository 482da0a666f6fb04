"""`meadow train` and `meadow generate` from the command line, and the training config."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib import resources

import pytest

from meadow.errors import ConfigError
from meadow.train.config import (
    ALL_LINEAR,
    TrainConfig,
    config_keys,
    load_config,
    parse_assignments,
    presets,
)
from tests.cli import run_cli


@pytest.fixture
def train_yaml(tmp_path):
    path = tmp_path / "train.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            # meadow train --config train.yaml
            mixture: sample
            learning_rate: 2e-4
            lora_r: 4
            target_modules: [q_proj, v_proj]
            max_steps: 7
            """
        )
    )
    return path


# -- the config -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["tiny", "small", "7b"])
def test_every_preset_loads_and_opens_with_its_command(name):
    assert name in presets()
    config = load_config(name)
    assert config.origin == f"preset:{name}"
    assert config.target_modules == ALL_LINEAR
    text = (resources.files("meadow.train") / "presets" / f"{name}.yaml").read_text()
    assert text.startswith("#") and f"--config {name}" in text


def test_a_yaml_file_is_read_typed_and_flags_win(train_yaml):
    config = load_config(train_yaml, lora_r=8, base_model="./model", epochs=None)
    assert config.learning_rate == 2e-4  # YAML 1.1 reads `2e-4` as text; it is a number here
    assert (config.lora_r, config.base_model, config.epochs) == (8, "./model", 3.0)
    assert config.target_modules == ["q_proj", "v_proj"] and config.max_steps == 7
    assert config.replace(quantization="4bit").replace(quantization=None).quantization is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "lora_rank: 8",
            "lora_rank: unknown key (did you mean 'lora_r'?); known keys: mixture, revision",
        ),
        (
            "lora_rank: 8\nlearnin_rate: 1",
            "learnin_rate, lora_rank: unknown keys: learnin_rate (did you mean "
            "'learning_rate'?), lora_rank (did you mean 'lora_r'?); known keys: mixture",
        ),
        ("lora_r: true", "lora_r: expected an integer, got True"),
        ("lora_r: 0", "lora_r: must be at least 1, got 0"),
        ("precision: fp8", "precision: expected one of auto, bf16, fp16, fp32, got 'fp8'"),
        ("template: vicuna", "template: expected one of medalpaca, alpaca, chat"),
        ("target_modules: q_proj", "target_modules: expected 'all-linear' or a list"),
        ("warmup: 2.5", "warmup: a ratio in [0, 1) or a whole number of steps"),
        ("- a list", "(yaml): expected a mapping"),
        ("a: [", "(yaml): not valid YAML at line"),
    ],
)
def test_config_errors_name_the_key(tmp_path, body, message):
    path = tmp_path / "bad.yaml"
    path.write_text(body + "\n")
    with pytest.raises(ConfigError, match="train config .*bad.yaml: ") as error:
        load_config(path)
    assert message in str(error.value)


def test_set_takes_yaml_values_for_any_key():
    assert parse_assignments(["lora-r=8", "modules_to_save=[lm_head]", "eval_steps=null"]) == {
        "lora_r": 8,
        "modules_to_save": ["lm_head"],
        "eval_steps": None,
    }
    with pytest.raises(ConfigError, match="rank: unknown key"):
        parse_assignments(["rank=8"])
    with pytest.raises(ConfigError, match="--set: expected KEY=VALUE"):
        parse_assignments(["lora_r"])


def test_every_key_has_a_default_and_a_run_needs_mixture_and_model():
    assert set(TrainConfig().to_dict()) == set(config_keys())
    with pytest.raises(ConfigError, match="mixture: not set: pass --mixture NAME"):
        TrainConfig().check_ready()
    with pytest.raises(ConfigError, match="base_model: not set"):
        TrainConfig(mixture="m").check_ready()


# -- the commands -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["train", "generate"])
def test_help_has_examples(capsys, command):
    code, out, _ = run_cli(capsys, command, "--help")
    assert code == 0 and "Example" in out and f"meadow {command}" in out


def test_meadow_help_imports_no_torch():
    code = (
        "import sys\nfrom meadow.cli import main\nmain(['--help'])\n"
        "heavy = {'torch', 'transformers', 'peft'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "train" in done.stdout and "generate" in done.stdout


def test_config_errors_are_one_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "train", "--mixture", "sample", "--config", "nope")
    assert code == 1 and "no preset 'nope' and no such file; presets: 7b, small, tiny" in err
    code, _, err = run_cli(capsys, "train", "--base-model", "x", "--set", "lora_r=abc")
    assert code == 1 and "lora_r: expected an integer, got 'abc'" in err
    code, _, err = run_cli(capsys, "train", "--base-model", "x")
    assert code == 1 and "mixture: not set" in err
    assert "Traceback" not in err


def test_train_then_generate_from_the_command_line(
    capsys, tiny_mixture, tiny_model_dir, tmp_path, monkeypatch
):
    monkeypatch.setenv("MEADOW_DISABLE_PROGRESS_BARS", "0")  # the bar, drawn once at the end
    out = tmp_path / "adapter"
    code, stdout, err = run_cli(
        capsys,
        "train",
        "--mixture",
        tiny_mixture.name,
        "--base-model",
        str(tiny_model_dir),
        "--config",
        "tiny",
        "--output-dir",
        str(out),
        "--max-steps",
        "4",
        "--set",
        "eval_steps=null",
    )
    assert code == 0, err
    assert f"trained {out}" in stdout
    assert f"dataset: sample @ {tiny_mixture.revision}" in stdout
    assert "steps: 4" in stdout and "tokens/s" in stdout
    bar = next(line for line in err.splitlines() if line.startswith("training"))
    assert "4/4" in bar and "loss" in bar and "tok/s" in bar and "ETA" in bar
    assert (out / "adapter_model.safetensors").is_file() and (out / "README.md").is_file()
    code, answer, err = run_cli(
        capsys, "generate", "--model", str(out), "What is gout?", "--max-new-tokens", "4"
    )
    assert code == 0, err
    assert answer.endswith("\n")


def test_a_missing_model_folder_is_one_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "generate", "--model", str(tmp_path / "none"), "Why?")
    assert code == 1 and "no model folder at" in err
