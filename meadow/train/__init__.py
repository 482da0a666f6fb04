"""Training LoRA adapters on published mixtures.

`templates` is the one prompt registry that training, `meadow generate` and `meadow eval`
share; `data` turns rows into masked, EOS-terminated, packed or length-grouped batches.
Nothing here imports torch, transformers or peft at import time: the rest of meadow works
without them.
"""

from __future__ import annotations

from meadow.errors import TemplateError
from meadow.train.data import (
    IGNORE_INDEX,
    CompletionCollator,
    encode_example,
    pack,
    prompt_ids,
    response_token_count,
    tokenize_split,
)
from meadow.train.templates import (
    DEFAULT_TEMPLATE,
    TEMPLATE_NAMES,
    PromptTemplate,
    check_template,
    get_template,
    load_template,
    save_template,
)

__all__ = [
    "DEFAULT_TEMPLATE",
    "IGNORE_INDEX",
    "TEMPLATE_NAMES",
    "CompletionCollator",
    "PromptTemplate",
    "TemplateError",
    "check_template",
    "encode_example",
    "get_template",
    "load_template",
    "pack",
    "prompt_ids",
    "response_token_count",
    "save_template",
    "tokenize_split",
]
