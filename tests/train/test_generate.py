"""`meadow generate`: the prompt a trained adapter is asked with is the one it was trained on."""

from __future__ import annotations

import shutil

import pytest

from meadow.errors import TemplateError, TrainError
from meadow.train.config import load_config
from meadow.train.data import IGNORE_INDEX, encode_example, prompt_ids
from meadow.train.generate import DEFAULT_INSTRUCTION, Generator, generate
from meadow.train.templates import get_template, save_template
from meadow.train.trainer import train

QUESTION = "What are the symptoms of gout?"


@pytest.fixture(scope="module")
def adapter(_sample_store, tiny_model_dir, tmp_path_factory):
    """A 10-step adapter on `sample`, with its merged model in `merged/`."""
    home, _ = _sample_store
    out = tmp_path_factory.mktemp("generate") / "adapter"
    config = load_config(
        "tiny",
        mixture="sample",
        base_model=str(tiny_model_dir),
        output_dir=str(out),
        max_steps=10,
        merge=True,
    ).replace(eval_steps=None)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEADOW_HOME", str(home))
        patch.setenv("MEADOW_DISABLE_PROGRESS_BARS", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        train(config)
    return out


def spy_on_generate(runner: Generator) -> list[dict]:
    """Record what `model.generate` receives and returns."""
    calls: list[dict] = []
    original = runner.model.generate

    def recording(**kwargs):
        output = original(**kwargs)
        calls.append({"input_ids": kwargs["input_ids"][0].tolist(), "output": output[0].tolist()})
        return output

    runner.model.generate = recording
    return calls


def test_generate_feeds_exactly_what_training_put_before_the_response(adapter, tiny_tokenizer):
    runner = Generator(adapter)
    calls = spy_on_generate(runner)
    runner(QUESTION, max_new_tokens=4)
    row = {"instruction": DEFAULT_INSTRUCTION, "input": QUESTION, "output": "Joint pain."}
    example = encode_example(row, get_template("medalpaca"), tiny_tokenizer, max_length=256)
    prompt_length = example["labels"].count(IGNORE_INDEX)  # the masked part is the prompt
    fed = calls[0]["input_ids"]
    assert fed == example["input_ids"][:prompt_length]
    bos = tiny_tokenizer.bos_token_id
    assert fed[0] == bos and fed.count(bos) == 1  # one BOS, as in training


def test_an_input_makes_the_question_the_instruction(adapter, tiny_tokenizer):
    runner = Generator(adapter)
    calls = spy_on_generate(runner)
    context = "Gout is a kind of arthritis."
    runner("Summarize the text.", input=context, max_new_tokens=2)
    expected = prompt_ids(get_template("medalpaca"), tiny_tokenizer, "Summarize the text.", context)
    assert calls[0]["input_ids"] == expected


def test_the_answer_is_the_response_only_and_greedy(adapter):
    runner = Generator(adapter)
    calls = spy_on_generate(runner)
    first = runner(QUESTION, max_new_tokens=12)
    second = runner(QUESTION, max_new_tokens=12)
    assert first == second
    fed, output = calls[0]["input_ids"], calls[0]["output"]
    assert output[: len(fed)] == fed
    tail = runner.tokenizer.decode(output[len(fed) :], skip_special_tokens=True).strip()
    assert first == tail


def test_the_merged_model_generates_like_the_adapter(adapter):
    merged = adapter / "merged"
    assert (merged / "config.json").is_file() and not (merged / "adapter_config.json").exists()
    assert (merged / "meadow_template.json").is_file()
    assert generate(merged, QUESTION, max_new_tokens=16) == generate(
        adapter, QUESTION, max_new_tokens=16
    )


def test_a_folder_without_its_template_needs_one_named(adapter, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(adapter, copy, ignore=shutil.ignore_patterns("checkpoint-*", "merged"))
    (copy / "meadow_template.json").unlink()
    with pytest.raises(TemplateError, match="meadow_template.json is missing"):
        Generator(copy)
    assert Generator(copy, template="medalpaca").template == get_template("medalpaca")


def test_a_folder_that_holds_no_model_is_a_clear_error(tmp_path, tiny_tokenizer):
    with pytest.raises(TrainError, match="no model folder at"):
        Generator(tmp_path / "nothing")
    tiny_tokenizer.save_pretrained(tmp_path)
    save_template(get_template("alpaca"), tmp_path)
    with pytest.raises(TrainError, match="holds neither an adapter .* nor a model"):
        Generator(tmp_path)
