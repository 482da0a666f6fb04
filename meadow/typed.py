"""Checking plain values (from YAML or flags) against a dataclass's type hints, so a
config's errors come from the types it declares and name the key: "expected an integer,
got 'abc'". Used by the training config and by recipes; imports nothing of meadow.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Mapping
from typing import Any

# How a type reads in an error ("expected an integer or null")
WORDS: dict[Any, str] = {
    type(None): "null",
    bool: "true/false",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list of strings",
    dict: "a mapping",
}


class WrongType(ValueError):
    """A value that fits none of its hint's types; `expected` says what would."""

    def __init__(self, value: Any, expected: str):
        self.value = value
        self.expected = expected
        super().__init__(f"expected {expected}, got {value!r}")


def checked(value: Any, hint: Any, words: Mapping[Any, str] | None = None) -> Any:
    """`value` if it fits `hint` (ints are accepted for floats, and numbers written as
    strings such as `2e-4`, which YAML 1.1 reads as text: those come back as floats);
    else `WrongType`, worded with `words` over `WORDS`."""
    for option in _options(hint):
        ok, converted = fits(value, option)
        if ok:
            return converted
    raise WrongType(value, describe(hint, words))


def fits(value: Any, hint: Any) -> tuple[bool, Any]:
    """(whether `value` is of the one type `hint`, the value converted to it)."""
    if hint is type(None):
        return value is None, value
    if hint is bool:
        return isinstance(value, bool), value
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if hint is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return True, float(value)
        if isinstance(value, str):
            try:
                return True, float(value)
            except ValueError:
                return False, value
        return False, value
    if hint is str:
        return isinstance(value, str), value
    if hint is Any:
        return True, value
    if typing.get_origin(hint) is list:
        (item,) = typing.get_args(hint)
        if isinstance(value, list) and all(fits(v, item)[0] for v in value):
            return True, [fits(v, item)[1] for v in value]
        return False, value
    if typing.get_origin(hint) is dict or hint is dict:
        return isinstance(value, dict), value
    raise AssertionError(f"no check for {hint}")


def describe(hint: Any, words: Mapping[Any, str] | None = None) -> str:
    """What fits `hint`, for an error message: "an integer or null"."""
    names = {**WORDS, **(words or {})}
    return " or ".join(names[typing.get_origin(o) or o] for o in _options(hint))


def unknown_keys(given: Iterable[Any], known: Iterable[str]) -> list[str]:
    """The keys of `given` that are not `known`, sorted (the first one is reported)."""
    return sorted(set(map(str, given)) - set(known))


def _options(hint: Any) -> tuple[Any, ...]:
    union = isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
    return typing.get_args(hint) if union else (hint,)
