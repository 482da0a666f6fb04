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

BOS, EOS, PAD = "<s>", "</s>", "<pad>"
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}<|{{ message['role'] }}|>\n"
    "{{ message['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

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
    """A byte-level BPE tokenizer trained on `lines`, wrapped for transformers."""
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
    core.train_from_iterator(lines or medical_lines(), trainer)
    bos_id = core.token_to_id(BOS)
    core.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", pair=f"{BOS} $A {BOS} $B", special_tokens=[(BOS, bos_id)]
    )
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token=BOS, eos_token=EOS, pad_token=PAD
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


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
