"""`meadow train`: a LoRA adapter on a published mixture, pinned to the revision it learned from.

One linear recipe, read top to bottom:

1. the data: `load_mixture` (the local store, or a Hub repo at a tag or commit); training
   on its `train` split, validation on its own `validation` split (never a re-split);
2. the base model and tokenizer (a folder or a Hub id; offline when HF_HUB_OFFLINE is set),
   the prompt template checked against the tokenizer (`meadow.train.model`);
3. tokenising with the prompt masked and the EOS kept (`meadow.train.data`), then packing
   or length-grouped batches;
4. peft's LoRA on all linear layers by default, through the `transformers` Trainer, so
   `accelerate launch` / `torchrun` scale it out; checkpoints every `save_steps`, `resume`
   (its arguments: `meadow.train.arguments`; its progress bar: `meadow.train.display`);
5. the adapter, tokenizer, template, `meadow_train.json`, `loss.png` and the model card
   (replacing peft's README); `merge` adds `merged/`; `push` publishes in one commit,
   tagged with the dataset's tag (`meadow.train.publish`).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from accelerate import PartialState
from transformers import PrinterCallback, ProgressCallback, Trainer
from transformers.trainer_utils import get_last_checkpoint

from meadow._version import __version__
from meadow.errors import TrainError
from meadow.manifest import read as read_manifest
from meadow.paths import meadow_home
from meadow.schema import SPLITS
from meadow.train.arguments import training_arguments
from meadow.train.card import DatasetPin
from meadow.train.config import TrainConfig
from meadow.train.data import CompletionCollator, pack, response_token_count, tokenize_split
from meadow.train.display import progress_display
from meadow.train.loss import HIDDEN_STATE_REQUEST, ResponseLoss, has_plain_head
from meadow.train.model import (
    check_model_source,
    cpu_only,
    load_base_model,
    load_tokenizer,
    offline,
    quiet_libraries,
    resolve_precision,
    resolved_model_path,
    with_lora,
)
from meadow.train.publish import (
    RUN_FILE,
    AdapterPushResult,
    check_push,
    hub_commit,
    library_versions,
    merge_adapter,
    push_adapter,
    save_adapter,
)
from meadow.train.templates import PromptTemplate, check_template, get_template

if TYPE_CHECKING:
    import datasets

logger = logging.getLogger("meadow.train")


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
    state = PartialState(cpu=cpu_only())  # gloo across processes when there is no GPU
    precision = resolve_precision(config.precision, config.quantization)
    out = Path(config.output_dir or _default_output_dir(config)).expanduser().resolve()
    base_model = resolved_model_path(config.base_model)
    check_model_source(base_model)  # a missing folder or an unreachable Hub: now, in one line
    push_repo = check_push(config, out, base_model) if config.push else None
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
    model = load_base_model(base_model, config, precision)

    # 3. tokenising, packing
    with state.main_process_first():
        train_set = _encode(splits["train"], template, tokenizer, config)
        eval_set = _encode(validation, template, tokenizer, config) if validation else None
    if len(train_set) == 0:
        raise TrainError(f"mixture {config.mixture!r} has no training rows to learn from")

    # 4. LoRA and the Trainer
    model = with_lora(model, config, precision)
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
    from meadow import hub, publications, store
    from meadow.card_metadata import dataset_card_metadata

    if config.repo:
        if offline():
            raise TrainError(
                f"mixture {config.mixture!r} is in the Hub repo {config.repo} but HF_HUB_OFFLINE "
                f"is set: pull it first (meadow pull {config.repo} --name {config.mixture}) and "
                "train from the local store"
            )
        commit = hub_commit(config.repo, config.revision)
        folder = hub.pull(config.repo, config.mixture, revision=commit)
        repo: str | None = config.repo
    else:
        folder = store.revision_dir(config.mixture, config.revision)
        published = publications.published(config.mixture, folder.name) or {}
        repo, commit = published.get("repo_id"), published.get("commit")
    manifest = read_manifest(folder)
    splits = store.load_local_mixture(config.mixture, revision=folder.name)
    if "train" not in splits:
        raise TrainError(f"mixture {config.mixture!r} @ {folder.name} has no train split")
    pin = DatasetPin(
        name=config.mixture,
        revision=manifest.revision,
        tag=hub.tag_of(config.mixture, manifest.revision),
        repo=repo,
        commit=commit,
        recipe=manifest.recipe.get("name"),
        license=dataset_card_metadata(manifest)["license"],
        rows=_in_split_order(manifest.splits),
    )
    return splits, pin


def _in_split_order(rows: dict[str, int]) -> dict[str, int]:
    """Rows per split as train, validation, test (then any other split)."""
    known = [s for s in SPLITS if s in rows]
    return {s: rows[s] for s in known + sorted(set(rows) - set(known))}


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
    args = training_arguments(config, out, precision, evaluate=eval_set is not None)
    throughput = progress_display()
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


def _default_output_dir(config: TrainConfig) -> Path:
    model = Path(str(config.base_model).rstrip("/")).name or "model"
    return meadow_home() / "adapters" / f"{config.mixture}-{model}"


def _peak_memory_mb() -> float:
    if torch.cuda.is_available():
        return torch.cuda.max_memory_allocated() / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# meadow.eval loads models and reads run records through these names from here
__all__ = [
    "AdapterPushResult",
    "TrainResult",
    "load_data",
    "merge_adapter",
    "push_adapter",
    "resolve_precision",
    "train",
]
