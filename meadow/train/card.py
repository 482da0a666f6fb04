"""The model card (README.md) of an adapter, pinned to the exact data it learned from.

`render_model_card` fills `cards/model_card.md.j2` through huggingface_hub's
`ModelCard.from_template`, so the YAML is what the Hub client reads back: `base_model`,
`base_model_relation: adapter`, `datasets`, `library_name: peft`, the dataset's license,
and meadow's own `meadow:` block with the dataset's revision, tag and commit.
`loss_curve` draws the loss from the Trainer's log history. `add_evaluation` merges
`meadow eval`'s results into a card (this one, one on the Hub, or a new minimal one): as
`model-index` entries (`huggingface_hub.EvalResult`), in the `meadow:` block, and as a
section rendered from `cards/model_card_eval.md.j2`. Nothing here imports torch.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from huggingface_hub import EvalResult, ModelCard, ModelCardData

from meadow.chart import CHART_STYLE  # the dataset card's chart style, so the cards match
from meadow.errors import CardError
from meadow.templates import card_template
from meadow.train.config import card_keys

TAGS = ["medical", "meadow", "lora"]
EVAL_SOURCE_NAME = "meadow eval"
EVAL_SOURCE_URL = "https://github.com/meadow-ml/meadow"
# Where an evaluation section goes in a card that has none yet: before the first of these.
_EVAL_SECTION_BEFORE = ("## How to use", "## Limitations")


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


def model_card_metadata(base_model: str, dataset: DatasetPin, template: str) -> ModelCardData:
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
    card_data = model_card_metadata(base_model, dataset, template["name"])
    local_base = Path(base_model).exists()
    text = card_template("model_card.md.j2")
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
        raise CardError("the model card's YAML does not read back the same through ModelCard")
    return written


def hyperparameter_table(config: dict[str, Any], precision: str, world_size: int) -> dict[str, Any]:
    """The card's table of settings: the config keys marked for the card (`card_keys`),
    then what the run decided (precision, processes, the effective batch size)."""
    table: dict[str, Any] = {key: _cell(config[key]) for key in card_keys()}
    table["precision"] = precision
    table["processes"] = world_size
    effective = config["batch_size"] * config["gradient_accumulation_steps"] * world_size
    table["effective batch size"] = effective
    return table


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value)
    if value is None:
        return "–"
    return f"`{value}`" if isinstance(value, str) else str(value)


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
    with matplotlib.rc_context(CHART_STYLE):
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


def add_evaluation(
    card_text: str | None,
    *,
    model_name: str,
    mode: str,
    results: list[EvalResult],
    summary: dict[str, Any],
) -> str:
    """A model card with an evaluation's results merged in, everything else kept.

    `card_text` is the card there is (None: a minimal one is written). `results` replace
    meadow's earlier `model-index` entries for the same dataset and metric (other entries
    stay); `summary` (per benchmark: title, accuracy, interval, items, revision, groups,
    and `command`) goes under `meadow.evaluation.{mode}`, merged per benchmark, and the
    card's `{mode}` section is rendered again from it, so benchmarks evaluated at
    different times are all shown. Reads back through `ModelCard` unchanged.
    """
    card = ModelCard(card_text) if card_text else _minimal_card(model_name)
    data = card.data
    new = {(r.unique_identifier, r.metric_name) for r in results}
    kept = [
        r
        for r in data.eval_results or []
        if not (r.source_name == EVAL_SOURCE_NAME and (r.unique_identifier, r.metric_name) in new)
    ]
    data.eval_results = kept + results
    data.model_name = data.model_name or model_name
    block = dict(getattr(data, "meadow", None) or {})
    evaluation = dict(block.get("evaluation") or {})
    earlier = dict(evaluation.get(mode) or {})
    command = summary.get("command")
    benchmarks = {**earlier.get("benchmarks", {}), **summary["benchmarks"]}
    evaluation[mode] = {"benchmarks": benchmarks, "command": command}
    block["evaluation"] = evaluation
    data.meadow = block
    section = _eval_section(mode, evaluation[mode])
    card.text = _with_section(card.text, mode, section)
    written = str(card)
    if ModelCard(written).data.to_dict() != data.to_dict():
        raise CardError("the model card's YAML does not read back the same through ModelCard")
    return written


def _minimal_card(model_name: str) -> ModelCard:
    """The card of a model that has none: its name, the results (added next), the caveat."""
    body = (
        f"\n# {model_name}\n\nEvaluation results written by [meadow]({EVAL_SOURCE_URL}) "
        "(`meadow eval`).\n\n## Limitations\n\nMedical benchmark scores say how often a "
        "model picks the keyed option of exam-style questions, not whether it is safe or "
        "useful: not for diagnosis, treatment or any other clinical decision.\n"
    )
    data = ModelCardData(model_name=model_name, tags=["medical", "meadow"])
    return ModelCard(f"---\n{data.to_yaml()}\n---\n{body}")


def _eval_section(mode: str, evaluation: dict[str, Any]) -> str:
    text = card_template("model_card_eval.md.j2")
    environment = jinja2.Environment(keep_trailing_newline=True, autoescape=False)
    return environment.from_string(text).render(mode=mode, **evaluation)


def _with_section(body: str, mode: str, section: str) -> str:
    """`body` with its `mode` evaluation section replaced, or the section inserted."""
    begin, end = f"<!-- meadow-eval:{mode} -->", f"<!-- /meadow-eval:{mode} -->"
    found = re.search(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", body, flags=re.S)
    if found:
        return body[: found.start()] + section + body[found.end() :]
    for heading in _EVAL_SECTION_BEFORE:
        at = re.search(rf"^{re.escape(heading)}\b", body, flags=re.M)
        if at:
            return body[: at.start()] + section + "\n" + body[at.start() :]
    return body.rstrip("\n") + "\n\n" + section


def _model_license(license: str | list[str]) -> tuple[str, str | None]:
    """One Hub license id for the card; rows under several licenses make it `other`."""
    licenses = _as_list(license)
    if len(licenses) == 1:
        return licenses[0], None
    return "other", "mixed-licenses"  # each one is listed in the card's body


def _as_list(value: str | list[str]) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


__all__ = [
    "EVAL_SOURCE_NAME",
    "EVAL_SOURCE_URL",
    "TAGS",
    "DatasetPin",
    "add_evaluation",
    "hyperparameter_table",
    "loss_curve",
    "model_card_metadata",
    "render_model_card",
]
