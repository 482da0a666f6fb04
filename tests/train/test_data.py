"""Tokenising, masking, truncation, packing and collation, with a tokenizer trained here."""

from __future__ import annotations

import logging

import pytest
import torch
from datasets import Dataset

from meadow import load_mixture
from meadow.errors import MeadowError
from meadow.train.data import (
    IGNORE_INDEX,
    CompletionCollator,
    encode_example,
    pack,
    prompt_ids,
    response_token_count,
    tokenize_split,
)
from meadow.train.templates import TEMPLATE_NAMES, get_template
from tests.train import tiny_llama_config

MEDALPACA = get_template("medalpaca")
ROW = {
    "instruction": "Answer this question truthfully",
    "input": "What are the symptoms of gout?",
    "output": "Sudden pain, swelling and redness of a joint, often the big toe.",
}
LONG_ANSWER = " ".join(["The treatment of gout depends on the cause."] * 30)


def ids_of(tokenizer, text: str) -> list[int]:
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def rows(*outputs: str, input: str = "What is gout?") -> Dataset:
    return Dataset.from_dict(
        {
            "instruction": ["Answer this question truthfully"] * len(outputs),
            "input": [input] * len(outputs),
            "output": list(outputs),
        }
    )


# -- one example ---------------------------------------------------------------------------


def test_labels_mask_exactly_the_prompt(tiny_tokenizer):
    example = encode_example(ROW, MEDALPACA, tiny_tokenizer, max_length=512)
    prompt = prompt_ids(MEDALPACA, tiny_tokenizer, ROW["instruction"], ROW["input"])
    response = ids_of(tiny_tokenizer, ROW["output"])
    eos = tiny_tokenizer.eos_token_id
    assert example["input_ids"] == prompt + response + [eos]
    assert example["labels"] == [IGNORE_INDEX] * len(prompt) + response + [eos]
    assert example["labels"].count(IGNORE_INDEX) == len(prompt)
    assert example["attention_mask"] == [1] * len(example["input_ids"])


@pytest.mark.parametrize("name", TEMPLATE_NAMES)
def test_bos_once_and_the_same_as_generation_gets(name, tiny_tokenizer):
    bos = tiny_tokenizer.bos_token_id
    assert tiny_tokenizer("What is gout?")["input_ids"][0] == bos  # it adds BOS by itself
    template = get_template(name)
    example = encode_example(ROW, template, tiny_tokenizer, max_length=512)
    prompt = prompt_ids(template, tiny_tokenizer, ROW["instruction"], ROW["input"])
    assert prompt[0] == bos and prompt.count(bos) == 1
    assert example["input_ids"][: len(prompt)] == prompt
    assert example["input_ids"].count(bos) == 1
    text = template.prompt(ROW["instruction"], ROW["input"], tiny_tokenizer)
    assert prompt == [bos, *ids_of(tiny_tokenizer, text)]


def test_eos_is_kept_on_a_truncated_example(tiny_tokenizer):
    row = {**ROW, "output": LONG_ANSWER}
    full = encode_example(row, MEDALPACA, tiny_tokenizer, max_length=4096)
    cut = encode_example(row, MEDALPACA, tiny_tokenizer, max_length=80)
    eos = tiny_tokenizer.eos_token_id
    assert len(full["input_ids"]) > 80
    assert len(cut["input_ids"]) == len(cut["labels"]) == 80
    assert cut["input_ids"][-1] == cut["labels"][-1] == eos
    assert cut["input_ids"][:79] == full["input_ids"][:79]  # prompt whole, response cut
    assert cut["labels"].count(IGNORE_INDEX) == full["labels"].count(IGNORE_INDEX)


def test_a_prompt_too_long_is_cut_from_the_left_after_bos(tiny_tokenizer):
    row = {**ROW, "input": LONG_ANSWER}
    prompt = prompt_ids(MEDALPACA, tiny_tokenizer, row["instruction"], row["input"])
    cut = encode_example(row, MEDALPACA, tiny_tokenizer, max_length=40)
    bos, eos = tiny_tokenizer.bos_token_id, tiny_tokenizer.eos_token_id
    assert cut["input_ids"] == [bos, *prompt[-38:], eos]
    assert cut["labels"] == [IGNORE_INDEX] * 39 + [eos]


