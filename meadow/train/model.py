"""The base model for training: tokenizer, weights at a precision (or quantized), LoRA.

Loading is offline when HF_HUB_OFFLINE is set, and a model that cannot be loaded is a
one-line error that says how to get it. `meadow generate` and `meadow eval` load models
through the same functions, so all three treat precision and the cache alike.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import os
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
from transformers import AutoModelForCausalLM, AutoTokenizer

from meadow.errors import ConfigError, ModelSourceError, TrainError
from meadow.progress import progress_bars_disabled
from meadow.train.config import TrainConfig


def offline() -> bool:
    """Whether the Hub must not be asked (HF_HUB_OFFLINE, read now, not at import)."""
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return value in {"1", "true", "yes", "on"} or bool(constants.HF_HUB_OFFLINE)


HUB_PROBE_TIMEOUT = 3.0
"""Seconds to wait for the Hub before saying it cannot be reached (instead of ~50 s of
huggingface_hub's retries)."""

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+|[A-Za-z0-9][\w.-]*")


def looks_like_path(name: str) -> bool:
    """Whether `name` means a folder, not a Hub id: it starts with ./, ../, / or ~, has a
    separator but is not ORG/NAME, or its first part is a folder here."""
    text = str(name)
    if text.startswith((".", "/", "~")) or (os.altsep and text.startswith(os.altsep)):
        return True
    separators = {os.sep, os.altsep or os.sep}
    if any(sep in text for sep in separators - {"/"}) or not _HUB_ID.fullmatch(text):
        return True
    return "/" in text and Path(text.split("/", 1)[0]).is_dir()


def check_model_source(name: str) -> None:
    """Fail in a second, in one line, where loading `name` would fail slowly or cryptically:
    a path that is not there ("no such folder"), or a Hub id while the Hub cannot be
    reached (huggingface_hub would retry for about a minute). The Hub is asked once per
    endpoint and process, and not at all offline (HF_HUB_OFFLINE) or for a folder."""
    path = Path(str(name)).expanduser()
    if path.exists():
        return
    if looks_like_path(name):
        raise ModelSourceError(
            f"no such folder: {path.absolute()} (from {name!r}); pass a model folder (e.g. one "
            "`meadow init-model --tiny PATH` wrote) or a Hub model id ORG/NAME"
        )
    if offline():
        return
    endpoint = hub_endpoint()
    problem = _hub_unreachable(endpoint)
    if problem:
        raise ModelSourceError(
            f"the Hub ({endpoint}) cannot be reached ({problem}), so {name!r} cannot be "
            "downloaded: set HF_HUB_OFFLINE=1 to use the local cache, or pass a local folder; "
            f"to get it where there is a network: hf download {name}"
        )


def hub_endpoint() -> str:
    """The Hub's address: HF_ENDPOINT as it is now, else huggingface_hub's."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


@functools.lru_cache(maxsize=8)
def _hub_unreachable(endpoint: str) -> str | None:
    """Why the Hub at `endpoint` cannot be reached (one short try), or None when it answers
    at all (any HTTP status: only the connection matters here)."""
    import httpx

    try:
        httpx.head(endpoint, timeout=HUB_PROBE_TIMEOUT, follow_redirects=False)
    except httpx.TimeoutException:
        return f"no answer in {HUB_PROBE_TIMEOUT:g} s"
    except (httpx.HTTPError, OSError) as error:
        return (str(error).strip().splitlines() or [type(error).__name__])[0]
    return None


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
    """transformers' own bars (loading weights) follow meadow's off switch."""
    if progress_bars_disabled():
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


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
