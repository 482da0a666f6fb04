"""The base Source drops overlong texts for every source, counted, before they are mapped.

One 200 MB field once went through a whole build (3.5-4.4 GB, up to 273 s) before the
quality step dropped it as `too_long`. Raw items and records holding a text over
`max_field_chars()` are now `field_too_long` skips at the source.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from meadow.errors import RecipeError
from meadow.quality.settings import Filters
from meadow.schema import Record
from meadow.sources import base
from meadow.sources.base import FIELD_LIMIT_ENV, MAX_FIELD_CHARS
from meadow.sources.chatdoctor import ChatDoctorSource
from meadow.sources.pmc_llama import PmcLlamaSource
from tests.sources.helpers import collect


def read_all(source: base.Source, path: Path) -> tuple[list[Record], Counter[str]]:
    """Records and skips of one raw file, as a build reads them (`Source.read`)."""
    return collect(source, path)


def chatdoctor_file(tmp_path: Path, long_input: str) -> Path:
    rows = [
        {"instruction": "i", "input": "Is a dry cough normal?", "output": "Often, yes."},
        {"instruction": "i", "input": long_input, "output": "Too long to read."},
        {"instruction": "i", "input": "Is ice good for a sprain?", "output": "Yes, early."},
    ]
    path = tmp_path / "HealthCareMagic-100k.json"
    path.write_text(json.dumps(rows))
    return path


def test_an_overlong_raw_field_is_skipped_before_it_is_mapped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = chatdoctor_file(tmp_path, "x" * (MAX_FIELD_CHARS + 1))
    mapped: list[str] = []
    to_records = ChatDoctorSource.to_records

    def spy(self, item):
        mapped.append(item["row"]["input"][:30])
        return to_records(self, item)

    monkeypatch.setattr(ChatDoctorSource, "to_records", spy)
    records, skips = read_all(ChatDoctorSource(), path)

    assert [r.input for r in records] == ["Is a dry cough normal?", "Is ice good for a sprain?"]
    assert skips == {"field_too_long": 1}
    assert all(not text.startswith("xxx") for text in mapped)  # never mapped, never copied


def test_a_field_at_the_limit_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FIELD_LIMIT_ENV, "1000")
    path = chatdoctor_file(tmp_path, "y" * 1000)
    records, skips = read_all(ChatDoctorSource(), path)
    assert len(records) == 3
    assert "field_too_long" not in skips


def test_an_overlong_record_is_skipped_even_when_a_source_maps_rows_itself(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PMC-LLaMA overrides `records` (one loop over all rows); `read` still applies."""
    monkeypatch.setenv(FIELD_LIMIT_ENV, "1000")
    rows = [
        {"instruction": "i", "input": "q", "output": "a" * 1001, "source": "medmcqa"},
        {"instruction": "i", "input": "q", "output": "short", "source": "medmcqa"},
    ]
    path = tmp_path / "release.json"
    path.write_text("\n".join(json.dumps(dict(row, sample_id=i)) for i, row in enumerate(rows)))
    records, skips = read_all(PmcLlamaSource(), path)
    assert [r.output for r in records] == ["short"]
    assert skips == {"field_too_long": 1}


def test_a_long_text_nested_in_a_dict_of_the_item_counts_too() -> None:
    assert base.has_text_over({"row": {"fields": {"Back": "z" * 11}}}, 10)
    assert not base.has_text_over({"row": {"fields": {"Back": "z" * 10}}, "n": 3}, 10)


def test_a_deeply_nested_item_does_not_exhaust_the_stack() -> None:
    item: dict = {"leaf": "ok"}
    for _ in range(50_000):
        item = {"k": item}
    assert not base.has_text_over(item, 10)


@pytest.mark.parametrize("value", ["0", "-5", "lots", "1e6"])
def test_a_bad_limit_variable_is_a_one_line_error(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(FIELD_LIMIT_ENV, value)
    with pytest.raises(RecipeError, match=r"MEADOW_MAX_FIELD_CHARS: expected a positive number"):
        base.max_field_chars()


def test_the_limit_joins_the_fingerprint_only_when_changed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = ChatDoctorSource().fingerprint_data()
    assert "max_field_chars" not in default  # the caches of existing builds stay valid
    monkeypatch.setenv(FIELD_LIMIT_ENV, "5_000")
    assert ChatDoctorSource().fingerprint_data()["max_field_chars"] == 5000


def test_the_default_limit_is_above_the_quality_filters_too_long() -> None:
    """A row dropped here would have been dropped by the quality step's default bound."""
    assert Filters().max_chars < MAX_FIELD_CHARS
