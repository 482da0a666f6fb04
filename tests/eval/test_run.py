"""`evaluate()`: the same files every time, resumed runs included; what is evaluated."""

from __future__ import annotations

import json
import shutil

import pytest
from huggingface_hub import ModelCard

from meadow.errors import EvalError, RecipeError, TrainError
from meadow.eval import evaluate
from meadow.eval import scoring as scoring_module
from meadow.eval.results import wilson
from tests.eval import make_adapter

FILES = ("medqa.jsonl", "results.json", "eval_run.json", "README.md")


def contents(folder):
    return {name: (folder / name).read_bytes() for name in FILES}


@pytest.fixture
def run(random_model, random_raw):
    """`evaluate` of the random model on the 200 random MedQA questions, batches of 4."""

    def evaluate_into(output, **options):
        settings = {"benchmarks": ["medqa"], "raw": {"medqa": random_raw}, "batch_size": 4}
        return evaluate(random_model, output=output, **{**settings, **options})

    return evaluate_into


def test_two_runs_write_byte_identical_files(run, tmp_path):
    run(tmp_path / "first")
    run(tmp_path / "second")
    assert contents(tmp_path / "first") == contents(tmp_path / "second")
    results = json.loads((tmp_path / "first" / "results.json").read_text())
    assert "time" not in json.dumps(results)
    line = json.loads((tmp_path / "first" / "medqa.jsonl").read_text().splitlines()[0])
    assert set(line) == {
        "id", "source_id", "gold", "prediction", "prediction_sum", "correct", "correct_sum",
        "scores",
    }  # fmt: skip
    assert set(line["scores"]["A"]) == {"sum", "mean", "tokens"}


def test_an_interrupted_run_resumes_to_the_same_files(run, tmp_path, monkeypatch):
    run(tmp_path / "straight")
    calls = []
    real = scoring_module.option_scores

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 6:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(scoring_module, "option_scores", failing)
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed")
    written = tmp_path / "resumed" / "medqa.jsonl"
    assert len(written.read_text().splitlines()) == 20  # five batches of four
    with written.open("a") as handle:
        handle.write('{"id": "cut short by a kill')  # a line that never got its end
    monkeypatch.setattr(scoring_module, "option_scores", real)
    run(tmp_path / "resumed")
    assert contents(tmp_path / "resumed") == contents(tmp_path / "straight")


def test_a_limited_run_completed_later_equals_a_run_straight_through(run, tmp_path):
    run(tmp_path / "straight")
    limited = run(tmp_path / "later", limit=10)  # stops inside a batch of four
    medqa = limited.results["benchmarks"]["medqa"]
    assert (medqa["scored"], medqa["items"], medqa["limit"]) == (10, 200, 10)
    card = ModelCard.load(tmp_path / "later" / "README.md")
    assert card.data.eval_results[0].dataset_args == {"limit": 10}
    assert "first 10 of 200 items (--limit)" in card.text
    run(tmp_path / "later")
    assert contents(tmp_path / "later") == contents(tmp_path / "straight")


def test_a_folder_of_another_run_is_not_resumed(run, tmp_path):
    run(tmp_path / "out", limit=4)
    with pytest.raises(EvalError, match=r"another mode \(\"loglik\" there, \"generate\" now\)"):
        run(tmp_path / "out", mode="generate", limit=4)
    with pytest.raises(EvalError, match="another batch_size"):
        run(tmp_path / "out", batch_size=2, limit=4)


def test_results_have_accuracy_its_wilson_interval_and_counts(run, tmp_path):
    medqa = run(tmp_path).results["benchmarks"]["medqa"]
    assert medqa["ci95"] == list(wilson(medqa["correct"], 200))
    assert medqa["accuracy"] == round(medqa["correct"] / 200, 6)
    assert medqa["excluded"] == {} and medqa["split"] == "test"
    assert wilson(8, 10) == pytest.approx((0.490162, 0.943318), abs=1e-6)
    assert wilson(0, 0) == (0.0, 1.0)


