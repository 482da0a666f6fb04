"""How to ask: the default model and `LlmSettings` (endpoint, limits, budget)."""

from __future__ import annotations

from dataclasses import dataclass, field

from meadow.errors import RecipeError

DEFAULT_MODEL = "gpt-4o-mini"


@dataclass
class LlmSettings:
    """How to ask: endpoint, model, limits and budget (the key comes from OPENAI_API_KEY)."""

    model: str = DEFAULT_MODEL
    base_url: str | None = None  # None: the client's default (OPENAI_BASE_URL or OpenAI)
    concurrency: int = 8
    max_cost: float | None = None  # USD; None = no budget
    refresh: bool = False  # ignore (but overwrite) cached answers
    timeout: float = 60.0
    max_retries: int = 5
    max_output_tokens: int = 256
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)  # overrides of PRICES

    def __post_init__(self) -> None:
        if not self.model:
            raise RecipeError("model", "expected a model name, got an empty string")
        for name, low in (("concurrency", 1), ("max_retries", 0), ("max_output_tokens", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise RecipeError(name, f"expected an integer of at least {low}, got {value!r}")
        if not self.timeout > 0:
            raise RecipeError("timeout", f"expected seconds above 0, got {self.timeout!r}")
        if self.max_cost is not None and not self.max_cost >= 0:
            raise RecipeError("max_cost", f"expected USD of at least 0, got {self.max_cost!r}")
        for model, price in self.prices.items():
            if len(price) != 2 or not all(isinstance(p, (int, float)) and p >= 0 for p in price):
                raise RecipeError(
                    f"prices.{model}",
                    f"expected (USD per 1M input tokens, per 1M output tokens), got {price!r}",
                )
