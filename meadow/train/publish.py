"""What a run leaves behind: the adapter folder with its card, the merged model, the Hub repo.

`save_adapter` writes adapter, tokenizer, template, run record, loss curve and the model
card (in place of peft's README); `merge_adapter` adds `merged/`; `push_adapter`
publishes the folder in one commit, tagged with the dataset's tag.
"""

from __future__ import annotations

import importlib.metadata
import json
import logging
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from peft import PeftModel

from meadow._version import __version__
from meadow.errors import TrainError
from meadow.train.card import DatasetPin, hyperparameter_table, loss_curve, render_model_card
from meadow.train.config import TrainConfig
from meadow.train.model import load_causal_lm, load_tokenizer, peft_quietly, torch_dtype
from meadow.train.templates import PromptTemplate, save_template

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


def hub_commit(repo_id: str, revision: str | None) -> str:
    """The commit sha a tag, branch or sha of a dataset repo names (main when None)."""
    from huggingface_hub import HfApi

    from meadow.hub_client import check_repo_id, retrying

    check_repo_id(repo_id)
    api = HfApi()
    what = f"find revision {revision or 'main'!r}"
    info = retrying(
        lambda: api.repo_info(repo_id, repo_type="dataset", revision=revision), what, repo_id
    )
    return info.sha


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
        hyperparameters=hyperparameter_table(config, run["precision"], run["world_size"]),
        metrics=run["metrics"],
        versions=run["versions"],
        train_on_inputs=config["train_on_inputs"],
        loss_curve=LOSS_CURVE if curve else None,
        model_ref=push_repo or str(out),
    )
    (out / "README.md").write_text(card, encoding="utf-8")  # in place of peft's


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


def check_push(config: TrainConfig, out: Path, base_model: str) -> str:
    """The model repo to publish to, with the token checked before any training."""
    from meadow.hub_client import authenticated, check_repo_id

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

    from meadow.hub import commit, read_refs
    from meadow.hub_client import authenticated, check_repo_id, retrying

    folder = Path(folder)
    api, _ = authenticated(token, endpoint)
    check_repo_id(repo_id)
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not p.relative_to(folder).parts[0].startswith(_NOT_PUBLISHED)
    )
    if not (folder / "README.md").is_file() or not (folder / "adapter_config.json").is_file():
        raise TrainError(f"{folder} is not a trained adapter folder (no adapter_config.json)")
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


__all__ = [
    "LOSS_CURVE",
    "MERGED",
    "RUN_FILE",
    "AdapterPushResult",
    "check_push",
    "hub_commit",
    "library_versions",
    "merge_adapter",
    "push_adapter",
    "save_adapter",
]