def test_generate_mode_counts_unparsed_answers(run, tmp_path):
    result = run(tmp_path, mode="generate", limit=8, max_new_tokens=4)
    medqa = result.results["benchmarks"]["medqa"]
    lines = [json.loads(line) for line in (tmp_path / "medqa.jsonl").read_text().splitlines()]
    unparsed = sum(1 for line in lines if line["prediction"] is None)
    assert medqa["unparsed"] == unparsed
    assert all(not line["correct"] for line in lines if line["prediction"] is None)
    assert result.results["generation"] == {"prime": "", "max_new_tokens": 4}


# -- what is evaluated ------------------------------------------------------------------------


@pytest.fixture
def adapter(random_model, eval_tokenizer, tmp_path):
    return make_adapter(random_model, tmp_path / "adapter", eval_tokenizer)


def test_an_adapter_folder_is_enough(adapter, random_model, random_raw, tmp_path):
    result = evaluate(
        adapter, benchmarks=["medqa"], raw={"medqa": random_raw}, limit=4, output=tmp_path / "o"
    )
    model = result.results["model"]
    assert model["base_model"] == str(random_model) and model["adapter"] == str(adapter)
    assert (model["template"], model["template_origin"]) == ("alpaca", "meadow_template.json")
    assert model["trained_on"]["revision"] == "0123456789abcdef"
    assert result.adapter_card == adapter / "README.md"
    card = ModelCard.load(adapter / "README.md")
    assert card.data.base_model == str(random_model)  # the trainer's card, kept
    assert card.data.meadow["dataset_revision"] == "0123456789abcdef"
    assert card.data.eval_results[0].dataset_type == "bigbio/med_qa"
    assert (tmp_path / "o" / "README.md").read_text() == (adapter / "README.md").read_text()


def test_an_adapter_whose_base_model_is_gone(adapter, random_model, random_raw, tmp_path):
    moved = tmp_path / "moved"
    shutil.copytree(adapter, moved)
    config = json.loads((moved / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = str(tmp_path / "no-such-base")
    (moved / "adapter_config.json").write_text(json.dumps(config))
    raw = {"medqa": random_raw}
    with pytest.raises(EvalError, match=r"which is not there: pass a copy of it with --model BASE"):
        evaluate(moved, benchmarks=["medqa"], raw=raw, limit=1, output=tmp_path / "o")
    result = evaluate(
        random_model, adapter=moved, benchmarks=["medqa"], raw=raw, limit=1, output=tmp_path / "p"
    )
    assert result.results["model"]["base_model"] == str(random_model)


def test_a_model_that_cannot_be_loaded_offline(random_raw, tmp_path):
    with pytest.raises(TrainError, match=r"'no-org/no-such-model' offline \(HF_HUB_OFFLINE=1\)"):
        evaluate("no-org/no-such-model", benchmarks=["medqa"], raw={"medqa": random_raw})
    with pytest.raises(EvalError, match="holds neither a model"):
        evaluate(tmp_path, benchmarks=["medqa"], raw={"medqa": random_raw})


def test_arguments_are_checked_before_any_work(random_model, random_raw):
    raw = {"medqa": random_raw}
    with pytest.raises(EvalError, match="--mode: expected one of loglik, generate"):
        evaluate(random_model, benchmarks=["medqa"], raw=raw, mode="sample")
    with pytest.raises(EvalError, match="--batch-size"):
        evaluate(random_model, benchmarks=["medqa"], raw=raw, batch_size=0)
    with pytest.raises(RecipeError, match=r"--raw pubmedqa: source 'pubmedqa' is not read"):
        evaluate(random_model, benchmarks=["medqa"], raw={**raw, "pubmedqa": random_raw})


def test_benchmarks_run_one_after_another_share_the_results_file(
    random_model, random_raw, tmp_path
):
    from tests.eval import fixture_questions, write_usmle

    usmle = write_usmle(tmp_path / "usmle", {1: fixture_questions()[:2]})
    evaluate(
        random_model,
        benchmarks=["medqa"],
        raw={"medqa": random_raw},
        limit=4,
        output=tmp_path / "o",
    )
    second = evaluate(
        random_model, benchmarks=["usmle"], raw={"usmle": usmle}, output=tmp_path / "o"
    )
    assert set(second.results["benchmarks"]) == {"medqa", "usmle"}
    card = ModelCard.load(tmp_path / "o" / "README.md")
    assert {r.dataset_type for r in card.data.eval_results} == {
        "bigbio/med_qa", "medalpaca/medical_meadow_usmle_self_assessment",
    }  # fmt: skip
