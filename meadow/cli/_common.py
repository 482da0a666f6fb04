"""What every command shares: consoles, KEY=VALUE options, number formatting."""

from __future__ import annotations

from rich.console import Console

from meadow.errors import RecipeError

console = Console()
err_console = Console(stderr=True)


def parse_pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    """`["a=1", "b=2"]` → `{"a": "1", "b": "2"}`; the error names the flag and the value."""
    pairs: dict[str, str] = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key.strip() or not rest.strip():
            raise RecipeError(flag, f"expected SOURCE=VALUE, got {value!r}")
        pairs[key.strip()] = rest.strip()
    return pairs


def split_csv(value: str | None) -> list[str] | None:
    if value is None:
        return None
    names = [v.strip() for v in value.split(",") if v.strip()]
    return names or None


def fmt(n: object) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)
