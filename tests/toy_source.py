"""A minimal source for testing the machinery around sources (mixer, store, CLI).

Reads `.jsonl` files whose lines are `{"id", "q", "a", "subset"?, "license"?}`; a line that
is not JSON is skipped as `bad_json`, one without an answer as `missing_answer`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources.base import Skip, Source


@register_source
class ToySource(Source):
    name = "toy"
    description = "JSON lines of questions and answers, for tests."
    homepage = "https://example.invalid/toy"
    license = "CC0-1.0"
    citation = "@misc{toy, title={Toy}}"
    subsets = ("easy", "hard")
    file_suffixes = (".jsonl",)
    how_to_get = "write a .jsonl file of {id, q, a} lines."
    default_options = {"upper": False}

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                try:
                    yield json.loads(line)
                except json.JSONDecodeError:
                    yield Skip("bad_json")

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        if not item.get("a"):
            yield Skip("missing_answer")
            return
        answer = item["a"].upper() if self.options_in_effect["upper"] else item["a"]
        yield self.record(
            input=item["q"],
            output=answer,
            source_id=str(item["id"]),
            subset=item.get("subset", "easy"),
            license=item.get("license"),
        )


def write_toy(path: Path, rows: list[dict[str, Any]] | range, *, extra: str = "") -> Path:
    """Write a toy .jsonl file; a range makes rows `{id: i, q: "q i", a: "a i"}`."""
    if isinstance(rows, range):
        rows = [
            {
                "id": i,
                "q": f"question {i}?",
                "a": f"answer {i}",
                "subset": "hard" if i % 3 == 0 else "easy",
            }
            for i in rows
        ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + extra, encoding="utf-8")
    return path
