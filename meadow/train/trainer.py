"""`meadow train`: a LoRA adapter on a published mixture, pinned to the revision it learned from.

One linear recipe, read top to bottom:

1. the data: `load_mixture` (the local store, or a Hub repo at a tag or commit); training
   on its `train` split, validation on its own `validation` split (never a re-split);
2. the base model and tokenizer (a folder or a Hub id; offline when HF_HUB_OFFLINE is set),
   the prompt template checked against the tokenizer;
3. tokenising with the prompt masked and the EOS kept (`meadow.train.data`), then packing
   or length-grouped batches;
4. peft's LoRA on all linear layers by default, through the `transformers` Trainer, so
   `accelerate launch` / `torchrun` scale it out; checkpoints every `save_steps`, `resume`;
5. the adapter, tokenizer, template, `meadow_train.json`, `loss.png` and the model card
   (replacing peft's README); `merge` adds `merged/`; `push` publishes in one commit,
   tagged with the dataset's tag.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import json
import logging
import os
import shutil
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from accelerate import PartialState
from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PrinterCallback,
    ProgressCallback,
    Trainer,
    TrainerCallback,
    TrainingArguments,
)
from transformers.trainer_utils import SchedulerType, get_last_checkpoint

from meadow._version import __version__
from meadow.errors import MeadowError
from meadow.paths import meadow_home
from meadow.progress import progress_bars_disabled
from meadow.schema import SPLITS
from meadow.train.card import DatasetPin, loss_curve, render_model_card
from meadow.train.config import ConfigError, TrainConfig, TrainError
from meadow.train.data import (
    CompletionCollator,
    pack,
    response_token_count,
    tokenize_split,
)
from meadow.train.loss import HIDDEN_STATE_REQUEST, ResponseLoss, has_plain_head
from meadow.train.templates import PromptTemplate, check_template, get_template, save_template

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger("meadow.train")

RUN_FILE = "meadow_train.json"
LOSS_CURVE = "loss.png"
MERGED = "merged"
MODEL_REPO_TYPE = "model"
# what an adapter folder publishes: not the checkpoints, nor the merged weights
_NOT_PUBLISHED = ("checkpoint-", MERGED, "runs")
_VERSIONED = ("torch", "transformers", "peft", "accelerate", "datasets")


@dataclass(frozen=True)
class AdapterPushResult:
    """Where `--push` put the adapter.

    Attributes:
        repo_id: the model repo.
        commit: the commit holding adapter and card.
        tag: the dataset's tag, also set on that commit.
        url: the repo's page at the tag.
    """

    repo_id: str
    commit: str
    tag: str
    url: str


@dataclass(frozen=True)
class TrainResult:
    """What a run produced.

    Attributes:
        output_dir: the adapter folder.
        dataset: the exact data it learned from (name, revision, tag, repo, commit).
        steps: optimizer steps done in total (a resumed run counts the earlier ones).
        start_step: the step this run started from (the checkpoint's when resuming, else 0).
        train_loss: the last logged training loss.
        eval_loss: the loss on the validation split at the end; None without one.
        tokens_per_second: non-padding tokens per second of this run's training time.
        response_tokens_per_second: tokens the loss is computed on, per second.
        runtime_s: seconds of training in this run.
        peak_memory_mb: peak GPU memory allocated (CUDA), else the process's peak RSS.
        merged_dir: the merged model's folder with `merge`, else None.
        pushed: where `push` published, else None.
        main_process: False in the other processes of a multi-process run (which save
            nothing and should print nothing).
    """

    output_dir: Path
    dataset: DatasetPin
    steps: int
    start_step: int
    train_loss: float | None
    eval_loss: float | None
    tokens_per_second: float
    response_tokens_per_second: float
    runtime_s: float
    peak_memory_mb: float
    merged_dir: Path | None = None
    pushed: AdapterPushResult | None = None
    main_process: bool = True


def train(config: TrainConfig) -> TrainResult:
    """Train a LoRA adapter as `config` says; see the module docstring for the steps."""
    config.check_ready()
    quiet_libraries()
    state = PartialState(cpu=_cpu_only())  # gloo across processes when there is no GPU
    precision = resolve_precision(config.precision, config.quantization)
    out = Path(config.output_dir or _default_output_dir(config)).expanduser().resolve()
    base_model = _resolved_model_path(config.base_model)
    push_repo = _check_push(config, out, base_model) if config.push else None
    resume = _checkpoint_to_resume(config.resume, out)

    # 1. the data
    with state.main_process_first():
        splits, pin = load_data(config)
    if resume is not None:
        _check_same_run(out, pin, base_model)
    validation = splits.get("validation")
    if validation is None or len(validation) == 0:
        logger.warning(
            "mixture %r has no validation rows: training without evaluation", config.mixture
        )
        validation = None

    # 2. the base model
    tokenizer = load_tokenizer(base_model)
    template = get_template(config.template)
    check_template(template, tokenizer)
    model = _load_base_model(base_model, config, precision)

    # 3. tokenising, packing
    with state.main_process_first():
        train_set = _encode(splits["train"], template, tokenizer, config)
        eval_set = _encode(validation, template, tokenizer, config) if validation else None
    if len(train_set) == 0:
        raise TrainError(f"mixture {config.mixture!r} has no training rows to learn from")

    # 4. LoRA and the Trainer
    model = _with_lora(model, config, precision)
    trainer, throughput = _make_trainer(
        model, tokenizer, train_set, eval_set, config, out, precision
    )
    outcome = trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    eval_loss = _final_eval_loss(trainer) if eval_set is not None else None
    response_tokens = int(
        trainer.accelerator.reduce(
            torch.tensor(trainer.response_tokens, device=trainer.args.device), "sum"
        ).item()
    )
    runtime = float(outcome.metrics.get("train_runtime") or throughput.elapsed() or 1e-9)
    steps = trainer.state.global_step
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    result = TrainResult(
        output_dir=out,
        dataset=pin,
        steps=steps,
        train_loss=losses[-1] if losses else None,
        eval_loss=eval_loss,
        start_step=throughput.start_step,
        tokens_per_second=throughput.tokens(trainer.state) / runtime,
        response_tokens_per_second=response_tokens / runtime,
        runtime_s=runtime,
        peak_memory_mb=_peak_memory_mb(),
        main_process=trainer.is_world_process_zero(),
    )

    # 5. saving, merging, publishing (the main process only)
    if trainer.is_world_process_zero():
        run = {
            "meadow_version": __version__,
            "config": {**config.to_dict(), "base_model": base_model, "output_dir": str(out)},
            "dataset": pin.to_dict(),
            "template": template.to_dict(),
            "precision": precision,
            "world_size": trainer.args.world_size,
            "metrics": _metrics(result, trainer),
            "versions": library_versions(),
            "log_history": trainer.state.log_history,
        }
        save_adapter(trainer.model, tokenizer, template, out, run, push_repo=push_repo)
        if config.merge:
            result = replace(result, merged_dir=merge_adapter(out, precision=precision))
        if push_repo:
            result = replace(result, pushed=push_adapter(out, push_repo, pin.tag, config.private))
    state.wait_for_everyone()
    return result


# -- the data ---------------------------------------------------------------------------------


def load_data(config: TrainConfig) -> tuple[datasets.DatasetDict, DatasetPin]:
    """The mixture's splits and the pin of exactly which build they are.

    From the local store by name (and revision), or from `config.repo` on the Hub at
    `config.revision` (a tag or commit; the head of main when None), pulled into the
    local store. A mixture or revision that does not exist is a one-line error.
    """
    from meadow import hub, store
    from meadow.card import card_metadata

    if config.repo:
        if offline():
            raise TrainError(
                f"mixture {config.mixture!r} is in the Hub repo {config.repo} but HF_HUB_OFFLINE "
                f"is set: pull it first (meadow pull {config.repo} --name {config.mixture}) and "
                "train from the local store"
            )
        commit = _hub_commit(config.repo, config.revision)
        folder = hub.pull(config.repo, config.mixture, revision=commit)
        repo: str | None = config.repo
    else:
        folder = store.revision_dir(config.mixture, config.revision)
        published = hub.published(config.mixture, folder.name) or {}
        repo, commit = published.get("repo_id"), published.get("commit")
    manifest = json.loads((folder / "manifest.json").read_text())
    splits = store.load_mixture(config.mixture, revision=folder.name)
    if "train" not in splits:
        raise TrainError(f"mixture {config.mixture!r} @ {folder.name} has no train split")
    pin = DatasetPin(
        name=config.mixture,
        revision=manifest["revision"],
        tag=hub.tag_of(config.mixture, manifest["revision"]),
        repo=repo,
        commit=commit,
        recipe=(manifest.get("recipe") or {}).get("name"),
        license=card_metadata(manifest)["license"],
        rows=_in_split_order(manifest.get("splits") or {}),
    )
    return splits, pin


def _in_split_order(rows: dict[str, int]) -> dict[str, int]:
    """Rows per split as train, validation, test (then any other split)."""
    known = [s for s in SPLITS if s in rows]
    return {s: rows[s] for s in known + sorted(set(rows) - set(known))}


def _hub_commit(repo_id: str, revision: str | None) -> str:
    """The commit sha a tag, branch or sha of a dataset repo names (main when None)."""
    from huggingface_hub import HfApi

    from meadow.hub import check_repo_id, retrying

    check_repo_id(repo_id)
    api = HfApi()
    what = f"find revision {revision or 'main'!r}"
    info = retrying(
        lambda: api.repo_info(repo_id, repo_type="dataset", revision=revision), what, repo_id
    )
    return info.sha


def _encode(
    split: datasets.Dataset, template: PromptTemplate, tokenizer: Any, config: TrainConfig
) -> datasets.Dataset:
    encoded = tokenize_split(
        split,
        template,
        tokenizer,
        config.max_length,
        train_on_inputs=config.train_on_inputs,
        num_proc=config.num_proc,
    )
    return pack(encoded, config.max_length) if config.packing else encoded


# -- the base model ---------------------------------------------------------------------------


def offline() -> bool:
    """Whether the Hub must not be asked (HF_HUB_OFFLINE, read now, not at import)."""
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return value in {"1", "true", "yes", "on"} or bool(constants.HF_HUB_OFFLINE)


def load_tokenizer(base_model: str) -> Any:
    """The base model's tokenizer; a one-line error when it cannot be loaded (offline)."""
    with _loading(base_model, "tokenizer"):
        return AutoTokenizer.from_pretrained(base_model, local_files_only=offline())


def load_causal_lm(name_or_path: str, **kwargs: Any) -> Any:
    """`AutoModelForCausalLM.from_pretrained`, offline when asked, with a one-line error."""
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


def _load_base_model(base_model: str, config: TrainConfig, precision: str) -> Any:
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
    return {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision, torch.float32)


def _with_lora(model: Any, config: TrainConfig, precision: str) -> Any:
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


# -- the Trainer ------------------------------------------------------------------------------


def _make_trainer(
    model: Any,
    tokenizer: Any,
    train_set: datasets.Dataset,
    eval_set: datasets.Dataset | None,
    config: TrainConfig,
    out: Path,
    precision: str,
) -> tuple[Any, Any]:
    known = [s.value for s in SchedulerType]
    if config.lr_scheduler not in known:
        raise ConfigError("lr_scheduler", f"expected one of {', '.join(known)}")
    evaluate_every = eval_set is not None and config.eval_steps is not None
    grouped = config.group_by_length and not config.packing
    args = TrainingArguments(
        output_dir=str(out),
        per_device_train_batch_size=config.batch_size,
        per_device_eval_batch_size=config.eval_batch_size or config.batch_size,
        gradient_accumulation_steps=config.gradient_accumulation_steps,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps,
        learning_rate=config.learning_rate,
        lr_scheduler_type=config.lr_scheduler,
        warmup_steps=config.warmup if config.warmup < 1 else int(config.warmup),
        weight_decay=config.weight_decay,
        max_grad_norm=config.max_grad_norm,
        logging_steps=config.logging_steps,
        eval_strategy="steps" if evaluate_every else "no",
        eval_steps=config.eval_steps if evaluate_every else None,
        save_strategy="steps",
        save_steps=config.save_steps,
        save_total_limit=config.save_total_limit,
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
        use_cpu=_cpu_only(),
        seed=config.seed,
        data_seed=config.seed,
    )
    throughput = ProgressDisplay(enabled=not progress_bars_disabled())
    trainer = CountingTrainer(
        model=model,
        args=args,
        data_collator=CompletionCollator(tokenizer, pad_to_multiple_of=_pad_multiple()),
        train_dataset=train_set,
        eval_dataset=eval_set,
        processing_class=tokenizer,
        callbacks=[throughput],
        compute_loss_func=_response_loss(model, config),
    )
    trainer.remove_callback(PrinterCallback)
    trainer.remove_callback(ProgressCallback)
    return trainer, throughput


def _checkpointing_arguments(enabled: bool) -> dict[str, Any]:
    """Gradient checkpointing, under the name this transformers gives it (5.x renamed it)."""
    if not enabled:
        return {}
    renamed = "activation_checkpointing" in TrainingArguments.__dataclass_fields__
    name = "activation_checkpointing" if renamed else "gradient_checkpointing"
    return {name: True, f"{name}_kwargs": {"use_reentrant": False}}


def _final_eval_loss(trainer: Trainer) -> float:
    """The validation loss at the last step: logged already when it fell on an eval step."""
    last = [e for e in trainer.state.log_history if "eval_loss" in e]
    if last and last[-1].get("step") == trainer.state.global_step:
        return float(last[-1]["eval_loss"])
    return float(trainer.evaluate()["eval_loss"])


def _response_loss(model: Any, config: TrainConfig) -> ResponseLoss | None:
    """The response-only loss where the config asks for it and the model has a plain head.

    Not with `modules_to_save`: a trained copy of the head must see every position."""
    if not config.response_logits_only or config.modules_to_save or not has_plain_head(model):
        return None
    return ResponseLoss(model.get_output_embeddings())


def _pad_multiple() -> int | None:
    """Batches padded to a multiple of 8 on a GPU (tensor cores, fewer distinct shapes)."""
    return 8 if torch.cuda.is_available() else None


class CountingTrainer(Trainer):
    """The Trainer, counting the tokens the loss is computed on (for response tokens/s).

    With a `ResponseLoss` it asks the model for hidden states instead of full logits."""

    response_tokens = 0

    def training_step(
        self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any
    ) -> torch.Tensor:
        self.response_tokens += response_token_count(inputs["labels"])
        return super().training_step(model, inputs, *args, **kwargs)

    def compute_loss(self, model: Any, inputs: dict[str, Any], *args: Any, **kwargs: Any):
        if isinstance(self.compute_loss_func, ResponseLoss):
            inputs = {**inputs, **HIDDEN_STATE_REQUEST}
        return super().compute_loss(model, inputs, *args, **kwargs)


class ProgressDisplay(TrainerCallback):
    """A progress bar with loss, tokens/s and ETA on the main process.

    It also measures this run's tokens/s (a resumed run counts from where it resumed).
    Silent when progress bars are disabled (MEADOW_DISABLE_PROGRESS_BARS=1).
    """

    def __init__(self, enabled: bool = True):
        self.enabled = enabled
        self._start = 0.0
        self._start_tokens = 0
        self.start_step = 0
        self._progress: Any = None
        self._task: Any = None
        self._loss = "–"

    def elapsed(self) -> float:
        return time.perf_counter() - self._start if self._start else 0.0

    def tokens(self, state: Any) -> int:
        return int(state.num_input_tokens_seen) - self._start_tokens

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._start = time.perf_counter()
        self._start_tokens = int(state.num_input_tokens_seen)
        self.start_step = state.global_step
        if not (self.enabled and state.is_world_process_zero):
            return
        self._progress = Progress(
            TextColumn("training"),
            BarColumn(bar_width=28),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TextColumn("{task.fields[rate]} tok/s", style="cyan"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
        )
        self._progress.start()
        self._task = self._progress.add_task(
            "training", total=state.max_steps, completed=state.global_step, loss="–", rate="–"
        )

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is None:
            return
        elapsed = self.elapsed()
        rate = f"{self.tokens(state) / elapsed:,.0f}" if elapsed > 0 else "–"
        self._progress.update(self._task, completed=state.global_step, loss=self._loss, rate=rate)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict | None = None, **kwargs: Any
    ) -> None:
        logs = logs or {}
        if "loss" in logs:
            self._loss = f"{logs['loss']:.4f}"
            if self._progress is not None:
                self._progress.update(self._task, loss=self._loss)
        if self._progress is not None and "eval_loss" in logs:
            self._progress.console.print(
                f"step {state.global_step}: validation loss {logs['eval_loss']:.4f}"
            )

    def on_train_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


# -- resuming ---------------------------------------------------------------------------------


def _checkpoint_to_resume(resume: bool | str, out: Path) -> Path | None:
    """The checkpoint folder `resume` names: the latest one in `out` for True."""
    if resume is False:
        return None
    if resume is True:
        found = get_last_checkpoint(str(out)) if out.is_dir() else None
        if found is None:
            raise TrainError(
                f"--resume: no checkpoint-* folder in {out}; train without --resume, or pass "
                "the output dir of the run to continue"
            )
        return Path(found)
    path = Path(resume).expanduser().resolve()
    if not (path / "trainer_state.json").is_file():
        raise TrainError(f"--resume {path}: not a Trainer checkpoint (no trainer_state.json)")
    return path


def _check_same_run(out: Path, pin: DatasetPin, base_model: str) -> None:
    """A resumed run continues on the same data and base model, or not at all."""
    path = out / RUN_FILE
    if not path.is_file():
        return
    earlier = json.loads(path.read_text())
    before = (earlier.get("dataset") or {}).get("revision")
    if before and before != pin.revision:
        raise TrainError(
            f"--resume: {out} was trained on {pin.name} revision {before}, not {pin.revision}; "
            "resume with --revision " + before + " or train into a new --output-dir"
        )
    base = (earlier.get("config") or {}).get("base_model")
    if base and base != base_model:
        raise TrainError(f"--resume: {out} was trained from {base}, not {base_model}")


# -- saving -----------------------------------------------------------------------------------


def save_adapter(
    model: Any,
    tokenizer: Any,
    template: PromptTemplate,
    out: Path,
    run: dict[str, Any],
    *,
    push_repo: str | None = None,
) -> None:
    """Adapter, tokenizer, template, run record, loss curve and card into `out`."""
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    save_template(template, out)
    (out / RUN_FILE).write_text(json.dumps(run, indent=2, default=str) + "\n")
    curve = loss_curve(run["log_history"], out / LOSS_CURVE)
    config = run["config"]
    has_text = template.name != "chat"
    card = render_model_card(
        base_model=config["base_model"],
        dataset=DatasetPin(**run["dataset"]),
        template=template.to_dict(),
        prompt_example=template.prompt("{instruction}", "{input}") if has_text else None,
        hyperparameters=_hyperparameters(config, run),
        metrics=run["metrics"],
        versions=run["versions"],
        train_on_inputs=config["train_on_inputs"],
        loss_curve=LOSS_CURVE if curve else None,
        model_ref=push_repo or str(out),
    )
    (out / "README.md").write_text(card, encoding="utf-8")  # in place of peft's


def _hyperparameters(config: dict[str, Any], run: dict[str, Any]) -> dict[str, Any]:
    keys = [
        "template",
        "max_length",
        "train_on_inputs",
        "packing",
        "group_by_length",
        "epochs",
        "max_steps",
        "batch_size",
        "gradient_accumulation_steps",
        "learning_rate",
        "lr_scheduler",
        "warmup",
        "weight_decay",
        "max_grad_norm",
        "seed",
        "lora_r",
        "lora_alpha",
        "lora_dropout",
        "target_modules",
        "modules_to_save",
        "gradient_checkpointing",
        "response_logits_only",
        "quantization",
    ]
    table = {key: _cell(config[key]) for key in keys}
    table["precision"] = run["precision"]
    table["processes"] = run["world_size"]
    effective = config["batch_size"] * config["gradient_accumulation_steps"] * run["world_size"]
    table["effective batch size"] = effective
    return table


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value)
    if value is None:
        return "–"
    return f"`{value}`" if isinstance(value, str) else str(value)


