"""WikidocSource on saved pages in each heading shape MediaWiki writes, and on XML exports."""

# The fixtures are pages as MediaWiki writes them, long lines included.
# ruff: noqa: E501

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path

import pytest

from meadow.errors import RawFileError
from meadow.sources import Skip, get_source
from meadow.sources import _wikidoc_pages as wikidoc_pages
from meadow.sources.wikidoc import WikidocSource
from tests.sources.helpers import collect, rows, write_file

SAMPLES = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "wikidoc"


def run(path: Path) -> tuple[list[tuple[str, str, str, str]], Counter[str]]:
    """Records (as rows without the constant columns) and skip counts of one file."""
    records, skips = collect(WikidocSource(), path)
    return rows(records), skips


# -- one patient page, written in the three heading shapes ---------------------------------

LEGACY_HEAD = """\
<!DOCTYPE html>
<html class="client-nojs" lang="en" dir="ltr">
<head>
<meta charset="UTF-8"/>
<title>Asthma (patient information) - wikidoc</title>
<script>document.documentElement.className="client-js";</script>
<link rel="stylesheet" href="/load.php?lang=en&amp;modules=site.styles&amp;only=styles&amp;skin=vector"/>
</head>
<body class="mediawiki ltr sitedir-ltr ns-0 ns-subject page-Asthma_patient_information skin-vector action-view">
<div id="content" class="mw-body" role="main">
<h1 id="firstHeading" class="firstHeading" lang="en">Asthma (patient information)</h1>
<div id="bodyContent" class="mw-body-content">
<div id="siteSub" class="noprint">From wikidoc</div>
<div id="contentSub"></div>
<a class="mw-jump-link" href="#mw-head">Jump to navigation</a>
<div id="mw-content-text" lang="en" dir="ltr" class="mw-content-ltr"><div class="mw-parser-output">"""

LEGACY_FOOT = """\
</div></div>
<div class="printfooter">Retrieved from "<a dir="ltr" href="https://www.wikidoc.org/index.php?title=Asthma_(patient_information)&amp;oldid=1234">https://www.wikidoc.org/index.php?title=Asthma_(patient_information)&amp;oldid=1234</a>"</div>
<div id="catlinks" class="catlinks"><div id="mw-normal-catlinks" class="mw-normal-catlinks"><a href="/index.php/Special:Categories">Category</a>: <ul><li><a href="/index.php/Category:Patient_information">Patient information</a></li></ul></div></div>
</div></div>
</body>
</html>
"""

BOILERPLATE_LEAD = """\
<p><i>For the WikiDoc page for this topic, click <a href="/index.php/Asthma" title="Asthma">here</a></i>
</p><p><b>Editor-In-Chief:</b> C. Michael Gibson, M.S., M.D. <a rel="nofollow" class="external autonumber" href="mailto:charlesmichaelgibson@gmail.com">[1]</a>
</p><p><b>Please Join in Editing This Page and Submit Your Comments and Questions About It In the <a href="/index.php/Talk:Asthma_(patient_information)">Discussion Section</a></b>
</p>"""


def editsection(section: int, heading: str) -> str:
    return (
        '<span class="mw-editsection"><span class="mw-editsection-bracket">[</span>'
        f'<a href="/index.php?title=Asthma_(patient_information)&amp;action=edit&amp;section={section}" '
        f'title="Edit section: {heading}">edit</a>'
        '<span class="mw-editsection-bracket">]</span></span>'
    )


REF = '<sup id="cite_ref-1" class="reference"><a href="#cite_note-1">&#91;1&#93;</a></sup>'

WHAT_IS = (
    "<p>Asthma is a long-term disease of the airways, the tubes that carry air into and out "
    "of the lungs." + REF + " During an attack the airways swell and narrow, and breathing "
    "becomes hard.\n</p>"
)
SYMPTOMS = """\
<p>Common symptoms of asthma are:
</p>
<ul><li>Wheezing</li>
<li>Coughing, especially at night</li>
<li>Shortness of breath</li></ul>"""
URGENT = "<p>Call for help if asthma symptoms do not get better after using a rescue inhaler.\n</p>"
TREATMENT = "<p>Treatment aims to control symptoms and prevent attacks.\n</p>"
MEDICINES = (
    "<p>Two kinds of medicines are used: quick-relief inhalers for attacks and long-term "
    "controller medicines taken every day.\n</p>"
)
OUTLOOK = "<p>Most people with asthma lead normal, active lives when it is well controlled.\n</p>"
DIRECTIONS = '<p><a href="/index.php/Map">Find hospitals near you</a>\n</p>'
SOURCES = """\
<div class="mw-references-wrap"><ol class="references">
<li id="cite_note-1"><span class="mw-cite-backlink"><a href="#cite_ref-1">↑</a></span> <span class="reference-text">National Heart, Lung, and Blood Institute (invented citation).</span>
</li></ol></div>"""

