"""HTML to text: what a reader sees, the same from the tag scan and from lxml's tree."""

from __future__ import annotations

import lxml.html
import pytest

from meadow.converters.html import element_to_text, html_to_text, markup_to_text

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
