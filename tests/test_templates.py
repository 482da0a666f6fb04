"""The card templates are found in a source checkout (cards/) and in an installed wheel."""

from __future__ import annotations

import types
from pathlib import Path

import jinja2
import pytest

import meadow.templates
from meadow.templates import card_template

CARDS = Path(__file__).resolve().parent.parent / "cards"
TEMPLATES = ["dataset_card.md.j2", "model_card.md.j2", "model_card_eval.md.j2"]


def test_the_checkout_holds_exactly_the_templates_meadow_renders():
    assert sorted(path.name for path in CARDS.glob("*.j2")) == TEMPLATES


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_template_is_found_and_parses(name):
    text = card_template(name)
    assert text == (CARDS / name).read_text(encoding="utf-8")
    jinja2.Environment().parse(text)


def test_an_installed_wheels_copy_comes_first(monkeypatch, tmp_path):
    packaged = tmp_path / "meadow"
    (packaged / "cards").mkdir(parents=True)
    (packaged / "cards" / "model_card.md.j2").write_text("packaged {{ x }}\n", encoding="utf-8")
    monkeypatch.setattr(
        meadow.templates, "resources", types.SimpleNamespace(files=lambda _: packaged)
    )
    monkeypatch.setattr(meadow.templates, "_CHECKOUT_CARDS", tmp_path / "no-checkout")
    assert card_template("model_card.md.j2") == "packaged {{ x }}\n"


def test_an_unknown_template_names_both_places():
    with pytest.raises(FileNotFoundError, match=r"no card template 'nope.md.j2'.*meadow/cards/"):
        card_template("nope.md.j2")
