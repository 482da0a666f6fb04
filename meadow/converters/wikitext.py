"""MediaWiki wikitext to plain text, without a MediaWiki to render it.

A MediaWiki XML export holds pages as wikitext, not HTML. Rendering templates would need
the wiki itself, so we do what a reader of the rendered page would keep: the prose. Template
calls, references, comments, tables, files and categories go; links keep their label;
bold/italic quotes go; list items become "- " lines; paragraphs stay paragraphs.

Two levels, so that text which is already plain (HTML-derived) can be cleaned of stray
wikitext without losing its line structure:

* `strip_markup(text)`: removes the inline markup and keeps lines as they are;
* `wikitext_to_text(text)`: `strip_markup`, then turns wikitext lines into paragraphs
  and list items, and leftover HTML tags and entities into text.

`split_sections(wikitext)` cuts a page at its `== Heading ==` lines.
"""

from __future__ import annotations

import functools
import re

from meadow.converters.html import html_to_text, normalize_whitespace

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
# Every pattern below is linear in the text: a construct that is never closed matches
# anyway, to the end of what it could span, and is then kept as it is. Were it allowed to
# fail, the scan would start again one character later and read the same span again
# (quadratic: `"<references>" * 10000`, `"[//" * 10000`).
# `<ref …/>` and `<references …/>`: a tag up to its `>` (or the end), removed if it ends in "/>".
_SELF_CLOSING = re.compile(r"<(?:ref|references)\b[^>]*>?", re.IGNORECASE)
_SELF_CLOSING_END = re.compile(r"/\s*>\Z")
# `<ref>…</ref>`; one never closed runs to the end of the text.
_REF = re.compile(r"<ref\b[^>]*(>.*?(?:</ref\s*>|\Z))?", re.IGNORECASE | re.DOTALL)
# Blocks dropped whole; one never closed is kept (no later one of its name can close).
_BLOCK_NAMES = ("references", "gallery", "imagemap", "timeline", "score", "graph", "templatedata")
_BLOCK_START = re.compile(rf"<(?:{'|'.join(_BLOCK_NAMES)})\b", re.IGNORECASE)
# `{{{1|default}}}`: a template parameter; keep its default, if any.
_PARAMETER = re.compile(r"\{\{\{([^{}|]*)(?:\|([^{}]*))?\}\}\}")
_TEMPLATE_BRACES = re.compile(r"\{\{|\}\}")
_STRAY_BRACES = _TEMPLATE_BRACES
# Tables open (`{|`) and close (`|}`) at the start of a line.
_TABLE_LINE = re.compile(r"^(?:[ \t:]*(\{)\||[ \t]*\|\}[^\n]*)", re.MULTILINE)
_LINK_BRACKETS = re.compile(r"\[+|\]+")
# Links nested deeper than this (file captions hold links, never this deep) are left as text.
MAX_LINK_NESTING = 32
_EXTERNAL_LINK = re.compile(r"\[(?:(?:https?|ftp):)?//[^\s\]]+(?:[ \t]+([^\]\n]*))?(\])?")
_BOLD_ITALIC = re.compile(r"'{2,5}")
_MAGIC_WORD = re.compile(r"__[A-Z]+__")
_HEADING_LINE = re.compile(r"^(={1,6})(.+?)\1[ \t]*$", re.MULTILINE)
_LIST_MARKER = re.compile(r"^([*#:;]+)[ \t]*")
_HTMLISH = re.compile(r"[<&]")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:!?])(?=\s|$)")

# Links into these namespaces show no text on the rendered page.
_HIDDEN_LINK_PREFIXES = ("file:", "image:", "category:", "media:")
_PARENTHETICAL = re.compile(r"\s*\([^)]*\)\s*$")
_MARKUP_HINTS = ("{{", "}}", "[[", "]]", "<", "{|", "''", "__", "[http", "[//")