HEADINGS = [
    (2, "What_is_Asthma_?", "What is Asthma ?", WHAT_IS),
    (2, "What_are_the_symptoms_of_Asthma?", "What are the symptoms of Asthma?", SYMPTOMS),
    (2, "When_to_seek_urgent_medical_care?", "When to seek urgent medical care?", URGENT),
    (2, "Treatment_options", "Treatment options", TREATMENT),
    (3, "Medicines", "Medicines", MEDICINES),
    (2, "What_to_expect_(Outlook/Prognosis)?", "What to expect (Outlook/Prognosis)?", OUTLOOK),
    (
        2,
        "Directions_to_Hospitals_Treating_Asthma",
        "Directions to Hospitals Treating Asthma",
        DIRECTIONS,
    ),
    (2, "Sources", "Sources", SOURCES),
]

TOC = """\
<div id="toc" class="toc" role="navigation" aria-labelledby="mw-toc-heading"><input type="checkbox" role="button" id="toctogglecheckbox" class="toctogglecheckbox" style="display:none" /><div class="toctitle" lang="en" dir="ltr"><h2 id="mw-toc-heading">Contents</h2><span class="toctogglespan"><label class="toctogglelabel" for="toctogglecheckbox"></label></span></div>
<ul>
<li class="toclevel-1 tocsection-1"><a href="#What_is_Asthma_?"><span class="tocnumber">1</span> <span class="toctext">What is Asthma ?</span></a></li>
<li class="toclevel-1 tocsection-2"><a href="#What_are_the_symptoms_of_Asthma?"><span class="tocnumber">2</span> <span class="toctext">What are the symptoms of Asthma?</span></a></li>
</ul>
</div>
"""


@pytest.fixture
def page_with_legacy_headings(tmp_path: Path) -> Path:
    """MediaWiki up to 1.42: <h2><span class="mw-headline">…</span><span class="mw-editsection">."""
    body = [BOILERPLATE_LEAD, TOC]
    for n, (level, anchor, heading, html) in enumerate(HEADINGS, start=1):
        body.append(
            f'<h{level}><span class="mw-headline" id="{anchor}">{heading}</span>'
            f"{editsection(n, heading)}</h{level}>\n{html}\n"
        )
    return write_file(
        tmp_path,
        "Asthma_(patient_information).html",
        LEGACY_HEAD + "".join(body) + LEGACY_FOOT,
        lstrip=True,
    )


@pytest.fixture
def page_with_heading_divs(tmp_path: Path) -> Path:
    """MediaWiki 1.43+: <div class="mw-heading mw-heading2"><h2 id=…>…</h2>editsection</div>."""
    body = [BOILERPLATE_LEAD, '<meta property="mw:PageProp/toc" />\n']
    for n, (level, anchor, heading, html) in enumerate(HEADINGS, start=1):
        body.append(
            f'<div class="mw-heading mw-heading{level}"><h{level} id="{anchor}">{heading}'
            f"</h{level}>{editsection(n, heading)}</div>\n{html}\n"
        )
    return write_file(
        tmp_path,
        "Asthma_(patient_information).html",
        LEGACY_HEAD + "".join(body) + LEGACY_FOOT,
        lstrip=True,
    )


@pytest.fixture
def page_with_parsoid_sections(tmp_path: Path) -> Path:
    """Parsoid HTML (REST API / page bundles): nested <section data-mw-section-id=…>."""
    parts = [
        '<!DOCTYPE html>\n<html prefix="dc: http://purl.org/dc/terms/ mw: http://mediawiki.org/rdf/">'
        '<head prefix="mwr: https://www.wikidoc.org/index.php/Special:Redirect/"><meta charset="utf-8"/>'
        '<meta property="mw:pageNamespace" content="0"/><meta property="mw:pageId" content="1234"/>'
        "<title>Asthma (patient information)</title>"
        '<base href="//www.wikidoc.org/index.php/"/></head>'
        '<body id="mwAA" lang="en" class="mw-content-ltr sitedir-ltr ltr mw-body-content '
        'parsoid-body mediawiki mw-parser-output" dir="ltr">'
        '<section data-mw-section-id="0" id="mwAQ">' + BOILERPLATE_LEAD + "</section>"
    ]
    open_levels: list[int] = []
    for n, (level, anchor, heading, html) in enumerate(HEADINGS, start=1):
        while open_levels and open_levels[-1] >= level:
            parts.append("</section>")
            open_levels.pop()
        parts.append(
            f'<section data-mw-section-id="{n}" id="mwA{n}"><h{level} id="{anchor}">{heading}'
            f"</h{level}>\n{html}\n"
        )
        open_levels.append(level)
    parts.append("</section>" * len(open_levels) + "</body></html>\n")
    return write_file(tmp_path, "Asthma_(patient_information).html", "".join(parts), lstrip=True)


