"""Rows to training tensors: tokenise, mask the prompt, keep the EOS, pack or pad.

One example is `[BOS] prompt response [EOS]`, tokenised in two pieces (prompt, response)
with `add_special_tokens=False` and the special tokens added here, once:

* BOS starts every example when the tokenizer has one (unless the template's text already
  begins with it), and `prompt_ids` gives exactly the ids before the response, so
  generation feeds the model what training showed it (medAlpaca trained without BOS and
  generated with one);
* EOS ends every example, also a truncated one: an over-long example loses the end of its
  response first, then the start of its prompt (after BOS), never the EOS (medAlpaca's
  truncation cut it off, so its models learned not to stop);
* labels are `IGNORE_INDEX` on the prompt (medAlpaca trained on the prompt by default)
  and the ids on the response and the EOS; `train_on_inputs=True` labels everything.

Batches are either length-grouped and padded to their longest example
(`CompletionCollator`, with `length` for the Trainer's `group_by_length` sampler) or packed
(`pack`): whole examples in blocks of at most `max_length`, with `position_ids` that
restart at 0 for each example. For packed rows the collator sends no `attention_mask`;
transformers then finds the examples from the restarting `position_ids` and attends only
within each one: with `eager` and `sdpa` (CPU included) it builds a block-diagonal causal
mask (`masking_utils.find_packed_sequence_indices`), and with `flash_attention_2` it does
so for one-row batches, which `CompletionCollator(padding_free=True)` makes. It looks for
packed examples only when the model runs without a KV cache (`use_cache=False`, as the
Trainer sets for training); with a cache, packed examples would see each other. The first
token of each packed example is never a target, so a block's loss is the same as its
examples' losses unpacked.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from meadow.errors import TrainError
from meadow.progress import progress_bars_disabled
from meadow.train.templates import PromptTemplate, check_template, eos_id

if TYPE_CHECKING:
    import datasets
    import torch

logger = logging.getLogger("meadow.train")

IGNORE_INDEX = -100
_PACK_CHUNK = 1_000  # rows packed together; the blocks of one chunk never mix with another's


def prompt_ids(template: PromptTemplate, tokenizer: Any, instruction: str, input: str) -> list[int]:
    """The ids before the response, BOS included: what training saw and generation feeds."""
    text = template.prompt(instruction, input, tokenizer)
    return _with_bos(_token_ids(tokenizer, [text])[0], tokenizer)


def encode_example(
    row: dict[str, Any],
    template: PromptTemplate,
    tokenizer: Any,
    max_length: int,
    *,
    train_on_inputs: bool = False,
) -> dict[str, list[int]]:
    """One row as `input_ids`, `attention_mask` and `labels` (see the module docstring)."""
    prompt = prompt_ids(template, tokenizer, row["instruction"], row["input"])
    response = _token_ids(tokenizer, [row["output"]])[0]
    example, _ = _assemble(prompt, response, tokenizer, max_length, train_on_inputs)
    return example


def tokenize_split(
    dataset: datasets.Dataset,
    template: PromptTemplate,
    tokenizer: Any,
    max_length: int,
    *,
    train_on_inputs: bool = False,
    num_proc: int = 1,
) -> datasets.Dataset:
    """A split of a mixture as `input_ids`, `attention_mask`, `labels` and `length`.

    A row whose prompt leaves no room for any of its response within `max_length` is
    dropped (with a warning giving the count): it would only teach the model to stop.
    """
    check_template(template, tokenizer)
    _check_max_length(max_length, tokenizer)

    def encode(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        pairs = zip(batch["instruction"], batch["input"], strict=True)
        texts = [template.prompt(instruction, input, tokenizer) for instruction, input in pairs]
        prompts = [_with_bos(ids, tokenizer) for ids in _token_ids(tokenizer, texts)]
        responses = _token_ids(tokenizer, batch["output"])
        out: dict[str, list[Any]] = {k: [] for k in ("input_ids", "attention_mask", "labels")}
        out["length"] = []
        for prompt, response in zip(prompts, responses, strict=True):
            example, kept = _assemble(prompt, response, tokenizer, max_length, train_on_inputs)
            if response and not kept:
                continue
            for key, value in example.items():
                out[key].append(value)
            out["length"].append(len(example["input_ids"]))
        return out

    with _datasets_progress():
        encoded = dataset.map(
            encode,
            batched=True,
            remove_columns=dataset.column_names,
            num_proc=num_proc if num_proc > 1 else None,
            desc="Tokenizing",
        )
    dropped = len(dataset) - len(encoded)
    if dropped:
        logger.warning(
            "%d of %d rows dropped: their prompt leaves no room for the response within "
            "max_length=%d; raise --max-length to keep them",
            dropped,
            len(dataset),
            max_length,
        )
    return encoded


def pack(dataset: datasets.Dataset, max_length: int) -> datasets.Dataset:
    """Tokenised examples packed whole into blocks of at most `max_length` tokens.

    First-fit decreasing within chunks of 1,000 rows (so a block is ~full and memory stays
    flat); columns `input_ids`, `labels`, `position_ids` (restarting at 0 per example) and
    `length`. An example is never split: one longer than `max_length` is an error.
    """

    def pack_chunk(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        order = sorted(range(len(batch["input_ids"])), key=lambda i: -len(batch["input_ids"][i]))
        blocks: list[list[int]] = []  # row indices per block
        room: list[int] = []
        for i in order:
            size = len(batch["input_ids"][i])
            if size > max_length:
                raise TrainError(
                    f"an example of {size} tokens does not fit a block of {max_length}: "
                    "pack with the max_length the split was tokenised with"
                )
            target = next((b for b, free in enumerate(room) if free >= size), None)
            if target is None:
                blocks.append([])
                room.append(max_length)
                target = len(blocks) - 1
            blocks[target].append(i)
            room[target] -= size
        out: dict[str, list[Any]] = {k: [] for k in ("input_ids", "labels", "position_ids")}
        for block in blocks:
            row = _flatten([{k: batch[k][i] for k in ("input_ids", "labels")} for i in block])
            for key, value in row.items():
                out[key].append(value)
        out["length"] = [len(ids) for ids in out["input_ids"]]
        return out

    with _datasets_progress():
        return dataset.map(
            pack_chunk,
            batched=True,
            batch_size=_PACK_CHUNK,
            remove_columns=dataset.column_names,
            desc="Packing",
        )


class CompletionCollator:
    """Pads a batch to its longest row (not to `max_length`): pad id, `IGNORE_INDEX`
    labels, attention 0, on the right.

    Rows with `position_ids` (from `pack`) get no `attention_mask`, so the model keeps
    attention within each packed example (module docstring); their padding is a segment
    of its own. `padding_free=True` joins the whole batch into one row (examples or
    blocks, with restarting `position_ids`): no padding at all, and what
    `flash_attention_2` needs to separate examples. Without a pad token the EOS pads
    (padding is never attended to nor labelled).
    """

    def __init__(
        self, tokenizer: Any, pad_to_multiple_of: int | None = None, *, padding_free: bool = False
    ):
        pad = tokenizer.pad_token_id
        self.pad_id = pad if pad is not None else eos_id(tokenizer)
        self.pad_to_multiple_of = pad_to_multiple_of
        self.padding_free = padding_free

    def __call__(self, features: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        import torch

        rows = [_flatten(features)] if self.padding_free else features
        positional = "position_ids" in rows[0]
        width = max(len(row["input_ids"]) for row in rows)
        if self.pad_to_multiple_of:
            width = -(-width // self.pad_to_multiple_of) * self.pad_to_multiple_of
        input_ids = torch.full((len(rows), width), self.pad_id, dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
        extra = torch.zeros((len(rows), width), dtype=torch.long)
        for r, row in enumerate(rows):
            n = len(row["input_ids"])
            input_ids[r, :n] = torch.as_tensor(row["input_ids"], dtype=torch.long)
            labels[r, :n] = torch.as_tensor(row["labels"], dtype=torch.long)
            if positional:
                extra[r, :n] = torch.as_tensor(row["position_ids"], dtype=torch.long)
                extra[r, n:] = torch.arange(width - n)
            else:
                extra[r, :n] = 1
        batch = {"input_ids": input_ids, "labels": labels}
        batch["position_ids" if positional else "attention_mask"] = extra
        return batch


def response_token_count(batch_labels: Any) -> int:
    """Tokens the loss is computed on (response and EOS): the useful ones, for tokens/s."""
    if hasattr(batch_labels, "ne"):
        return int(batch_labels.ne(IGNORE_INDEX).sum())
    return sum(1 for row in batch_labels for label in row if label != IGNORE_INDEX)


# -- helpers ---------------------------------------------------------------------------------


def _token_ids(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    return tokenizer(list(texts), add_special_tokens=False)["input_ids"]


def _with_bos(ids: list[int], tokenizer: Any) -> list[int]:
    bos = tokenizer.bos_token_id
    return ids if bos is None or ids[:1] == [bos] else [bos, *ids]


def _check_max_length(max_length: int, tokenizer: Any) -> None:
    needed = 3 if tokenizer.bos_token_id is not None else 2
    if max_length < needed:
        raise TrainError(
            f"max_length {max_length} is too small: an example needs BOS, EOS and at least "
            f"one token ({needed})"
        )


def _assemble(
    prompt: list[int],
    response: list[int],
    tokenizer: Any,
    max_length: int,
    train_on_inputs: bool,
) -> tuple[dict[str, list[int]], int]:
    """`[BOS] prompt response EOS` within `max_length`, and how many response ids it kept."""
    _check_max_length(max_length, tokenizer)
    eos = eos_id(tokenizer)
    head = 1 if tokenizer.bos_token_id is not None and prompt[:1] == [tokenizer.bos_token_id] else 0
    body = prompt[head:]
    budget = max_length - head - 1  # room for the prompt body and the response
    if len(body) + len(response) > budget:
        response = response[: max(0, budget - len(body))]
        if len(body) > budget:
            body = body[len(body) - budget :]  # keep the end, next to the response
    prompt = prompt[:head] + body
    input_ids = prompt + response + [eos]
    labels = list(input_ids) if train_on_inputs else [IGNORE_INDEX] * len(prompt) + response + [eos]
    example = {"input_ids": input_ids, "attention_mask": [1] * len(input_ids), "labels": labels}
    return example, len(response)


def _flatten(features: list[dict[str, Any]]) -> dict[str, list[int]]:
    """A batch as one row; positions restart per example, whose first token is no target."""
    row: dict[str, list[int]] = {"input_ids": [], "labels": [], "position_ids": []}
    for feature in features:
        ids = list(feature["input_ids"])
        row["input_ids"] += ids
        row["labels"] += [IGNORE_INDEX, *list(feature["labels"])[1:]]
        row["position_ids"] += list(feature.get("position_ids") or range(len(ids)))
    return row


@contextlib.contextmanager
def _datasets_progress() -> Iterator[None]:
    """datasets' bars follow MEADOW_DISABLE_PROGRESS_BARS, for the length of one call."""
    from datasets.utils import disable_progress_bars, enable_progress_bars, is_progress_bar_enabled

    turn_off = progress_bars_disabled() and is_progress_bar_enabled()
    if turn_off:
        disable_progress_bars()
    try:
        yield
    finally:
        if turn_off:
            enable_progress_bars()


__all__ = [
    "IGNORE_INDEX",
    "CompletionCollator",
    "encode_example",
    "pack",
    "prompt_ids",
    "response_token_count",
    "tokenize_split",
]
