"""Recipes: what a mixture says it takes (sources, quotas, subsets, option overrides, seed,
split fractions), read from YAML by name or path and validated into `Recipe`/`SourceSpec`.

What the mixer does with a recipe is `meadow.mixer`; this module never imports it.
"""

from __future__ import annotations

import math
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from meadow.errors import RecipeError, did_you_mean
from meadow.recipe_keys import (
    LLM_ALLOWED,
    LLM_HINTS,
    LLM_KEYS,
    RECIPE_KEYS,
    SOURCE_KEYS,
    SPLIT_KEYS,
    flag_problem,
    source_has,
    unknown_error,
    unknown_in_document,
    unknown_keys,
)
from meadow.recipe_yaml import BuiltinYaml, check_plain, parse_recipe_yaml, recipe_error
from meadow.sources import get_source, list_sources
from meadow.sources.local import parse_columns
from meadow.typed import WrongType, checked

ALL = "all"

Quota = int | float | str  # a count, a fraction in (0, 1], or "all"

# keys of a source whose values are checked against `SourceSpec`'s type hints
_TYPED_SOURCE_KEYS = ("options", "instruction", "paraphrase", "llm", "train_on_evaluation", "pii")
_WORDS = {bool: "true or false"}  # as recipes have always said it


def parse_quota(value: Any, key: str) -> Quota:
    """`all`, a non-negative count, a fraction in (0, 1] or a percentage like `25%`."""
    if value is None:
        return ALL
    if isinstance(value, bool):
        raise RecipeError(key, f"expected a count, a fraction or 'all', got {value!r}")
    if isinstance(value, str):
        text = value.strip().lower()
        if text == ALL:
            return ALL
        try:
            if text.endswith("%"):
                return parse_quota(float(text[:-1]) / 100, key)
            return parse_quota(int(text) if text.lstrip("-").isdigit() else float(text), key)
        except ValueError:
            raise RecipeError(
                key, f"expected a count, a fraction or 'all', got {value!r}"
            ) from None
    if isinstance(value, int):
        if value < 0:
            raise RecipeError(key, f"quota must not be negative, got {value}")
        return value
    if isinstance(value, float):
        if not 0 < value <= 1:
            raise RecipeError(
                key, f"a fractional quota must be in (0, 1], got {value}; use an integer count"
            )
        return value
    raise RecipeError(key, f"expected a count, a fraction or 'all', got {value!r}")


def quota_count(quota: Quota, available: int) -> int:
    """How many rows a quota takes out of `available`."""
    if quota == ALL:
        return available
    if isinstance(quota, float):
        return min(available, math.floor(quota * available + 0.5))
    return min(int(quota), available)


@dataclass
class SourceSpec:
    """One source of a recipe: how much of it, which subsets, with which option overrides.

    `options` holds what the recipe's `options:` key sets: overrides of the source's
    `default_options`; the source instance's `options_in_effect` is the two merged.
    """

    name: str
    quota: Quota = ALL
    subsets: dict[str, Quota] | None = None
    options: dict[str, Any] = field(default_factory=dict)  # overrides of default_options
    instruction: str | None = None
    paraphrase: bool = True
    llm: bool = False
    raw: Path | None = None
    train_on_evaluation: bool = False
    pii: bool | None = None  # None: the source's own default (`Source.scrub_pii`)
    language: str | bool | None = None  # None: the source's `language`; False: not checked

    def canonical(self) -> dict[str, Any]:
        return {
            "quota": self.quota,
            "subsets": dict(sorted(self.subsets.items())) if self.subsets else None,
            "options": dict(sorted(self.options.items())),
            "instruction": self.instruction,
            "train_on_evaluation": self.train_on_evaluation,
            **({} if self.paraphrase else {"paraphrase": False}),
            **({"llm": True} if self.llm else {}),
            **({} if self.pii is None else {"pii": self.pii}),
            **({} if self.language is None else {"language": self.language}),
        }

    def paraphrases(self, subset: str) -> tuple[str, ...]:
        """The instruction variants rows of `subset` are given, or () for a fixed one.

        A recipe that names an `instruction`, or sets `paraphrase: false`, fixes it.
        """
        if self.instruction is not None or not self.paraphrase:
            return ()
        return get_source(self.name).paraphrases_for(subset)