EXPECTED_PATIENT_RECORDS = [
    (
        "patient_information",
        "Asthma (patient information)#What is Asthma ?",
        "What is Asthma?",
        "Asthma is a long-term disease of the airways, the tubes that carry air into and out "
        "of the lungs. During an attack the airways swell and narrow, and breathing becomes hard.",
    ),
    (
        "patient_information",
        "Asthma (patient information)#What are the symptoms of Asthma?",
        "What are the symptoms of Asthma?",
        "Common symptoms of asthma are:\n\n- Wheezing\n- Coughing, especially at night\n"
        "- Shortness of breath",
    ),
    (
        "patient_information",
        "Asthma (patient information)#When to seek urgent medical care?",
        "When should I seek urgent medical care for asthma?",
        "Call for help if asthma symptoms do not get better after using a rescue inhaler.",
    ),
    (
        "patient_information",
        "Asthma (patient information)#Treatment options",
        "What are the treatment options for asthma?",
        "Treatment aims to control symptoms and prevent attacks.",
    ),
    (
        "patient_information",
        "Asthma (patient information)#Medicines",
        "What should I know about medicines in asthma?",
        "Two kinds of medicines are used: quick-relief inhalers for attacks and long-term "
        "controller medicines taken every day.",
    ),
    (
        "patient_information",
        "Asthma (patient information)#What to expect (Outlook/Prognosis)?",
        "What is the outlook (prognosis) for asthma?",
        "Most people with asthma lead normal, active lives when it is well controlled.",
    ),
]


@pytest.mark.parametrize(
    "shape", ["page_with_legacy_headings", "page_with_heading_divs", "page_with_parsoid_sections"]
)
def test_every_heading_shape_gives_the_same_records(shape: str, request) -> None:
    records, skips = run(request.getfixturevalue(shape))
    assert records == EXPECTED_PATIENT_RECORDS
    assert skips == {"page_intro": 1, "non_content_section": 2}


def test_parse_yields_title_sections_and_file(page_with_parsoid_sections: Path) -> None:
    (item,) = WikidocSource().parse(page_with_parsoid_sections)
    assert item["title"] == "Asthma (patient information)"
    assert item["file"] == str(page_with_parsoid_sections)
    assert [heading for heading, _ in item["sections"]] == [
        "",
        "What is Asthma ?",
        "What are the symptoms of Asthma?",
        "When to seek urgent medical care?",
        "Treatment options",
        "Medicines",
        "What to expect (Outlook/Prognosis)?",
        "Directions to Hospitals Treating Asthma",
        "Sources",
    ]


def test_records_carry_source_instruction_and_license(page_with_heading_divs: Path) -> None:
    record = next(
        r for r in WikidocSource().records(page_with_heading_divs) if not isinstance(r, Skip)
    )
    assert record.source == "wikidoc"
    assert record.instruction == "Answer this question truthfully"
    assert record.license == "CC-BY-SA-3.0"


# -- cleaning -----------------------------------------------------------------------------


@pytest.fixture
def patient_page_with_boilerplate(tmp_path: Path) -> Path:
    """Boilerplate in the lead and inside sections, and wikitext the wiki failed to render."""
    return write_file(
        tmp_path,
        "Gout_(patient_information).html",
        """\
        <html><head><title>Gout (patient information) - wikidoc</title></head><body>
        <h1 id="firstHeading" class="firstHeading">Gout (patient information)</h1>
        <div id="mw-content-text"><div class="mw-parser-output">
        <p><i>For the WikiDoc page for this topic, click <a href="/index.php/Gout">here</a></i></p>
        <p><b>Editor-in-Chief:</b> Jane Doe, M.D.; <b>Associate Editor(s)-in-Chief:</b> John Roe</p>
        <p><b>Please Join in Editing This Page and Submit Your Comments and Questions About It In the Discussion Section</b></p>
        <h2><span class="mw-headline" id="What_is_Gout?">What is Gout ?</span></h2>
        <p>Editor-In-Chief: Jane Doe, M.D.<br/>Gout is a painful swelling of a joint caused by uric acid crystals &lt;ref name="ua"&gt;Uric acid review&lt;/ref&gt; .</p>
        <p>Template:Gout</p>
        <h2><span class="mw-headline" id="What_causes_Gout?">What causes Gout ?</span></h2>
        <p>Too much uric acid in the blood, {{cite journal|title=Urate}} often from the diet or the [[kidney|kidneys]] removing too little of it.</p>
        <p>Please help WikiDoc by adding more content here. It's easy! Click here to learn about editing.</p>
        <h2><span class="mw-headline" id="Prevention">Prevention</span></h2>
        <p>Please help WikiDoc by adding content here.</p>
        <h2><span class="mw-headline" id="Possible_complications">Possible complications</span></h2>
        </div></div></body></html>
        """,
    )