def test_train_on_inputs_labels_everything(tiny_tokenizer):
    example = encode_example(ROW, MEDALPACA, tiny_tokenizer, 512, train_on_inputs=True)
    assert example["labels"] == example["input_ids"]


def test_max_length_must_leave_room_for_bos_and_eos(tiny_tokenizer):
    with pytest.raises(MeadowError, match="max_length 2 is too small"):
        encode_example(ROW, MEDALPACA, tiny_tokenizer, max_length=2)


# -- a split -------------------------------------------------------------------------------


def test_tokenize_split_encodes_every_row_like_encode_example(tiny_tokenizer, tiny_mixture):
    train = load_mixture(tiny_mixture.name)["train"]
    encoded = tokenize_split(train, MEDALPACA, tiny_tokenizer, max_length=1024)
    assert encoded.column_names == ["input_ids", "attention_mask", "labels", "length"]
    assert len(encoded) == len(train) == tiny_mixture.splits["train"]
    for row, example in zip(train, encoded, strict=True):
        assert {k: example[k] for k in ("input_ids", "attention_mask", "labels")} == (
            encode_example(row, MEDALPACA, tiny_tokenizer, max_length=1024)
        )
        assert example["length"] == len(example["input_ids"])


def test_tokenize_split_drops_rows_with_no_room_for_a_response(tiny_tokenizer, caplog):
    short, long = rows("Gout.", input="What is gout?"), rows("Gout.", input=LONG_ANSWER)
    mixed = Dataset.from_dict({k: [*short[k], *long[k]] for k in short.column_names})
    with caplog.at_level(logging.WARNING, logger="meadow.train"):
        encoded = tokenize_split(mixed, MEDALPACA, tiny_tokenizer, max_length=64)
    assert len(encoded) == 1 and encoded[0]["input_ids"][-1] == tiny_tokenizer.eos_token_id
    assert "1 of 2 rows dropped" in caplog.text and "max_length=64" in caplog.text


def test_tokenize_split_checks_the_template_first(tiny_tokenizer):
    import copy

    plain = copy.deepcopy(tiny_tokenizer)
    plain.chat_template = None
    with pytest.raises(MeadowError, match="has no chat template"):
        tokenize_split(rows("Gout."), get_template("chat"), plain, max_length=64)


# -- packing ---------------------------------------------------------------------------------


def segments(positions: list[int]) -> list[tuple[int, int]]:
    """(start, end) of each example in a packed row, from its restarting positions."""
    starts = [i for i, p in enumerate(positions) if p == 0] + [len(positions)]
    return list(zip(starts, starts[1:], strict=False))


def test_pack_keeps_examples_whole_with_their_labels(tiny_tokenizer):
    answers = [" ".join(["Gout is arthritis."] * n) for n in (1, 7, 2, 12, 3, 5, 1, 9)]
    encoded = tokenize_split(rows(*answers), MEDALPACA, tiny_tokenizer, max_length=128)
    packed = pack(encoded, max_length=128)
    assert set(packed.column_names) == {"input_ids", "labels", "position_ids", "length"}
    assert len(packed) < len(encoded)
    found = []
    for block in packed:
        assert block["length"] == len(block["input_ids"]) == len(block["labels"]) <= 128
        for start, end in segments(block["position_ids"]):
            found.append((block["input_ids"][start:end], block["labels"][start:end]))
    expected = [(e["input_ids"], [IGNORE_INDEX, *e["labels"][1:]]) for e in encoded]
    assert sorted(found) == sorted(expected)


def test_pack_refuses_an_example_longer_than_a_block(tiny_tokenizer):
    encoded = tokenize_split(rows(LONG_ANSWER), MEDALPACA, tiny_tokenizer, max_length=200)
    with pytest.raises(MeadowError, match="does not fit a block of 50"):
        pack(encoded, max_length=50)


