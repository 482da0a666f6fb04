"""Hostile text for the converters (issue 14, sections 4-6), and a wikidoc folder of bad pages.

* Adversarial markup that made the HTML tag scan or the wikitext cleaner quadratic: each
  case times the converter on 100 KB of it and reports milliseconds per 100 KB (before the
  fix, `"<a " * 10000` alone took 5.9 s and `"<references>" * 10000` 4.5 s; at 100 KB
  they would take about a minute);
* text that made the converters raise: control characters inside `<pre>`, a document
  without a body;
* a wikidoc build over a folder of saved pages: a control character in a `<pre>`, a text
  node over libxml2's 10 MB, nesting over its 256 levels, a page cut short, a page that is
  not UTF-8, next to a good page. The build must go on and count each.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from meadow import build
from meadow.converters.html import html_to_text
from meadow.converters.wikitext import strip_markup, wikitext_to_text
from meadow.errors import MeadowError

SIZE = 100_000  # characters of adversarial text per case


def _per_100kb(convert: Callable[[str], str], unit: str, *, tail: str = "") -> str:
    text = unit * ((SIZE - len(tail)) // len(unit)) + tail
    started = time.perf_counter()
    convert(text)
    ms = (time.perf_counter() - started) * 1000 * 100_000 / len(text)
    name = getattr(convert, "__name__", "convert")
    return f"{name}({unit!r} * {len(text) // len(unit)}): {ms:.1f} ms per 100 KB"


def _nested(opening: str, closing: str) -> str:
    depth = SIZE // (len(opening) + len(closing))
    return opening * depth + closing * depth


def _nested_per_100kb(opening: str, closing: str) -> str:
    text = _nested(opening, closing)
    started = time.perf_counter()
    strip_markup(text)
    ms = (time.perf_counter() - started) * 1000 * 100_000 / len(text)
    return f"strip_markup({opening!r}…{closing!r} nested {len(text) // (len(opening) + len(closing))} deep): {ms:.1f} ms per 100 KB"  # noqa: E501


def _calls(convert: Callable[[str], str], texts: list[str]) -> str:
    results = []
    for text in texts:
        try:
            results.append(f"{text!r} -> {convert(text)!r}")
        except Exception as exc:  # noqa: BLE001 - an untyped error is what this reports
            results.append(f"{text!r} -> {type(exc).__name__}: {exc}")
    return "; ".join(results)


# -- wikidoc: a folder of saved pages, one of each kind of bad page -----------------------

_HEAD = (
    '<!DOCTYPE html><html><head><meta charset="UTF-8"/><title>{title} - wikidoc</title></head>'
    '<body class="mediawiki ns-0"><h1 id="firstHeading">{title}</h1>'
    '<div id="mw-content-text"><div class="mw-parser-output">'
)
_FOOT = '</div></div><div class="printfooter">Retrieved from wikidoc</div></body></html>\n'
_GOOD = (
    "<h2>Symptoms</h2><p>Cough, wheeze and a tight chest, worse at night.</p>"
    "<h2>Outlook</h2><p>Most people with a plan and an inhaler do well.</p>"
)


def _page(folder: Path, title: str, body: bytes, *, foot: bool = True) -> None:
    head = _HEAD.format(title=title).encode()
    name = title.replace(" ", "_") + ".html"
    (folder / name).write_bytes(head + body + (_FOOT.encode() if foot else b""))


def wikidoc_bad_pages(work: Path) -> str:
    folder = work / "wikidoc"
    folder.mkdir()
    _page(folder, "Asthma", _GOOD.encode())
    _page(folder, "Control", b"<h2>Code</h2><pre>peak flow\x0c\x01 chart</pre>" + _GOOD.encode())
    _page(folder, "Huge", b"<h2>Text</h2><p>" + b"cough " * 1_800_000 + b"</p>")  # 10.8 MB
    _page(folder, "Deep", b"<h2>Deep</h2>" + b"<div>" * 300 + b"<p>x</p>" + b"</div>" * 300)
    _page(folder, "Cut", _GOOD.encode()[:-20], foot=False)
    _page(folder, "Latin", _GOOD.replace("tight", "tight \xe9").encode("latin-1"))
    try:
        result = build(sources=["wikidoc"], raw={"wikidoc": folder}, name="hostile-wikidoc")
    except MeadowError as err:
        return f"{type(err).__name__}: {err}"
    stats = result.manifest["sources"]["wikidoc"]
    return f"built: {result.rows} rows, skipped {stats['skipped']}"


CASES = {
    "html-unclosed-tags": lambda work: _per_100kb(html_to_text, "<a "),
    "html-unclosed-tag-names": lambda work: _per_100kb(html_to_text, "<p"),
    "html-unclosed-quoted-tags": lambda work: _per_100kb(html_to_text, '<a "'),
    "html-unclosed-declarations": lambda work: _per_100kb(html_to_text, "<!"),
    "wikitext-unclosed-references": lambda work: _per_100kb(strip_markup, "<references>"),
    "wikitext-unclosed-refs": lambda work: _per_100kb(strip_markup, "<ref "),
    "wikitext-unclosed-galleries": lambda work: _per_100kb(strip_markup, "<gallery>"),
    "wikitext-unclosed-external-links": lambda work: _per_100kb(strip_markup, "[//"),
    "wikitext-nested-templates": lambda work: _nested_per_100kb("{{a", "}}"),
    "wikitext-nested-links": lambda work: _nested_per_100kb("[[a", "]]"),
    "wikitext-nested-tables": lambda work: _nested_per_100kb("{|\n", "|}\n"),
    "html-control-characters-and-bodyless-documents": lambda work: _calls(
        html_to_text, ["<pre>\x0c", "<textarea>a\x01b", "<!DOCTYPE html><style>"]
    ),
    "wikitext-control-characters": lambda work: _calls(wikitext_to_text, ["<pre>\x01x"]),
    "wikidoc-bad-pages": wikidoc_bad_pages,
}