def _metrics(result: TrainResult, trainer: Any) -> dict[str, Any]:
    def rounded(value: float | None) -> float | str:
        return round(value, 4) if value is not None else "–"

    return {
        "steps": result.steps,
        "epochs": round(float(trainer.state.epoch or 0), 3),
        "final training loss": rounded(result.train_loss),
        "validation loss": rounded(result.eval_loss),
        "training time (s)": round(result.runtime_s, 1),
        "tokens/s (non-padding)": round(result.tokens_per_second, 1),
        "response tokens/s": round(result.response_tokens_per_second, 1),
        "peak memory (MB)": round(result.peak_memory_mb, 1),
    }


def library_versions() -> dict[str, str]:
    """meadow's and the training libraries' versions, for the card and the run record."""
    versions = {"meadow": __version__}
    for name in _VERSIONED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def merge_adapter(adapter_dir: Path, *, precision: str = "fp32") -> Path:
    """The base model with the adapter merged in, as a plain model under `adapter_dir/merged`.

    The base is loaded again unquantized (a 4-bit base cannot take merged weights), so the
    merged model loads and generates like the adapter.
    """
    adapter_dir = Path(adapter_dir)
    base_path = json.loads((adapter_dir / "adapter_config.json").read_text())[
        "base_model_name_or_path"
    ]
    base = load_causal_lm(base_path, dtype=torch_dtype(precision))
    with peft_quietly():
        merged = PeftModel.from_pretrained(base, str(adapter_dir)).merge_and_unload()
    target = adapter_dir / MERGED
    shutil.rmtree(target, ignore_errors=True)
    merged.save_pretrained(str(target))
    load_tokenizer(str(adapter_dir)).save_pretrained(str(target))
    for name in ("meadow_template.json", RUN_FILE):
        shutil.copy2(adapter_dir / name, target / name)
    return target