@pytest.mark.parametrize("attention", ["eager", "sdpa"])
def test_packed_examples_attend_only_to_themselves(attention, tiny_tokenizer):
    from transformers import LlamaForCausalLM

    torch.manual_seed(0)
    config = tiny_llama_config(tiny_tokenizer)
    config._attn_implementation = attention
    model = LlamaForCausalLM(config).eval()
    answers = ["Gout.", "Sudden pain and swelling of a joint.", "A blood test helps."]
    encoded = tokenize_split(rows(*answers), MEDALPACA, tiny_tokenizer, max_length=256)
    collate = CompletionCollator(tiny_tokenizer)
    padded = collate(list(encoded))
    packed = collate(list(pack(encoded, max_length=256)))
    assert "attention_mask" not in packed and packed["input_ids"].shape[0] == 1
    with torch.no_grad():
        alone = model(**padded, use_cache=False)
        together = model(**packed, use_cache=False)  # a KV cache turns packing detection off
    for row, (start, end) in enumerate(segments(packed["position_ids"][0].tolist())):
        ids = packed["input_ids"][0, start:end]
        match = next(
            r for r in range(len(encoded)) if padded["input_ids"][r, : end - start].equal(ids)
        )
        assert torch.allclose(
            together.logits[0, start:end], alone.logits[match, : end - start], atol=1e-5
        ), row
    assert torch.allclose(together.loss, alone.loss, atol=1e-5)


# -- collation -------------------------------------------------------------------------------


def test_collator_pads_to_the_longest_in_the_batch(tiny_tokenizer):
    features = [
        {"input_ids": [1, 5, 6], "attention_mask": [1, 1, 1], "labels": [-100, 6, 2], "length": 3},
        {"input_ids": [1, 5, 6, 7, 2], "attention_mask": [1] * 5, "labels": [-100, -100, 6, 7, 2]},
    ]
    pad = tiny_tokenizer.pad_token_id
    batch = CompletionCollator(tiny_tokenizer)(features)
    assert set(batch) == {"input_ids", "attention_mask", "labels"}
    assert batch["input_ids"].tolist() == [[1, 5, 6, pad, pad], [1, 5, 6, 7, 2]]
    assert batch["labels"].tolist() == [[-100, 6, 2, -100, -100], [-100, -100, 6, 7, 2]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]
    assert all(t.dtype == torch.long for t in batch.values())
    wide = CompletionCollator(tiny_tokenizer, pad_to_multiple_of=8)(features)
    assert wide["input_ids"].shape == (2, 8) and wide["attention_mask"][1, 5:].sum() == 0


def test_collator_pads_packed_rows_as_a_segment_of_their_own(tiny_tokenizer):
    features = [
        {
            "input_ids": [1, 5, 2, 1, 6, 2],
            "labels": [-100, 5, 2, -100, 6, 2],
            "position_ids": [0, 1, 2, 0, 1, 2],
        },
        {"input_ids": [1, 7, 2], "labels": [-100, 7, 2], "position_ids": [0, 1, 2]},
    ]
    batch = CompletionCollator(tiny_tokenizer)(features)
    assert set(batch) == {"input_ids", "labels", "position_ids"}
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1, 2], [0, 1, 2, 0, 1, 2]]
    assert batch["labels"][1].tolist() == [-100, 7, 2, -100, -100, -100]


def test_padding_free_joins_the_batch_into_one_row(tiny_tokenizer):
    features = [
        {"input_ids": [1, 5, 2], "attention_mask": [1, 1, 1], "labels": [1, 5, 2]},
        {"input_ids": [1, 6, 7, 2], "attention_mask": [1] * 4, "labels": [1, 6, 7, 2]},
    ]
    batch = CompletionCollator(tiny_tokenizer, padding_free=True)(features)
    assert batch["input_ids"].tolist() == [[1, 5, 2, 1, 6, 7, 2]]
    assert batch["position_ids"].tolist() == [[0, 1, 2, 0, 1, 2, 3]]
    assert batch["labels"].tolist() == [[-100, 5, 2, -100, 6, 7, 2]]
    assert "attention_mask" not in batch


def test_response_token_count_counts_labelled_tokens():
    labels = [[-100, -100, 5, 2], [-100, 7, 8, 2]]
    assert response_token_count(labels) == 5
    assert response_token_count(torch.tensor(labels)) == 5


def test_the_tiny_model_folder_loads_offline_and_takes_a_batch(tiny_model_dir, tiny_tokenizer):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    assert tokenizer.chat_template and tokenizer.bos_token_id == tiny_tokenizer.bos_token_id
    assert model.config.eos_token_id == tokenizer.eos_token_id
    batch = CompletionCollator(tokenizer)([encode_example(ROW, MEDALPACA, tokenizer, 128)])
    assert torch.isfinite(model(**batch).loss)
