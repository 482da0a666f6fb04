"""The training configuration: one typed dataclass, from a YAML preset or file plus flags.

    meadow train --mixture my-mix --base-model ./llama --config tiny     # a built-in preset
    meadow train --config train.yaml --set learning_rate=1e-4            # a file and overrides

Every key of `TrainConfig` can be set in YAML; an unknown key or a value of the wrong type
is an error that names the key. This module imports no torch, so `meadow --help` and
config checks stay fast.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from meadow.errors import ConfigError, did_you_mean
from meadow.recipe_yaml import BuiltinYaml
from meadow.train.templates import TEMPLATE_NAMES
from meadow.typed import WrongType, checked, unknown_keys

PRECISIONS = ("auto", "bf16", "fp16", "fp32")
QUANTIZATIONS = ("8bit", "4bit")
ALL_LINEAR = "all-linear"


PRESETS = BuiltinYaml(
    package="meadow.train",
    folder="presets",
    prefix="preset",
    flag="--config",
    file_word="config file",
    builtin_word="preset",
    list_word="presets",
)


def setting(
    default: Any,
    help: str | None = None,
    *,
    flag: str | tuple[str, ...] | None = None,
    card: bool = False,
    arg: str | None = None,
) -> Any:
    """A `TrainConfig` field with all that is said of it, in one place.

    Args:
        default: the value when neither a file nor a flag sets it.
        help: the flag's help text in `meadow train --help`.
        flag: the flag's names (`--packing/--no-packing` for an on/off pair; a bool with
            one name is a switch that can only turn it on); None: YAML and --set only.
        card: whether the model card's table of settings shows it.
        arg: the `transformers.TrainingArguments` field that takes the value as it is
            (see `meadow.train.arguments` for the ones derived from it).
    """
    names = (flag,) if isinstance(flag, str) else flag
    return field(default=default, metadata={"help": help, "flag": names, "card": card, "arg": arg})


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
    mixture: str | None = setting(
        None, "A mixture: local, or in --dataset-repo.", flag=("--mixture", "-m")
    )
    revision: str | None = setting(
        None,
        "The mixture's revision: local (a prefix is enough), or a Hub tag/sha.",
        flag="--revision",
    )
    repo: str | None = setting(
        None, "ORG/NAME: load the mixture from this Hub repo.", flag="--dataset-repo"
    )
    base_model: str | None = setting(
        None, "A local model folder or a Hub model id.", flag="--base-model"
    )
    template: str = setting(
        "medalpaca",
        "Prompt template: medalpaca (default), alpaca or chat.",
        flag="--template",
        card=True,
    )
    output_dir: str | None = setting(None, "Where the adapter goes.", flag=("--output-dir", "-o"))
    # the data
    max_length: int = setting(1024, "Tokens per example.", flag="--max-length", card=True)
    train_on_inputs: bool = setting(
        False,
        "Loss on the prompt too (default off).",
        flag="--train-on-inputs/--no-train-on-inputs",
        card=True,
    )
    packing: bool = setting(
        False,
        "Pack examples (else length-grouped batches).",
        flag="--packing/--no-packing",
        card=True,
    )
    group_by_length: bool = setting(True, card=True)
    num_proc: int = setting(1)
    # the schedule
    epochs: float = setting(
        3.0, "Epochs over the train split.", flag="--epochs", card=True, arg="num_train_epochs"
    )
    max_steps: int = setting(
        -1, "Optimizer steps (wins over --epochs).", flag="--max-steps", card=True, arg="max_steps"
    )
    batch_size: int = setting(
        4,
        "Examples per device and step.",
        flag="--batch-size",
        card=True,
        arg="per_device_train_batch_size",
    )
    eval_batch_size: int | None = setting(None)
    gradient_accumulation_steps: int = setting(
        1,
        "Gradient accumulation steps.",
        flag="--grad-accum",
        card=True,
        arg="gradient_accumulation_steps",
    )
    learning_rate: float = setting(
        2e-4,
        "Peak learning rate.",
        flag=("--learning-rate", "--lr"),
        card=True,
        arg="learning_rate",
    )
    lr_scheduler: str = setting("cosine", card=True, arg="lr_scheduler_type")
    warmup: float = setting(0.03, card=True)
    weight_decay: float = setting(0.0, card=True, arg="weight_decay")
    max_grad_norm: float = setting(1.0, card=True, arg="max_grad_norm")
    seed: int = setting(
        42, "Seed of the data order and LoRA init.", flag="--seed", card=True, arg="seed"
    )
    logging_steps: int = setting(10, arg="logging_steps")
    eval_steps: int | None = setting(200)
    save_steps: int = setting(200, arg="save_steps")
    save_total_limit: int | None = setting(2, arg="save_total_limit")
    resume: bool | str = setting(False)  # two flags, --resume and --resume-from (meadow.cli.train)
    # LoRA
    lora_r: int = setting(16, "LoRA rank.", flag="--lora-r", card=True)
    lora_alpha: int = setting(32, "LoRA alpha.", flag="--lora-alpha", card=True)
    lora_dropout: float = setting(0.05, "LoRA dropout.", flag="--lora-dropout", card=True)
    target_modules: str | list[str] = setting(
        ALL_LINEAR,
        "all-linear (default) or comma-separated names.",
        flag="--target-modules",
        card=True,
    )
    modules_to_save: list[str] | None = setting(None, card=True)
    # the hardware
    gradient_checkpointing: bool = setting(
        False,
        "Recompute activations to save memory.",
        flag="--gradient-checkpointing/--no-gradient-checkpointing",
        card=True,
    )
    response_logits_only: bool = setting(True, card=True)
    precision: str = setting("auto", "auto (default), bf16, fp16 or fp32.", flag="--precision")
    quantization: str | None = setting(
        None, "8bit or 4bit (QLoRA): needs CUDA and bitsandbytes.", flag="--quantization", card=True
    )
    # after training
    merge: bool = setting(
        False, "Also write the merged model to OUTPUT_DIR/merged.", flag="--merge"
    )
    push: bool = setting(False, "Publish adapter and card to a Hub model repo.", flag="--push")
    push_repo: str | None = setting(
        None, "ORG/NAME of the model repo (default YOUR-USER/DIR-NAME).", flag="--repo"
    )
    private: bool = setting(False, "Create the model repo private.", flag="--private")
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
            raise _unknown(unknown, self.origin)
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


@dataclass(frozen=True)
class Flag:
    """A `meadow train` flag, derived from a `TrainConfig` field's `setting`.

    Attributes:
        key: the config key it sets.
        names: its names (`--packing/--no-packing` for an on/off pair).
        help: its help text.
        kind: the type it takes on the command line (str, int, float or bool).
        switch: a bool flag with one name, that can only turn the setting on.
    """

    key: str
    names: tuple[str, ...]
    help: str
    kind: type
    switch: bool


def flags() -> list[Flag]:
    """The command-line flags of the config keys that have one, in the config's order."""
    hints = typing.get_type_hints(TrainConfig)
    found = []
    for item in dataclasses.fields(TrainConfig):
        names = item.metadata.get("flag")
        if not names:
            continue
        hint = hints[item.name]
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        plain = [o for o in options if o is not type(None)]
        kind = plain[0] if len(plain) == 1 and plain[0] in (str, int, float, bool) else str
        switch = kind is bool and "/" not in names[0]
        found.append(Flag(item.name, names, item.metadata["help"], kind, switch))
    return found


