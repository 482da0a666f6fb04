"""The training configuration: one typed dataclass, from a YAML preset or file plus flags.

    meadow train --mixture my-mix --base-model ./llama --config tiny     # a built-in preset
    meadow train --config train.yaml --set learning_rate=1e-4            # a file and overrides

Every key of `TrainConfig` can be set in YAML; an unknown key or a value of the wrong type
is an error that names the key. This module imports no torch, so `meadow --help` and
config checks stay fast.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from meadow.errors import MeadowError
from meadow.recipe_yaml import BuiltinYaml
from meadow.train.templates import TEMPLATE_NAMES
from meadow.typed import WrongType, checked, unknown_keys

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
QUANTIZATIONS = ("8bit", "4bit")
ALL_LINEAR = "all-linear"


class ConfigError(MeadowError):
    """A training config (YAML or flag) that cannot be used; names the key."""

    def __init__(self, key: str, problem: str, *, origin: str | None = None):
        self.key = key
        self.problem = problem
        self.origin = origin
        where = f"train config {origin}: " if origin else ""
        super().__init__(f"{where}{key}: {problem}")


PRESETS = BuiltinYaml(
    package="meadow.train",
    folder="presets",
    prefix="preset",
    flag="--config",
    file_word="config file",
    builtin_word="preset",
    list_word="presets",
)


class TrainError(MeadowError):
    """Training cannot start or finish for a reason the user can fix (one line)."""


@dataclass
class TrainConfig:
    """Everything `meadow train` needs; the defaults are a sound LoRA run on one GPU.

    Attributes:
        mixture: the mixture's name (in the local store, or the config name in `repo`).
        revision: a local revision (a prefix is enough), or a Hub tag or commit with `repo`.
        repo: a Hub dataset repo (ORG/NAME) to load the mixture from; None for the store.
        base_model: a local folder or a Hub model id.
        template: the prompt template (`medalpaca`, `alpaca` or `chat`).
        output_dir: where the adapter goes; default MEADOW_HOME/adapters/MIXTURE-MODEL.
        max_length: tokens per example; longer ones are truncated, keeping the EOS.
        train_on_inputs: compute the loss on the prompt too (default: response only).
        packing: pack examples into rows of `max_length` (else pad per batch).
        group_by_length: batch examples of similar length (ignored when packing).
        epochs / max_steps: how long; `max_steps` > 0 wins over `epochs`.
        warmup: a ratio of the steps if < 1, else a number of steps.
        eval_steps: evaluate on the validation split every N steps (None: at the end only).
        resume: True for the latest checkpoint in `output_dir`, or a checkpoint folder.
        target_modules: `all-linear` or a list of module names.
        response_logits_only: make logits only where the loss is (the response), for
            models whose logits are plainly the LM head of the last hidden state; the
            same loss with less memory and work. Other models ignore it.
        precision: `auto` is bf16 on a GPU that has it, fp16 on other GPUs, fp32 on CPU.
        quantization: `8bit` or `4bit` (QLoRA; needs CUDA and bitsandbytes), or None.
        merge: also write the base with the adapter merged in, under `output_dir/merged`.
        push / push_repo / private: publish adapter and card to a Hub model repo.
    """

    # what to train on, and from
    mixture: str | None = None
    revision: str | None = None
    repo: str | None = None
    base_model: str | None = None
    template: str = "medalpaca"
    output_dir: str | None = None
    # the data
    max_length: int = 1024
    train_on_inputs: bool = False
    packing: bool = False
    group_by_length: bool = True
    num_proc: int = 1
    # the schedule
    epochs: float = 3.0
    max_steps: int = -1
    batch_size: int = 4
    eval_batch_size: int | None = None
    gradient_accumulation_steps: int = 1
    learning_rate: float = 2e-4
    lr_scheduler: str = "cosine"
    warmup: float = 0.03
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    seed: int = 42
    logging_steps: int = 10
    eval_steps: int | None = 200
    save_steps: int = 200
    save_total_limit: int | None = 2
    resume: bool | str = False
    # LoRA
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: str | list[str] = ALL_LINEAR
    modules_to_save: list[str] | None = None
    # the hardware
    gradient_checkpointing: bool = False
    response_logits_only: bool = True
    precision: str = "auto"
    quantization: str | None = None
    # after training
    merge: bool = False
    push: bool = False
    push_repo: str | None = None
    private: bool = False
    # where the values came from (a preset or file), for error messages
    origin: str | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for item in dataclasses.fields(self):
            if item.name != "origin":
                value = _checked(item.name, getattr(self, item.name), self.origin)
                setattr(self, item.name, value)
        self._check_values()

    def _check_values(self) -> None:
        def bad(key: str, problem: str) -> ConfigError:
            return ConfigError(key, problem, origin=self.origin)

        for key, allowed in (("template", TEMPLATE_NAMES), ("precision", PRECISIONS)):
            if getattr(self, key) not in allowed:
                raise bad(key, f"expected one of {', '.join(allowed)}, got {getattr(self, key)!r}")
        if self.quantization is not None and self.quantization not in QUANTIZATIONS:
            raise bad(
                "quantization",
                f"expected {' or '.join(QUANTIZATIONS)} (or null), got {self.quantization!r}",
            )
        positive = ["max_length", "batch_size", "gradient_accumulation_steps", "lora_r"]
        positive += ["lora_alpha", "logging_steps", "save_steps", "num_proc"]
        for key in positive:
            if getattr(self, key) < 1:
                raise bad(key, f"must be at least 1, got {getattr(self, key)}")
        for key in ("eval_batch_size", "eval_steps", "save_total_limit"):
            if getattr(self, key) is not None and getattr(self, key) < 1:
                raise bad(key, f"must be at least 1 (or null), got {getattr(self, key)}")
        if self.max_steps <= 0 and self.epochs <= 0:
            raise bad("epochs", f"must be positive when max_steps is not set, got {self.epochs}")
        if not 0 <= self.lora_dropout < 1:
            raise bad("lora_dropout", f"must be in [0, 1), got {self.lora_dropout}")
        if self.learning_rate <= 0:
            raise bad("learning_rate", f"must be positive, got {self.learning_rate}")
        if self.warmup < 0 or (self.warmup >= 1 and self.warmup != int(self.warmup)):
            raise bad("warmup", f"a ratio in [0, 1) or a whole number of steps, got {self.warmup}")
        if isinstance(self.target_modules, str) and self.target_modules != ALL_LINEAR:
            raise bad(
                "target_modules",
                f"expected {ALL_LINEAR!r} or a list of module names, got {self.target_modules!r}",
            )
        if isinstance(self.target_modules, list) and not self.target_modules:
            raise bad("target_modules", "the list is empty")

    def check_ready(self) -> None:
        """What a run needs beyond a preset: a mixture and a base model."""
        if not self.mixture:
            raise ConfigError("mixture", "not set: pass --mixture NAME", origin=self.origin)
        if not self.base_model:
            raise ConfigError(
                "base_model", "not set: pass --base-model ID_OR_FOLDER", origin=self.origin
            )

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with `changes` (checked like a file's values; None sets None)."""
        unknown = unknown_keys(changes, config_keys())
        if unknown:
            raise _unknown(unknown[0], self.origin)
        return dataclasses.replace(self, **changes)

    def with_flags(self, **flags: Any) -> TrainConfig:
        """A copy with the command-line flags that were given (None: not given, kept)."""
        return self.replace(**{k: v for k, v in flags.items() if v is not None})

    def to_dict(self) -> dict[str, Any]:
        """The values as YAML would hold them (no `origin`)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "origin"}


def config_keys() -> list[str]:
    """The keys a config file may hold."""
    return [f.name for f in dataclasses.fields(TrainConfig) if f.name != "origin"]


def presets() -> list[str]:
    """Names of the built-in presets (`meadow/train/presets/*.yaml`)."""
    return PRESETS.names()


def load_config(path_or_preset: str | Path | None = None, **overrides: Any) -> TrainConfig:
    """A config from a preset name (`tiny`, `small`, `7b`) or a YAML file, then `overrides`.

    `overrides` are flags: None means "not given" and keeps the file's value. With no
    file or preset, the defaults of `TrainConfig`.
    """
    if path_or_preset is None:
        return TrainConfig().with_flags(**overrides)
    found = PRESETS.read(path_or_preset, _config_error)
    origin, text = found.origin, found.text
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", exc)
        raise ConfigError("(yaml)", f"not valid YAML{where}: {problem}", origin=origin) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError("(yaml)", "expected a mapping of keys to values", origin=origin)
    unknown = unknown_keys(data, config_keys())
    if unknown:
        raise _unknown(unknown[0], origin)
    return TrainConfig(**data, origin=origin).with_flags(**overrides)


def parse_assignments(values: list[str] | None) -> dict[str, Any]:
    """`["lora_r=8", "target_modules=[q_proj, v_proj]"]` → typed values (YAML syntax)."""
    parsed: dict[str, Any] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise ConfigError("--set", f"expected KEY=VALUE, got {value!r}")
        if key not in config_keys():
            raise _unknown(key, "--set")
        try:
            parsed[key] = yaml.safe_load(rest) if rest.strip() else None
        except yaml.YAMLError:
            parsed[key] = rest
    return parsed


def _config_error(key: str, problem: str, origin: str | None = None) -> ConfigError:
    return ConfigError(key, problem, origin=origin)


def _unknown(key: str, origin: str | None) -> ConfigError:
    return ConfigError(key, f"unknown key; known keys: {', '.join(config_keys())}", origin=origin)


# -- type checks ------------------------------------------------------------------------------

_HINTS: dict[str, Any] = {}


def _checked(key: str, value: Any, origin: str | None) -> Any:
    """`value` if it fits the field's type (see `meadow.typed.checked`); else a ConfigError."""
    if not _HINTS:
        _HINTS.update(typing.get_type_hints(TrainConfig))
    try:
        return checked(value, _HINTS[key])
    except WrongType as exc:
        raise ConfigError(key, str(exc), origin=origin) from None


__all__ = [
    "ALL_LINEAR",
    "ConfigError",
    "TrainConfig",
    "TrainError",
    "config_keys",
    "load_config",
    "parse_assignments",
    "presets",
]
