"""PII recall and precision on a labelled set of patient messages (tests/quality/pii_snippets.yaml).

Each snippet labels its personal details by type and the medical numbers that must survive.
The scrubber's output is aligned with its input (the output is the input with some spans
replaced by placeholders), so every replaced span is known with its placeholder's type:

* an item is caught when every letter and digit of it lies in spans replaced by the
  placeholder of its type (recall per type); "any" also accepts another type's placeholder;
* a replaced span is right when it overlaps an item of its type (precision per type);
* a medical number is lost when it no longer appears in the output.

Print the table with `python -m tests.quality.test_pii_recall` (or `pytest -s`).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from meadow.quality.pii import PLACEHOLDERS, Scrubber

SNIPPETS = Path(__file__).with_name("pii_snippets.yaml")
TYPES = ("EMAIL", "PHONE", "URL", "ADDRESS", "DATE", "NAME", "ID", "POSTCODE")
_PLACEHOLDER = re.compile(r"\[(" + "|".join(TYPES) + r")\]")


@dataclass
class Score:
    """Counts over the set, per type."""

    items: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    caught_any: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    right: Counter[str] = field(default_factory=Counter)
    kept: int = 0
    lost: list[str] = field(default_factory=list)
    missed: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)

    def recall(self, kind: str | None = None, *, any_type: bool = False) -> float:
        caught = self.caught_any if any_type else self.caught
        n = self.items[kind] if kind else sum(self.items.values())
        k = caught[kind] if kind else sum(caught.values())
        return k / n if n else 1.0

    def precision(self, kind: str | None = None) -> float:
        n = self.predicted[kind] if kind else sum(self.predicted.values())
        k = self.right[kind] if kind else sum(self.right.values())
        return k / n if n else 1.0

    def table(self) -> str:
        lines = [
            "| type | items | caught | recall | replaced | precision |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for kind in TYPES:
            lines.append(
                f"| {kind} | {self.items[kind]} | {self.caught[kind]} | {self.recall(kind):.0%} "
                f"| {self.predicted[kind]} | {self.precision(kind):.0%} |"
            )
        lines.append(
            f"| all | {sum(self.items.values())} | {sum(self.caught.values())} | "
            f"{self.recall():.1%} | {sum(self.predicted.values())} | {self.precision():.1%} |"
        )
        lines.append(
            f"\nrecall with any placeholder: {self.recall(any_type=True):.1%}; "
            f"medical numbers kept: {self.kept} of {self.kept + len(self.lost)}"
        )
        return "\n".join(lines)


def load(heldout: bool | None = None) -> list[dict]:
    """The labelled snippets; `heldout` picks the held-out part (True) or the rest (False)."""
    entries = yaml.safe_load(SNIPPETS.read_text(encoding="utf-8"))
    if heldout is None:
        return entries
    return [e for e in entries if bool(e.get("heldout")) == heldout]


def replaced_spans(text: str, scrubbed: str) -> list[tuple[int, int, str]]:
    """The (start, end, TYPE) of every span of `text` that became a placeholder in `scrubbed`."""
    pieces = _PLACEHOLDER.split(scrubbed)  # literal, type, literal, type, …, literal
    literals, kinds = pieces[0::2], pieces[1::2]
    pattern = "(.+?)".join(re.escape(literal) for literal in literals)
    match = re.fullmatch(pattern, text, re.DOTALL)
    assert match, f"the scrubber changed more than placeholders:\n{text!r}\n{scrubbed!r}"
    return [(*match.span(i + 1), kind) for i, kind in enumerate(kinds)]


def _loose(value: str) -> str:
    """A pattern for `value` that lets a space match a line break (the YAML texts wrap)."""
    return r"\s+".join(re.escape(part) for part in value.split(" "))


def items(entry: dict) -> list[tuple[int, int, str]]:
    """The (start, end, TYPE) of every labelled occurrence in the entry's text."""
    found = []
    for kind, values in (entry.get("pii") or {}).items():
        assert kind in TYPES, kind
        for value in values:
            hits = list(re.finditer(rf"(?<!\w){_loose(value)}(?!\w)", entry["text"]))
            assert hits, f"{value!r} is not in {entry['text']!r}"
            found += [(m.start(), m.end(), kind) for m in hits]
    # a name inside a labelled e-mail address or URL is that item's, not one of its own
    return [
        (s, e, k)
        for s, e, k in found
        if not any(s2 <= s and e <= e2 and (s2, e2) != (s, e) for s2, e2, _ in found)
    ]


def _covered(positions: list[int], spans: list[tuple[int, int, str]], types: set[str]) -> bool:
    """Whether every position lies in a span replaced by a placeholder of one of `types`."""
    return all(any(s <= i < e for s, e, k in spans if k in types) for i in positions)


def evaluate(scrub: Callable[[str], str], entries: list[dict]) -> Score:
    """Recall, precision and medical numbers kept of `scrub` over `entries`."""
    score = Score()
    for entry in entries:
        text = entry["text"]
        scrubbed = scrub(text)
        spans = replaced_spans(text, scrubbed)
        labelled = items(entry)
        for start, end, kind in labelled:
            needed = [i for i in range(start, end) if text[i].isalnum()]
            score.items[kind] += 1
            if _covered(needed, spans, {kind}):
                score.caught[kind] += 1
            else:
                score.missed.append(f"{kind}: {text[start:end]!r} in {scrubbed!r}")
            if _covered(needed, spans, set(TYPES)):
                score.caught_any[kind] += 1
        for start, end, kind in spans:
            score.predicted[kind] += 1
            if any(k == kind and start < e and s < end for s, e, k in labelled):
                score.right[kind] += 1
            else:
                score.wrong.append(f"{kind}: {text[start:end]!r} in {text!r}")
        for number in entry.get("keep") or []:
            assert re.search(_loose(number), text), f"{number!r} is not in {text!r}"
            if re.search(_loose(number), scrubbed):
                score.kept += 1
            else:
                score.lost.append(f"{number!r} in {scrubbed!r}")
    return score


def _scrub(text: str) -> str:
    return Scrubber().scrub(text)


def test_the_labelled_set_is_big_enough_and_its_labels_are_found():
    entries = load()
    assert len(entries) >= 100
    assert {kind for e in entries for kind in (e.get("pii") or {})} == set(TYPES)
    assert {f"[{kind}]" for kind in TYPES} == set(PLACEHOLDERS.values())
    for entry in entries:
        items(entry)


def test_recall_is_at_least_95_percent_and_no_medical_number_is_lost():
    score = evaluate(_scrub, load())
    print("\n" + score.table())
    assert not score.lost, score.lost
    assert score.recall() >= 0.95, "\n".join(score.missed)


def test_precision_is_at_least_90_percent():
    score = evaluate(_scrub, load())
    assert score.precision() >= 0.90, "\n".join(score.wrong)


def test_role_and_drug_sign_offs_are_not_names():
    for text in ("Thanks,\nWorried Mom", "Thanks\nMetformin", "Regards,\nAnxious Father"):
        assert _scrub(text) == text


if __name__ == "__main__":
    for title, part in (("all", None), ("tuned on", False), ("held out", True)):
        result = evaluate(_scrub, load(part))
        print(f"\n## {title} ({len(load(part))} snippets)\n\n{result.table()}")
        if title == "all":
            print("\nmissed:\n  " + "\n  ".join(result.missed))
            print("wrong:\n  " + "\n  ".join(result.wrong))
            print("lost:\n  " + "\n  ".join(result.lost))
