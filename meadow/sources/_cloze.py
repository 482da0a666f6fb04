"""Anki's cloze syntax: `{{cN::answer::hint}}` deletions, parsed and rendered.

Apart from `anki.py` so that the adapter reads as the mapping from notes to records; only
that adapter uses it (the registry skips "_" modules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CLOZE_TOKEN = re.compile(r"\{\{c(\d+)::|\}\}")


@dataclass
class Cloze:
    """One `{{cN::answer::hint}}` deletion; `parts` may hold nested deletions."""

    number: int
    parts: list[str | Cloze]
    hint: str = ""


def parse_cloze(text: str) -> list[str | Cloze]:
    """Split a cloze field into text and (possibly nested) deletions, as Anki reads them.

    An unclosed `{{cN::` and a stray `}}` stay literal text.
    """
    root: list[str | Cloze] = []
    stack: list[tuple[int, list[str | Cloze], str]] = []  # (number, parts, opening token)
    pos = 0
    for match in _CLOZE_TOKEN.finditer(text):
        parts = stack[-1][1] if stack else root
        if match.start() > pos:
            parts.append(text[pos : match.start()])
        pos = match.end()
        if match.group(1) is not None:
            stack.append((int(match.group(1)), [], match.group()))
        elif stack:
            number, inner, _ = stack.pop()
            hint = ""
            if inner and isinstance(inner[-1], str) and "::" in inner[-1]:
                inner[-1], hint = inner[-1].split("::", 1)
            (stack[-1][1] if stack else root).append(Cloze(number, inner, hint))
        else:
            parts.append(match.group())
    (stack[-1][1] if stack else root).append(text[pos:])
    while stack:  # unclosed deletions are plain text
        _, inner, opening = stack.pop()
        (stack[-1][1] if stack else root).extend([opening, *inner])
    return root


def cloze_numbers(nodes: list[str | Cloze]) -> set[int]:
    """Every cloze number used, nested ones included."""
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, Cloze):
            found.add(node.number)
            found |= cloze_numbers(node.parts)
    return found


def render_cloze(nodes: list[str | Cloze], hide: int | None = None) -> str:
    """The text with deletion `hide` shown as `[...]` (or `[hint]`) and the rest filled in."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node.number == hide:
            out.append(f"[{node.hint}]" if node.hint else "[...]")
        else:
            out.append(render_cloze(node.parts, hide))
    return "".join(out)


def cloze_answer(nodes: list[str | Cloze], number: int) -> str:
    """The answers of deletion `number`, joined (to spot empty deletions)."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Cloze):
            if node.number == number:
                out.append(render_cloze(node.parts))
            else:
                out.append(cloze_answer(node.parts, number))
    return " ".join(part for part in out if part)
