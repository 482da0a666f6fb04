"""HTML to clean plain text, without BeautifulSoup (ten times slower on our inputs).

HTML whitespace collapses as a browser collapses it; block elements become line breaks,
paragraphs, headings, lists and tables become paragraphs, list items become "- " lines,
`<pre>` keeps its lines and indentation, and no markup is left.
"""

from __future__ import annotations

import html as html_lib
import re

import lxml.html
from lxml import etree

PARAGRAPH_TAGS = frozenset(
    {"p", "blockquote", "pre", "table", "ul", "ol", "dl", "hr", "figure", "section", "article"}
    | {f"h{level}" for level in range(1, 7)}
)
LINE_TAGS = frozenset({"div", "header", "footer", "tr", "dt", "dd", "figcaption", "caption", "br"})
CELL_TAGS = frozenset({"td", "th"})
DROP_TAGS = ("script", "style", "noscript", "template")

# Private-use characters as markers: inserted while walking the tree and turned into newlines
# at the end, so whitespace from the HTML source collapses without losing our breaks.
_PARA, _LINE, _SPACE = "\ue000", "\ue001", "\ue002"
_BLANK_LINES = re.compile(r"\n{3,}")
_HTMLISH = re.compile(r"[<&]")
# A tag (attribute values may hold ">"), a comment, a doctype or processing instruction.
# A tag or declaration that never closes matches too, to the end of what it could span
# (its `>` group empty), and is kept as text: were it allowed to fail, the scan would start
# again one character later and read the same span again, quadratic in `"<a " * 10000`.
_TAG = re.compile(
    r"""<!--.*?(?:-->|$)"""
    r"""|<(/?)([A-Za-z][A-Za-z0-9:-]*)(?:[^>"']+|"[^"]*"|'[^']*')*(>)?"""
    r"""|<[!?][^>]*(>)?""",
    re.S,
)
# A closed tag that `_TAG` matches as the same span, holding no "<" (so a text whose every
# "<" starts one is split on them alone); the group is its "/" and name.
_PLAIN_TAG = re.compile(r"""<(/?[A-Za-z][A-Za-z0-9:-]*)(?:[^<>"']+|"[^<>"]*"|'[^<>']*')*>""")
_PLAIN_MARKERS: dict[str, str] = {}
_BREAK_RUN_SPLIT = re.compile(f"([{_PARA}{_LINE}][ {_PARA}{_LINE}]*)")
# Content that is not plain markup: these fragments go through lxml.
_NEEDS_PARSER = re.compile(r"<(?:script|style|pre|textarea|noscript|template)\b|<!\[CDATA\[", re.I)
# What lxml's parser checks to tell a whole document from a fragment.
_FULL_DOCUMENT = re.compile(r"\s*<(?:html|!doctype)", re.I)
# Characters an lxml tree cannot hold (XML 1.0): C0 controls other than tab, newline and
# carriage return, U+FFFE, U+FFFF and lone surrogates.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_NOT_XML_REPLACEMENTS = {
    **dict.fromkeys([*range(0x09), 0x0E, 0x0F, *range(0x10, 0x1C), 0xFFFE, 0xFFFF]),
    **dict.fromkeys([0x0B, 0x0C, *range(0x1C, 0x20)], " "),  # whitespace to str.split()
    **dict.fromkeys(range(0xD800, 0xE000), "\ufffd"),
}


def normalize_whitespace(text: str) -> str:
    """Collapse spaces inside lines, keep at most one blank line, strip the ends."""
    if "\n" not in text and "\r" not in text:  # one line: the common case, made cheap
        return " ".join(text.replace("\xa0", " ").split())
    text = text.replace("\xa0", " ").replace("\r\n", "\n").replace("\r", "\n")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def remove_control_characters(text: str) -> str:
    """`text` without the characters an lxml tree cannot hold.

    Vertical tab, form feed and the separators U+001C-U+001F become a space (they are
    whitespace to `str.split`, so the text reads the same), lone surrogates become U+FFFD,
    and the other C0 controls, U+FFFE and U+FFFF go. Parse only text cleaned this way:
    lxml refuses to set such a text (`ValueError: All strings must be XML compatible`).
    """
    if not _NOT_XML.search(text):
        return text
    return text.translate(_NOT_XML_REPLACEMENTS)


