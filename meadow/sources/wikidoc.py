"""WikiDoc: saved pages (HTML) or a MediaWiki XML export, one record per page section.

medAlpaca's "wikidoc" and "wikidoc patient information" sets were made from these pages:
each section is an answer, and its heading, turned into a question, is the input. This
adapter reads the two forms a user can get pages in, a folder of saved pages (`.html`, as
`meadow fetch wikidoc` writes them or a browser saves them) and a `Special:Export` XML
file, and fixes what medAlpaca's release got wrong: stray spaces before "?", duplicate
questions within a page, and leftover `<ref>`s, templates and editor boilerplate.

Saved pages come in the three heading shapes MediaWiki has written over the years
(legacy `<span class="mw-headline">`, the ≥1.43 `<div class="mw-heading">` wrapper, and
Parsoid `<section>`s); all three give the same sections.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from meadow.converters.html import normalize_whitespace
from meadow.converters.templates import (
    intro_question,
    question_from_heading,
    split_title,
)
from meadow.converters.wikitext import strip_markup
from meadow.llm.tasks import LlmResult, LlmTask
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._wikidoc_pages import parse_export, parse_saved_page
from meadow.sources.base import (
    BATCH_ROWS,
    Rows,
    Skip,
    Source,
    within_limit,
)

PATIENT_SUFFIX = " (patient information)"

# Lines and phrases WikiDoc puts on pages that are not part of what a section says. They
# are removed wherever they appear, from HTML and wikitext alike; keep them all here. Each
# pattern comes with the lowercase words it needs, so that text without them is not scanned.
BOILERPLATE: tuple[tuple[tuple[str, ...], re.Pattern[str]], ...] = tuple(
    (needles, re.compile(pattern, re.IGNORECASE | re.MULTILINE))
    for needles, pattern in (
        (("click here",), r"For the WikiDoc page for this topic,?\s*click here\.?"),
        (("chief",), r"\b(?:Associate\s+)?Editors?(?:\s*\(s\))?[\s-]+in[\s-]+Chief\s*:.*$"),
        (("join in",), r"Please\s+Join\s+in\s+Editing\s+This\s+Page\b.*$"),
        (("help wikidoc",), r"Please\s+help\s+WikiDoc\s+by\s+adding\b.*$"),
        (("template:",), r"^[ \t]*Template:\S.*$"),
        (("synonyms and keywords",), r"^[ \t]*Synonyms\s+and\s+keywords\s*:.*$"),
        (("wikidoc resources",), r"^[ \t]*WikiDoc\s+Resources\s+for\b.*$"),
        (
            ("main article", "main page", "further article", "further page"),
            r"^[ \t]*(?:Main|Further)\s+(?:article|page)s?\s*:.*$",
        ),
        (("category",), r"^[ \t]*(?:CME\s+)?Categor(?:y|ies)\s*::?.*$"),
        (("retrieved from",), r"^[ \t]*Retrieved\s+from\s+\S.*$"),
        (("edit]", "edit source]"), r"\[\s*edit(?:\s+source)?\s*\]"),
    )
)
_BOILERPLATE_BY_NEEDLE = tuple(
    (needle, pattern) for needles, pattern in BOILERPLATE for needle in needles
)
_MARKUP_HINTS = ("{{", "}}", "[[", "]]", "<ref", "<REF", "<!--", "''", "{|")
_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:!?])(?=\s|$)")
_SPACE_BEFORE_PUNCT_HINT = re.compile(r" [,.;:!?]")
_HAS_WORD = re.compile(r"\w")
_REPEAT_MARK = re.compile(r" \(\d+\)$")  # a repeated heading's source_id ends in " (2)"
_NON_ALNUM = re.compile(r"[^0-9a-z]+")

# Sections that hold no answer: lists of links, references, navigation.
NON_CONTENT_HEADINGS = frozenset(
    {
        "references",
        "reference",
        "notes",
        "footnotes",
        "notes and references",
        "references and notes",
        "citations",
        "bibliography",
        "sources",
        "source",
        "external links",
        "external link",
        "external links and references",
        "links",
        "web links",
        "see also",
        "related chapters",
        "related chapter",
        "related articles",
        "related topics",
        "related pages",
        "further reading",
        "suggested reading",
        "additional resources",
        "resources",
        "gallery",
        "images",
        "videos",
        "navigation",
        "contents",
        "table of contents",
        "acknowledgements",
        "acknowledgments",
        "categories",
        "template",
    }
)
_NON_CONTENT_PREFIXES = ("directions to hospitals", "wikidoc resources", "template ")


_MAX_STEM = 180


@register_source
class WikidocSource(Source):
    """WikiDoc pages, one question/answer record per section.

    Subsets: `patient_information` (pages titled "X (patient information)") and
    `textbook` (every other article). Reads a folder of saved pages (`.html`/`.htm`) or
    MediaWiki XML exports (`.xml`, from Special:Export).
    """

    name = "wikidoc"
    description = (
        "WikiDoc medical wiki: patient information pages and textbook chapters, one "
        "question/answer pair per section (the question made from the heading by template)."
    )
    homepage = "https://www.wikidoc.org"
    license = "CC-BY-SA-3.0"
    citation = r"""@article{han2023medalpaca,
  title   = {MedAlpaca -- An Open-Source Collection of Medical Conversational AI Models and Training Data},
  author  = {Han, Tianyu and Adams, Lisa C. and Papaioannou, Jens-Michalis and Grundmann, Paul and Oberhauser, Tom and L{\"o}ser, Alexander and Truhn, Daniel and Bressem, Keno K.},
  journal = {arXiv preprint arXiv:2304.08247},
  year    = {2023}
}
@misc{wikidoc,
  title        = {WikiDoc: the free medical textbook},
  howpublished = {\url{https://www.wikidoc.org}},
  note         = {Content licensed CC BY-SA 3.0}
}"""  # noqa: E501
    subsets = ("patient_information", "textbook")
    raw_files = ()
    how_to_get = (
        "WikiDoc pages cannot be downloaded as one file: run `meadow fetch wikidoc --out DIR` "
        "(it lists the patient-information pages through the wiki's API; `--all-pages` for "
        "every article), or `meadow fetch wikidoc --pages PAGES.txt --out DIR` (PAGES.txt "
        "lists page titles, one per line), or save pages from https://www.wikidoc.org "
        "yourself (or a Special:Export XML file) into one folder."
    )
    file_suffixes = (".html", ".htm", ".xml")
    version = "2"  # 2: pages too large, cut short or not UTF-8 are counted (issue 14)
    default_options: ClassVar[dict[str, Any]] = {}
    llm_subsets = ("textbook",)

    page_url: ClassVar[str] = "https://www.wikidoc.org/index.php/{title}"

    @staticmethod
    def page_filename(title: str) -> str:
        """A safe, reversible file name for a saved page.

        "Asthma (patient information)" -> "Asthma_(patient_information).html": spaces
        become "_", "/" and other unsafe characters are %-escaped (so the title can be read
        back from the name), and names too long for a file system are cut and made unique
        with a hash after a "~".
        """
        stem = quote(" ".join(title.split()).replace(" ", "_"), safe="_-.,()'")
        stem = stem.replace("~", "%7E")
        if stem.startswith("."):
            stem = "%2E" + stem[1:]
        if len(stem) > _MAX_STEM:
            cut = stem[:_MAX_STEM]
            if "%" in cut[-2:]:  # do not split a %XX escape
                cut = cut[: cut.rindex("%")]
            digest = hashlib.blake2b(title.encode(), digest_size=6).hexdigest()
            stem = f"{cut}~{digest}"
        return stem + ".html"

    # -- LLM-written questions (issue 5) -------------------------------------------------

    def llm_task(self, row: dict[str, str]) -> LlmTask | None:
        """A textbook section's question, asked of an LLM from its heading and paragraph."""
        title, _, heading = row["source_id"].partition("#")
        heading = _REPEAT_MARK.sub("", heading)
        fields = {"title": title, "heading": heading, "paragraph": row["output"]}
        return LlmTask(key=row["id"], kind="textbook", fields=fields)

    def llm_row(self, row: dict[str, str], result: LlmResult) -> tuple[str, str]:
        """The LLM's question; the paragraph stays the answer."""
        return result.question or row["input"], row["output"]

    # -- parsing ------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Raw pages of one file: `{"title", "sections": [(heading, text), …], "file"}`."""
        path = Path(path)
        if path.suffix.lower() == ".xml":
            yield from parse_export(path)
        else:
            yield from parse_saved_page(path)

    # -- mapping ------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One record per section; the heading, made a question, is the input."""
        subset, entries = _page_rows(item)
        for entry in entries:
            if type(entry) is Skip:
                yield entry
            else:
                source_id, question, text = entry
                yield self.record(input=question, output=text, source_id=source_id, subset=subset)

    def batches(self, path: Path) -> Iterator[Rows | Skip]:
        """`read` as column batches: the sections go into columns, no Record per row."""
        inputs: list[str] = []
        outputs: list[str] = []
        ids: list[str] = []
        subsets: list[str] = []
        for item in within_limit(self.parse(path)):
            if type(item) is Skip:
                yield item
                continue
            subset, entries = _page_rows(item)
            for entry in entries:
                if type(entry) is Skip:
                    yield entry
                    continue
                ids.append(entry[0])
                inputs.append(entry[1])
                outputs.append(entry[2])
                subsets.append(subset)
            if len(ids) >= BATCH_ROWS:
                yield Rows(inputs, outputs, ids, subsets)
                inputs, outputs, ids, subsets = [], [], [], []
        if ids:
            yield Rows(inputs, outputs, ids, subsets)


# -- mapping helpers ----------------------------------------------------------------------


def _page_rows(item: dict[str, Any]) -> tuple[str, list[tuple[str, str, str] | Skip]]:
    """A page's subset, and per section its (source_id, question, text) or why it has none."""
    title: str = item["title"]
    sections: list[tuple[str, str]] = item["sections"]
    if title.casefold().endswith(PATIENT_SUFFIX):
        subset = "patient_information"
        topic, subject = title[: -len(PATIENT_SUFFIX)].strip(), ""
    else:
        subset = "textbook"
        topic, subject = split_title(title, [heading for heading, _ in sections])
    texts = [clean_section_text(text) for _, text in sections]
    context = "\n".join(texts)

    seen_headings: dict[str, int] = {}
    planned: list[tuple[str, str, str] | Skip] = []  # (source_id, question, text)
    for (heading, raw), text in zip(sections, texts, strict=True):
        count = seen_headings[heading] = seen_headings.get(heading, 0) + 1
        source_id = f"{title}#{heading}" + (f" ({count})" if count > 1 else "")
        if heading and is_non_content_heading(heading):
            planned.append(Skip("non_content_section"))
        elif heading == "" and raw.strip() and len(text.split()) < 4:
            planned.append(Skip("page_intro"))  # nothing but editor boilerplate
        elif not text:
            planned.append(Skip("empty_section"))
        elif heading == "":
            question = intro_question(topic, subject, context=context)
            planned.append((source_id, question, text))
        else:
            question = question_from_heading(
                heading, topic, context=context, title=title, subject=subject
            )
            planned.append((source_id, question, text))

    # The first section asking a question keeps it; the lead yields to any heading.
    order = sorted(range(len(planned)), key=lambda i: sections[i][0] == "")
    asked: set[str] = set()
    for i in order:
        entry = planned[i]
        if isinstance(entry, Skip):
            continue
        key = entry[1].casefold()
        if key in asked:
            planned[i] = Skip("duplicate_question")
        asked.add(key)
    return subset, planned


def clean_section_text(text: str) -> str:
    """Section text without boilerplate, stray wikitext or lines left with no words."""
    original = text
    if ("{" in text or "[" in text or "<" in text or "''" in text) and any(
        hint in text for hint in _MARKUP_HINTS
    ):
        text = strip_markup(text)
    lowered = text.lower()
    applied = None
    for needle, pattern in _BOILERPLATE_BY_NEEDLE:
        if needle in lowered and pattern is not applied:
            text = pattern.sub("", text)
            applied = pattern
    if text is original and not _SPACE_BEFORE_PUNCT_HINT.search(text):
        # Already normalised by element_to_text / wikitext_to_text.
        return text if _HAS_WORD.search(text) else ""
    lines = [line for line in text.split("\n") if not line or _HAS_WORD.search(line)]
    return normalize_whitespace(_SPACE_BEFORE_PUNCT.sub(r"\1", "\n".join(lines)))


def is_non_content_heading(heading: str) -> bool:
    """Whether a section holds references, links or navigation rather than an answer."""
    key = _NON_ALNUM.sub(" ", heading.lower()).strip()
    return key in NON_CONTENT_HEADINGS or key.startswith(_NON_CONTENT_PREFIXES)
