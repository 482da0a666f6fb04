"""`BuildOptions`: the settings of one `meadow build`, written once.

The command line fills one, `pipeline.build()` takes one, and the rebuild command in a
dataset card is one turned back into flags (`to_flags`): each field that has a flag names
it in its metadata, in the order the flags are written.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _flag(name: str, default: Any = None) -> Any:
    """A field written on the command line as `name`."""
    if isinstance(default, dict):
        return field(default_factory=dict, metadata={"flag": name})
    return field(default=default, metadata={"flag": name})


@dataclass
class BuildOptions:
    """What a build takes besides its recipe; None (or empty) means "as the recipe says".

    Attributes:
        sources: the sources of the build (`--sources a,b`); without a recipe, every row
            of each.
        quotas: `source` or `source.subset` → a count, a fraction or `all` (`--quota`).
        seed, name, validation, test: override the recipe's.
        llm: have an LLM write the rows of the sources that support it (wikidoc textbook
            questions, Anki cards); `llm_*` and `max_cost` win over the recipe's `llm:`.
        llm_price: (input, output) USD per 1M tokens of the chosen model.
        contamination: `remove` or `flag`: what happens to rows overlapping a benchmark.
        require_benchmarks: benchmarks that must be checked for contamination.
        benchmark_mixture: a built evaluation mixture (`NAME[@REVISION]`) whose benchmark
            rows are checked against.
        raw: a source's (or a benchmark's) raw file or folder (`--raw SOURCE=PATH`).
        columns: a source's column mapping, `FIELD:COLUMN,…` (`--columns
            local=input:question,output:answer`); replaces the recipe's.
        num_proc: parallel processes.
        rehash: read every raw file again instead of trusting the remembered sha256 of
            the unchanged ones (`--rehash`); the output is the same either way.
        progress: show progress bars (None: when the terminal is interactive).
    """

    sources: list[str] | None = _flag("--sources")
    quotas: dict[str, str] = _flag("--quota", {})
    seed: int | None = _flag("--seed")
    name: str | None = _flag("--name")
    llm: bool = _flag("--llm", False)
    llm_model: str | None = _flag("--llm-model")
    validation: float | None = _flag("--validation")
    test: float | None = _flag("--test")
    contamination: str | None = _flag("--contamination")
    require_benchmarks: list[str] | None = _flag("--require-benchmarks")
    benchmark_mixture: str | None = _flag("--benchmark-mixture")
    raw: dict[str, str | Path] = _flag("--raw", {})
    columns: dict[str, str] = _flag("--columns", {})
    llm_base_url: str | None = _flag("--llm-base-url")
    llm_concurrency: int | None = _flag("--llm-concurrency")
    llm_refresh: bool = _flag("--llm-refresh", False)
    llm_price: tuple[float, float] | None = _flag("--llm-price")
    max_cost: float | None = _flag("--max-cost")
    num_proc: int = _flag("--num-proc", 1)
    rehash: bool = _flag("--rehash", False)
    progress: bool | None = None

    @classmethod
    def of(
        cls,
        options: BuildOptions | None = None,
        *,
        llm_options: Mapping[str, Any] | None = None,
        **settings: Any,
    ) -> BuildOptions:
        """`options` with `settings` (field names) on top: `build()`'s keyword form.

        `llm_options` is the older spelling of the LLM settings: model, base_url,
        concurrency, max_cost, refresh (a price is `llm_price`).
        """
        unknown = sorted(set(settings) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise TypeError(f"unexpected keyword argument {unknown[0]!r}")
        legacy = {k: v for k, v in (llm_options or {}).items() if v is not None}
        for old, new in _LLM_OPTIONS.items():
            if old in legacy:
                settings.setdefault(new, legacy.pop(old))
        if legacy:
            raise TypeError(f"unexpected LLM option {sorted(legacy)[0]!r}")
        return dataclasses.replace(options or cls(), **settings)

    def llm_overrides(self, default_model: str) -> dict[str, Any]:
        """The LLM settings the command line gives (`LlmSettings` keys), unset ones left
        out; `llm_price` is the price of `llm_model`, else of `default_model`."""
        price = {self.llm_model or default_model: self.llm_price} if self.llm_price else None
        given = {
            "model": self.llm_model,
            "base_url": self.llm_base_url,
            "concurrency": self.llm_concurrency,
            "max_cost": self.max_cost,
            "refresh": self.llm_refresh or None,
            "prices": price,
        }
        return {k: v for k, v in given.items() if v is not None}

    def to_flags(self) -> list[str]:
        """The command-line flags that give these options, in field order; unset ones
        (None, empty, or the default) are left out."""
        parts: list[str] = []
        for item in dataclasses.fields(self):
            flag, value = item.metadata.get("flag"), getattr(self, item.name)
            if flag is None or value is None or value is False or value == _default(item):
                continue
            if value is True:
                parts.append(flag)
            elif isinstance(value, dict):
                for key, each in value.items():
                    parts += [flag, f"{key}={each}"]
            elif isinstance(value, list | tuple):
                parts += [flag, ",".join(map(str, value))]
            else:
                parts += [flag, str(value)]
        return parts


_LLM_OPTIONS = {
    "model": "llm_model",
    "base_url": "llm_base_url",
    "concurrency": "llm_concurrency",
    "max_cost": "max_cost",
    "refresh": "llm_refresh",
}


def _default(item: dataclasses.Field) -> Any:
    if item.default_factory is not dataclasses.MISSING:
        return item.default_factory()
    return item.default