def element_to_text(root: etree._Element) -> str:
    """Readable text of an lxml element (its text and tails are modified).

    The tree must hold no control characters: parse text cleaned by
    `remove_control_characters` (bytes decoded first), as `html_to_text` does.
    """
    for el in list(root.iter(DROP_TAGS)):
        el.drop_tree()
    for pre in root.iter("pre"):
        body = pre.text_content().replace(" ", _SPACE).replace("\n", _LINE)
        for child in list(pre):
            pre.remove(child)
        pre.text = body
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if tag == "li":
            el.text = _LINE + "- " + (el.text or "")
            el.tail = _LINE + (el.tail or "")
        elif tag in PARAGRAPH_TAGS:
            el.text = _PARA + (el.text or "")
            el.tail = _PARA + (el.tail or "")
        elif tag in LINE_TAGS:
            if tag != "br":
                el.text = _LINE + (el.text or "")
            el.tail = _LINE + (el.tail or "")
        elif tag in CELL_TAGS:
            el.tail = " " + (el.tail or "")
    return _finish(root.text_content())


def _finish(text: str) -> str:
    # str.split() collapses every whitespace run (\xa0 included); a break run then eats
    # the spaces after it, and the one space that can stand before it goes too. The runs
    # are replaced through a split, not a `sub` callback: a third of the cost on posts.
    parts = _BREAK_RUN_SPLIT.split(" ".join(text.split()))
    if len(parts) > 1:
        parts[1::2] = ["\n\n" if _PARA in run else "\n" for run in parts[1::2]]
    text = "".join(parts)
    return text.replace(" \n", "\n").replace(_SPACE, " ").strip()


def _tag_marker(match: re.Match[str]) -> str:
    name = match.group(2)
    if name is None:  # comment, doctype, processing instruction
        if match.group(4) is None and not match.group().startswith("<!--"):
            return match.group()  # never closed: not markup
        return ""
    if match.group(3) is None:  # a "<" that no ">" closes, as in "x<y": text
        return match.group()
    name = name.lower()
    if name == "li":
        return _LINE if match.group(1) else _LINE + "- "
    if name in PARAGRAPH_TAGS:
        return _PARA
    if name in LINE_TAGS:
        return _LINE
    if name in CELL_TAGS and match.group(1):
        return " "
    return ""


def markup_to_text(html: str) -> str:
    """The same text as `element_to_text`, from a tag scan instead of a parse tree.

    Five to ten times faster on the short fragments of flashcards and posts; only for
    markup without raw-text elements (script, style, pre…), which `html_to_text` checks.
    """
    parts = _PLAIN_TAG.split(html)
    if html.count("<") == len(parts) // 2:  # every "<" opens a plain tag: no callback
        parts[1::2] = [_plain_marker(tag) for tag in parts[1::2]]
        return _finish(html_lib.unescape("".join(parts)))
    return _finish(html_lib.unescape(_TAG.sub(_tag_marker, html)))


def _plain_marker(tag: str) -> str:
    """What `_tag_marker` makes of a closed tag, from its "/" and name (all it reads)."""
    marker = _PLAIN_MARKERS.get(tag)
    if marker is None:
        marker = _TAG.sub(_tag_marker, f"<{tag}>")
        if len(_PLAIN_MARKERS) < 4096:
            _PLAIN_MARKERS[tag] = marker
    return marker


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment or page."""
    if not html or not html.strip():
        return ""
    if not _HTMLISH.search(html):
        return normalize_whitespace(html)
    if not _NEEDS_PARSER.search(html):
        return markup_to_text(html)
    try:
        root = _parse_fragment(remove_control_characters(html))
    except (etree.ParserError, ValueError):
        return normalize_whitespace(html)
    return element_to_text(root)


def _parse_fragment(html: str) -> etree._Element:
    """The body of `html` parsed as a browser would.

    Not `lxml.html.fragment_fromstring`: it asserts on a document without a body
    ("<!DOCTYPE html><style>") and appends "</body></html>", which an unclosed
    `<textarea>` then shows as its text.
    """
    if _FULL_DOCUMENT.match(html):
        document = lxml.html.document_fromstring(html)
    else:
        document = lxml.html.document_fromstring("<html><body>" + html)
    body = document.find("body")
    return document if body is None else body
