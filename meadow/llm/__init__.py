"""Questions written by a language model, for rows that have an answer but no question: the
LLM stage of a build, between the sources and the mixture.

medAlpaca had gpt-3.5-turbo turn each Wikidoc paragraph into a question and rephrase each
Anki card, and published none of that code. This module does it in the open, reproducibly:

* any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama) through the official `openai`
  client; the key comes from OPENAI_API_KEY and is never printed, logged, cached or stored;
* `QaWriter.plan()` counts requests, input tokens (tiktoken) and cost before anything
  is sent; `LlmSettings.max_cost` stops before the budget would be passed;
* every reply is cached in SQLite under MEADOW_HOME, keyed by model, prompt version and
  input, so a rerun or a crash never pays twice; the quality gate reads the cached text,
  so it can change without asking again;
* retries on 429, 5xx and timeouts (with backoff, jitter and `Retry-After`) are the
  client's own, set through `max_retries` and `timeout`; other failures stop in one line.

The parts, each in its own module: `tasks` (the types a source makes and reads), `prompts`,
`settings`, `prices`, `tokens` (counting, also for the dataset card), `budget` (the plan and
the cost limit), `cache` (SQLite), `client` (one request, its errors), `gate` (the quality
gate), `writer` (`QaWriter` and its thread pool) and `step` (the build's LLM step:
which selected rows, asked for or only priced). The names below load their module
on first use, so importing `meadow.llm.tasks` or `meadow.llm.tokens` loads no client code.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from meadow.errors import LlmBudgetError, LlmRequestError

if TYPE_CHECKING:
    from meadow.llm.budget import LlmPlan
    from meadow.llm.prices import PRICES
    from meadow.llm.prompts import PROMPT_VERSIONS
    from meadow.llm.settings import DEFAULT_MODEL, LlmSettings
    from meadow.llm.tasks import LlmResult, LlmTask
    from meadow.llm.writer import LlmStats, QaWriter

_EXPORTS = {
    "DEFAULT_MODEL": "settings",
    "LlmPlan": "budget",
    "LlmResult": "tasks",
    "LlmSettings": "settings",
    "LlmStats": "writer",
    "LlmTask": "tasks",
    "PRICES": "prices",
    "PROMPT_VERSIONS": "prompts",
    "QaWriter": "writer",
}

__all__ = [
    "DEFAULT_MODEL",
    "PRICES",
    "PROMPT_VERSIONS",
    "LlmBudgetError",
    "LlmPlan",
    "LlmRequestError",
    "LlmResult",
    "LlmSettings",
    "LlmStats",
    "LlmTask",
    "QaWriter",
]


def __getattr__(name: str) -> Any:
    """The public names, each imported from its module when first asked for."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