def test_boilerplate_and_leftover_wikitext_are_removed(patient_page_with_boilerplate: Path) -> None:
    records, skips = run(patient_page_with_boilerplate)
    assert records == [
        (
            "patient_information",
            "Gout (patient information)#What is Gout ?",
            "What is Gout?",
            "Gout is a painful swelling of a joint caused by uric acid crystals.",
        ),
        (
            "patient_information",
            "Gout (patient information)#What causes Gout ?",
            "What causes Gout?",
            "Too much uric acid in the blood, often from the diet or the kidneys removing too "
            "little of it.",
        ),
    ]
    assert skips == {"page_intro": 1, "empty_section": 2}


@pytest.fixture
def page_with_references_and_infobox(tmp_path: Path) -> Path:
    """A textbook microchapter: infobox, navbox, references, editor line, a References section."""
    return write_file(
        tmp_path,
        "Asthma_pathophysiology.html",
        """\
        <!DOCTYPE html>
        <html><head><meta charset="UTF-8"/><title>Asthma pathophysiology - wikidoc</title></head><body>
        <h1 id="firstHeading" class="firstHeading">Asthma pathophysiology</h1>
        <div id="mw-content-text" class="mw-content-ltr"><div class="mw-parser-output">
        <table class="infobox" style="width:22em"><tbody><tr><th colspan="2">Asthma</th></tr>
        <tr><td>ICD-10</td><td>J45</td></tr></tbody></table>
        <div class="toccolours"><b>Asthma Microchapters</b><ul><li>Overview</li><li>Causes</li></ul></div>
        <p><b>Editor-In-Chief:</b> C. Michael Gibson, M.S., M.D. <a class="external autonumber" href="mailto:x@example.org">[1]</a></p>
        <h2><span class="mw-headline" id="Overview">Overview</span><span class="mw-editsection">[<a href="/index.php?action=edit&amp;section=1">edit</a>]</span></h2>
        <p>Asthma is driven by chronic inflammation of the airways.<sup id="cite_ref-a_1-0" class="reference"><a href="#cite_note-a-1">[1]</a></sup></p>
        <div class="thumb tright"><div class="thumbinner"><img src="/images/a.png" alt=""/><div class="thumbcaption">Airway diagram</div></div></div>
        <h2><span class="mw-headline" id="Pathophysiology">Pathophysiology</span><span class="mw-editsection">[<a href="/index.php?action=edit&amp;section=2">edit</a>]</span></h2>
        <ul><li>Airway inflammation<sup class="reference"><a href="#cite_note-b-2">[2]</a></sup></li>
        <li>Bronchial hyperresponsiveness</li>
        <li>Reversible airflow obstruction</li></ul>
        <h3><span class="mw-headline" id="Genetics">Genetics</span></h3>
        <p>The risk of asthma runs in families; many genes each add a small risk.</p>
        <h2><span class="mw-headline" id="References">References</span></h2>
        <div class="reflist" style="list-style-type: decimal;"><div class="mw-references-wrap"><ol class="references">
        <li id="cite_note-a-1"><span class="mw-cite-backlink"><a href="#cite_ref-a_1-0">↑</a></span> <span class="reference-text">An invented review.</span></li>
        </ol></div></div>
        <table class="navbox"><tbody><tr><th>Diseases of the respiratory system</th></tr><tr><td>Asthma · COPD</td></tr></tbody></table>
        <script>mw.loader.load("x");</script>
        </div></div></body></html>
        """,
    )


def test_textbook_page_drops_infobox_navbox_and_references(
    page_with_references_and_infobox: Path,
) -> None:
    records, skips = run(page_with_references_and_infobox)
    assert records == [
        (
            "textbook",
            "Asthma pathophysiology#Overview",
            "Can you give an overview of asthma pathophysiology?",
            "Asthma is driven by chronic inflammation of the airways.",
        ),
        (
            "textbook",
            "Asthma pathophysiology#Pathophysiology",
            "What is the pathophysiology of asthma?",
            "- Airway inflammation\n- Bronchial hyperresponsiveness\n"
            "- Reversible airflow obstruction",
        ),
        (
            "textbook",
            "Asthma pathophysiology#Genetics",
            "What is known about the genetics of asthma?",
            "The risk of asthma runs in families; many genes each add a small risk.",
        ),
    ]
    assert skips == {"page_intro": 1, "non_content_section": 1}


@pytest.fixture
def textbook_page_with_intro_and_repeated_headings(tmp_path: Path) -> Path:
    return write_file(
        tmp_path,
        "COPD.html",
        """\
        <html><head><title>COPD - wikidoc</title></head><body>
        <h1 id="firstHeading">COPD</h1>
        <div id="mw-content-text"><div class="mw-parser-output">
        <p><b>Chronic obstructive pulmonary disease</b> (COPD) is a long-term lung disease that makes breathing harder over time.</p>
        <h2><span class="mw-headline" id="What_is_COPD?">What is COPD ?</span></h2>
        <p>COPD narrows the airways and damages the air sacs.</p>
        <h2><span class="mw-headline" id="Causes">Causes</span></h2>
        <p>Smoking causes most cases.</p>
        <h2><span class="mw-headline" id="Causes_2">Causes</span></h2>
        <p>Air pollution and dust at work add to the risk.</p>
        <h2><span class="mw-headline" id="Outlook">Outlook</span></h2>
        <h2><span class="mw-headline" id="See_also">See also</span></h2>
        <ul><li><a href="/index.php/Asthma">Asthma</a></li></ul>
        </div></div></body></html>
        """,
    )


