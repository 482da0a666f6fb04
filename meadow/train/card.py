"""The model card (README.md) of an adapter, pinned to the exact data it learned from.

`render_model_card` fills `meadow/cards/model_card.md.j2` through huggingface_hub's
`ModelCard.from_template`, so the YAML is what the Hub client reads back: `base_model`,
`base_model_relation: adapter`, `datasets`, `library_name: peft`, the dataset's license,
and meadow's own `meadow:` block with the dataset's revision, tag and commit.
`loss_curve` draws the loss from the Trainer's log history. Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from huggingface_hub import ModelCard, ModelCardData

from meadow.card import _CHART_STYLE  # the dataset card's chart style, so the cards match
from meadow.errors import MeadowError

TAGS = ["medical", "meadow", "lora"]


@dataclass(frozen=True)
class DatasetPin:
    """Exactly which rows an adapter was trained on.

    Attributes:
        name: the mixture (the config name in a Hub repo).
        revision: meadow's revision id of the build (a fingerprint of its content).
        tag: the build's tag, `{name}-{revision[:10]}`, as `meadow push` makes it.
        repo: the Hub dataset repo it was loaded from or published to; None when local only.
        commit: the Hub commit of that repo holding the build, when known.
        recipe: the recipe's name.
        license: the Hub license id of the rows, or a list when they carry several.
        rows: rows per split.
    """

    name: str
    revision: str
    tag: str
    repo: str | None = None
    commit: str | None = None
    recipe: str | None = None
    license: str | list[str] = "unknown"
    rows: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def load_args(self) -> str:
        """The arguments of `meadow.load_mixture` that give these rows again."""
        if self.repo:
            return f"{self.repo!r}, name={self.name!r}, revision={self.commit or self.tag!r}"
        return f"{self.name!r}, revision={self.revision!r}"


def card_metadata(base_model: str, dataset: DatasetPin, template: str) -> ModelCardData:
    """The card's YAML: the Hub's model-card keys plus a `meadow:` block with the pin."""
    license, license_name = _model_license(dataset.license)
    return ModelCardData(
        base_model=base_model,
        base_model_relation="adapter",
        datasets=[dataset.repo or dataset.name],
        library_name="peft",
        pipeline_tag="text-generation",
        license=license,
        license_name=license_name,
        tags=list(TAGS),
        meadow={
            "dataset": dataset.name,
            "dataset_repo": dataset.repo,
            "dataset_revision": dataset.revision,
            "dataset_tag": dataset.tag,
            "dataset_commit": dataset.commit,
            "recipe": dataset.recipe,
            "template": template,
        },
    )


def render_model_card(
    *,
    base_model: str,
    dataset: DatasetPin,
    template: dict[str, Any],
    prompt_example: str | None,
    hyperparameters: dict[str, Any],
    metrics: dict[str, Any],
    versions: dict[str, str],
    train_on_inputs: bool = False,
    loss_curve: str | None = None,
    model_ref: str = "./adapter",
    endpoint: str | None = None,
) -> str:
    """The README.md of an adapter folder (and of its Hub repo).

    `template` is `PromptTemplate.to_dict()`; `prompt_example` the prompt of a row with
    placeholders (None for `chat`, whose text is the tokenizer's); `loss_curve` the
    card-relative path of the PNG; `model_ref` what the usage snippets load (the Hub repo
    when pushing, else the folder); `endpoint` the Hub's URL for the links.
    """
    from huggingface_hub import constants

    hub = (endpoint or constants.ENDPOINT).rstrip("/")
    dataset_url = f"{hub}/datasets/{dataset.repo}" if dataset.repo else None
    commit_url = f"{dataset_url}/tree/{dataset.commit}" if dataset_url and dataset.commit else None
    card_data = card_metadata(base_model, dataset, template["name"])
    local_base = Path(base_model).exists()
    text = _template_text()
    card = ModelCard.from_template(
        card_data,
        template_str=text,
        title=f"{Path(base_model).name if local_base else base_model} · {dataset.name} (LoRA)",
        base_model=base_model,
        base_model_url=Path(base_model).resolve().as_uri() if local_base else f"{hub}/{base_model}",
        dataset=dataset,
        dataset_url=dataset_url,
        tag_url=f"{dataset_url}/tree/{dataset.tag}" if dataset_url else None,
        commit_url=commit_url,
        dataset_licenses=", ".join(_as_list(dataset.license)),
        load_args=dataset.load_args(),
        has_validation=bool(dataset.rows.get("validation")),
        template=template,
        prompt_example=prompt_example,
        train_on_inputs=train_on_inputs,
        hyperparameters=hyperparameters,
        metrics=metrics,
        versions=versions,
        loss_curve=loss_curve,
        model_ref=model_ref,
    )
    written = str(card)
    if ModelCard(written).data.to_dict() != card_data.to_dict():
        raise MeadowError("the model card's YAML does not read back the same through ModelCard")
    return written


def loss_curve(log_history: list[dict[str, Any]], path: Path) -> Path | None:
    """Draw training (and validation) loss per step as a PNG; None when nothing was logged."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e and "step" in e]
    evals = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    if not train and not evals:
        return None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with matplotlib.rc_context(_CHART_STYLE):
        figure = Figure(figsize=(6, 3.5), dpi=100)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot()
        if train:
            axes.plot(*zip(*train, strict=True), label="training", color="#4c72b0")
        if evals:
            axes.plot(*zip(*evals, strict=True), "o-", label="validation", color="#dd8452")
        axes.set_xlabel("step")
        axes.set_ylabel("loss")
        axes.legend(frameon=False)
        figure.savefig(
            path, format="png", dpi=100, bbox_inches="tight", metadata={"Software": None}
        )
    return path


def _template_text() -> str:
    return (resources.files("meadow") / "cards" / "model_card.md.j2").read_text(encoding="utf-8")


def _model_license(license: str | list[str]) -> tuple[str, str | None]:
    """One Hub license id for the card; rows under several licenses make it `other`."""
    licenses = _as_list(license)
    if len(licenses) == 1:
        return licenses[0], None
    return "other", "mixed-licenses"  # each one is listed in the card's body


def _as_list(value: str | list[str]) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


__all__ = ["TAGS", "DatasetPin", "card_metadata", "loss_curve", "render_model_card"]
