"""The response-only loss gives the model's own loss and gradients, from fewer logits."""

from __future__ import annotations

import copy

import pytest
import torch
from datasets import Dataset
from peft import LoraConfig, get_peft_model
from transformers import LlamaForCausalLM

from meadow.train.data import CompletionCollator, pack, tokenize_split
from meadow.train.loss import HIDDEN_STATE_REQUEST, ResponseLoss, has_plain_head
from meadow.train.templates import get_template
from tests.train import tiny_llama_config

ROWS = Dataset.from_dict(
    {
        "instruction": ["Answer this question truthfully"] * 3,
        "input": ["What is gout?", "What causes anaemia?", ""],
        "output": [
            "A form of arthritis from uric acid crystals in a joint.",
            "Too little iron, blood loss, or too little B12 or folate.",
            "Rest, ice and raising the sprained ankle.",
        ],
    }
)


@pytest.fixture(scope="module")
def lora_model(tiny_tokenizer):
    torch.manual_seed(0)
    model = LlamaForCausalLM(tiny_llama_config(tiny_tokenizer))
    lora = LoraConfig(r=4, lora_alpha=8, target_modules="all-linear", task_type="CAUSAL_LM")
    return get_peft_model(model, lora)


def batches(tokenizer):
    encoded = tokenize_split(ROWS, get_template("medalpaca"), tokenizer, 64)
    collate = CompletionCollator(tokenizer)
    padded = collate([{k: v for k, v in row.items() if k != "length"} for row in encoded])
    packed = collate(list(pack(encoded.remove_columns("length"), 128)))
    return {"padded": padded, "packed": packed}


def loss_and_grads(model, batch, loss_func, num_items=None):
    model.zero_grad()
    inputs = {k: v for k, v in batch.items() if k != "labels"}
    if loss_func is None:
        extra = {"num_items_in_batch": num_items} if num_items is not None else {}
        loss = model(**inputs, labels=batch["labels"], **extra).loss
    else:
        loss = loss_func(model(**inputs, **HIDDEN_STATE_REQUEST), batch["labels"], num_items)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in model.named_parameters() if p.grad is not None}
    return loss.detach(), grads


@pytest.mark.parametrize("layout", ["padded", "packed"])
@pytest.mark.parametrize("num_items", [None, 40])
def test_same_loss_and_gradients_as_the_models_own(lora_model, tiny_tokenizer, layout, num_items):
    batch = batches(tiny_tokenizer)[layout]
    response = ResponseLoss(lora_model.get_output_embeddings())
    expected, expected_grads = loss_and_grads(lora_model, batch, None, num_items)
    got, grads = loss_and_grads(lora_model, batch, response, num_items)
    assert torch.allclose(got, expected, atol=1e-6)
    assert grads.keys() == expected_grads.keys() and grads
    for name, grad in grads.items():
        assert torch.allclose(grad, expected_grads[name], atol=1e-6), name


def test_logits_only_where_a_label_is(lora_model, tiny_tokenizer):
    batch = batches(tiny_tokenizer)["padded"]
    seen = []
    head = lora_model.get_output_embeddings()
    hook = head.register_forward_hook(lambda _m, args, _out: seen.append(args[0].shape[:-1]))
    try:
        outputs = lora_model(
            **{k: v for k, v in batch.items() if k != "labels"}, **HIDDEN_STATE_REQUEST
        )
        ResponseLoss(head)(outputs, batch["labels"])
    finally:
        hook.remove()
    labelled = int(batch["labels"][:, 1:].ne(-100).sum())
    rows = batch["input_ids"].shape[0]
    # the model's own call makes one position per row; the loss makes the labelled ones
    assert seen == [torch.Size([rows, 1]), torch.Size([labelled])]
    assert labelled < batch["input_ids"].numel() / 2


def test_a_batch_without_labels_gives_zero_not_nan(lora_model, tiny_tokenizer):
    batch = batches(tiny_tokenizer)["padded"]
    labels = torch.full_like(batch["labels"], -100)
    outputs = lora_model(
        **{k: v for k, v in batch.items() if k != "labels"}, **HIDDEN_STATE_REQUEST
    )
    loss = ResponseLoss(lora_model.get_output_embeddings())(outputs, labels)
    assert loss.item() == 0.0 and loss.requires_grad


def test_only_models_with_a_plain_head_qualify(lora_model, tiny_tokenizer):
    assert has_plain_head(lora_model) and has_plain_head(lora_model.get_base_model())
    capped = copy.deepcopy(tiny_llama_config(tiny_tokenizer))
    capped.final_logit_softcapping = 30.0
    assert not has_plain_head(LlamaForCausalLM(capped))
    other = tiny_llama_config(tiny_tokenizer)
    other.model_type = "mixtral"  # a router loss the response loss would drop
    assert not has_plain_head(LlamaForCausalLM(other))


def test_the_trainer_uses_it_unless_the_config_says_not_to(lora_model):
    from meadow.train.config import TrainConfig
    from meadow.train.trainer import _response_loss

    assert isinstance(_response_loss(lora_model, TrainConfig()), ResponseLoss)
    assert _response_loss(lora_model, TrainConfig(response_logits_only=False)) is None
    assert _response_loss(lora_model, TrainConfig(modules_to_save=["lm_head"])) is None


def test_fp32_hidden_states_over_a_bf16_head_are_cast_as_autocast_would(tiny_tokenizer):
    torch.manual_seed(0)
    head = torch.nn.Linear(64, len(tiny_tokenizer), bias=False).to(torch.bfloat16)
    hidden = torch.randn(2, 5, 64)  # what the final norm gives back on a GPU under bf16
    labels = torch.tensor([[-100, -100, 7, 8, 9], [-100, 4, 5, -100, -100]])

    class Outputs:
        hidden_states = (hidden,)

    loss = ResponseLoss(head)(Outputs(), labels)
    targets = torch.tensor([7, 8, 9, 4, 5])
    expected = torch.nn.functional.cross_entropy(
        head(hidden[:, :-1][labels[:, 1:].ne(-100)].to(torch.bfloat16)).float(), targets
    )
    assert loss.dtype == torch.float32 and torch.allclose(loss, expected)
