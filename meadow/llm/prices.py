"""What a model costs per token, and the price of a dated snapshot of a model."""

from __future__ import annotations

# USD per 1M tokens (input, output): OpenAI's standard-tier API prices as listed on
# https://openai.com/api/pricing in mid-2025. Prices change; check them, and override or
# add models (Azure deployments, local servers) with `LlmSettings.prices`. A dated snapshot
# such as "gpt-4o-mini-2024-07-18" takes the price of its family ("gpt-4o-mini").
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
}


def price_of(model: str, table: dict[str, tuple[float, float]]) -> tuple[float, float] | None:
    """The (input, output) price of `model` in `table`, or of its family; None if unknown."""
    if model in table:
        return table[model]
    family = [name for name in table if model.startswith(name + "-")]  # dated snapshots
    return table[max(family, key=len)] if family else None