def test_duplicate_questions_are_skipped_and_lead_yields_to_headings(
    textbook_page_with_intro_and_repeated_headings: Path,
) -> None:
    records, skips = run(textbook_page_with_intro_and_repeated_headings)
    assert records == [
        (
            "textbook",
            "COPD#What is COPD ?",
            "What is COPD?",
            "COPD narrows the airways and damages the air sacs.",
        ),
        ("textbook", "COPD#Causes", "What causes COPD?", "Smoking causes most cases."),
    ]
    # The lead asks "What is COPD?" too, the second "Causes" repeats the first.
    assert skips == {"duplicate_question": 2, "empty_section": 1, "non_content_section": 1}


def test_repeated_headings_get_numbered_source_ids() -> None:
    item = {
        "title": "Gout",
        "sections": [
            ("Causes", "Please help WikiDoc by adding content here."),
            ("Diagnosis", "A joint fluid test shows crystals."),
            ("Causes", "Uric acid builds up in the blood."),
            ("Causes", "Diet plays a part."),
        ],
        "file": "x",
    }
    out = [getattr(r, "source_id", r) for r in WikidocSource().to_records(item)]
    assert out == [
        Skip("empty_section"),
        "Gout#Diagnosis",
        "Gout#Causes (2)",
        Skip("duplicate_question"),
    ]


def test_textbook_lead_becomes_what_is_question(tmp_path: Path) -> None:
    item = {
        "title": "Asthma",
        "sections": [
            ("", "Asthma is a common long-term inflammatory disease of the airways of the lungs."),
        ],
        "file": "x",
    }
    (record,) = WikidocSource().to_records(item)
    assert record.input == "What is asthma?"
    assert record.source_id == "Asthma#"


def test_inputs_and_outputs_are_clean(
    page_with_legacy_headings: Path,
    patient_page_with_boilerplate: Path,
    page_with_references_and_infobox: Path,
) -> None:
    for path in (
        page_with_legacy_headings,
        patient_page_with_boilerplate,
        page_with_references_and_infobox,
    ):
        records, _ = run(path)
        for _, _, question, answer in records:
            assert question.endswith("?") and not question.endswith("??")
            for bad in (" ?", " ,", " .", "  "):
                assert bad not in question
            for text in (question, answer):
                for leftover in (
                    "<ref",
                    "{{",
                    "}}",
                    "[[",
                    "]]",
                    "Editor-in-Chief",
                    "Editor-In-Chief",
                    "click here",
                    "[edit]",
                    "Template:",
                ):
                    assert leftover not in text


def test_pages_outside_the_main_namespace_are_skipped(tmp_path: Path) -> None:
    legacy = write_file(
        tmp_path,
        "Category_Pulmonology.html",
        """\
        <html><head><title>Category:Pulmonology - wikidoc</title></head>
        <body class="mediawiki ltr ns-14 ns-subject page-Category_Pulmonology">
        <h1 id="firstHeading">Category:Pulmonology</h1>
        <div id="mw-content-text"><div class="mw-parser-output"><p>Pages about the lungs.</p></div></div>
        </body></html>
        """,
    )
    parsoid = write_file(
        tmp_path,
        "Template_CMG.htm",
        """\
        <html><head><meta property="mw:pageNamespace" content="10"/><title>Template:CMG</title></head>
        <body class="mw-content-ltr parsoid-body mediawiki mw-parser-output"><p>Editor text.</p></body></html>
        """,
    )
    for path in (legacy, parsoid):
        assert list(WikidocSource().parse(path)) == [Skip("not_an_article")]


def test_page_in_a_legacy_encoding_uses_its_meta_charset(tmp_path: Path) -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "<title>Sjögren syndrome - wikidoc</title></head><body>"
        '<h1 id="firstHeading">Sjögren syndrome</h1><div class="mw-parser-output">'
        "<h2>Overview</h2><p>People with Sjögren syndrome have a dry mouth – and dry eyes.</p>"
        "</div></body></html>"
    )
    path = tmp_path / "Sj%C3%B6gren_syndrome.html"
    path.write_bytes(html.encode("windows-1252"))
    records, _ = run(path)
    assert records == [
        (
            "textbook",
            "Sjögren syndrome#Overview",
            "Can you give an overview of Sjögren syndrome?",
            "People with Sjögren syndrome have a dry mouth – and dry eyes.",
        )
    ]


# -- MediaWiki XML exports --------------------------------------------------------------


