"""The wikitext cleaner: what a reader of the rendered page would keep."""

from __future__ import annotations

import textwrap
import time

import pytest

from meadow.converters.wikitext import (
    MAX_LINK_NESTING,
    split_sections,
    strip_markup,
    wikitext_to_text,
)


@pytest.mark.parametrize(
    ("wikitext", "text"),
    [
        ("'''Gout''' is ''common''.", "Gout is common."),
        ("Pain{{cn}} in {{nowrap|{{small|the}}}} toe.", "Pain in toe."),
        ("Uric acid{{{1|}}} and {{{2|urate}}}.", "Uric acid and urate."),
        ('Gout.<ref name="a">Smith {{cite|x={{y}}}}</ref> More.', "Gout. More."),
        ('Gout.<ref name="a" /> More.<ref name=b/>', "Gout. More."),
        ("Gout.<REF>Shouting</REF> More.", "Gout. More."),
        ("Gout <!-- hidden\nnote --> hurts.", "Gout hurts."),
        ("The [[kidney]]s and [[uric acid|urate]].", "The kidneys and urate."),
        ("[[Gout (disease)|]] and [[:Category:Arthritis]].", "Gout and Category:Arthritis."),
        ("[[File:Toe.jpg|thumb|A [[toe]] with [[gout]]]]Text.", "Text."),
        ("[[Image:Toe.jpg]][[Category:Rheumatology]]Text.", "Text."),
        (
            "[http://example.org Arthritis Foundation] and [https://example.org].",
            "Arthritis Foundation and.",
        ),
        ("x&nbsp;&lt;5&gt; &amp; <b>y</b>", "x <5> & y"),
        ("Line<br/>break", "Line\nbreak"),
        ("__NOTOC__\nText.", "Text."),
        ("<gallery>\nA.jpg|a\n</gallery>\nText.", "Text."),
    ],
)
def test_inline_markup(wikitext: str, text: str) -> None:
    assert wikitext_to_text(wikitext) == text


def test_lines_become_paragraphs_and_lists() -> None:
    wikitext = textwrap.dedent(
        """\
        Gout is a kind
        of arthritis.

        Common causes:
        * A diet rich in purines
        ** Red meat
        # Kidneys removing too little
        : An indented note
        ; Term
        ----
        Last paragraph.
        """
    )
    assert wikitext_to_text(wikitext) == (
        "Gout is a kind of arthritis.\n\n"
        "Common causes:\n\n"
        "- A diet rich in purines\n- Red meat\n- Kidneys removing too little\n\n"
        "An indented note\n\nTerm\n\nLast paragraph."
    )


def test_tables_are_removed_even_nested() -> None:
    wikitext = textwrap.dedent(
        """\
        Before.
        {| class="wikitable"
        |-
        ! A !! B
        |-
        | 1 ||
        {|
        | inner
        |}
        |}
        After.
        {| unclosed
        | cell
        """
    )
    assert wikitext_to_text(wikitext) == "Before.\n\nAfter."


def test_unbalanced_braces_do_not_swallow_text() -> None:
    assert wikitext_to_text("Gout }} hurts {{ a lot.") == "Gout hurts a lot."


def test_strip_markup_keeps_lines() -> None:
    text = "First line {{tpl}}\n- item [[a|b]]\n\nLast<ref>x</ref>"
    assert strip_markup(text) == "First line \n- item b\n\nLast"
    assert strip_markup("plain text") == "plain text"


def test_split_sections() -> None:
    wikitext = textwrap.dedent(
        """\
        {{Infobox}}
        Lead text.
        == What is Gout? ==
        Body one.
        ===Causes===
        Body two.
        ==== '''Diet''' <!-- c --> ====
        ====== Deep ======
        Body three.
        = Not a heading
        """
    )
    sections = split_sections(wikitext)
    assert [heading for heading, _ in sections] == ["", "What is Gout?", "Causes", "Diet", "Deep"]
    assert [wikitext_to_text(body) for _, body in sections] == [
        "Lead text.",
        "Body one.",
        "Body two.",
        "",
        "Body three. = Not a heading",
    ]


def test_split_sections_without_lead() -> None:
    assert split_sections("==A==\nx\n==B==\n") == [("A", "\nx\n"), ("B", "\n")]


# -- hostile input (issue 14) -----------------------------------------------------------

HOSTILE = {
    "unclosed references": "<references>" * 2500,
    "unclosed ref tags": "<ref " * 6000,
    "ref tags never self-closed": "<ref/ " * 5000,
    "unclosed galleries": "<gallery>" * 3300,
    "unclosed external links": "[//" * 10000,
    "external links with labels, unclosed": "[http://x.org y " * 2000,
    "nested templates": "{{a" * 5000 + "}}" * 5000,
    "nested links": "[[a" * 5000 + "]]" * 5000,
    "nested tables": "{|\n" * 5000 + "|}\n" * 5000,
    "nested parameters": "{{{a|" * 3000 + "}}}" * 3000,
}


@pytest.mark.parametrize("text", HOSTILE.values(), ids=HOSTILE.keys())
def test_strip_markup_takes_linear_time(text):
    started = time.perf_counter()
    strip_markup(text)
    wikitext_to_text(text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("wikitext", "text"),
    [
        # never closed: kept, and what follows is still cleaned
        ("<gallery>a <timeline>b</timeline> c", "<gallery>a  c"),
        ("<references>x<references/>y", "<references>xy"),
        ("a <ref name=x text", "a <ref name=x text"),
        ("[//x.org never closed\n[//x.org closed]", "[//x.org never closed\nclosed"),
        # nested: removed whole, in one pass
        ("a{{b|{{c|{{d}}}}}}e", "ae"),
        ("a\n{|\n|x\n{|\n|y\n|}\n|z\n|}\nb", "a\n\nb"),
        ("a\n{|\n|x\n{|\n|y\n|}\nb", "a\n"),
        ("[[File:x.png|thumb|A [[kidney|renal]] cyst]] and [[[[nested]]]]", " and nested"),
        ("[[a [b] c]] and [[[d]]]", "[[a [b] c]] and [d]"),
    ],
)
def test_unclosed_and_nested_markup(wikitext, text):
    assert strip_markup(wikitext) == text


def test_links_nested_past_the_limit_are_left_as_text():
    deep = "[[" * (MAX_LINK_NESTING + 1) + "a" + "]]" * (MAX_LINK_NESTING + 1)
    assert strip_markup(deep) == "[[" * MAX_LINK_NESTING + "a" + "]]" * MAX_LINK_NESTING


@pytest.mark.parametrize(
    ("wikitext", "text"),
    [("<pre>\x01x", "x"), ("<pre>a\x0cb</pre> and <textarea>\x0b</textarea>", "a b\n\nand")],
)
def test_control_characters_inside_pre_do_not_raise(wikitext, text):
    assert wikitext_to_text(wikitext) == text
