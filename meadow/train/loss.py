"""The loss on response tokens, with logits made only where a label is.

A causal LM makes a vocabulary-wide row of logits for every position, yet meadow's loss
is on the response (and EOS) alone: the prompt's and the padding's logits are computed,
kept for the backward pass and thrown away. With a large vocabulary that is most of a
step's activation memory (batch 8 x 1,024 positions x Llama 3's 128,256 entries is 4 GiB
in fp32) and a good part of its work. For models whose logits are plainly
`lm_head(final hidden state)`, `ResponseLoss` takes the final hidden states, keeps the
positions whose next token has a label, and runs the head and the cross-entropy on those
only: the same loss as the model's own (`ForCausalLMLoss`), summed over label tokens and
divided by the tokens of the (accumulated) batch when the Trainer says how many.

Models with anything between the hidden state and the logits (soft-capping, a logit
scale) or with an auxiliary loss (mixture-of-experts routers) keep the model's own loss.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from meadow.train.data import IGNORE_INDEX

# Model types whose logits are lm_head(norm(h)) with nothing after it and no auxiliary loss.
PLAIN_HEAD_MODEL_TYPES = frozenset(
    {"llama", "mistral", "qwen2", "qwen3", "phi3", "olmo", "olmo2", "gemma", "smollm3"}
)
# What the model is asked for so that the loss can be computed from its hidden states:
# logits of one position only (the head's cost drops to nothing) and the hidden states.
HIDDEN_STATE_REQUEST = {"logits_to_keep": 1, "output_hidden_states": True}


def has_plain_head(model: Any) -> bool:
    """Whether `model` (a transformers model, or peft's wrapper of one) suits `ResponseLoss`."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    config = getattr(base, "config", None)
    if config is None or getattr(config, "model_type", None) not in PLAIN_HEAD_MODEL_TYPES:
        return False
    extras = ("final_logit_softcapping", "logit_scale", "logits_scaling")
    return all(getattr(config, name, None) in (None, 1, 1.0) for name in extras)


class ResponseLoss:
    """A Trainer `compute_loss_func`: cross-entropy on the response positions' logits only.

    The model must be called with `HIDDEN_STATE_REQUEST` (see `CountingTrainer`).
    """

    def __init__(self, head: torch.nn.Module):
        self.head = head

    def __call__(
        self, outputs: Any, labels: torch.Tensor, num_items_in_batch: Any = None
    ) -> torch.Tensor:
        hidden = outputs.hidden_states[-1]
        # The label of position t is token t + 1; the last position predicts nothing.
        targets = F.pad(labels, (0, 1), value=IGNORE_INDEX)[:, 1:].to(hidden.device)
        keep = targets.ne(IGNORE_INDEX)
        if not bool(keep.any()):  # nothing to learn from here, as with the model's own loss
            return hidden.sum() * 0.0
        selected = hidden[keep]
        weight = getattr(self.head, "weight", None)
        if weight is not None and weight.is_floating_point():
            # the final norm may hand back fp32 over bf16 weights; the Trainer calls this
            # outside the model's autocast, so cast as autocast would have
            selected = selected.to(weight.dtype)
        logits = self.head(selected).float()
        if num_items_in_batch is None:
            return F.cross_entropy(logits, targets[keep], reduction="mean")
        total = F.cross_entropy(logits, targets[keep], reduction="sum")
        if torch.is_tensor(num_items_in_batch):
            num_items_in_batch = num_items_in_batch.to(total.device)
        return total / num_items_in_batch