def card_keys() -> list[str]:
    """The keys the model card's table of settings shows, in the config's order."""
    return [f.name for f in dataclasses.fields(TrainConfig) if f.metadata.get("card")]


def same_arguments(config: TrainConfig) -> dict[str, Any]:
    """The `transformers.TrainingArguments` that take a config value as it is."""
    fields = dataclasses.fields(TrainConfig)
    return {f.metadata["arg"]: getattr(config, f.name) for f in fields if f.metadata.get("arg")}


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
        raise _unknown(unknown, origin)
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
            raise _unknown([key], "--set")
        try:
            parsed[key] = yaml.safe_load(rest) if rest.strip() else None
        except yaml.YAMLError:
            parsed[key] = rest
    return parsed


def _config_error(key: str, problem: str, origin: str | None = None) -> ConfigError:
    return ConfigError(key, problem, origin=origin)


def _unknown(keys: list[str], origin: str | None) -> ConfigError:
    """Every unknown key at once, each with its likely meaning."""
    known = config_keys()
    if len(keys) == 1:
        problem = f"unknown key{did_you_mean(keys[0], known)}"
    else:
        problem = "unknown keys: " + ", ".join(f"{key}{did_you_mean(key, known)}" for key in keys)
    return ConfigError(", ".join(keys), f"{problem}; known keys: {', '.join(known)}", origin=origin)


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
    "Flag",
    "TrainConfig",
    "card_keys",
    "config_keys",
    "flags",
    "load_config",
    "parse_assignments",
    "presets",
    "same_arguments",
    "setting",
]
