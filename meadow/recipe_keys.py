"""Checking a recipe document's keys: every unknown key, split, source and subset, each
named with its likely meaning ("did you mean …?") and what is allowed, in one error.

The key tables of a recipe live here too; `meadow.recipe` imports them.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from meadow.errors import RecipeError, did_you_mean
from meadow.sources import get_source, list_sources

RECIPE_KEYS = ("name", "description", "seed", "splits", "sources", "llm", "quality")
SOURCE_KEYS = (
    "quota",
    "subsets",
    "options",
    "instruction",
    "paraphrase",
    "llm",
    "raw",
    "train_on_evaluation",
    "pii",
    "language",
)
# the `llm:` block: what each key holds (the API key is never one)
LLM_HINTS: dict[str, Any] = {
    "model": str,
    "base_url": str | None,
    "concurrency": int,
    "max_cost": float | None,
}
LLM_KEYS = tuple(LLM_HINTS)
SPLIT_KEYS = ("validation", "test")


# what an unknown key's message lists (`{}`: the allowed names)
_ALLOWED = "allowed: {}"
LLM_ALLOWED = "allowed: {} (the API key comes from OPENAI_API_KEY, never from a recipe)"


def source_has(source: str) -> str:
    return f"{source} has: {{}}"


@dataclass(frozen=True)
class Unknown:
    """One unknown name of a recipe: where, what it is, its likely meaning, what exists."""

    path: str
    what: str  # key, split, source, subset
    hint: str  # " (did you mean 'x'?)" or ""
    allowed: str


def unknown_keys(
    given: Any, prefix: str, known: typing.Iterable[str], what: str = "key", allowed: str = _ALLOWED
) -> list[Unknown]:
    known = [str(k) for k in known]
    return [
        Unknown(f"{prefix}{key}", what, did_you_mean(key, known), allowed.format(", ".join(known)))
        for key in sorted(set(map(str, given)) - set(known))
    ]


def unknown_error(unknown: list[Unknown], recipe: str | None) -> RecipeError:
    """One error naming every unknown name (each with its likely meaning, if any)."""
    if len(unknown) == 1:
        (one,) = unknown
        return RecipeError(one.path, f"unknown {one.what}{one.hint}; {one.allowed}", recipe=recipe)
    names = ", ".join(f"{u.path}{u.hint or f' ({u.allowed})'}" for u in unknown)
    return RecipeError(f"{len(unknown)} unknown keys", names, recipe=recipe)


def flag_problem(unknown: list[Unknown]) -> str:
    """What an unknown name given to a flag is: "unknown source 'x' (did you mean …?)"."""
    names = ", ".join(f"{u.path!r}{u.hint}" for u in unknown)
    return (
        f"unknown {unknown[0].what}{'s' if len(unknown) > 1 else ''} {names}; {unknown[0].allowed}"
    )


def unknown_in_document(data: dict[Any, Any]) -> list[Unknown]:
    """Every unknown key, split, source and subset of a recipe document, so that one error
    names them all rather than one per run."""
    found = unknown_keys(data, "", RECIPE_KEYS)
    splits = data.get("splits")
    if isinstance(splits, dict):
        found += unknown_keys(
            splits, "splits.", SPLIT_KEYS, "split", "allowed: {} (train gets the rest)"
        )
    llm = data.get("llm")
    if isinstance(llm, dict):
        found += unknown_keys(llm, "llm.", LLM_KEYS, "key", LLM_ALLOWED)
    body = data.get("sources")
    if isinstance(body, list):
        body = {str(name): None for name in body}
    if not isinstance(body, dict):
        return found
    known = list_sources()
    found += unknown_keys(body, "sources.", known, "source", "available: {}")
    for name, source in body.items():
        if not isinstance(source, dict):
            continue
        found += unknown_keys(source, f"sources.{name}.", SOURCE_KEYS)
        subsets = source.get("subsets")
        if str(name) in known and isinstance(subsets, list | dict) and get_source(name).subsets:
            found += unknown_keys(
                subsets,
                f"sources.{name}.subsets.",
                get_source(name).subsets,
                "subset",
                source_has(name),
            )
    return found