@pytest.fixture
def xml_export_with_redirect(tmp_path: Path) -> Path:
    return write_file(
        tmp_path,
        "wikidoc-export.xml",
        """\
        <mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.mediawiki.org/xml/export-0.11/ http://www.mediawiki.org/xml/export-0.11.xsd" version="0.11" xml:lang="en">
          <siteinfo>
            <sitename>wikidoc</sitename>
            <dbname>wikidoc</dbname>
            <base>https://www.wikidoc.org/index.php/Main_Page</base>
            <generator>MediaWiki 1.39.3</generator>
            <case>first-letter</case>
            <namespaces>
              <namespace key="0" case="first-letter" />
              <namespace key="10" case="first-letter">Template</namespace>
            </namespaces>
          </siteinfo>
          <page>
            <title>Gout (patient information)</title>
            <ns>0</ns>
            <id>101</id>
            <revision>
              <id>9001</id>
              <timestamp>2020-01-01T00:00:00Z</timestamp>
              <contributor><username>Example</username><id>7</id></contributor>
              <model>wikitext</model>
              <format>text/x-wiki</format>
              <text bytes="600" xml:space="preserve">{{Gout (patient information)}}
        {{CMG}}

        '''Editor-in-Chief:''' Jane Doe, M.D.

        ==What is Gout ?==
        '''Gout''' is a painful swelling of a [[joint]] caused by [[uric acid|uric acid crystals]].&lt;ref name="ua"&gt;{{cite web|title=Uric acid}}&lt;/ref&gt;

        ==What are the symptoms of Gout?==
        * Sudden, severe pain in one joint&lt;ref&gt;Invented.&lt;/ref&gt;
        * Redness and warmth
        [[Image:Gout.jpg|thumb|A [[toe]] with gout]]

        ==When to seek urgent medical care==
        Call your doctor if a joint becomes hot and swollen.&lt;!-- hidden note --&gt;

        ==Sources==
        &lt;references/&gt;

        [[Category:Patient information]]</text>
              <sha1>abc</sha1>
            </revision>
          </page>
          <page>
            <title>Podagra</title>
            <ns>0</ns>
            <id>102</id>
            <redirect title="Gout (patient information)" />
            <revision>
              <id>9002</id>
              <text bytes="40" xml:space="preserve">#REDIRECT [[Gout (patient information)]]</text>
            </revision>
          </page>
          <page>
            <title>Template:CMG</title>
            <ns>10</ns>
            <id>103</id>
            <revision>
              <id>9003</id>
              <text bytes="20" xml:space="preserve">Editor-in-Chief text</text>
            </revision>
          </page>
          <page>
            <title>Gout causes</title>
            <ns>0</ns>
            <id>104</id>
            <revision>
              <id>9004</id>
              <text bytes="300" xml:space="preserve">__NOTOC__
        {{Gout}}
        ==Overview==
        Gout is caused by too much [[uric acid]] in the blood.
        ==Causes==
        {| class="wikitable"
        ! Cause !! Example
        |-
        | Diet || Red meat
        |}
        Common causes include:
        # A diet rich in purines
        # Kidneys that remove too little uric acid
        ==Related chapters==
        * [[Arthritis]]</text>
            </revision>
          </page>
        </mediawiki>
        """,
    )


def test_xml_export_gives_records_and_skips(xml_export_with_redirect: Path) -> None:
    records, skips = run(xml_export_with_redirect)
    assert records == [
        (
            "patient_information",
            "Gout (patient information)#What is Gout ?",
            "What is Gout?",
            "Gout is a painful swelling of a joint caused by uric acid crystals.",
        ),
        (
            "patient_information",
            "Gout (patient information)#What are the symptoms of Gout?",
            "What are the symptoms of Gout?",
            "- Sudden, severe pain in one joint\n- Redness and warmth",
        ),
        (
            "patient_information",
            "Gout (patient information)#When to seek urgent medical care",
            "When should I seek urgent medical care for gout?",
            "Call your doctor if a joint becomes hot and swollen.",
        ),
        (
            "textbook",
            "Gout causes#Overview",
            "Can you give an overview of gout causes?",
            "Gout is caused by too much uric acid in the blood.",
        ),
        (
            "textbook",
            "Gout causes#Causes",
            "What causes gout?",
            "Common causes include:\n\n- A diet rich in purines\n"
            "- Kidneys that remove too little uric acid",
        ),
    ]
    assert skips == {
        "redirect": 1,
        "not_an_article": 1,
        "page_intro": 1,
        "non_content_section": 2,
    }


def test_xml_export_without_namespace_is_read(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "plain.xml",
        """\
        <?xml version="1.0" encoding="utf-8"?>
        <mediawiki>
          <page><title>Gout</title><ns>0</ns><revision><text>Gout is a form of arthritis.
        == Diagnosis ==
        A joint fluid test shows crystals.</text></revision></page>
        </mediawiki>
        """,
    )
    records, _ = run(path)
    assert [(r[2], r[3]) for r in records] == [
        ("What is gout?", "Gout is a form of arthritis."),
        ("How is gout diagnosed?", "A joint fluid test shows crystals."),
    ]


