"""WikiDoc pages as (heading, text) sections: saved HTML pages and MediaWiki XML exports.

Reading a page into its sections, apart from `wikidoc.py` so that the adapter reads as the
mapping to records it does; only that adapter uses it (the registry skips "_" modules).
Saved pages come in the three heading shapes MediaWiki has written over the years
(legacy `<span class="mw-headline">`, the ≥1.43 `<div class="mw-heading">` wrapper, and
Parsoid `<section>`s); all three give the same sections.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import lxml.html
from lxml import etree

from meadow.converters.html import element_to_text, remove_control_characters
from meadow.converters.wikitext import split_sections, wikitext_to_text
from meadow.errors import RawFileError
from meadow.sources._readers import safe_iterparse
from meadow.sources.base import Skip

# Title prefixes of pages that are not articles (MediaWiki namespaces other than main).
_NAMESPACES = frozenset(
    {
        *("talk", "user", "wikidoc", "project", "file", "image", "mediawiki", "template"),
        *("help", "category", "special", "portal", "module", "media", "draft"),
    }
)

# What is dropped from a saved page before reading its text.
_DROP_CLASSES = frozenset(
    {
        "mw-editsection",
        "editsection",
        "reference",
        "references",
        "mw-references-wrap",
        "reflist",
        "mw-cite-backlink",
        "infobox",
        "navbox",
        "vertical-navbox",
        "toc",
        "toccolours",
        "mw-empty-elt",
        "noprint",
        "metadata",
        "ambox",
        "hatnote",
        "rellink",
        "dablink",
        "thumb",
        "gallery",
        "mw-jump-link",
        "printfooter",
        "catlinks",
    }
)
_DROP_IDS = frozenset({"toc", "catlinks", "siteSub", "contentSub", "jump-to-nav"})
_DROP_TAGS = frozenset({"script", "style", "noscript", "link", "meta", "figure", "template"})
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")

_TITLE_SUFFIX = re.compile(r"\s+[-–—|]\s+wikidoc\s*$", re.IGNORECASE)


def _html_parser(encoding: str | None) -> etree.HTMLParser:
    # lxml.html's own parser looks up every element's class in Python, which doubles the
    # cost of walking a page; a C-level default lookup gives the same HtmlElement class.
    parser = etree.HTMLParser(
        encoding=encoding, remove_comments=True, remove_pis=True, no_network=True
    )
    parser.set_element_class_lookup(etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement))
    return parser


_PARSER = _html_parser("utf-8")  # pages are decoded first (see _decode_page), then parsed

# Saved pages larger than this are skipped as `too_large` without being read: real pages
# are 20 KB to a few MB, and this bounds the memory one page can take (its tree is a few
# times its size). Below it, libxml2's own limits still hold (a text node over 10 MB, or
# elements nested deeper than 256): a page that reaches one is skipped as `too_large` or
# `too_deep` instead of being read cut short.
MAX_PAGE_BYTES = 32 * 1024 * 1024
# A saved page ends with </body></html>; one without either in its last 64 KB was cut short.
_END_OF_PAGE = re.compile(rb"</(?:body|html)\s*>", re.IGNORECASE)
_META = re.compile(rb"<meta\b[^>]*", re.IGNORECASE)  # to the tag's end: linear on any page
_META_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# Bytes of UTF-8 text lxml can hold: all but the C0 controls other than tab, LF and CR
# (U+FFFE and U+FFFF, EF BF BE/BF, are checked apart).
_XML_BYTES = bytes(b for b in range(256) if b >= 0x20 or b in b"\t\n\r")
# Charsets a browser reads as UTF-8 when an ASCII page declares them (HTML's rule).
_READ_AS_UTF8 = frozenset({"utf-8", "utf-16", "utf-16-le", "utf-16-be", "utf-32"})


def _is_article(title: str) -> bool:
    prefix, colon, _ = title.partition(":")
    if not colon:
        return True
    prefix = prefix.strip().lower()
    return prefix not in _NAMESPACES and not prefix.endswith(" talk")


def _title_from_filename(path: Path) -> str:
    return unquote(path.stem.split("~", 1)[0]).replace("_", " ").strip()


# -- saved HTML pages ---------------------------------------------------------------------


def parse_saved_page(path: Path) -> Iterator[dict[str, Any] | Skip]:
    """One saved page, or the skips that say why (some of) its sections are not read."""
    try:
        if path.stat().st_size > MAX_PAGE_BYTES:
            yield Skip("too_large")
            return
        data = path.read_bytes()
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not data.strip():
        raise RawFileError(path, "empty file: remove it from the folder or save the page again")
    page, replaced = _page_as_utf8(data)
    try:
        root = etree.fromstring(page, _PARSER)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError) as exc:
        raise RawFileError(path, f"cannot be parsed as HTML ({exc}): save the page again") from None
    limit = _resource_limit(_PARSER.error_log)
    if limit:
        yield Skip(limit)
        return
    truncated = not _END_OF_PAGE.search(data, max(0, len(data) - 65536))
    content = _content_root(root) if root is not None else None
    if content is None:
        if truncated:  # cut before its article began
            yield Skip("truncated_page")
            return
        raise RawFileError(
            path,
            "not a saved wikidoc page (no div.mw-parser-output): "
            "remove it from the folder or save the page again",
        )
    title = _page_title(root) or _title_from_filename(path)
    namespace = _page_namespace(root)
    if not (namespace == "0" if namespace is not None else _is_article(title)):
        yield Skip("not_an_article")
        return
    cut_inside = truncated and not _closed_before_the_end(content)
    _drop_non_content(content)
    sections = _sections_of(content)
    if cut_inside and sections:
        # The page ends inside its article: the last section stops mid-text.
        sections.pop()
        yield Skip("truncated_page")
    if replaced:
        # Bytes that are not text in the page's encoding became U+FFFD: a section that
        # holds one is not what the page said. The other sections read as they should.
        kept = [s for s in sections if "\ufffd" not in s[0] and "\ufffd" not in s[1]]
        if "\ufffd" in title:
            kept = []
        if len(kept) < len(sections):
            yield Skip("not_utf8", count=len(sections) - len(kept))
        if not kept:
            return
        sections = kept
    if not sections:
        yield Skip("empty_page")
        return
    yield {"title": title, "sections": sections, "file": str(path)}


def _page_as_utf8(data: bytes) -> tuple[bytes, bool]:
    """The page as UTF-8 without control characters (which lxml cannot hold), and whether
    some bytes were not text in its encoding (`_decode_page`)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        text, replaced = _decode_page(data)
        return remove_control_characters(text).encode("utf-8"), replaced
    if data.translate(None, _XML_BYTES) or b"\xef\xbf\xbe" in data or b"\xef\xbf\xbf" in data:
        return remove_control_characters(data.decode("utf-8")).encode("utf-8"), False
    return data, False  # the common case, checked at memory speed