@dataclass
class Recipe:
    """A mixture: sources with quotas, a seed, and validation/test fractions."""

    name: str
    sources: dict[str, SourceSpec]
    seed: int = 42
    validation: float = 0.0
    test: float = 0.0
    description: str = ""
    origin: str = ""
    llm: dict[str, Any] = field(default_factory=dict)  # model, base_url, concurrency, max_cost
    # the `quality:` block as written (None, true, false or a mapping); meadow.quality reads it
    quality: Any = None

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise RecipeError("name", "a recipe needs a name", recipe=self.origin or None)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise RecipeError(
                "seed",
                f"expected a non-negative integer, got {str(self.seed)[:40]!r}",
                recipe=self.origin or None,
            )
        check_plain(self.seed, ["seed"], self.origin or None)
        for key in SPLIT_KEYS:
            value = getattr(self, key)
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1:
                raise RecipeError(
                    f"splits.{key}",
                    f"expected a fraction in [0, 1), got {value!r}",
                    recipe=self.origin or None,
                )
        if self.validation + self.test >= 1:
            raise RecipeError(
                "splits", "validation + test must leave rows for train", recipe=self.origin or None
            )
        if not self.sources:
            raise RecipeError(
                "sources", "a recipe needs at least one source", recipe=self.origin or None
            )
        for spec in self.sources.values():
            _check_source_spec(spec, self.origin)
        unknown = unknown_keys(self.llm, "llm.", LLM_KEYS, "key", LLM_ALLOWED)
        if unknown:
            raise unknown_error(unknown, self.origin or None)
        for key, value in self.llm.items():
            typed_value(f"llm.{key}", value, LLM_HINTS[key], self.origin)

    def canonical(self) -> dict[str, Any]:
        """What decides the output (the name and raw paths do not)."""
        return {
            "seed": self.seed,
            "splits": {"validation": self.validation, "test": self.test},
            "sources": {name: spec.canonical() for name, spec in self.sources.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        llm = {"llm": dict(self.llm)} if self.llm else {}
        quality = {} if self.quality is None else {"quality": self.quality}
        return {
            "name": self.name,
            "description": self.description,
            **self.canonical(),
            **llm,
            **quality,
        }

    def uses_llm(self) -> bool:
        return any(spec.llm for spec in self.sources.values())

    def with_overrides(
        self,
        *,
        name: str | None = None,
        sources: list[str] | None = None,
        quotas: Mapping[str, str] | None = None,
        seed: int | None = None,
        validation: float | None = None,
        test: float | None = None,
        llm: bool = False,
        columns: Mapping[str, str] | None = None,
    ) -> Recipe:
        """This recipe with command-line overrides applied (flags win over the YAML).

        `llm` turns LLM-written rows on for every source of the build that has them.
        `columns` maps a source to its `--columns` text (`input:question,output:answer`),
        which replaces the column mapping of its options. A bad value is reported under its
        flag (`--quota wikidoc.textbok`, `--validation`), not under the recipe key it would
        have set.
        """
        _check_split_flags(self, validation, test)
        if seed is not None and seed < 0:
            raise RecipeError("--seed", f"expected a non-negative integer, got {seed}")
        specs = dict(self.sources)
        if sources:
            unknown = unknown_keys(sources, "", list_sources(), "source", "available: {}")
            if unknown:
                raise RecipeError("--sources", flag_problem(unknown))
            specs = {s: specs.get(s, SourceSpec(name=s)) for s in sources}
        for source, spec_text in (columns or {}).items():
            key = f"--columns {source}"
            if source not in specs:
                raise RecipeError(
                    key, f"source {source!r} is not in this build (sources: {', '.join(specs)})"
                )
            if "columns" not in get_source(source).default_options:
                mapped = [n for n in list_sources() if "columns" in get_source(n).default_options]
                raise RecipeError(
                    key,
                    f"source {source!r} has no column mapping; sources that have: "
                    f"{', '.join(mapped)}",
                )
            options = {**specs[source].options, "columns": parse_columns(spec_text, key)}
            specs[source] = replace(specs[source], options=options)
        if llm:
            capable = [n for n in specs if get_source(n).llm_subsets]
            if not capable:
                able = ", ".join(n for n in list_sources() if get_source(n).llm_subsets)
                raise RecipeError(
                    "--llm",
                    f"none of this build's sources ({', '.join(specs)}) has LLM-written rows; "
                    f"sources that have: {able}",
                )
            specs = {
                n: replace(spec, llm=True) if n in capable else spec for n, spec in specs.items()
            }
        for target, value in (quotas or {}).items():
            source, _, subset = target.partition(".")
            key = f"--quota {target}"
            if source not in specs:
                raise RecipeError(
                    key,
                    f"source {source!r}{did_you_mean(source, specs)} is not in this build "
                    f"(sources: {', '.join(specs)})",
                )
            quota = parse_quota(value, key)
            spec = specs[source]
            known_subsets = get_source(source).subsets
            if subset and known_subsets and subset not in known_subsets:
                raise RecipeError(
                    key,
                    f"{source} has no subset {subset!r}{did_you_mean(subset, known_subsets)}; "
                    f"it has: {', '.join(known_subsets)}",
                )
            if subset:
                subsets = dict(spec.subsets or {})
                subsets[subset] = quota
                specs[source] = replace(spec, subsets=subsets)
            else:
                specs[source] = replace(spec, quota=quota)
        return replace(
            self,
            name=name or self.name,
            sources=specs,
            seed=self.seed if seed is None else seed,
            validation=self.validation if validation is None else validation,
            test=self.test if test is None else test,
        )


def _check_split_flags(recipe: Recipe, validation: float | None, test: float | None) -> None:
    """--validation and --test as fractions that leave rows for train; errors name the flag."""
    for flag, value in (("--validation", validation), ("--test", test)):
        if value is not None and not 0 <= value < 1:
            raise RecipeError(flag, f"expected a fraction in [0, 1), got {value}")
    given = [f for f, v in (("--validation", validation), ("--test", test)) if v is not None]
    total = (recipe.validation if validation is None else validation) + (
        recipe.test if test is None else test
    )
    if given and total >= 1:
        raise RecipeError(
            " and ".join(given),
            f"validation + test is {total:g}: it must leave rows for train (below 1)",
        )


def typed_value(key: str, value: Any, hint: Any, origin: str | None) -> Any:
    """`value` if it fits the type `hint` (see `meadow.typed`), else a RecipeError naming
    `key` and the expected type: "sources.toy.pii: expected true or false or null, got 'no'"."""
    try:
        return checked(value, hint, _WORDS)
    except WrongType as exc:
        raise RecipeError(key, str(exc), recipe=origin or None) from None


def _check_source_spec(spec: SourceSpec, origin: str) -> None:
    recipe = origin or None
    check_plain(spec.options, ["sources", spec.name, "options"], recipe)
    known = list_sources()
    if spec.name in known and spec.llm and not get_source(spec.name).llm_subsets:
        able = ", ".join(n for n in known if get_source(n).llm_subsets)
        raise RecipeError(
            f"sources.{spec.name}.llm",
            f"source {spec.name!r} has no rows an LLM can write; sources that have: {able}",
            recipe=recipe,
        )
    unknown = unknown_keys([spec.name], "sources.", known, "source", "available: {}")
    if unknown:
        raise unknown_error(unknown, recipe)
    cls = get_source(spec.name)
    if spec.subsets is not None and cls.subsets:
        unknown = unknown_keys(
            spec.subsets,
            f"sources.{spec.name}.subsets.",
            cls.subsets,
            "subset",
            source_has(spec.name),
        )
        if unknown:
            raise unknown_error(unknown, recipe)


def _source_spec(name: str, body: Any, origin: str, base_dir: Path | None) -> SourceSpec:
    key = f"sources.{name}"
    if body is None:
        body = {}
    if not isinstance(body, dict):
        raise RecipeError(
            key, f"expected a mapping of {', '.join(SOURCE_KEYS)}, got {body!r}", recipe=origin
        )
    unknown = unknown_keys(body, f"{key}.", SOURCE_KEYS)
    if unknown:
        raise unknown_error(unknown, origin)
    try:
        quota = parse_quota(body.get("quota", ALL), f"{key}.quota")
        subsets_body = body.get("subsets")
        subsets: dict[str, Quota] | None
        if subsets_body is None:
            subsets = None
        elif isinstance(subsets_body, list):
            subsets = {str(s): ALL for s in subsets_body}
        elif isinstance(subsets_body, dict):
            subsets = {
                str(s): parse_quota(q, f"{key}.subsets.{s}") for s, q in subsets_body.items()
            }
        else:
            raise RecipeError(
                f"{key}.subsets", "expected a list of subsets or a mapping subset: quota"
            )
    except RecipeError as err:
        raise RecipeError(err.key, err.problem, recipe=origin) from None
    options = body.get("options") or {}  # `options:` left empty: none
    hints = typing.get_type_hints(SourceSpec)
    for typed_key, value in (
        {n: body[n] for n in _TYPED_SOURCE_KEYS if n in body} | {"options": options}
    ).items():
        typed_value(f"{key}.{typed_key}", value, hints[typed_key], origin)
    instruction = body.get("instruction")
    if instruction is not None and not instruction.strip():
        raise RecipeError(f"{key}.instruction", "expected a non-empty text", recipe=origin)
    flags = {
        flag: body.get(flag, default)
        for flag, default in (("paraphrase", True), ("llm", False), ("train_on_evaluation", False))
    }
    pii = body.get("pii")
    language = body.get("language")
    if (
        language is not None
        and language is not False
        and not (isinstance(language, str) and language.isalpha() and 2 <= len(language) <= 3)
    ):
        raise RecipeError(
            f"{key}.language",
            f"expected a language code such as en, or false, got {language!r}",
            recipe=origin,
        )
    raw = body.get("raw")
    raw_path = None
    if raw is not None:
        raw_path = Path(str(raw)).expanduser()
        if not raw_path.is_absolute() and base_dir is not None:
            raw_path = (base_dir / raw_path).resolve()
    return SourceSpec(
        name=name,
        quota=quota,
        subsets=subsets,
        options=options,
        instruction=instruction,
        raw=raw_path,
        pii=pii,
        language=language,
        **flags,
    )


def recipe_from_dict(data: Any, *, origin: str = "", base_dir: Path | None = None) -> Recipe:
    """Validate a parsed YAML document into a Recipe; errors name the bad key."""
    check_plain(data, [], origin or None)
    if not isinstance(data, dict):
        raise RecipeError(
            "(top level)",
            f"a recipe is a mapping with keys {', '.join(RECIPE_KEYS)}",
            recipe=origin,
        )
    unknown = unknown_in_document(data)
    if unknown:
        raise unknown_error(unknown, origin)
    splits = data.get("splits") or {}
    if not isinstance(splits, dict):
        raise RecipeError(
            "splits", "expected a mapping with validation and test fractions", recipe=origin
        )
    body = data.get("sources")
    if isinstance(body, list):
        body = {str(name): None for name in body}
    if not isinstance(body, dict) or not body:
        raise RecipeError(
            "sources", "expected a non-empty mapping (or list) of sources", recipe=origin
        )
    sources = {str(n): _source_spec(str(n), b, origin, base_dir) for n, b in body.items()}
    llm = data.get("llm") or {}
    if not isinstance(llm, dict):
        raise RecipeError("llm", f"expected a mapping of {', '.join(LLM_KEYS)}", recipe=origin)
    quality = data.get("quality")
    if quality is not None and not isinstance(quality, bool | dict):
        raise RecipeError(
            "quality", "expected true, false or a mapping of quality steps", recipe=origin
        )
    return Recipe(
        llm=llm,
        quality=quality,
        name=str(data.get("name") or (Path(origin).stem if origin else "")),
        description=str(data.get("description") or ""),
        seed=data.get("seed", 42),
        validation=splits.get("validation", 0.0),
        test=splits.get("test", 0.0),
        sources=sources,
        origin=origin,
    )


RECIPES = BuiltinYaml(
    package="meadow",
    folder="recipes",
    prefix="builtin",
    flag="--mixture",
    file_word="recipe file",
    builtin_word="built-in recipe",
    list_word="built-in",
)


def builtin_recipes() -> list[str]:
    """Names of the recipes shipped with meadow."""
    return RECIPES.names()


def load_recipe(name_or_path: str | Path) -> Recipe:
    """A built-in recipe by name (`sample`, `small`, …) or a recipe YAML file by path."""
    found = RECIPES.read(name_or_path, recipe_error)
    data = parse_recipe_yaml(found.text, found.origin)
    return recipe_from_dict(data, origin=found.origin, base_dir=found.folder)


def adhoc_recipe(sources: list[str], name: str | None = None) -> Recipe:
    """The recipe of `meadow build --sources a,b`: every row of each source."""
    for source in sources:
        get_source(source)  # an unknown name fails here, listing the known ones
    return Recipe(
        name=name or "+".join(sources),
        sources={s: SourceSpec(s) for s in sources},
        origin="--sources",
    )