def _link_label(content: str) -> str:
    """What the rendered page shows for the link `[[content]]`."""
    target, pipe, label = content.partition("|")
    target = target.strip()
    if target.lower().startswith(_HIDDEN_LINK_PREFIXES):
        return ""
    if label.strip():
        return label
    if pipe:  # the "pipe trick": [[Foo (bar)|]] shows "Foo"
        return _PARENTHETICAL.sub("", target.split(":", 1)[-1])
    return target.lstrip(":")


def _without_spans(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` without the sorted, non-overlapping `(start, end)` spans."""
    if not spans:
        return text
    pieces, position = [], 0
    for start, end in spans:
        pieces.append(text[position:start])
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _add_span(spans: list[tuple[int, int]], start: int, end: int) -> None:
    """Record a removed span; spans it encloses (inner levels, removed first) merge into it."""
    while spans and spans[-1][0] >= start:
        spans.pop()
    spans.append((start, end))


def _remove_self_closing(match: re.Match[str]) -> str:
    return "" if _SELF_CLOSING_END.search(match.group()) else match.group()


def _remove_ref(match: re.Match[str]) -> str:
    return "" if match.group(1) is not None else match.group()  # no ">": not a tag


@functools.cache
def _block_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        rf"<(?P<name>{'|'.join(names)})\b[^>]*(?:>(?:.*?(?P<close></(?P=name)\s*>)|(?P<rest>.*)))?",
        re.IGNORECASE | re.DOTALL,
    )


def _remove_blocks(text: str, names: tuple[str, ...]) -> str:
    """Remove `<name …>…</name>` blocks, the outermost where they nest."""

    def replace(match: re.Match[str]) -> str:
        if match.group("close") is not None:
            return ""
        rest = match.group("rest")
        if rest is None:  # no ">" after it: nothing later can be a block either
            return match.group()
        # Never closed: no later block of this name closes; blocks of the others still may.
        others = tuple(name for name in names if name != match.group("name").lower())
        opening = match.group()[: match.start("rest") - match.start()]
        return opening + (_remove_blocks(rest, others) if others else rest)

    return _block_pattern(names).sub(replace, text)


def _remove_templates(text: str) -> str:
    """Remove `{{…}}` template calls, nested ones whole, in one pass; unmatched braces go."""
    spans: list[tuple[int, int]] = []
    open_at: list[int] = []
    for match in _TEMPLATE_BRACES.finditer(text):
        if match.group() == "{{":
            open_at.append(match.start())
        elif open_at:
            _add_span(spans, open_at.pop(), match.end())
    return _STRAY_BRACES.sub("", _without_spans(text, spans))


def _remove_tables(text: str) -> str:
    """Remove `{| … |}` tables, nested ones whole; a table never closed runs to the end."""
    spans: list[tuple[int, int]] = []
    open_at: list[int] = []
    for match in _TABLE_LINE.finditer(text):
        if match.group(1):
            open_at.append(match.start())
        elif open_at:
            _add_span(spans, open_at.pop(), match.end())
    if open_at:
        _add_span(spans, open_at[0], len(text))
    return _without_spans(text, spans)


def _replace_links(text: str) -> str:
    """`[[target|label]]` links become their label, inner links first, in one pass.

    As MediaWiki reads brackets: in a run of "[", the last two open a link; in a run of
    "]", each pair closes the innermost open link; a bracket left over is text, and no
    link open around it can close.
    """
    out: list[str] = []
    open_at: list[int] = []  # where each open link's content starts in `out`
    position = 0
    for match in _LINK_BRACKETS.finditer(text):
        out.append(text[position : match.start()])
        position = match.end()
        run = match.group()
        if run[0] == "[":
            if len(run) % 2:
                out.append("[")
                open_at.clear()
            for _ in range(len(run) // 2):
                if len(open_at) >= MAX_LINK_NESTING:
                    open_at.clear()  # the links open around it stay text
                out.append("[[")
                open_at.append(len(out))
            continue
        for _ in range(len(run) // 2):
            if not open_at:
                out.append("]]")
                continue
            start = open_at.pop()
            content = "".join(out[start:])
            del out[start - 1 :]
            out.append(_link_label(content))
        if len(run) % 2:
            out.append("]")
            open_at.clear()
    out.append(text[position:])
    return "".join(out)


def _external_link(match: re.Match[str]) -> str:
    if match.group(2) is None:  # never closed: text
        return match.group()
    return match.group(1) or ""


def strip_markup(text: str) -> str:
    """Remove wikitext markup (templates, references, comments, tables, links) but keep lines.

    Linear in the length of the text, however the markup nests or fails to close.
    """
    if not any(hint in text for hint in _MARKUP_HINTS):
        return text
    text = _COMMENT.sub("", text)
    if "<" in text:
        text = _SELF_CLOSING.sub(_remove_self_closing, text)
        text = _REF.sub(_remove_ref, text)
        names = {name.lower()[1:] for name in _BLOCK_START.findall(text)}
        if names:
            text = _remove_blocks(text, tuple(n for n in _BLOCK_NAMES if n in names))
    if "{{" in text:
        text = _PARAMETER.sub(lambda m: m.group(2) or "", text)
        text = _remove_templates(text)
    if "{|" in text:
        text = _remove_tables(text)
    if "[[" in text:
        text = _replace_links(text)
    if "[" in text:
        text = _EXTERNAL_LINK.sub(_external_link, text)
    if "''" in text:
        text = _BOLD_ITALIC.sub("", text)
    if "__" in text:
        text = _MAGIC_WORD.sub("", text)
    return text


def _line_to_text(line: str) -> str:
    if _HTMLISH.search(line):
        return html_to_text(line)
    return line.strip()


def wikitext_to_text(wikitext: str) -> str:
    """Readable plain text of a piece of wikitext (a page or one section of it)."""
    text = strip_markup(wikitext.replace("\r\n", "\n"))
    text = _HEADING_LINE.sub(lambda m: "\n" + m.group(2).strip() + "\n", text)
    blocks: list[str] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            blocks.append(" ".join(paragraph))
            paragraph.clear()

    for raw_line in text.split("\n"):
        line = raw_line.strip()
        if not line or set(line) <= {"-"}:  # blank line or a `----` rule
            end_paragraph()
            continue
        marker = _LIST_MARKER.match(line)
        if marker:
            end_paragraph()
            body = _line_to_text(line[marker.end() :])
            if not body:
                continue
            if marker.group(1)[-1] in "*#":
                blocks.append("- " + body.replace("\n", " "))
            else:  # `:` indents and `;` definition terms are plain lines
                blocks.append(body)
            continue
        body = _line_to_text(line)
        if body:
            paragraph.append(body)
    end_paragraph()
    # Consecutive list items are lines of one block, not paragraphs of their own.
    out: list[str] = []
    for block in blocks:
        if out and block.startswith("- ") and out[-1].startswith("- "):
            out[-1] += "\n" + block
        else:
            out.append(block)
    joined = "\n\n".join(out)
    return normalize_whitespace(_SPACE_BEFORE_PUNCT.sub(r"\1", joined))


def split_sections(wikitext: str) -> list[tuple[str, str]]:
    """Cut a page at its heading lines: `[("", lead), (heading, body), …]`.

    Headings are returned as plain text (markup stripped); bodies stay wikitext. The lead
    is included only when it holds something other than whitespace.
    """
    text = _COMMENT.sub("", wikitext.replace("\r\n", "\n"))
    sections: list[tuple[str, str]] = []
    heading, start = "", 0
    for match in _HEADING_LINE.finditer(text):
        title = match.group(2).strip()
        if not title or set(title) <= {"="}:
            continue
        body = text[start : match.start()]
        if heading or body.strip():
            sections.append((heading, body))
        heading = normalize_whitespace(html_to_text(strip_markup(title))) or title
        start = match.end()
    body = text[start:]
    if heading or body.strip():
        sections.append((heading, body))
    return sections
