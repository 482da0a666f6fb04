"""Stack Exchange pairs as record texts and as column batches (the runner's fast path).

`pair_texts` is the one mapping of a pair to (input, output), used by
`StackexchangeSource.to_records` and by `pair_columns`, which fills the columns of
`Source.batches` straight from the pairs, without a `Record` per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from meadow.converters.html import html_to_text, normalize_whitespace
from meadow.sources.base import (
    BATCH_ROWS,
    Rows,
    Skip,
    within_limit,
)

_SKIP_EMPTY_QUESTION = Skip("empty_question")
_SKIP_EMPTY_BODY = Skip("empty_body")


def pair_texts(item: dict[str, Any]) -> tuple[str, str] | Skip:
    """A pair's (input, output) texts: title, blank line, question body; the answer body."""
    question = item["question"]
    title = normalize_whitespace(question["title"])
    body = html_to_text(question["body"])
    text = f"{title}\n\n{body}" if title and body else title or body
    if not text:
        return _SKIP_EMPTY_QUESTION
    output = html_to_text(item["answer"]["body"])
    if not output:
        return _SKIP_EMPTY_BODY
    return text, output


def pair_columns(
    items: Iterable[dict[str, Any] | Skip], license_of: Callable[[dict[str, Any]], str]
) -> Iterator[Rows | Skip]:
    """The records `Source.read` makes of one file's pairs, as column batches: a pair
    holding a text over `max_field_chars()` is a `field_too_long` skip, as in `records`."""
    inputs: list[str] = []
    outputs: list[str] = []
    ids: list[str] = []
    licenses: list[str] = []
    subset = ""
    for item in within_limit(items):
        if type(item) is Skip:
            yield item
            continue
        got = pair_texts(item)
        if type(got) is Skip:
            yield got
            continue
        question, answer = item["question"], item["answer"]
        subset = item["subset"]  # one site per file
        inputs.append(got[0])
        outputs.append(got[1])
        ids.append(f"{question['id']}:{answer['id']}")
        licenses.append(license_of(answer))
        if len(ids) >= BATCH_ROWS:
            yield Rows(inputs, outputs, ids, subset=subset, license=licenses)
            inputs, outputs, ids, licenses = [], [], [], []
    if ids:
        yield Rows(inputs, outputs, ids, subset=subset, license=licenses)
