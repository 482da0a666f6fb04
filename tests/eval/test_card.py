"""Results in the model card: `model-index` entries that read back through `ModelCard`,
merged into the trainer's card without losing anything, and pushed in one commit."""

from __future__ import annotations

import pytest
from huggingface_hub import HfApi, ModelCard

from meadow.errors import HubError
from meadow.eval import evaluate
from meadow.eval.card import card_results
from meadow.train.card import DatasetPin, render_model_card
from tests.eval import fixture_questions, write_usmle
from tests.hub_server import HUB_TOKEN

TOKEN = HUB_TOKEN
PIN = DatasetPin(name="small", revision="3f2a9c0d1e2f", tag="small-3f2a9c0d1e", repo="org/meadow")


def adapter_card() -> str:
    return render_model_card(
        base_model="meta-llama/Llama-3.2-1B",
        dataset=PIN,
        template={"name": "medalpaca"},
        prompt_example="### Instruction:\n{instruction}",
        hyperparameters={"lora_r": 8},
        metrics={"steps": 3},
        versions={"meadow": "0.1.0"},
    )


def results(mode="loglik", accuracy=0.5, usmle=True) -> dict:
    benchmarks = {
        "medqa": {
            "title": "MedQA (USMLE, 4 options)", "split": "test", "accuracy": accuracy,
            "ci95": [0.3, 0.7], "scored": 20, "items": 20, "limit": None,
            "excluded": {"empty_options": 1}, "revision": "aaaa000011112222",
        },
    }  # fmt: skip
    if usmle:
        benchmarks["usmle"] = {
            "title": "USMLE self-assessment", "split": "test", "accuracy": 0.25,
            "ci95": [0.1, 0.5], "scored": 8, "items": 8, "limit": None,
            "excluded": {"has_image": 2}, "revision": "bbbb000011112222",
            "groups": {
                "step1": {"accuracy": 0.5, "ci95": [0.1, 0.9], "scored": 4},
                "step2": {"accuracy": 0.0, "ci95": [0.0, 0.5], "scored": 4},
            },
        }  # fmt: skip
    return {"mode": mode, "benchmarks": benchmarks, "command": "meadow eval --model x"}


def test_results_round_trip_through_modelcard_and_the_rest_of_the_card_stays(tmp_path):
    original = adapter_card()
    text = card_results(original, "small-lora", results())
    path = tmp_path / "README.md"
    path.write_text(text)
    card = ModelCard.load(path)
    entries = {(r.dataset_type, r.dataset_config): r for r in card.data.eval_results}
    medqa = entries[("bigbio/med_qa", "med_qa_en_4options_source")]
    assert (medqa.task_type, medqa.metric_type, medqa.metric_value) == (
        "multiple-choice", "accuracy", 0.5,
    )  # fmt: skip
    assert medqa.dataset_revision == "aaaa000011112222" and medqa.dataset_split == "test"
    assert medqa.source_name == "meadow eval"
    step1 = entries[("medalpaca/medical_meadow_usmle_self_assessment", "step1")]
    assert step1.metric_value == 0.5 and step1.dataset_name == "USMLE self-assessment: Step 1"
    assert card.data.model_name == "small-lora"
    before = ModelCard(original)
    assert card.data.base_model == before.data.base_model
    assert card.data.meadow["dataset_revision"] == PIN.revision  # the trainer's pin, kept
    assert card.text.replace(_section(card.text, "loglik"), "") == before.text
    assert "| &emsp;Step 1 | | 50.0% |" in card.text
    assert "## Evaluation (option log-likelihood)" in card.text
    assert card.text.index("## Evaluation") < card.text.index("## How to use")


def _section(text: str, mode: str) -> str:
    begin, end = f"<!-- meadow-eval:{mode} -->", f"<!-- /meadow-eval:{mode} -->"
    return text[text.index(begin) : text.index(end) + len(end) + 1] + "\n"


def test_a_new_run_replaces_its_own_entries_and_keeps_the_others():
    first = card_results(adapter_card(), "m", results())
    again = card_results(first, "m", results(accuracy=0.75, usmle=False))
    card = ModelCard(again)
    values = [r.metric_value for r in card.data.eval_results if r.dataset_type == "bigbio/med_qa"]
    assert values == [0.75]  # replaced, not repeated
    assert any(r.dataset_config == "step2" for r in card.data.eval_results)  # usmle kept
    assert set(card.data.meadow["evaluation"]["loglik"]["benchmarks"]) == {"medqa", "usmle"}
    assert again.count("## Evaluation (option log-likelihood)") == 1
    both = ModelCard(card_results(again, "m", results(mode="generate")))
    names = {r.metric_name for r in both.data.eval_results}
    assert names == {
        "accuracy (option log-likelihood, length-normalised)", "accuracy (greedy generation)",
    }  # fmt: skip
    assert "## Evaluation (greedy generation)" in both.text


def test_a_model_without_a_card_gets_a_minimal_one():
    card = ModelCard(card_results(None, "Llama-3.2-1B", results()))
    assert card.data.model_name == "Llama-3.2-1B"
    assert len(card.data.eval_results) == 4  # medqa, usmle and its two steps
    assert card.text.lstrip().startswith("# Llama-3.2-1B")
    assert "## Limitations" in card.text


# -- the Hub ----------------------------------------------------------------------------------


def push_usmle(model, folder, repo, questions=1):
    """`evaluate` on a USMLE fixture of `questions` Step 1 items, pushing the card to `repo`."""
    raw = write_usmle(folder / "usmle", {1: fixture_questions()[:questions]})
    return evaluate(
        model, benchmarks=["usmle"], raw={"usmle": raw}, output=folder / "o", push_repo=repo
    )


def test_push_updates_the_card_on_the_hub_in_one_commit(hub, random_model, tmp_path):
    api = HfApi(endpoint=hub.url, token=TOKEN)
    api.create_repo("org/small-lora", repo_type="model")
    api.upload_file(path_or_fileobj=adapter_card().encode(), path_in_repo="README.md",
                    repo_id="org/small-lora", repo_type="model")  # fmt: skip
    api.upload_file(path_or_fileobj=b"{}", path_in_repo="adapter_config.json",
                    repo_id="org/small-lora", repo_type="model")  # fmt: skip
    before = hub.commits("org/small-lora", repo_type="model")
    result = push_usmle(random_model, tmp_path, "org/small-lora", questions=3)
    after = hub.commits("org/small-lora", repo_type="model")
    assert after[:-1] == before and after[-1] == result.pushed.commit
    files = hub.files("org/small-lora", repo_type="model")
    assert files["adapter_config.json"] == b"{}"
    card = ModelCard(files["README.md"].decode())
    assert card.data.base_model == "meta-llama/Llama-3.2-1B"  # the card there, merged
    assert card.data.model_name == "org/small-lora"
    usmle = [r for r in card.data.eval_results if r.dataset_config is None]
    assert usmle[0].metric_value == result.results["benchmarks"]["usmle"]["accuracy"]


def test_push_to_a_repo_that_does_not_exist(hub, random_model, tmp_path):
    with pytest.raises(HubError, match="no model repo org/nothing on the Hub: publish the model"):
        push_usmle(random_model, tmp_path, "org/nothing")


def test_a_missing_token_stops_before_any_scoring(hub, random_model, tmp_path, monkeypatch):
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubError, match="no Hugging Face token"):
        push_usmle(random_model, tmp_path, "org/x")
    assert not (tmp_path / "o").exists()