def test_xml_entities_are_not_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    path = write_file(
        tmp_path,
        "xxe.xml",
        f"""\
        <?xml version="1.0"?>
        <!DOCTYPE mediawiki [<!ENTITY xxe SYSTEM "file://{secret}">]>
        <mediawiki><page><title>Gout</title><ns>0</ns><revision><text>Gout &xxe; hurts a lot.</text></revision></page></mediawiki>
        """,
        lstrip=True,
    )
    records, _ = run(path)
    assert [r[3] for r in records] == ["Gout &xxe; hurts a lot."]


# -- files that cannot be read ------------------------------------------------------------


def test_html_that_is_not_a_wikidoc_page(tmp_path: Path) -> None:
    path = write_file(tmp_path, "notes.html", "<html><body><p>My notes</p></body></html>")
    with pytest.raises(
        RawFileError, match=r"notes\.html: not a saved wikidoc page .*save the page again"
    ):
        list(WikidocSource().parse(path))


def test_empty_html_file(tmp_path: Path) -> None:
    path = write_file(tmp_path, "empty.html", "")
    with pytest.raises(RawFileError, match="empty file"):
        list(WikidocSource().parse(path))


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        "broken.xml",
        """\
        <mediawiki>
          <page><title>Gout</title><ns>0</ns>
          <revision><text>Gout</revision>
        </mediawiki>
        """,
    )
    with pytest.raises(
        RawFileError, match=r"broken\.xml: malformed XML at line 3: .*export it again"
    ):
        list(WikidocSource().parse(path))


def test_xml_that_is_not_a_mediawiki_export(tmp_path: Path) -> None:
    path = write_file(tmp_path, "posts.xml", '<posts><row Id="1" Body="x"/></posts>')
    with pytest.raises(RawFileError, match=r"not a MediaWiki XML export .*<posts>.*Special:Export"):
        list(WikidocSource().parse(path))


def test_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "readme.txt").write_text("not a page")
    with pytest.raises(RawFileError, match=r"folder holds no \.html or \.htm or \.xml files"):
        WikidocSource().shards(tmp_path)


# -- registry, file names, samples ----------------------------------------------------------


def test_registered_with_its_metadata() -> None:
    cls = get_source("wikidoc")
    assert cls is WikidocSource
    info = cls.info()
    assert info["subsets"] == ["patient_information", "textbook"]
    assert info["license"] == "CC-BY-SA-3.0"
    assert "arXiv:2304.08247" in info["citation"]
    assert "meadow fetch wikidoc --out DIR" in info["how_to_get"]
    assert "meadow fetch wikidoc --pages PAGES.txt --out DIR" in info["how_to_get"]


@pytest.mark.parametrize(
    ("title", "filename"),
    [
        ("Asthma (patient information)", "Asthma_(patient_information).html"),
        ("AC/DC injury", "AC%2FDC_injury.html"),
        ("Crohn's disease", "Crohn's_disease.html"),
        ("What? *Why*", "What%3F_%2AWhy%2A.html"),
        (".hidden", "%2Ehidden.html"),
    ],
)
def test_page_filename_is_safe(title: str, filename: str) -> None:
    assert WikidocSource.page_filename(title) == filename
    assert (
        WikidocSource.page_url.format(title="Asthma") == "https://www.wikidoc.org/index.php/Asthma"
    )


def test_long_page_filenames_are_cut_and_unique() -> None:
    a = WikidocSource.page_filename("A" * 300)
    b = WikidocSource.page_filename("A" * 299 + "B")
    assert a != b and len(a) < 200 and a.endswith(".html")


def test_title_falls_back_to_the_file_name(tmp_path: Path) -> None:
    path = write_file(
        tmp_path,
        WikidocSource.page_filename("Gout (patient information)"),
        '<html><body><div class="mw-parser-output"><h2>What is Gout?</h2><p>A kind of arthritis.</p></div></body></html>',
    )
    (item,) = WikidocSource().parse(path)
    assert item["title"] == "Gout (patient information)"


def test_samples_cover_both_subsets_and_are_clean() -> None:
    records, skips = collect(WikidocSource(), SAMPLES)
    subsets = Counter(item.subset for item in records)
    for item in records:
        for leftover in (
            "<ref",
            "{{",
            "[[",
            "Editor-in-Chief",
            "Editor-In-Chief",
            "Sample page",
            "not medical advice",
            "click here",
        ):
            assert leftover not in item.output and leftover not in item.input
        assert " ?" not in item.input
    assert subsets["patient_information"] >= 10 and subsets["textbook"] >= 10
    assert skips["redirect"] == 1


