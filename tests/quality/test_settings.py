"""The recipe's `quality:` block: defaults on, sections off or tuned, errors name the key."""

from __future__ import annotations

import pytest

from meadow.errors import RecipeError
from meadow.quality import QualitySettings
from meadow.quality.settings import BENCHMARKS


def test_every_step_is_on_by_default():
    settings = QualitySettings.parse(None)
    assert settings == QualitySettings.parse(True) == QualitySettings()
    assert settings.pii and settings.exact_dedup and settings.near_dedup and settings.filters
    assert settings.decontamination.checked == BENCHMARKS
    assert settings.decontamination.ngram == 13 and settings.decontamination.action == "remove"


def test_quality_false_turns_every_step_off():
    settings = QualitySettings.parse(False)
    assert not settings.enabled
    assert settings.canonical()["near_dedup"] is False


def test_sections_are_tuned_or_switched_off():
    settings = QualitySettings.parse(
        {
            "near_dedup": {"threshold": 0.9, "shingle_size": 3},
            "decontamination": {"ngram": 8, "action": "flag", "benchmarks": "usmle,medqa"},
            "filters": False,
            "pii": False,
        }
    )
    assert settings.near_dedup.threshold == 0.9 and settings.near_dedup.num_perm == 128
    assert settings.decontamination.checked == ("usmle", "medqa")
    assert settings.filters is None and settings.pii is False
    assert settings.canonical() != QualitySettings().canonical()


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ({"dedup": True}, r"quality\.dedup: unknown step; allowed: exact_dedup"),
        (
            {"near_dedup": {"threshold": 1.5}},
            r"quality\.near_dedup\.threshold: expected a number in \(0, 1\)",
        ),
        (
            {"near_dedup": {"num_perm": 100.5}},
            r"quality\.near_dedup\.num_perm: expected a whole number",
        ),
        (
            {"near_dedup": {"num_perm": 127}},
            r"quality\.near_dedup\.num_perm: expected an even number",
        ),
        (
            {"decontamination": {"action": "drop"}},
            r"quality\.decontamination\.action: expected remove or flag",
        ),
        ({"decontamination": {"require": ["pubmed"]}}, r"unknown benchmark 'pubmed'; known: usmle"),
        (
            {"decontamination": {"ngrams": 13}},
            r"quality\.decontamination\.ngrams: unknown setting; allowed: ngram",
        ),
        ({"filters": {"language": "en"}}, r"quality\.filters\.language: expected true or false"),
        ({"pii": "yes"}, r"quality\.pii: expected true or false"),
        ("strict", r"quality: expected true, false or a mapping"),
    ],
)
def test_bad_settings_name_the_key(value, match):
    with pytest.raises(RecipeError, match=match):
        QualitySettings.parse(value, recipe="my.yaml")


def test_command_line_overrides_turn_decontamination_on():
    settings = QualitySettings.parse({"decontamination": False}).with_overrides(
        contamination="flag", require=["usmle"]
    )
    assert settings.decontamination.action == "flag"
    assert settings.decontamination.require == ("usmle",)
    with pytest.raises(RecipeError, match="expected remove or flag"):
        QualitySettings().with_overrides(contamination="keep")


def test_max_chars_over_the_source_field_limit_warns(caplog, monkeypatch):
    monkeypatch.delenv("MEADOW_MAX_FIELD_CHARS", raising=False)
    QualitySettings.parse({"filters": {"max_chars": 20_000_000}})
    assert "quality.filters.max_chars is 20,000,000" in caplog.text
    assert "MEADOW_MAX_FIELD_CHARS" in caplog.text
    caplog.clear()
    monkeypatch.setenv("MEADOW_MAX_FIELD_CHARS", "30000000")
    QualitySettings.parse({"filters": {"max_chars": 20_000_000}})
    assert not caplog.text
