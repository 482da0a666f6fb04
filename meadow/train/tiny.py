"""`meadow init-model --tiny`: a small random Llama and a tokenizer trained on a mixture.

It exists so the whole path (build → train → generate → eval) runs on a CPU, offline, in
minutes, with nothing downloaded. Its weights are random: it is a SMOKE-TEST model, said so
in its config (`meadow_smoke_test`), its README and by the command. What it checks is that
the plumbing works; what it answers means nothing.

The tokenizer is byte-level BPE (nothing is unknown) trained on the mixture's rows and the
prompt templates' own words, with BOS `<s>` added by the tokenizer, EOS `</s>` (which ends
every response), a pad token and a chat template, so every meadow template can use it. The
same mixture, sizes and seed give the same files.

    from meadow.train.tiny import init_tiny_model
    init_tiny_model("./tiny-llama", mixture="sample")
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from meadow.errors import TrainError
from meadow.train.templates import ALPACA_PRIMER_NO_INPUT, MEDALPACA_PRIMER

BOS, EOS, PAD = "<s>", "</s>", "<pad>"
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>\n"
    "{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)
SMOKE_TEST_NOTE = (
    "smoke-test model: random weights, for checking that meadow's pipeline runs "
    "(build, train, generate, eval) on a CPU offline; its answers mean nothing"
)
TEMPLATE_WORDS = [
    MEDALPACA_PRIMER,
    ALPACA_PRIMER_NO_INPUT,
    "### Instruction:\n### Input:\n### Response:\n<|user|>\n<|assistant|>\n",
]


@dataclass(frozen=True)
class TinyModel:
    """What `init_tiny_model` wrote.

    Attributes:
        path: the model folder (absolute), ready for `--base-model`.
        mixture: the mixture whose rows trained the tokenizer.
        parameters: the model's parameter count.
        vocab_size: the tokenizer's size.
    """

    path: Path
    mixture: str
    parameters: int
    vocab_size: int


def train_tokenizer(lines: Iterable[str], vocab_size: int = 1000) -> Any:
    """A byte-level BPE tokenizer trained on `lines`, wrapped for transformers: BOS added
    by the tokenizer (as Llama's is), EOS and pad defined, a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, BOS, EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(lines, trainer)
    bos_id = core.token_to_id(BOS)
    core.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token=BOS, eos_token=EOS, pad_token=PAD
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def mixture_lines(mixture: str) -> list[str]:
    """The text of a built mixture's training rows (instruction, input, output), in order,
    and the templates' words; a one-line error naming the build command when it is not
    built."""
    from meadow.errors import MixtureNotFoundError, StoreError
    from meadow.store import load_local_mixture

    try:
        splits = load_local_mixture(mixture)
    except (MixtureNotFoundError, StoreError) as error:
        raise TrainError(
            f"--mixture {mixture}: {error}; build it first (meadow build --mixture {mixture})"
        ) from None
    rows = splits["train"] if "train" in splits else next(iter(splits.values()))
    lines = [
        text
        for row in rows.select_columns(["instruction", "input", "output"])
        for text in (row["instruction"], row["input"], row["output"])
        if text
    ]
    if not lines:
        raise TrainError(f"--mixture {mixture}: no training rows to train a tokenizer on")
    return lines + TEMPLATE_WORDS * 5


def init_tiny_model(
    path: str | Path,
    *,
    mixture: str = "sample",
    vocab_size: int = 1000,
    hidden_size: int = 64,
    layers: int = 2,
    seed: int = 0,
    overwrite: bool = False,
) -> TinyModel:
    """Write a randomly initialised Llama-shaped model and its tokenizer to `path`.

    A smoke-test model (see the module docstring). An existing non-empty folder is left
    alone unless `overwrite`.
    """
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    from meadow.train.model import quiet_libraries

    quiet_libraries()
    folder = Path(path).expanduser().absolute()
    if folder.exists() and not folder.is_dir():
        raise TrainError(f"{folder} is a file: pass a folder for the tiny model")
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise TrainError(f"{folder} is not empty: pass another folder, or --overwrite")
    if vocab_size < 300:
        raise TrainError(f"--vocab-size {vocab_size}: at least 300 (256 bytes and 3 specials)")
    tokenizer = train_tokenizer(mixture_lines(mixture), vocab_size=vocab_size)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=layers,
        num_attention_heads=4,
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        meadow_smoke_test=SMOKE_TEST_NOTE,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    parameters = sum(p.numel() for p in model.parameters())
    (folder / "README.md").write_text(_readme(folder, mixture, parameters, len(tokenizer), seed))
    (folder / "meadow_tiny.json").write_text(
        json.dumps(
            {"note": SMOKE_TEST_NOTE, "mixture": mixture, "seed": seed, "parameters": parameters},
            indent=2,
            sort_keys=True,
        )
        + "\n"
    )
    return TinyModel(folder, mixture, parameters, len(tokenizer))


def _readme(folder: Path, mixture: str, parameters: int, vocab: int, seed: int) -> str:
    return (
        f"# {folder.name}: a smoke-test model\n\n"
        f"**Random weights.** Written by `meadow init-model --tiny` ({SMOKE_TEST_NOTE}).\n\n"
        f"- Llama-shaped, {parameters:,} parameters, seed {seed}\n"
        f"- byte-level BPE tokenizer of {vocab:,} tokens trained on the `{mixture}` mixture\n\n"
        "Use it to try meadow offline, never as a model:\n\n"
        f"    meadow train --mixture {mixture} --base-model {folder} --config tiny\n"
    )


__all__ = [
    "BOS",
    "CHAT_TEMPLATE",
    "EOS",
    "PAD",
    "SMOKE_TEST_NOTE",
    "TinyModel",
    "init_tiny_model",
    "mixture_lines",
    "train_tokenizer",
]
