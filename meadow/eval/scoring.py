"""Scoring items: option log-likelihood (one forward pass per question) and greedy answers.

Log-likelihood. Each option's continuation is the response training would have written
for it, EOS included (`"C: text</s>"`, or `"yes</s>"` for PubMedQA), tokenised by
`meadow.train.data.encode_example`, the function training used, after the prompt it used
(BOS, template, instruction, question and options). A question is one row:

    [BOS prompt][continuation A][continuation B][continuation C][continuation D]

with a 4-D attention mask in which each continuation sees the prompt and itself only, and
position ids that restart after the prompt for each continuation: every option is scored
exactly as if it followed the prompt alone, yet the prompt runs once and all options share
one forward pass (the plain way, `reference_scores`, runs prompt + option once per option).
Logits are made only at the positions that predict a continuation token. Several questions
go in one batch as right-padded rows; padding is masked out and never shifts a position.

For each option the summed log-probability of its tokens (`sum`) and the mean per token
(`mean`, length-normalised) are reported, rounded to 6 decimals. The prediction is the
option with the highest `mean`; `prediction_sum` the one with the highest `sum`. Ties
(equal rounded scores) go to the earliest letter, so a prediction follows from the written
scores alone.

Generation. Greedy decoding from the same prompt (plus an optional priming text as the
start of the response), `max_new_tokens` at most, several questions per batch as
left-padded rows (what `generate` needs); the letter is read by `meadow.eval.extract`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import torch

from meadow.eval.benchmarks import EvalBenchmark
from meadow.eval.extract import extract_letter
from meadow.eval.results import DECIMALS
from meadow.schema import EvalItem
from meadow.train.data import IGNORE_INDEX, encode_example, prompt_ids
from meadow.train.templates import PromptTemplate

_NO_LIMIT = sys.maxsize  # encode_example's max_length: no truncation, the length is checked


@dataclass(frozen=True)
class EncodedItem:
    """One question as token ids: its prompt and each option's continuation."""

    item: EvalItem
    prompt: list[int]
    continuations: dict[str, list[int]]

    @property
    def packed_length(self) -> int:
        return len(self.prompt) + sum(len(c) for c in self.continuations.values())

    @property
    def longest(self) -> int:
        """The longest sequence any one option makes (what positions must reach)."""
        return len(self.prompt) + max(len(c) for c in self.continuations.values())


def encode_item(
    benchmark: EvalBenchmark,
    item: EvalItem,
    instruction: str,
    template: PromptTemplate,
    tokenizer: Any,
) -> EncodedItem:
    """The item's prompt and continuations, as training would tokenise its row."""
    question_instruction, question = benchmark.prompt(item, instruction)
    prompt: list[int] | None = None
    continuations: dict[str, list[int]] = {}
    for letter in item.options:
        row = {
            "instruction": question_instruction,
            "input": question,
            "output": benchmark.answer(item, letter),
        }
        example = encode_example(row, template, tokenizer, _NO_LIMIT)
        cut = example["labels"].count(IGNORE_INDEX)
        if prompt is None:
            prompt = example["input_ids"][:cut]
        continuations[letter] = example["input_ids"][cut:]
    assert prompt is not None
    return EncodedItem(item, prompt, continuations)


def generation_prompt(
    benchmark: EvalBenchmark,
    item: EvalItem,
    instruction: str,
    template: PromptTemplate,
    tokenizer: Any,
    prime: str = "",
) -> list[int]:
    """The ids a generation starts from: the training prompt, then the priming text."""
    question_instruction, question = benchmark.prompt(item, instruction)
    ids = prompt_ids(template, tokenizer, question_instruction, question)
    if prime:
        ids = ids + tokenizer(prime, add_special_tokens=False)["input_ids"]
    return ids


# -- log-likelihood ---------------------------------------------------------------------------


def option_scores(
    model: Any, batch: list[EncodedItem], device: torch.device, pad_id: int
) -> list[dict[str, dict[str, Any]]]:
    """Per item, per letter: `{"sum", "mean", "tokens"}` from one forward pass."""
    width = max(e.packed_length for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    positions = torch.zeros((len(batch), width), dtype=torch.long)
    blocks = torch.full((len(batch), width), -1, dtype=torch.long)  # -1 pad, 0 prompt, i option
    predictors = torch.zeros((len(batch), width), dtype=torch.bool)
    targets: list[list[tuple[str, int, int]]] = []  # per row: (letter, predictor, token)
    for row, encoded in enumerate(batch):
        size = len(encoded.prompt)
        ids[row, :size] = torch.tensor(encoded.prompt)
        positions[row, :size] = torch.arange(size)
        blocks[row, :size] = 0
        start, wanted = size, []
        for block, (letter, tokens) in enumerate(encoded.continuations.items(), start=1):
            end = start + len(tokens)
            ids[row, start:end] = torch.tensor(tokens)
            positions[row, start:end] = torch.arange(size, size + len(tokens))
            blocks[row, start:end] = block
            sources = [size - 1, *range(start, end - 1)]  # who predicts each token
            wanted += [
                (letter, source, token) for source, token in zip(sources, tokens, strict=True)
            ]
            start = end
        for _, source, _ in wanted:
            predictors[row, source] = True
        targets.append(wanted)
    mask = _option_mask(blocks, model.dtype)
    keep = _keeps_positions(model)
    with torch.inference_mode():
        logits = model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            use_cache=False,
            **({"logits_to_keep": predictors.to(device)} if keep else {}),
        ).logits
        if not keep:
            logits = logits[predictors.to(device)]
    log_probs = torch.log_softmax(logits.float(), dim=-1).cpu()
    # logits come in row-major order of the predictor positions
    flat = torch.cumsum(predictors.flatten(), 0).reshape(predictors.shape) - 1
    results = []
    for row, (encoded, wanted) in enumerate(zip(batch, targets, strict=True)):
        index = torch.tensor([int(flat[row, source]) for _, source, _ in wanted])
        tokens = torch.tensor([token for _, _, token in wanted])
        picked = log_probs[index, tokens].tolist()
        sums: dict[str, float] = dict.fromkeys(encoded.continuations, 0.0)
        for (letter, _, _), value in zip(wanted, picked, strict=True):
            sums[letter] += value
        results.append(_scores(sums, encoded))
    return results


