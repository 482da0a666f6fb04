"""Evaluation results into a model card, locally and on the Hub.

Each benchmark becomes a `model-index` entry (`huggingface_hub.EvalResult`): task type
`multiple-choice` (PubMedQA: `question-answering`), the benchmark's Hub dataset with its
config and split, the items' revision (`BenchmarkItems.revision`, a fingerprint of the
source adapter and the raw files), and the accuracy; USMLE steps and MMLU subjects get
entries of their own (their step or subject as the dataset config). The card itself is
merged by `meadow.train.card.add_evaluation`; `push_card` publishes it in one commit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huggingface_hub import EvalResult

from meadow.errors import HubError
from meadow.eval.benchmarks import get_benchmark
from meadow.train.card import EVAL_SOURCE_NAME, EVAL_SOURCE_URL, add_evaluation

if TYPE_CHECKING:
    from meadow.eval.model import ModelInfo

MODEL_REPO_TYPE = "model"
METRIC_NAMES = {
    "loglik": "accuracy (option log-likelihood, length-normalised)",
    "generate": "accuracy (greedy generation)",
}


@dataclass(frozen=True)
class CardPushResult:
    """Where `push_card` put the card: the model repo, its new commit, and its page."""

    repo_id: str
    commit: str
    url: str


def model_name(info: ModelInfo) -> str:
    """The model's name in its card: the adapter's or model folder's name, or the Hub id."""
    if info.adapter:
        return Path(info.adapter).name
    return Path(info.model).name if Path(info.model).is_dir() else info.model


def eval_results(results: dict[str, Any]) -> list[EvalResult]:
    """The `model-index` entries of a `results.json`."""
    metric = METRIC_NAMES[results["mode"]]
    entries = []
    for name, numbers in results["benchmarks"].items():
        benchmark = get_benchmark(name)
        rows = [(numbers["title"], benchmark.hub_config, numbers)]
        rows += [
            (f"{numbers['title']}: {benchmark.group_label(group)}", group, values)
            for group, values in numbers.get("groups", {}).items()
        ]
        for title, config, values in rows:
            entries.append(
                EvalResult(
                    task_type=benchmark.task,
                    dataset_type=benchmark.hub_dataset,
                    dataset_name=title,
                    dataset_config=config,
                    dataset_split=numbers["split"],
                    dataset_revision=numbers["revision"],
                    dataset_args=_limited(numbers),
                    metric_type="accuracy",
                    metric_value=values["accuracy"],
                    metric_name=metric,
                    source_name=EVAL_SOURCE_NAME,
                    source_url=EVAL_SOURCE_URL,
                )
            )
    return entries


def card_summary(results: dict[str, Any]) -> dict[str, Any]:
    """What the card keeps of a `results.json` (its `meadow.evaluation` block)."""
    benchmarks = {}
    for name, numbers in results["benchmarks"].items():
        benchmark = get_benchmark(name)
        kept = {
            key: numbers[key]
            for key in ("title", "split", "accuracy", "ci95", "scored", "excluded", "revision")
        }
        notes = [numbers["note"]] if numbers.get("note") else []
        if _limited(numbers):
            notes.append(f"first {numbers['scored']:,} of {numbers['items']:,} items (--limit)")
        if notes:
            kept["note"] = "; ".join(notes)
        if numbers.get("groups"):
            kept["groups"] = {
                benchmark.group_label(group): {k: values[k] for k in ("accuracy", "ci95", "scored")}
                for group, values in numbers["groups"].items()
            }
        benchmarks[name] = kept
    return {"benchmarks": benchmarks, "command": results["command"]}


def card_results(card_text: str | None, name: str, results: dict[str, Any]) -> str:
    """`card_text` (None: a new minimal card) with the results of `results.json` merged in."""
    return add_evaluation(
        card_text,
        model_name=name,
        mode=results["mode"],
        results=eval_results(results),
        summary=card_summary(results),
    )


def hub_for(repo_id: str) -> Any:
    """An `HfApi` with a checked token for publishing to `repo_id` (before any scoring)."""
    from meadow.hub_client import authenticated, check_repo_id

    check_repo_id(repo_id)
    return authenticated(None, None)[0]


def push_card(repo_id: str, merge: Callable[[str | None], str], api: Any = None) -> CardPushResult:
    """Merge the results into the card of a Hub model repo, and commit it (one commit).

    The card there (the adapter's, from `meadow train --push`) is read at the branch head,
    merged, and committed against that head, so a card changed meanwhile is not lost.
    """
    from huggingface_hub import CommitOperationAdd
    from huggingface_hub.errors import RepositoryNotFoundError

    from meadow.hub import commit, read_refs, remote_text
    from meadow.hub_client import retrying

    api = api or hub_for(repo_id)
    try:
        refs = read_refs(api, repo_id, MODEL_REPO_TYPE)
    except HubError as error:
        if isinstance(error.__cause__, RepositoryNotFoundError):
            raise HubError(
                f"no model repo {repo_id} on the Hub: publish the model first (meadow train "
                f"--push --repo {repo_id}), then its results"
            ) from None
        raise
    head = refs.head
    exists = head is not None and retrying(
        lambda: api.file_exists(repo_id, "README.md", repo_type=MODEL_REPO_TYPE, revision=head),
        "look for README.md",
        repo_id,
    )
    existing = (
        remote_text(api, repo_id, head, "README.md", repo_type=MODEL_REPO_TYPE) if exists else None
    )
    card = merge(existing)
    sha = commit(
        api,
        repo_id,
        [CommitOperationAdd(path_in_repo="README.md", path_or_fileobj=card.encode())],
        "meadow eval: benchmark results in the model card",
        repo_type=MODEL_REPO_TYPE,
        refs=refs,
    )
    return CardPushResult(repo_id, sha, f"{api.endpoint}/{repo_id}")


def _limited(numbers: dict[str, Any]) -> dict[str, int] | None:
    limited = numbers.get("limit") is not None and numbers["scored"] < numbers["items"]
    return {"limit": numbers["scored"]} if limited else None


__all__ = [
    "CardPushResult",
    "card_results",
    "card_summary",
    "eval_results",
    "hub_for",
    "model_name",
    "push_card",
]