def test_benchmark_pages_parse(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_wikidoc", Path(__file__).resolve().parents[2] / "benchmarks" / "gen_wikidoc.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    folder = module.make_pages(tmp_path / "pages", 6, seed=1)
    files = WikidocSource().shards(folder)
    assert len(files) == 6
    assert all(20_000 <= path.stat().st_size <= 70_000 for path in files)
    for path in files:
        records, _ = run(path)
        assert records


# -- hostile pages: counted, and the build goes on (issue 14) ----------------------------


def legacy_page(folder: Path, name: str, body: bytes, *, foot: bool = True) -> Path:
    """A saved page in the legacy shape whose article is `body` (bytes, written as they are)."""
    path = folder / name
    path.write_bytes(LEGACY_HEAD.encode() + body + (LEGACY_FOOT.encode() if foot else b""))
    return path


def sections_of(records: list[tuple[str, str, str, str]]) -> dict[str, str]:
    return {source_id.partition("#")[2]: output for _, source_id, _, output in records}


def test_control_characters_in_a_page_are_removed_and_the_folder_is_read(tmp_path: Path) -> None:
    legacy_page(
        tmp_path,
        "Asthma_(patient_information).html",
        b"<h2>Symptoms</h2><pre>wheeze\x0cat night\x01</pre>"
        b"<h2>Outlook</h2><p>Most people\x02 do well.</p><ul><li>Keep\x1b an inhaler.</li></ul>",
    )
    records, skips = run(tmp_path)
    assert sections_of(records) == {
        "Symptoms": "wheeze at night",
        "Outlook": "Most people do well.\n\n- Keep an inhaler.",
    }
    assert not skips


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<h2>Symptoms</h2><p>" + b"cough " * 1_800_000 + b"</p>", "too_large"),  # 10.8 MB
        (b"<h2>Symptoms</h2>" + b"<div>" * 300 + b"<p>deep</p>" + b"</div>" * 300, "too_deep"),
    ],
)
def test_a_page_over_libxml2s_limits_is_counted_not_read_cut_short(
    tmp_path: Path, body: bytes, reason: str
) -> None:
    legacy_page(tmp_path, "Asthma_(patient_information).html", body)
    legacy_page(tmp_path, "Gout_(patient_information).html", b"<h2>Outlook</h2><p>Good.</p>")
    records, skips = run(tmp_path)
    assert sections_of(records) == {"Outlook": "Good."}  # the other page
    assert skips == {reason: 1}


def test_a_page_over_the_size_limit_is_skipped_unread(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(wikidoc_pages, "MAX_PAGE_BYTES", 4096)
    legacy_page(tmp_path, "Asthma_(patient_information).html", b"<p>" + b"x" * 5000 + b"</p>")
    legacy_page(tmp_path, "Gout_(patient_information).html", b"<h2>Outlook</h2><p>Good.</p>")
    records, skips = run(tmp_path)
    assert len(records) == 1 and skips == {"too_large": 1}


def test_a_page_cut_inside_its_article_loses_only_the_cut_section(tmp_path: Path) -> None:
    legacy_page(
        tmp_path,
        "Asthma_(patient_information).html",
        b"<h2>Symptoms</h2><p>Cough and wheeze at night.</p><h2>Outlook</h2><p>Most people do we",
        foot=False,
    )
    records, skips = run(tmp_path)
    assert sections_of(records) == {"Symptoms": "Cough and wheeze at night."}
    assert skips == {"truncated_page": 1}


def test_a_page_cut_after_its_article_is_read_whole(tmp_path: Path) -> None:
    path = legacy_page(
        tmp_path,
        "Asthma_(patient_information).html",
        b"<h2>Symptoms</h2><p>Cough.</p><h2>Outlook</h2><p>Most people do well.</p>",
    )
    path.write_bytes(path.read_bytes()[: -len(b"</body>\n</html>\n")])  # cut in the footer
    records, skips = run(path)
    assert sections_of(records) == {"Symptoms": "Cough.", "Outlook": "Most people do well."}
    assert not skips


def test_a_page_cut_before_its_article_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "Asthma_(patient_information).html"
    path.write_bytes(LEGACY_HEAD.encode()[:200])
    assert run(path) == ([], Counter({"truncated_page": 1}))


@pytest.mark.parametrize("charset", [b"", b'<meta charset="UTF-8"/>'])
def test_sections_with_bytes_that_are_not_utf8_are_counted(tmp_path: Path, charset: bytes) -> None:
    path = legacy_page(
        tmp_path,
        "Asthma_(patient_information).html",
        b"<h2>Symptoms</h2><p>Cough and wheeze at night, caf\xe9 \xff.</p>"
        b"<h2>Outlook</h2><p>Most people do well.</p>",
    )
    path.write_bytes(path.read_bytes().replace(b'<meta charset="UTF-8"/>', charset))
    records, skips = run(path)
    assert sections_of(records) == {"Outlook": "Most people do well."}
    assert skips == {"not_utf8": 1}


def test_an_export_page_over_the_size_limit_is_skipped(
    xml_export_with_redirect: Path, monkeypatch
) -> None:
    monkeypatch.setattr(wikidoc_pages, "MAX_PAGE_BYTES", 200)
    records, skips = run(xml_export_with_redirect)
    assert skips["too_large"] >= 1
