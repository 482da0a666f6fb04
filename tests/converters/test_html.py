"""HTML to text: what a reader sees, the same from the tag scan and from lxml's tree."""

from __future__ import annotations

import time

import lxml.html
import pytest

from meadow.converters.html import (
    element_to_text,
    html_to_text,
    markup_to_text,
    remove_control_characters,
)

FRAGMENTS = [
    "What is the <b>main</b> function of the kidney?",
    "<div>Filtration&nbsp;of blood</div><div>and <i>fluid</i> balance<br>and salts</div>",
    "<p>Intro:</p><ul><li>one</li><li>two <b>bold</b></li></ul>after",
    "<ol><li>first</li><li>second</li></ol>",
    "a < b and c > d",
    "x<!-- a comment -->y",
    '<a title="a>b" href="#">link</a> &amp;lt;b&amp;gt;',
    "<table><tr><th>drug</th><th>dose</th></tr><tr><td>aspirin</td><td>75 mg</td></tr></table>",
    "<h2>Heading</h2>Text under it<hr>more",
    "Line<br/><br />gap",
    "<DIV>Upper case <B>tags</B></DIV>",
    "<span class='c'>unclosed <b>bold",
    "&eacute;pistaxis &#8805; 2 &#x3bc;g",
    "<blockquote>quoted</blockquote><dl><dt>term</dt><dd>definition</dd></dl>",
    "   spaced    out\n\n\n\ntext   ",
]


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_tag_scan_matches_the_parse_tree(fragment):
    tree = lxml.html.fragment_fromstring(fragment, create_parent="div")
    assert markup_to_text(fragment) == element_to_text(tree)


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<div>Front</div><div>Back</div>", "Front\nBack"),
        ("A&nbsp;B", "A B"),
        ("<p>one</p><p>two</p>", "one\n\ntwo"),
        ("<ul><li>a</li><li>b</li></ul>", "- a\n- b"),
        ("<td>a</td><td>b</td>", "a b"),
        ("", ""),
        ("   ", ""),
        ("no markup at all", "no markup at all"),
        ("<script>alert(1)</script>visible", "visible"),
        ("<style>p {color: red}</style><p>shown</p>", "shown"),
        (
            "<p>code:</p><pre><code>def f():\n    return 1\n</code></pre>",
            "code:\n\ndef f():\n    return 1",
        ),
    ],
)
def test_html_to_text(html, text):
    assert html_to_text(html) == text


def test_no_markup_is_left():
    out = html_to_text("<div class='x'><img src='a.png'><b>b</b> &lt;kept as text&gt;</div>")
    assert out == "b <kept as text>"


# -- hostile input (issue 14) -----------------------------------------------------------

HOSTILE_SIZE = 30_000  # characters; today's code took seconds on each, the fix milliseconds


@pytest.mark.parametrize("unit", ["<a ", "<p", '<a "', "<!", "<?", "x<y "])
def test_tags_that_never_close_take_linear_time(unit):
    text = unit * (HOSTILE_SIZE // len(unit))
    started = time.perf_counter()
    html_to_text(text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("x<y", "x<y"),
        ("a<b c and <b>bold</b>", "abold"),  # "<b c and <b>" is one tag, as in a browser
        ("K+ <3.5 and Na+ <b", "K+ <3.5 and Na+ <b"),
        ("<b>bold</b> then <a <a", "bold then <a <a"),
        ("one <!doctype", "one <!doctype"),
        ('<a title="x>y">link</a> <i>it</i>', "link it"),
    ],
)
def test_a_tag_that_never_closes_is_text(html, text):
    assert html_to_text(html) == markup_to_text(html) == text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<pre>\x0c", ""),
        ("<pre>a\x01b\x0cc</pre>", "ab c"),
        ("<pre>\x00line one\nline two</pre>", "line one\nline two"),
        ("<script>\x01</script><p>after</p>", "after"),
        ("<style>\x02</style>x\x03y", "xy"),
        ("<textarea>a\x0bb</textarea>", "a b"),
        ("<pre>half \ud800 surrogate</pre>", "half \ufffd surrogate"),
    ],
)
def test_control_characters_inside_raw_text_elements_are_removed(html, text):
    assert html_to_text(html) == text


def test_remove_control_characters_keeps_what_xml_allows():
    assert remove_control_characters("tab\tnew\nline\r\x85é€") == "tab\tnew\nline\r\x85é€"
    assert remove_control_characters("a\x00b\x1fc\ufffed") == "ab cd"


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<!DOCTYPE html><style>", ""),
        ("<!DOCTYPE html><script>x", ""),
        ("<html><style>p {}</style>", ""),
        ("<!DOCTYPE html><p>kept<style>", "kept"),
        ("<html><head><style>s</style></head><body><pre>code</pre></body></html>", "code"),
    ],
)
def test_a_document_without_a_body_gives_its_text(html, text):
    assert html_to_text(html) == text


def test_an_unclosed_textarea_does_not_show_closing_tags():
    assert html_to_text("<p>Note:</p><textarea>free text") == "Note:\n\nfree text"
