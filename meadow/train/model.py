"""The base model for training: tokenizer, weights at a precision (or quantized), LoRA.

Loading is offline when HF_HUB_OFFLINE is set, and a model that cannot be loaded is a
one-line error that says how to get it. `meadow generate` and `meadow eval` load models
through the same functions, so all three treat precision and the cache alike.
"""

from __future__ import annotations

import contextlib
import importlib.util
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import AutoModelForCausalLM, AutoTokenizer

from meadow.errors import ConfigError, TrainError
from meadow.train.config import TrainConfig
from meadow.train.source import (
    HUB_PROBE_TIMEOUT,
    check_model_source,
    hub_endpoint,
    looks_like_path,
    offline,
)


def load_tokenizer(base_model: str) -> Any:
    """The base model's tokenizer; a one-line error when it cannot be loaded (offline)."""
    check_model_source(base_model)
    with _loading(base_model, "tokenizer"):
        return AutoTokenizer.from_pretrained(base_model, local_files_only=offline())


def load_causal_lm(name_or_path: str, **kwargs: Any) -> Any:
    """`AutoModelForCausalLM.from_pretrained`, offline when asked, with a one-line error."""
    check_model_source(name_or_path)
    with _loading(name_or_path, "model"):
        return AutoModelForCausalLM.from_pretrained(
            name_or_path, local_files_only=offline(), **kwargs
        )


@contextlib.contextmanager
def _loading(name: str, what: str) -> Iterator[None]:
    """Loading errors as one line; offline, say so and how to get the files."""
    try:
        yield
    except (OSError, ValueError) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        if offline() and not Path(name).exists():
            raise TrainError(
                f"cannot load the {what} of {name!r} offline (HF_HUB_OFFLINE=1): it is not a "
                "local folder nor in the Hugging Face cache; download it first (`hf download "
                f"{name}`) or pass a local folder"
            ) from None
        raise TrainError(f"cannot load the {what} of {name!r}: {detail}") from None


@contextlib.contextmanager
def peft_quietly() -> Iterator[None]:
    """peft 0.21 reads a property transformers 5 deprecated: not the user's to fix."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*")
        yield


def load_base_model(base_model: str, config: TrainConfig, precision: str) -> Any:
    """The base model at `precision`, quantized (and prepared for k-bit training) as asked."""
    kwargs: dict[str, Any] = {"dtype": torch_dtype(precision)}
    if config.quantization:
        from transformers import BitsAndBytesConfig

        four = config.quantization == "4bit"
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=four,
            load_in_8bit=not four,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch_dtype(precision),
        )
        kwargs["device_map"] = {"": torch.cuda.current_device()}
    model = load_causal_lm(base_model, **kwargs)
    if config.quantization:
        model = prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=config.gradient_checkpointing
        )
    if config.gradient_checkpointing:
        model.config.use_cache = False
    return model


def resolve_precision(precision: str, quantization: str | None = None) -> str:
    """`auto` → bf16 on a CUDA GPU that has it, fp16 on other CUDA GPUs, fp32 elsewhere;
    an explicit choice the hardware cannot run, or quantization without CUDA and
    bitsandbytes, is a clear error."""
    cuda = torch.cuda.is_available()
    if quantization:
        missing = [] if cuda else ["a CUDA GPU"]
        if importlib.util.find_spec("bitsandbytes") is None:
            missing.append("bitsandbytes (pip install bitsandbytes)")
        if missing:
            raise TrainError(
                f"quantization {quantization!r} (QLoRA) needs {' and '.join(missing)}; "
                "train without --quantization, or on a machine that has them"
            )
    if precision == "auto":
        if not cuda:
            return "fp32"
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    if precision == "fp16" and not cuda:
        raise TrainError("precision fp16 needs a CUDA GPU; use bf16 or fp32 (or auto) here")
    if precision == "bf16" and cuda and not torch.cuda.is_bf16_supported():
        raise TrainError("this GPU has no bf16: use precision fp16 (or auto)")
    return precision


def torch_dtype(precision: str) -> Any:
    """The torch dtype of a resolved precision (fp32 for anything but bf16 and fp16)."""
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)


def with_lora(model: Any, config: TrainConfig, precision: str) -> Any:
    """peft's LoRA as the config says; trained weights in fp32 under fp16 mixed precision
    (the gradient scaler cannot unscale fp16 gradients, e.g. of a `modules_to_save` copy)."""
    lora = LoraConfig(
        task_type="CAUSAL_LM",
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.target_modules,
        modules_to_save=config.modules_to_save,
        bias="none",
    )
    try:
        with peft_quietly():
            model = get_peft_model(model, lora)
    except ValueError as error:  # e.g. target modules that are not in the model
        raise ConfigError("target_modules", str(error).splitlines()[0]) from None
    if precision == "fp16":
        for parameter in model.parameters():
            if parameter.requires_grad and parameter.dtype != torch.float32:
                parameter.data = parameter.data.float()
    return model


def resolved_model_path(base_model: str | None) -> str:
    """A local folder as an absolute path (so the adapter finds its base from anywhere)."""
    path = Path(str(base_model)).expanduser()
    return str(path.resolve()) if path.exists() else str(base_model)


def cpu_only() -> bool:
    """No GPU of any kind: then processes launched together train on CPU, over gloo."""
    return not torch.cuda.is_available() and not torch.backends.mps.is_available()


def quiet_libraries() -> None:
    """transformers' and datasets' own bars (loading weights, "Generating train split") and
    notes are hidden: meadow shows its own progress (or none, under
    MEADOW_DISABLE_PROGRESS_BARS). Errors still print."""
    from datasets.utils import logging as ds_logging
    from transformers.utils import logging as hf_logging

    for library in (hf_logging, ds_logging):
        library.disable_progress_bar()
        library.set_verbosity_error()


__all__ = [
    "HUB_PROBE_TIMEOUT",
    "check_model_source",
    "cpu_only",
    "hub_endpoint",
    "load_base_model",
    "load_causal_lm",
    "load_tokenizer",
    "looks_like_path",
    "offline",
    "peft_quietly",
    "quiet_libraries",
    "resolve_precision",
    "resolved_model_path",
    "torch_dtype",
    "with_lora",
]
