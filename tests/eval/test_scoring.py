"""Scores: the packed forward pass equals one pass per option; a taught model answers its
questions, a random one is near chance, and its two modes agree."""

from __future__ import annotations

import json

import pytest

from meadow.eval import evaluate, get_benchmark, load_benchmark
from meadow.eval.benchmarks import sample_path
from meadow.eval.model import load_model
from meadow.eval.scoring import best, encode_item, option_scores, reference_scores


def lines(folder, name):
    return [json.loads(line) for line in (folder / f"{name}.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("bench", ["usmle", "medqa5", "pubmedqa", "mmlu"])
def test_one_packed_pass_scores_every_option_as_if_it_were_alone(random_model, bench):
    """The bundled samples: 3 to 5 options of different lengths, prompts of different
    lengths in one batch (right padding); sums agree with one pass per option."""
    lm = load_model(random_model)
    items = load_benchmark(get_benchmark(bench), sample_path(get_benchmark(bench).source))
    encoded = [
        encode_item(items.benchmark, item, items.instruction, lm.template, lm.tokenizer)
        for item in items.items
    ]
    pad = lm.tokenizer.pad_token_id
    for size in (1, 3):
        for start in range(0, len(encoded), size):
            batch = encoded[start : start + size]
            for one, packed in zip(
                batch, option_scores(lm.model, batch, lm.device, pad), strict=True
            ):
                alone = reference_scores(lm.model, one, lm.device)
                for letter, scores in packed.items():
                    assert scores["sum"] == pytest.approx(alone[letter]["sum"], abs=1e-3)
                    assert (
                        scores["tokens"]
                        == alone[letter]["tokens"]
                        == len(one.continuations[letter])
                    )
                    assert scores["mean"] == pytest.approx(
                        scores["sum"] / scores["tokens"], abs=1e-5
                    )


def test_ties_go_to_the_earliest_letter():
    scores = {k: {"sum": -2.0, "mean": -1.0} for k in "ABCD"}
    scores["C"] = {"sum": -1.0, "mean": -1.0}
    assert best(scores, "mean") == "A"
    assert best(scores, "sum") == "C"


def test_a_taught_model_answers_every_question_in_both_modes(taught_model, taught_raw, tmp_path):
    raw = {"medqa": taught_raw}
    loglik = evaluate(taught_model, benchmarks=["medqa"], raw=raw, output=tmp_path / "l")
    generate = evaluate(
        taught_model, benchmarks=["medqa"], raw=raw, output=tmp_path / "g", mode="generate"
    )
    scored = loglik.results["benchmarks"]["medqa"]
    assert scored["scored"] == 12 and scored["accuracy"] >= 0.9
    assert scored["accuracy_sum"] >= 0.9
    answered = generate.results["benchmarks"]["medqa"]
    assert answered["accuracy"] >= 0.9 and answered["unparsed"] == 0
    by_loglik = {line["id"]: line["prediction"] for line in lines(tmp_path / "l", "medqa")}
    by_generation = {line["id"]: line["prediction"] for line in lines(tmp_path / "g", "medqa")}
    assert by_loglik == by_generation
    first = lines(tmp_path / "g", "medqa")[0]
    assert first["generation"].startswith(f"{first['gold']}: ")  # as it was taught: "C: text"
    assert loglik.results["model"]["template_origin"] == "meadow_template.json"


def test_a_random_model_scores_near_chance(random_model, random_raw, tmp_path):
    """200 questions whose key is drawn uniformly: chance is 25% (sd 3%); a model with random
    weights has no way to find the key, whatever its preferences among the options."""
    result = evaluate(
        random_model, benchmarks=["medqa"], raw={"medqa": random_raw}, output=tmp_path
    )
    medqa = result.results["benchmarks"]["medqa"]
    assert medqa["scored"] == 200
    assert 0.12 <= medqa["accuracy"] <= 0.40
    low, high = medqa["ci95"]
    assert low < 0.25 < high or high - low < 0.2
    assert result.results["model"]["template_origin"].startswith("meadow's default")


def test_models_without_position_selection_get_the_same_scores(random_model, monkeypatch):
    """Models whose forward takes no boolean `logits_to_keep` make every logit; the scorer
    then picks the positions itself."""
    from meadow.eval import scoring

    lm = load_model(random_model)
    items = load_benchmark(get_benchmark("medqa5"), sample_path("medqa"))
    encoded = [
        encode_item(items.benchmark, item, items.instruction, lm.template, lm.tokenizer)
        for item in items.items
    ]
    pad = lm.tokenizer.pad_token_id
    selected = option_scores(lm.model, encoded, lm.device, pad)
    monkeypatch.setattr(scoring, "_keeps_positions", lambda model: False)
    for every, chosen in zip(
        option_scores(lm.model, encoded, lm.device, pad), selected, strict=True
    ):
        for letter, scores in every.items():
            assert scores["sum"] == pytest.approx(chosen[letter]["sum"], abs=1e-4)
