"""WikidocSource.batches gives the rows and skips of `read`, on pages with every skip reason
and on generated realistic pages (benchmarks/gen_wikidoc.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from meadow.sources import _wikidoc_pages as wikidoc_pages
from meadow.sources.base import FIELD_LIMIT_ENV
from meadow.sources.wikidoc import WikidocSource
from tests.sources.helpers import assert_batches_match_read, collect
from tests.sources.test_wikidoc import (  # noqa: F401  (fixtures, used by name)
    SAMPLES,
    legacy_page,
    page_with_heading_divs,
    page_with_legacy_headings,
    page_with_parsoid_sections,
    page_with_references_and_infobox,
    patient_page_with_boilerplate,
    textbook_page_with_intro_and_repeated_headings,
    xml_export_with_redirect,
)

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.mark.parametrize(
    "fixture",
    [
        "page_with_legacy_headings",
        "page_with_heading_divs",
        "page_with_parsoid_sections",
        "patient_page_with_boilerplate",
        "page_with_references_and_infobox",
        "textbook_page_with_intro_and_repeated_headings",
        "xml_export_with_redirect",
    ],
)
def test_batches_match_read_on_every_page_shape(fixture: str, request) -> None:
    assert assert_batches_match_read(WikidocSource(), request.getfixturevalue(fixture)) > 0


def test_batches_match_read_with_every_skip_reason(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(wikidoc_pages, "MAX_PAGE_BYTES", 64 * 1024)
    body = b"<h2>Symptoms</h2><p>Cough and wheeze at night.</p>"
    legacy_page(tmp_path, "Big_(patient_information).html", b"<p>" + b"x" * 70_000 + b"</p>")
    legacy_page(
        tmp_path, "Cut_(patient_information).html", body + b"<h2>Outlook</h2><p>Mo", foot=False
    )
    legacy_page(tmp_path, "Deep_(patient_information).html", b"<div>" * 300 + b"</div>" * 300)
    legacy_page(tmp_path, "Empty_(patient_information).html", b"")
    legacy_page(
        tmp_path, "Latin_(patient_information).html", body + b"<h2>Risk</h2><p>\xff\xfe</p>"
    )
    (tmp_path / "Category_Pulmonology.html").write_text(
        '<html><body class="mediawiki ns-14"><h1 id="firstHeading">Category:Pulmonology</h1>'
        '<div class="mw-parser-output"><p>Pages about the lungs.</p></div></body></html>'
    )
    legacy_page(
        tmp_path,
        "Asthma_(patient_information).html",
        body
        + b"<h2>Symptoms</h2><p>Cough and wheeze at night.</p>"  # a duplicate question
        + b"<h2>Outlook</h2><p></p><h2>References</h2><p>Smith 2001.</p>",
    )
    (tmp_path / "Many_sections.html").write_bytes(
        (SAMPLES / "Asthma_pathophysiology.html").read_bytes()
    )
    assert set(collect(WikidocSource(), tmp_path)[1]) == {
        *("too_large", "truncated_page", "too_deep", "empty_page", "not_utf8"),
        *("not_an_article", "duplicate_question", "empty_section", "non_content_section"),
        "page_intro",
    }
    assert assert_batches_match_read(WikidocSource(), tmp_path) > 0
    # a title over the field limit is `field_too_long` in both paths
    monkeypatch.setenv(FIELD_LIMIT_ENV, "20")
    assert_batches_match_read(WikidocSource(), tmp_path)


def test_batches_match_read_on_generated_pages_and_the_samples(tmp_path: Path) -> None:
    sys.path.insert(0, str(BENCH))
    from gen_wikidoc import make_pages

    folder = make_pages(tmp_path / "pages", 60)
    assert assert_batches_match_read(WikidocSource(), folder) > 300
    assert assert_batches_match_read(WikidocSource(), SAMPLES) > 0
