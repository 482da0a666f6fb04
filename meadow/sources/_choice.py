"""What the multiple-choice benchmark sources (usmle, medqa, medmcqa) share.

A question is checked once, by the source's `choice(item)`: (question, options by letter,
answer letter), or the `Skip` that leaves it out. Its training record and its benchmark
item (`EvalItem`) are both made from that one check, so a question skipped for training
is skipped for evaluation for the same reason, and the two share an id.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from meadow.converters.html import normalize_whitespace
from meadow.converters.multiple_choice import (
    MULTIPLE_CHOICE_INSTRUCTION,
    format_answer,
    format_question,
)
from meadow.schema import EvalItem, Record
from meadow.sources.base import Skip, Source

Choice = tuple[str, dict[str, str], str]


class MultipleChoiceSource(Source):
    """A source of lettered multiple-choice questions; subclasses say how to read one."""

    default_instruction = MULTIPLE_CHOICE_INSTRUCTION

    @abstractmethod
    def choice(self, item: dict[str, Any]) -> Choice | Skip:
        """(question, options by upper-case letter, answer letter), or why it is left out."""

    @abstractmethod
    def item_subset(self, item: dict[str, Any]) -> str:
        """The subset a parsed question belongs to."""

    @abstractmethod
    def item_source_id(self, item: dict[str, Any]) -> str:
        """The corpus's own stable name for a parsed question."""

    def item_meta(self, item: dict[str, Any]) -> dict[str, Any]:
        """What an evaluation report may want to group by (step, subject, …)."""
        return {}

    def evaluation_shards(self, raw: Path) -> list[Path]:
        """The raw files holding benchmark questions: `raw` itself when it is a file."""
        return [raw] if raw.is_file() else self.shards(raw)

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One multiple-choice record, or the reason the question is left out."""
        checked = self.choice(item)
        if type(checked) is Skip:
            return (checked,)
        question, options, answer = checked
        return (
            self.record(
                input=format_question(question, options),
                output=format_answer(answer, options),
                source_id=self.item_source_id(item),
                subset=self.item_subset(item),
            ),
        )

    def unanswered_choice(self, item: dict[str, Any]) -> Choice | Skip:
        """(question, options, "") for a question whose answer is withheld, for checks that
        need no answer (decontamination); a source with hidden test answers overrides it."""
        return Skip("no_answer")

    def evaluation_items(self, path: Path) -> Iterator[EvalItem | Skip]:
        """The benchmark questions under `path`, left out for the same reasons as records."""
        return self._items(path, unanswered=False)

    def contamination_items(self, path: Path) -> Iterator[EvalItem | Skip]:
        """The evaluation items and the questions whose answers are withheld."""
        return self._items(path, unanswered=True)

    def _items(self, path: Path, *, unanswered: bool) -> Iterator[EvalItem | Skip]:
        for shard in self.evaluation_shards(Path(path)):
            for item in self.parse(shard):
                if type(item) is Skip:
                    yield item
                    continue
                checked = self.choice(item)
                if unanswered and type(checked) is Skip and checked.reason == "no_answer":
                    checked = self.unanswered_choice(item)
                if type(checked) is Skip:
                    yield checked
                    continue
                question, options, answer = checked
                yield EvalItem(
                    source=self.name,
                    subset=self.item_subset(item),
                    source_id=self.item_source_id(item),
                    question=normalize_whitespace(question),
                    options={k: normalize_whitespace(text) for k, text in options.items()},
                    answer=answer,
                    meta=self.item_meta(item),
                )
