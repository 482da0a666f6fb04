"""Hostile recipes (issue 14, section 4): each case writes one recipe and builds it.

Every recipe is otherwise valid: it mixes the `local` source over a three-row JSON lines
file, so a build that got past the recipe would succeed. A fixed meadow refuses each one
with a one-line `RecipeError` naming the key, in milliseconds and a few MB.
"""

from __future__ import annotations

import json
from pathlib import Path

import meadow
from meadow import build
from meadow.errors import MeadowError


def _raw(work: Path) -> Path:
    path = work / "rows.jsonl"
    rows = [{"instruction": "Answer.", "input": f"q {i}?", "output": f"a {i}"} for i in range(3)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _build(work: Path, yaml_text: str) -> str:
    recipe = work / "hostile.yaml"
    recipe.write_text(yaml_text, encoding="utf-8")
    try:
        result = build(str(recipe))
    except MeadowError as err:
        return f"{type(err).__name__}: {err}"
    return f"built: {result.rows} rows"


def _source(work: Path, extra: str = "") -> str:
    return f"sources:\n  local:\n    raw: {_raw(work)}\n{extra}"


def alias_bomb(work: Path) -> str:
    """The 1 KB "billion laughs": nine levels of nine aliases, 9**9 strings expanded."""
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, 9):
        refs = ",".join([f"*a{level - 1}"] * 9)
        lines.append(f"a{level}: &a{level} [{refs}]")
    bomb = "description:\n  " + "\n  ".join(lines) + "\n"
    return _build(work, "name: bomb\n" + bomb + _source(work))


def mixed_type_keys(work: Path) -> str:
    """`{1: x, foo: y}`: an integer and a text key side by side (TypeError in sorted())."""
    return _build(work, "name: mixed\n1: x\nfoo: y\n" + _source(work))


def date_in_options(work: Path) -> str:
    """An unquoted date as an option value: YAML makes it a `date` that JSON cannot write
    (cord19 over its bundled sample; the option is read as a number later)."""
    raw = Path(meadow.__file__).parent / "samples" / "cord19"
    options = "    options:\n      min_abstract_words: 2024-01-01\n"
    return _build(work, f"name: dated\nsources:\n  cord19:\n    raw: {raw}\n{options}")


def deep_nesting(work: Path) -> str:
    """An option nested 5,000 levels deep (RecursionError in the YAML composer)."""
    deep = "[" * 5000 + "]" * 5000
    return _build(work, "name: deep\n" + _source(work, f"    options:\n      columns: {deep}\n"))


def long_seed(work: Path) -> str:
    """A 5,000-digit seed (ValueError: Python's int limit of 4,300 digits)."""
    return _build(work, "name: seeded\nseed: " + "7" * 5000 + "\n" + _source(work))


def huge_recipe_file(work: Path) -> str:
    """A 64 MB recipe: a valid one with a 64 MB description."""
    text = "name: huge\ndescription: " + "x" * (64 << 20) + "\n" + _source(work)
    return _build(work, text)


CASES = {
    "recipe-alias-bomb-1kb": alias_bomb,
    "recipe-mixed-type-keys": mixed_type_keys,
    "recipe-date-in-options": date_in_options,
    "recipe-nested-5000-deep": deep_nesting,
    "recipe-seed-5000-digits": long_seed,
    "recipe-file-64mb": huge_recipe_file,
}
