"""The prompt registry: exact texts, the tokenizer's chat template, errors, saving."""

from __future__ import annotations

import copy
import json

import pytest

from meadow.errors import MeadowError, TemplateError
from meadow.train.templates import (
    TEMPLATE_FILE,
    TEMPLATE_NAMES,
    PromptTemplate,
    check_template,
    get_template,
    load_template,
    save_template,
)

PRIMER = (
    "Below is an instruction that describes a task, paired with an input that provides "
    "further context. Write a response that appropriately completes the request."
)


def test_medalpaca_prompt_is_medalpacas_text():
    prompt = get_template("medalpaca").prompt("Answer this question truthfully", "What is gout?")
    assert prompt == (
        PRIMER + "\n\n### Instruction:\nAnswer this question truthfully"
        "\n\n### Input:\nWhat is gout?"
        "\n\n### Response:\n"
    )


@pytest.mark.parametrize("blank", ["", "  \n"])
def test_medalpaca_leaves_out_a_blank_input(blank):
    prompt = get_template("medalpaca").prompt("Name a symptom of asthma.", blank)
    assert prompt == PRIMER + "\n\n### Instruction:\nName a symptom of asthma.\n\n### Response:\n"
    assert "### Input:" not in prompt


def test_alpaca_prompt_with_and_without_input():
    alpaca = get_template("alpaca")
    assert alpaca.prompt("Summarise.", "Gout is arthritis.") == (
        PRIMER + "\n\n### Instruction:\nSummarise.\n\n### Input:\nGout is arthritis."
        "\n\n### Response:\n"
    )
    assert alpaca.prompt("Name a symptom of asthma.", "") == (
        "Below is an instruction that describes a task. Write a response that appropriately "
        "completes the request.\n\n### Instruction:\nName a symptom of asthma.\n\n### Response:\n"
    )


def test_chat_prompt_is_the_tokenizers_template_without_its_bos_text(tiny_tokenizer):
    prompt = get_template("chat").prompt("Answer truthfully", "What is gout?", tiny_tokenizer)
    assert prompt == "<|user|>\nAnswer truthfully\n\nWhat is gout?\n<|assistant|>\n"
    rendered = tiny_tokenizer.apply_chat_template(
        [{"role": "user", "content": "Answer truthfully\n\nWhat is gout?"}],
        tokenize=False,
        add_generation_prompt=True,
    )
    assert rendered == tiny_tokenizer.bos_token + prompt


def test_chat_prompt_follows_another_tokenizers_template(tiny_tokenizer):
    other = copy.deepcopy(tiny_tokenizer)
    other.chat_template = (
        "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }} {% endfor %}"
        "{% if add_generation_prompt %}[assistant] {% endif %}"
    )
    assert get_template("chat").prompt("Define gout.", " ", other) == (
        "[user] Define gout. [assistant] "
    )


@pytest.mark.parametrize("name", ["medalpaca", "alpaca"])
def test_text_templates_hold_no_special_token_text(name, tiny_tokenizer):
    prompt = get_template(name).prompt("Answer truthfully", "What is gout?")
    assert tiny_tokenizer.bos_token not in prompt and tiny_tokenizer.eos_token not in prompt


def test_unknown_template_lists_the_names():
    assert TEMPLATE_NAMES == ("medalpaca", "alpaca", "chat")
    with pytest.raises(
        TemplateError, match=r"unknown template 'vicuna'; available: medalpaca, alpaca, chat"
    ):
        get_template("vicuna")


def test_chat_needs_a_chat_template(tiny_tokenizer):
    plain = copy.deepcopy(tiny_tokenizer)
    plain.chat_template = None
    check_template(get_template("medalpaca"), plain)
    with pytest.raises(TemplateError, match="has no chat template; use --template medalpaca"):
        check_template(get_template("chat"), plain)
    with pytest.raises(TemplateError, match="pass the tokenizer"):
        get_template("chat").prompt("Define gout.", "")


def test_a_chat_template_that_cannot_render_a_user_turn(tiny_tokenizer):
    strict = copy.deepcopy(tiny_tokenizer)
    strict.chat_template = "{{ raise_exception('a system message is required') }}"
    with pytest.raises(TemplateError, match="cannot render one user turn.*system message"):
        check_template(get_template("chat"), strict)


def test_every_template_needs_an_eos_token(tiny_tokenizer):
    no_eos = copy.deepcopy(tiny_tokenizer)
    no_eos.eos_token = None
    with pytest.raises(TemplateError, match="has no EOS token"):
        check_template(get_template("medalpaca"), no_eos)


def test_template_errors_are_meadow_errors_of_one_line():
    with pytest.raises(MeadowError) as caught:
        get_template("")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_save_and_load_round_trip(name, tmp_path):
    template = get_template(name)
    path = save_template(template, tmp_path / "adapter")
    assert (
        path
        == tmp_path / "adapter" / TEMPLATE_FILE
        == tmp_path / "adapter" / "meadow_template.json"
    )
    assert json.loads(path.read_text())["name"] == name
    assert load_template(tmp_path / "adapter") == template


def test_a_saved_template_keeps_its_own_texts(tmp_path):
    changed = PromptTemplate(name="medalpaca", primer="Old primer.", response_header="\nA: ")
    save_template(changed, tmp_path)
    loaded = load_template(tmp_path)
    assert loaded == changed
    assert loaded.prompt("Q?", "") == "Old primer.Q?\nA: "


def test_loading_from_a_folder_without_a_template(tmp_path):
    with pytest.raises(TemplateError, match="meadow_template.json is missing"):
        load_template(tmp_path)
    (tmp_path / TEMPLATE_FILE).write_text('{"name": "vicuna"}')
    with pytest.raises(TemplateError, match="unknown template 'vicuna'"):
        load_template(tmp_path)
    (tmp_path / TEMPLATE_FILE).write_text("not json")
    with pytest.raises(TemplateError, match="not a meadow template"):
        load_template(tmp_path)
