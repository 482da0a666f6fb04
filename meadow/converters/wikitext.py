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

import re

from meadow.converters.html import html_to_text, normalize_whitespace

_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_REF_SELF_CLOSING = re.compile(r"<ref\b[^>]*/\s*>", re.IGNORECASE)
_REF = re.compile(r"<ref\b[^>]*>.*?(?:</ref\s*>|\Z)", re.IGNORECASE | re.DOTALL)
_REFERENCES = re.compile(
    r"<references\b[^>]*/\s*>|<references\b[^>]*>.*?</references\s*>", re.IGNORECASE | re.DOTALL
)
_DROPPED_BLOCKS = re.compile(
    r"<(gallery|imagemap|timeline|score|graph|templatedata)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
# `{{{1|default}}}`: a template parameter; keep its default, if any.
_PARAMETER = re.compile(r"\{\{\{([^{}|]*)(?:\|([^{}]*))?\}\}\}")
# The innermost `{{…}}` (no `{{` or `}}` inside); removed repeatedly to undo nesting.
_INNER_TEMPLATE = re.compile(r"\{\{(?:[^{}]|\{(?!\{)|\}(?!\}))*\}\}")
_STRAY_BRACES = re.compile(r"\{\{|\}\}")
# The innermost `{| … |}` table (tables open and close at the start of a line).
_INNER_TABLE = re.compile(
    r"^[ \t:]*\{\|(?:(?!^[ \t:]*\{\|)[\s\S])*?^[ \t]*\|\}[^\n]*", re.MULTILINE
)
_UNCLOSED_TABLE = re.compile(r"^[ \t:]*\{\|[\s\S]*", re.MULTILINE)
# The innermost `[[…]]` link (captions of files may hold links of their own).
_INNER_LINK = re.compile(r"\[\[([^\[\]]*)\]\]")
_EXTERNAL_LINK = re.compile(r"\[(?:(?:https?|ftp):)?//[^\s\]]+(?:[ \t]+([^\]\n]*))?\]")
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


def _link_label(match: re.Match[str]) -> str:
    target, pipe, label = match.group(1).partition("|")
    target = target.strip()
    if target.lower().startswith(_HIDDEN_LINK_PREFIXES):
        return ""
    if label.strip():
        return label
    if pipe:  # the "pipe trick": [[Foo (bar)|]] shows "Foo"
        return _PARENTHETICAL.sub("", target.split(":", 1)[-1])
    return target.lstrip(":")


def _remove_innermost(pattern: re.Pattern[str], text: str, repl: str = "") -> str:
    """Apply `pattern` until nothing matches: each pass removes one level of nesting."""
    while True:
        text, count = pattern.subn(repl, text)
        if not count:
            return text


def strip_markup(text: str) -> str:
    """Remove wikitext markup (templates, references, comments, tables, links) but keep lines."""
    if not any(hint in text for hint in _MARKUP_HINTS):
        return text
    text = _COMMENT.sub("", text)
    if "<" in text:
        text = _REF_SELF_CLOSING.sub("", text)
        text = _REF.sub("", text)
        text = _REFERENCES.sub("", text)
        text = _DROPPED_BLOCKS.sub("", text)
    if "{{" in text:
        text = _PARAMETER.sub(lambda m: m.group(2) or "", text)
        text = _remove_innermost(_INNER_TEMPLATE, text)
        text = _STRAY_BRACES.sub("", text)
    if "{|" in text:
        text = _remove_innermost(_INNER_TABLE, text)
        text = _UNCLOSED_TABLE.sub("", text)
    if "[[" in text:
        while True:
            text, count = _INNER_LINK.subn(_link_label, text)
            if not count:
                break
    if "[" in text:
        text = _EXTERNAL_LINK.sub(lambda m: m.group(1) or "", text)
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
