"""The `transformers.TrainingArguments` of a `TrainConfig`: the mapping, next to the config.

Settings that pass as they are name their TrainingArguments field in their `setting`
(`arg=`, read by `config.same_arguments`); the ones derived from a setting, or from the
run's hardware, are written here once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from transformers import TrainingArguments
from transformers.trainer_utils import SchedulerType

from meadow.errors import ConfigError
from meadow.train.config import TrainConfig, same_arguments
from meadow.train.model import cpu_only


def training_arguments(
    config: TrainConfig, out: Path, precision: str, *, evaluate: bool
) -> TrainingArguments:
    """The Trainer's arguments for `config`, writing checkpoints into `out`.

    `precision` is the resolved one (bf16, fp16 or fp32); `evaluate` says whether there is
    a validation split to evaluate on every `eval_steps`.
    """
    known = [s.value for s in SchedulerType]
    if config.lr_scheduler not in known:
        raise ConfigError("lr_scheduler", f"expected one of {', '.join(known)}")
    evaluate_every = evaluate and config.eval_steps is not None
    grouped = config.group_by_length and not config.packing
    return TrainingArguments(
        output_dir=str(out),
        **same_arguments(config),
        per_device_eval_batch_size=config.eval_batch_size or config.batch_size,
        warmup_steps=config.warmup if config.warmup < 1 else int(config.warmup),
        eval_strategy="steps" if evaluate_every else "no",
        eval_steps=config.eval_steps if evaluate_every else None,
        save_strategy="steps",
        bf16=precision == "bf16",
        fp16=precision == "fp16",
        **_checkpointing_arguments(config.gradient_checkpointing),
        train_sampling_strategy="group_by_length" if grouped else "random",
        length_column_name="length",
        remove_unused_columns=False,  # keeps `length` for the sampler; the collator drops it
        label_names=["labels"],
        include_num_input_tokens_seen="non_padding",
        ddp_find_unused_parameters=False,
        report_to="none",
        disable_tqdm=True,
        dataloader_pin_memory=torch.cuda.is_available(),
        use_cpu=cpu_only(),
        data_seed=config.seed,
    )


def _checkpointing_arguments(enabled: bool) -> dict[str, Any]:
    """Gradient checkpointing, under the name this transformers gives it (5.x renamed it)."""
    if not enabled:
        return {}
    renamed = "activation_checkpointing" in TrainingArguments.__dataclass_fields__
    name = "activation_checkpointing" if renamed else "gradient_checkpointing"
    return {name: True, f"{name}_kwargs": {"use_reentrant": False}}


__all__ = ["training_arguments"]
