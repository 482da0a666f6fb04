"""What a run will do and cost before it starts (`LlmPlan`), and the error that stops a
run before it passes `max_cost`."""

from __future__ import annotations

from dataclasses import dataclass

from meadow.llm.tokens import CHARS_PER_TOKEN


@dataclass
class LlmPlan:
    """What a run will do and cost, worked out before any request (what a dry run prints).

    Attributes:
        tasks: tasks given.
        cached: tasks already answered in the cache (0 with `refresh`).
        requests: requests to make (tasks with the same input share one).
        input_tokens: of those requests, system and user messages, counted for the model.
        output_tokens: an estimate: a typical reply length per kind, capped by
            `max_output_tokens`.
        cost_usd: None when the model has no known price.
        approximate: token counts are approximate (tiktoken could not load its encoding).
    """

    tasks: int
    cached: int
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    approximate: bool
    _model: str = ""  # only for describe()

    def describe(self) -> str:
        """A few human lines for the CLI's dry run."""
        to = f" to {self._model}" if self._model else ""
        how = (
            f"approximate, ~{CHARS_PER_TOKEN} characters per token: tiktoken is unavailable"
            if self.approximate
            else "counted with tiktoken"
        )
        lines = [
            f"{self.tasks:,} tasks: {self.cached:,} answered from the cache, "
            f"{self.requests:,} requests{to}",
            f"input: {self.input_tokens:,} tokens ({how}); "
            f"output: about {self.output_tokens:,} tokens (estimate)",
        ]
        if self.cost_usd is None:
            lines.append(
                f"cost: unknown, no price for model {self._model or '?'!r} "
                "(give its USD prices per 1M input and output tokens)"
            )
        else:
            lines.append(f"cost: about ${self.cost_usd:,.4f}")
        return "\n".join(lines)
