"""The model to evaluate: a Hub id, a model folder, or an adapter folder from `meadow train`.

An adapter folder is enough on its own: its base model comes from `adapter_config.json`
(`--model BASE --adapter DIR` names another copy of the base), its template from
`meadow_template.json` and the data it learned from from `meadow_train.json`. The adapter
is merged into the base after loading: evaluation only runs forward passes, and a merged
model runs them faster. On a GPU the weights are bf16 (fp16 where bf16 is missing), on
CPU float32; scores are always computed in float32.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from meadow.errors import EvalError, TrainError
from meadow.train.generate import ADAPTER_CONFIG
from meadow.train.model import (
    load_causal_lm,
    load_tokenizer,
    looks_like_path,
    peft_quietly,
    quiet_libraries,
    torch_dtype,
)
from meadow.train.publish import RUN_FILE
from meadow.train.templates import (
    DEFAULT_TEMPLATE,
    TEMPLATE_FILE,
    PromptTemplate,
    check_template,
    get_template,
    load_template,
)

DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class ModelInfo:
    """What was evaluated, as results and cards report it.

    Attributes:
        model: what `--model` named (a local folder as an absolute path).
        base_model: the base of an adapter; the model itself otherwise.
        adapter: the adapter folder, or None.
        template: the prompt template's name.
        template_origin: where the template came from (`meadow_template.json`,
            `--template`, or meadow's default for a model that has none).
        trained_on: the dataset pin of a meadow adapter (`meadow_train.json`), or None.
        card: the README.md a meadow adapter (or model folder) carries, or None.
        precision: `float32`, `bfloat16` or `float16`.
    """

    model: str
    base_model: str
    adapter: str | None
    template: str
    template_origin: str
    trained_on: dict[str, Any] | None
    card: Path | None
    precision: str

    @property
    def meadow_adapter(self) -> Path | None:
        """The folder of a meadow-trained adapter (its card gains the results)."""
        folder = Path(self.adapter) if self.adapter else None
        return folder if folder and (folder / RUN_FILE).is_file() else None

    def to_dict(self) -> dict[str, Any]:
        """Everything but the card's path, as `results.json` reports the model."""
        return {key: value for key, value in asdict(self).items() if key != "card"}


@dataclass
class LoadedModel:
    model: Any
    tokenizer: Any
    template: PromptTemplate
    device: torch.device
    info: ModelInfo

    @property
    def max_positions(self) -> int | None:
        """The longest sequence the model takes (None when its config does not say)."""
        return getattr(self.model.config, "max_position_embeddings", None)


def pick_device(device: str = "auto") -> torch.device:
    """`auto` is CUDA when there is a GPU, else CPU."""
    if device not in DEVICES:
        raise EvalError(f"--device: expected one of {', '.join(DEVICES)}, got {device!r}")
    if device == "cuda" and not torch.cuda.is_available():
        raise EvalError("--device cuda: no CUDA GPU here; use --device cpu (or auto)")
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    return torch.device(device)


def load_model(
    model: str | Path,
    *,
    adapter: str | Path | None = None,
    template: str | None = None,
    device: str = "auto",
) -> LoadedModel:
    """Load what `meadow eval --model … [--adapter …]` names, ready for forward passes."""
    quiet_libraries()
    target = pick_device(device)
    precision = "fp32"
    if target.type == "cuda":
        precision = "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    dtype = torch_dtype(precision)
    name, adapter_dir = _resolve(model, adapter)
    base = name
    if adapter_dir is not None:
        base = name if adapter is not None else _adapter_base(adapter_dir)
    tokenizer_source = _tokenizer_source(adapter_dir, base)
    chosen, origin = _template(template, adapter_dir, name)
    tokenizer = load_tokenizer(tokenizer_source)
    check_template(chosen, tokenizer)
    try:
        loaded = load_causal_lm(base, dtype=dtype)
    except TrainError as error:
        if adapter_dir is None:
            raise
        raise EvalError(
            f"the adapter {adapter_dir} needs its base model {base!r}, which cannot be loaded "
            f"({error}); pass a copy of it with --model BASE --adapter {adapter_dir}"
        ) from None
    if adapter_dir is not None:
        from peft import PeftModel

        with peft_quietly():
            loaded = PeftModel.from_pretrained(loaded, str(adapter_dir)).merge_and_unload()
    loaded = loaded.to(target).eval()
    info = ModelInfo(
        model=name,
        base_model=base,
        adapter=str(adapter_dir) if adapter_dir else None,
        template=chosen.name,
        template_origin=origin,
        trained_on=_trained_on(adapter_dir or (Path(name) if Path(name).is_dir() else None)),
        card=_card(adapter_dir or (Path(name) if Path(name).is_dir() else None)),
        precision=str(dtype).removeprefix("torch."),
    )
    return LoadedModel(loaded, tokenizer, chosen, target, info)


def _resolve(model: str | Path, adapter: str | Path | None) -> tuple[str, Path | None]:
    """(the model as named, with a local folder absolute; the adapter folder or None)."""
    path = Path(model).expanduser()
    adapter_dir = Path(adapter).expanduser().resolve() if adapter is not None else None
    if adapter_dir is not None and not (adapter_dir / ADAPTER_CONFIG).is_file():
        raise EvalError(f"--adapter {adapter_dir}: not an adapter folder (no {ADAPTER_CONFIG})")
    if not path.exists():
        if looks_like_path(str(model)):
            raise EvalError(f"--model {model}: no such folder (nor a Hub model id ORG/NAME)")
        return str(model), adapter_dir
    path = path.resolve()
    if (path / ADAPTER_CONFIG).is_file():
        if adapter_dir is not None:
            raise EvalError(
                f"--model {path} is an adapter folder already: pass its base model as --model "
                "with --adapter, or the adapter alone as --model"
            )
        return str(path), path
    if not (path / "config.json").is_file():
        raise EvalError(
            f"--model {path}: holds neither a model (config.json) nor an adapter ({ADAPTER_CONFIG})"
        )
    return str(path), adapter_dir


def _adapter_base(adapter_dir: Path) -> str:
    """The base model an adapter names; a clear error when it is a folder no longer there."""
    config = json.loads((adapter_dir / ADAPTER_CONFIG).read_text())
    base = config.get("base_model_name_or_path")
    if not base:
        raise EvalError(
            f"{adapter_dir / ADAPTER_CONFIG} names no base model (base_model_name_or_path): "
            f"pass it with --model BASE --adapter {adapter_dir}"
        )
    if str(base).startswith(("/", ".", "~")) and not Path(base).expanduser().exists():
        raise EvalError(
            f"the adapter {adapter_dir} was trained on the base model {base}, which is not "
            f"there: pass a copy of it with --model BASE --adapter {adapter_dir}"
        )
    return str(base)


def _tokenizer_source(adapter_dir: Path | None, base: str) -> str:
    """An adapter's own tokenizer (what training used and saved), else the model's."""
    if adapter_dir is not None and any(
        (adapter_dir / name).is_file() for name in ("tokenizer.json", "tokenizer_config.json")
    ):
        return str(adapter_dir)
    return base


def _template(name: str | None, adapter_dir: Path | None, model: str) -> tuple[PromptTemplate, str]:
    """The template to ask with, and where it came from."""
    if name:
        return get_template(name), "--template"
    for folder in (adapter_dir, Path(model)):
        if folder is not None and (folder / TEMPLATE_FILE).is_file():
            return load_template(folder), TEMPLATE_FILE
    return get_template(DEFAULT_TEMPLATE), f"meadow's default (the model has no {TEMPLATE_FILE})"


def _trained_on(folder: Path | None) -> dict[str, Any] | None:
    """The dataset pin of a meadow adapter (or of its merged model, which keeps the record)."""
    record = folder / RUN_FILE if folder else None
    if record is None or not record.is_file():
        return None
    return json.loads(record.read_text()).get("dataset")


def _card(folder: Path | None) -> Path | None:
    card = folder / "README.md" if folder else None
    return card if card is not None and card.is_file() else None


__all__ = ["DEVICES", "LoadedModel", "ModelInfo", "load_model", "pick_device"]