def _decode_page(data: bytes) -> tuple[str, bool]:
    """The page's text, and whether some bytes were not text in its encoding (then U+FFFD).

    UTF-8, else the charset its <meta> declares, else UTF-8 with replacement characters.
    """
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        pass
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = _declared_charset(data) or "utf-8"
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace"), True


def _declared_charset(data: bytes) -> str | None:
    """The charset a page's <meta> declares, when Python knows it and it is not UTF-8."""
    for meta in _META.finditer(data, 0, 65536):
        found = _META_CHARSET.search(meta.group())
        if not found:
            continue
        try:
            name = codecs.lookup(found.group(1).decode("ascii")).name
        except LookupError:
            continue
        return None if name in _READ_AS_UTF8 else name
    return None


# libxml2's "resource limit" error code; lxml names it from 6.1 on (114 in libxml2 2.14).
# libxml2 2.12 (lxml 5) cuts a text node at 10 MB instead, saying "huge text node".
_ERR_RESOURCE_LIMIT = getattr(etree.ErrorTypes, "ERR_RESOURCE_LIMIT", 114)
_LIMIT_MESSAGES = ("XML_PARSE_HUGE", "huge text node")


def _resource_limit(log: etree._ListErrorLog) -> str | None:
    """`too_deep` or `too_large` when libxml2 stopped at one of its limits, else None."""
    for entry in log:
        message = entry.message
        if entry.type == _ERR_RESOURCE_LIMIT or any(text in message for text in _LIMIT_MESSAGES):
            return "too_deep" if "depth" in message.lower() else "too_large"
    return None


def _closed_before_the_end(content: lxml.html.HtmlElement) -> bool:
    """Whether the page goes on after its article (which was then not cut short)."""
    element: lxml.html.HtmlElement | None = content
    while element is not None:
        if element.getnext() is not None:
            return True
        element = element.getparent()
    return False