def _keeps_positions(model: Any) -> bool:
    """Whether the model takes a boolean `logits_to_keep` (transformers 5's models, through
    `slice_logits_to_keep`); others make every position's logits, and the needed are picked."""
    return hasattr(sys.modules.get(type(model).__module__), "slice_logits_to_keep")


def _option_mask(blocks: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The additive (batch, 1, L, L) mask: causal, each option sees the prompt and itself."""
    width = blocks.shape[1]
    causal = torch.ones((width, width), dtype=torch.bool).tril()
    query, key = blocks[:, :, None], blocks[:, None, :]
    allowed = causal & ((key == 0) | (key == query)) & (query >= 0) & (key >= 0)
    allowed |= torch.eye(width, dtype=torch.bool)  # padding sees itself: no empty softmax row
    mask = torch.zeros(allowed.shape, dtype=dtype)
    mask.masked_fill_(~allowed, torch.finfo(dtype).min)
    return mask[:, None]


def reference_scores(
    model: Any, encoded: EncodedItem, device: torch.device
) -> dict[str, dict[str, Any]]:
    """The plain way: one forward pass of prompt + option per option (what a naive loop
    does); the packed scorer is tested and benchmarked against it."""
    sums: dict[str, float] = {}
    for letter, tokens in encoded.continuations.items():
        ids = torch.tensor([encoded.prompt + tokens], device=device)
        with torch.inference_mode():
            logits = model(input_ids=ids, use_cache=False).logits[0]
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        start = len(encoded.prompt)
        rows = torch.arange(start - 1, start - 1 + len(tokens), device=device)
        sums[letter] = float(log_probs[rows, torch.tensor(tokens, device=device)].sum())
    return _scores(sums, encoded)


def _scores(sums: dict[str, float], encoded: EncodedItem) -> dict[str, dict[str, Any]]:
    return {
        letter: {
            "sum": round(total, DECIMALS),
            "mean": round(total / len(encoded.continuations[letter]), DECIMALS),
            "tokens": len(encoded.continuations[letter]),
        }
        for letter, total in sums.items()
    }


def best(scores: dict[str, dict[str, Any]], key: str) -> str:
    """The letter with the highest `key` score; the earliest letter on a tie."""
    letters = list(scores)
    return max(letters, key=lambda letter: (scores[letter][key], -letters.index(letter)))


# -- generation -------------------------------------------------------------------------------


def generate_answers(
    model: Any,
    prompts: list[list[int]],
    device: torch.device,
    *,
    pad_id: int,
    eos_id: int,
    max_new_tokens: int,
    tokenizer: Any,
) -> list[str]:
    """Greedy answers to left-padded prompts (the response text only)."""
    width = max(len(p) for p in prompts)
    ids = torch.full((len(prompts), width), pad_id, dtype=torch.long)
    attention = torch.zeros((len(prompts), width), dtype=torch.long)
    for row, prompt in enumerate(prompts):
        ids[row, width - len(prompt) :] = torch.tensor(prompt)
        attention[row, width - len(prompt) :] = 1
    with torch.inference_mode():
        output = model.generate(
            input_ids=ids.to(device),
            attention_mask=attention.to(device),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            eos_token_id=eos_id,
            pad_token_id=pad_id,
        )
    new = output[:, width:].tolist()
    return [tokenizer.decode(tokens, skip_special_tokens=True).strip() for tokens in new]


def read_answer(generation: str, item: EvalItem, prime: str = "") -> str | None:
    """The letter a generation picks, or None: the generation is read alone, then after
    the priming text (`The Answer to the question is:` + `B`)."""
    found = extract_letter(generation, item.options)
    if found is None and prime:
        found = extract_letter(f"{prime} {generation}", item.options)
    return found


__all__ = [
    "EncodedItem",
    "best",
    "encode_item",
    "generate_answers",
    "generation_prompt",
    "option_scores",
    "read_answer",
    "reference_scores",
]
