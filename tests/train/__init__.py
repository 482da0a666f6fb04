"""Tiny models and tokenizers for the training tests and the trainer benchmark; no download.

    tokenizer = train_tokenizer()                       # BPE + ByteLevel, ~0.1 s
    model = LlamaForCausalLM(tiny_llama_config(tokenizer))    # 2 layers, ~0.2M parameters

The tokenizer behaves like a Llama one where it matters here: `tokenizer(text)` adds BOS
itself (so code that adds BOS again would show a double one), EOS and a pad token are
defined, and its chat template starts with the BOS text, as Llama 2, Mistral and Gemma's
do.
"""

from __future__ import annotations

import itertools
from typing import Any

from meadow.train.templates import ALPACA_PRIMER_NO_INPUT, MEDALPACA_PRIMER
from meadow.train.tiny import BOS, CHAT_TEMPLATE, EOS, PAD  # noqa: F401  (tests import them)
from meadow.train.tiny import train_tokenizer as _train_tokenizer

_CONDITIONS = [
    "asthma", "hypertension", "gout", "migraine", "iron deficiency anemia", "type 2 diabetes",
    "pneumonia", "atrial fibrillation", "hypothyroidism", "chronic kidney disease",
    "heart failure", "osteoporosis", "influenza", "appendicitis", "psoriasis", "epilepsy",
]  # fmt: skip
_SENTENCES = [
    "What are the symptoms of {c}?",
    "What causes {c}?",
    "How is {c} diagnosed?",
    "How is {c} treated?",
    "Who is at risk for {c}?",
    "Patients with {c} should see a doctor when symptoms get worse.",
    "The treatment of {c} depends on the cause and on how severe it is.",
    "Common signs of {c} include fatigue, pain and shortness of breath.",
    "A blood test and a physical examination help to diagnose {c}.",
    "Lifestyle changes, medication and regular follow-up are used to manage {c}.",
    "Answer this question truthfully: is {c} a chronic condition?",
    "The heart rate, blood pressure and temperature of a patient with {c} are measured.",
]


def medical_lines() -> list[str]:
    """A few hundred lines of medical-ish text (and the prompt templates' own words)."""
    lines = [s.format(c=c) for s, c in itertools.product(_SENTENCES, _CONDITIONS)]
    headers = "### Instruction:\n### Input:\n### Response:\n<|user|>\n<|assistant|>\n"
    return lines + [MEDALPACA_PRIMER, ALPACA_PRIMER_NO_INPUT, headers] * 5


def train_tokenizer(lines: list[str] | None = None, vocab_size: int = 1000) -> Any:
    """A byte-level BPE tokenizer trained on `lines` (default `medical_lines()`), as
    `meadow init-model --tiny` makes it."""
    return _train_tokenizer(lines or medical_lines(), vocab_size=vocab_size)


def tiny_llama_config(tokenizer: Any, **sizes: int) -> Any:
    """A LlamaConfig for `tokenizer`: 2 layers of width 64 unless `sizes` say otherwise."""
    from transformers import LlamaConfig

    settings = {
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "max_position_embeddings": 2048,
    }
    settings.update(sizes)
    return LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        **settings,
    )