# -- publishing -------------------------------------------------------------------------------


def _check_push(config: TrainConfig, out: Path, base_model: str) -> str:
    """The model repo to publish to, with the token checked before any training."""
    from meadow.hub import authenticated, check_repo_id

    api, user = authenticated(None, None)
    repo_id = config.push_repo or f"{user}/{out.name}"
    check_repo_id(repo_id)
    if Path(base_model).exists():
        logger.warning(
            "the base model is a local folder (%s): the card's base_model will be that path, "
            "which the Hub cannot link; pass its Hub id as --base-model to publish a linked card",
            base_model,
        )
    return repo_id


def push_adapter(
    folder: Path,
    repo_id: str,
    tag: str,
    private: bool = False,
    *,
    token: str | None = None,
    endpoint: str | None = None,
) -> AdapterPushResult:
    """Publish an adapter folder (adapter, tokenizer, template, card, loss curve) to a model
    repo in one commit, and tag that commit with the dataset's tag (moved if it exists).

    Checkpoints and merged weights stay local. Commits the way `meadow.hub` does.
    """
    from huggingface_hub import CommitOperationAdd

    from meadow.hub import authenticated, check_repo_id, commit, read_refs, retrying

    folder = Path(folder)
    api, _ = authenticated(token, endpoint)
    check_repo_id(repo_id)
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.relative_to(folder).parts[0].startswith(_NOT_PUBLISHED)
    )
    if not (folder / "README.md").is_file() or not (folder / "adapter_config.json").is_file():
        raise MeadowError(f"{folder} is not a trained adapter folder (no adapter_config.json)")
    retrying(
        lambda: api.create_repo(repo_id, repo_type=MODEL_REPO_TYPE, private=private, exist_ok=True),
        "create the repo",
        repo_id,
    )
    operations = [
        CommitOperationAdd(path_in_repo=p.relative_to(folder).as_posix(), path_or_fileobj=str(p))
        for p in files
    ]
    sha = commit(
        api,
        repo_id,
        operations,
        f"meadow: LoRA adapter trained on {tag}",
        repo_type=MODEL_REPO_TYPE,
        refs=read_refs(api, repo_id, MODEL_REPO_TYPE),
        description=f"Trained by meadow {__version__}; run record in {RUN_FILE}.",
        tag=tag,
        move_tag=True,
    )
    return AdapterPushResult(repo_id, sha, tag, f"{api.endpoint}/{repo_id}/tree/{tag}")


# -- small helpers ----------------------------------------------------------------------------


def _default_output_dir(config: TrainConfig) -> Path:
    model = Path(str(config.base_model).rstrip("/")).name or "model"
    return meadow_home() / "adapters" / f"{config.mixture}-{model}"


def _resolved_model_path(base_model: str | None) -> str:
    """A local folder as an absolute path (so the adapter finds its base from anywhere)."""
    path = Path(str(base_model)).expanduser()
    return str(path.resolve()) if path.exists() else str(base_model)


def _cpu_only() -> bool:
    """No GPU of any kind: then processes launched together train on CPU, over gloo."""
    return not torch.cuda.is_available() and not torch.backends.mps.is_available()


def _peak_memory_mb() -> float:
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def quiet_libraries() -> None:
    """transformers' own bars (loading weights) follow meadow's off switch."""
    if progress_bars_disabled():
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()


__all__ = [
    "AdapterPushResult",
    "TrainResult",
    "library_versions",
    "load_data",
    "load_tokenizer",
    "merge_adapter",
    "push_adapter",
    "resolve_precision",
    "train",
]