def _content_root(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement | None:
    """The element holding the article: `.mw-parser-output`, else `#mw-content-text`."""
    for element in root.iter("div", "body", "main", "section", "article"):
        classes = element.get("class")
        if classes and "mw-parser-output" in classes and "mw-parser-output" in classes.split():
            return element
    for element in root.iter(etree.Element):
        if element.get("id") == "mw-content-text":
            return element
    return None


def _page_namespace(root: lxml.html.HtmlElement) -> str | None:
    """The page's namespace number as the page states it (body class, Parsoid meta)."""
    for body in root.iter("body"):
        for token in (body.get("class") or "").split():
            if token.startswith("ns-") and token[3:].lstrip("-").isdigit():
                return token[3:]
        break
    for meta in root.iter("meta"):
        if meta.get("property") == "mw:pageNamespace":
            return (meta.get("content") or "").strip() or None
    return None


def _page_title(root: lxml.html.HtmlElement) -> str:
    for h1 in root.iter("h1"):
        if h1.get("id") == "firstHeading":
            title = " ".join(h1.text_content().split())
            if title:
                return title
    for element in root.iter("title"):
        title = _TITLE_SUFFIX.sub("", " ".join(element.text_content().split()))
        if title:
            return title
    return ""


def _drop_non_content(content: lxml.html.HtmlElement) -> None:
    """Remove edit links, references, boxes and scripts (not looking inside what goes)."""
    doomed = []
    stack = list(content)
    while stack:
        element = stack.pop()
        if element.tag in _DROP_TAGS:
            doomed.append(element)
            continue
        classes = element.get("class")
        if (classes is not None and not _DROP_CLASSES.isdisjoint(classes.split())) or (
            element.get("id") in _DROP_IDS
        ):
            doomed.append(element)
        elif len(element):
            stack.extend(element)
    for element in doomed:
        element.drop_tree()  # keeps the text that follows it


def _has_heading(element: lxml.html.HtmlElement) -> bool:
    return next(element.iter(_HEADINGS), None) is not None


class _SectionBuilder:
    """Moves the blocks of a page into one container per section, in document order."""

    def __init__(self, content: lxml.html.HtmlElement):
        self._make = content.makeelement
        self.sections: list[tuple[str, lxml.html.HtmlElement]] = [("", self._make("div"))]

    def add_text(self, text: str | None) -> None:
        if not text or not text.strip():
            return
        box = self.sections[-1][1]
        if len(box):
            box[-1].tail = (box[-1].tail or "") + text
        else:
            box.text = (box.text or "") + text

    def add_block(self, element: lxml.html.HtmlElement) -> None:
        self.sections[-1][1].append(element)  # moves it, tail included

    def start(self, heading: lxml.html.HtmlElement) -> None:
        title = " ".join(heading.text_content().split())
        self.sections.append((title, self._make("div")))
        self.add_text(heading.tail)

    def walk(self, container: lxml.html.HtmlElement) -> None:
        self.add_text(container.text)
        for child in list(container):
            if not isinstance(child.tag, str):  # a comment or processing instruction
                self.add_text(child.tail)
            elif child.tag in _HEADINGS:
                self.start(child)
            elif _has_heading(child):  # <section>, <div class="mw-heading">, wrappers
                tail = child.tail
                self.walk(child)
                self.add_text(tail)
            else:
                self.add_block(child)


def _sections_of(content: lxml.html.HtmlElement) -> list[tuple[str, str]]:
    builder = _SectionBuilder(content)
    builder.walk(content)
    sections = []
    for heading, box in builder.sections:
        text = element_to_text(box)
        if heading or text:
            sections.append((heading, text))
    return sections


# -- MediaWiki XML exports ----------------------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def parse_export(path: Path) -> Iterator[dict[str, Any] | Skip]:
    try:
        with open(path, "rb") as stream:
            events = safe_iterparse(stream, events=("start", "end"))
            root_seen = False
            for event, element in events:
                if not root_seen:
                    root_seen = True
                    if _local(element.tag) != "mediawiki":
                        raise RawFileError(
                            path,
                            f"not a MediaWiki XML export (its root element is "
                            f"<{_local(element.tag)}>, not <mediawiki>): export the pages "
                            "with Special:Export, or remove the file from the folder",
                        )
                    continue
                if event != "end" or _local(element.tag) != "page":
                    continue
                yield _export_page(element, path)
                element.clear()
                parent = element.getparent()
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise RawFileError(
            path,
            f"malformed XML at line {exc.lineno}: {exc.msg}; the export is damaged or "
            "truncated: export it again",
        ) from None
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


def _export_page(page: etree._Element, path: Path) -> dict[str, Any] | Skip:
    title, namespace, redirect, text = "", None, False, ""
    for child in page:
        name = _local(child.tag)
        if name == "title":
            title = " ".join((child.text or "").split())
        elif name == "ns":
            namespace = (child.text or "").strip()
        elif name == "redirect":
            redirect = True
        elif name == "revision":  # a full-history export: the last revision wins
            for part in child:
                if _local(part.tag) == "text":  # entity references (unresolved) split it
                    text = "".join(part.itertext()) if len(part) else part.text or ""
    if redirect or text.lstrip()[:9].upper() == "#REDIRECT":
        return Skip("redirect")
    if len(text) > MAX_PAGE_BYTES:  # as for saved pages; no real page comes near
        return Skip("too_large")
    if not (namespace == "0" if namespace is not None else _is_article(title)):
        return Skip("not_an_article")
    sections = [(heading, wikitext_to_text(body)) for heading, body in split_sections(text)]
    if sections and sections[0] == ("", ""):  # a lead of templates only, as in saved pages
        del sections[0]
    if not title or not sections:
        return Skip("empty_page")
    return {"title": title, "sections": sections, "file": str(path)}
