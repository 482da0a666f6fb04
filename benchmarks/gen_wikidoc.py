"""Generate realistic saved wikidoc pages, and time WikidocSource on them.

Pages are 20-60 KB like real saved pages: skin chrome (head scripts, sidebar, footer),
an infobox, a microchapter box, a table of contents, sections with references, lists and
edit links, a references list and a navbox. The three heading shapes (legacy
`mw-headline` spans, MediaWiki 1.43 `mw-heading` divs, Parsoid `<section>`s) and both
subsets (patient information, textbook) are mixed. The text is random medical-sounding
filler; only its size and markup matter here.

    python benchmarks/gen_wikidoc.py /tmp/wikidoc-pages --pages 20000
    python benchmarks/gen_wikidoc.py /tmp/wikidoc-pages --pages 20000 --measure
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import medtext  # noqa: E402

SHAPES = ("legacy", "heading_div", "parsoid")

_ORGANS = (
    *("cardiac", "renal", "hepatic", "pulmonary", "gastric", "cerebral", "spinal"),
    *("ocular", "dermal", "thyroid", "adrenal", "pancreatic", "splenic", "ovarian"),
    *("testicular", "prostatic", "vascular", "lymphatic", "biliary", "colonic"),
)
_CONDITIONS = (
    *("fibrosis", "stenosis", "carcinoma", "adenoma", "insufficiency", "hypertrophy"),
    *("amyloidosis", "sarcoidosis", "vasculitis", "neuropathy", "infarction", "abscess"),
    *("cyst", "lymphoma", "dysplasia", "atresia", "embolism"),
)
_WORDS = (
    *("patients", "disease", "inflammation", "treatment", "diagnosis", "symptoms"),
    *("therapy", "risk", "infection", "chronic", "acute", "severe", "mild", "common"),
    *("rare", "clinical", "findings", "imaging", "biopsy", "blood", "tissue", "cells"),
    *("immune", "response", "pressure", "pain", "fever", "fatigue", "weight", "loss"),
    *("swelling", "function", "damage", "recovery", "outcome", "mortality", "incidence"),
    *("prevalence", "children", "adults", "elderly", "women", "men", "genetic", "mutation"),
    *("protein", "receptor", "enzyme", "hormone", "level", "serum", "urine", "culture"),
)
_PATIENT_HEADINGS = (
    "What is {t}?",
    "What are the symptoms of {t}?",
    "What causes {t}?",
    "Who is at risk for {t}?",
    "How to know you have {t}?",
    "When to seek urgent medical care?",
    "Treatment options",
    "Where to find medical care for {t}?",
    "Prevention",
    "What to expect (Outlook/Prognosis)?",
    "Possible complications",
)
_TEXTBOOK_HEADINGS = (
    "Overview",
    "Historical Perspective",
    "Classification",
    "Pathophysiology",
    "Causes",
    "Differentiating {T} from other Diseases",
    "Epidemiology and Demographics",
    "Risk Factors",
    "Screening",
    "Natural History, Complications and Prognosis",
    "History and Symptoms",
    "Physical Examination",
    "Laboratory Findings",
    "Medical Therapy",
    "Surgery",
    "Primary Prevention",
    "Secondary Prevention",
)
_SUBJECTS = ("", "", "overview", "pathophysiology", "causes", "risk factors", "medical therapy")
_SUBHEADINGS = ("Genetics", "Associated Conditions", "Gross Pathology", "Diet", "Special groups")


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return medtext.sentence(rng)
    words = rng.choices(_WORDS, k=rng.randint(8, 22))
    words[0] = words[0].capitalize()
    if rng.random() < 0.3:
        words.insert(rng.randint(1, len(words) - 1), "{t}")
    return " ".join(words) + "."


def _paragraph_pool(rng: random.Random, size: int) -> list[str]:
    pool = []
    for n in range(size):
        sentences = [_sentence(rng) for _ in range(rng.randint(3, 8))]
        html = " ".join(sentences)
        if n % 2:
            html += (
                f'<sup id="cite_ref-{n}" class="reference">'
                f'<a href="#cite_note-{n}">&#91;{n % 9 + 1}&#93;</a></sup>'
            )
        if n % 3 == 0:
            html = f'<b>{{T}}</b> {html} See <a href="/index.php/Pain" title="Pain">pain</a>.'
        if n % 5 == 0:
            items = "".join(f"<li>{_sentence(rng)}</li>\n" for _ in range(rng.randint(3, 7)))
            pool.append(f"<p>{html}\n</p>\n<ul>{items}</ul>\n")
        else:
            pool.append(f"<p>{html}\n</p>\n")
    return pool


_CHROME_HEAD = (
    '<!DOCTYPE html>\n<html class="client-nojs" lang="en" dir="ltr">\n<head>\n'
    '<meta charset="UTF-8"/>\n<title>{title} - wikidoc</title>\n'
    '<script>document.documentElement.className="client-js";RLCONF={'
    + ",".join(f'"wgVar{i}":"{"x" * 40}"' for i in range(40))
    + "};</script>\n"
    + "".join(
        f'<link rel="stylesheet" href="/load.php?lang=en&amp;modules=skin.{i}&amp;only=styles"/>\n'
        for i in range(12)
    )
    + '</head>\n<body class="mediawiki ltr sitedir-ltr ns-0 ns-subject skin-vector action-view">\n'
)
_SIDEBAR = (
    '<div id="mw-navigation"><div id="mw-panel">'
    + "".join(
        f'<nav class="portal" id="p-{i}"><h3>Portal {i}</h3><div class="body"><ul>'
        + "".join(
            f'<li id="n-{i}-{j}"><a href="/index.php/Page_{i}_{j}">Navigation link {j}</a></li>'
            for j in range(10)
        )
        + "</ul></div></nav>"
        for i in range(4)
    )
    + "</div></div>\n"
)
_FOOTER = (
    '<div id="footer" role="contentinfo"><ul id="footer-info">'
    "<li>This page was last edited on 1 January 2024.</li>"
    "<li>Content is available under Creative Commons Attribution Share Alike.</li></ul>"
    "</div>\n"
    "<script>(RLQ=window.RLQ||[]).push(function(){mw.config.set({"
    + ",".join(f'"wgPerf{i}":{i}' for i in range(60))
    + "});});</script>\n</body>\n</html>\n"
)
_LEAD_PATIENT = (
    '<p><i>For the WikiDoc page for this topic, click <a href="/index.php/{T}">here</a></i>\n'
    "</p><p><b>Editor-In-Chief:</b> C. Michael Gibson, M.S., M.D. "
    '<a rel="nofollow" class="external autonumber" href="mailto:x@example.org">[1]</a>\n'
    "</p><p><b>Please Join in Editing This Page and Submit Your Comments and Questions About "
    'It In the <a href="/index.php/Talk:{T}">Discussion Section</a></b>\n</p>\n'
)
_LEAD_TEXTBOOK = "<p><b>Editor-In-Chief:</b> Sample Editor, M.D.\n</p>\n"


def _infobox(topic: str) -> str:
    rows = "".join(
        f"<tr><th>Field {i}</th><td>Value {i} for {topic}</td></tr>\n" for i in range(14)
    )
    return (
        f'<table class="infobox" style="width:22em"><tbody><tr><th colspan="2">{topic}</th></tr>\n'
        f"{rows}</tbody></table>\n"
        '<table class="toccolours" style="float:right"><tbody><tr><td><b>Microchapters</b><ul>'
        + "".join(f'<li><a href="/index.php/{topic}_{h}">{h}</a></li>' for h in _TEXTBOOK_HEADINGS)
        + "</ul></td></tr></tbody></table>\n"
    )


def _navbox() -> str:
    cells = " · ".join(f'<a href="/index.php/Disease_{i}">Disease {i}</a>' for i in range(80))
    return (
        '<table class="navbox"><tbody><tr><th class="navbox-title">Diseases</th></tr>'
        f'<tr><td class="navbox-list">{cells}</td></tr></tbody></table>\n'
    )


def _references(n: int) -> str:
    items = "".join(
        f'<li id="cite_note-{i}"><span class="mw-cite-backlink"><a href="#cite_ref-{i}">↑</a>'
        f'</span> <span class="reference-text">Author A, Author B. An invented study number {i}. '
        f'<i>J Sample Med</i>. 2001;{i}:1-10. <a class="external" href="https://doi.org/10.0/{i}">'
        f"doi:10.0/{i}</a></span></li>\n"
        for i in range(n)
    )
    return f'<div class="mw-references-wrap"><ol class="references">\n{items}</ol></div>\n'


def _heading(shape: str, level: int, text: str, n: int) -> str:
    anchor = text.replace(" ", "_")
    edit = (
        '<span class="mw-editsection"><span class="mw-editsection-bracket">[</span>'
        f'<a href="/index.php?action=edit&amp;section={n}" title="Edit section: {text}">edit</a>'
        '<span class="mw-editsection-bracket">]</span></span>'
    )
    if shape == "legacy":
        return f'<h{level}><span class="mw-headline" id="{anchor}">{text}</span>{edit}</h{level}>\n'
    return (
        f'<div class="mw-heading mw-heading{level}"><h{level} id="{anchor}">{text}</h{level}>'
        f"{edit}</div>\n"
    )


# Bytes of a page besides its sections: skin, infobox, references, navbox, table of contents.
_FIXED_PARSOID = len(_infobox("x" * 20)) + len(_navbox()) + len(_references(25)) + 600
_FIXED_SKIN = _FIXED_PARSOID + len(_CHROME_HEAD) + len(_SIDEBAR) + len(_FOOTER) + 2_000


def _page(rng: random.Random, pool: list[str], index: int, shape: str) -> tuple[str, str]:
    topic = f"{rng.choice(_ORGANS).capitalize()} {rng.choice(_CONDITIONS)} {index}"
    patient = rng.random() < 0.4
    if patient:
        title = f"{topic} (patient information)"
        headings = [h.replace("{t}", topic) for h in _PATIENT_HEADINGS]
        lead = _LEAD_PATIENT
    else:
        subject = rng.choice(_SUBJECTS)
        title = f"{topic} {subject}".strip()
        headings = [h.replace("{T}", topic) for h in _TEXTBOOK_HEADINGS]
        lead = _LEAD_TEXTBOOK + pool[index % len(pool)]
    target = rng.randint(20_000, 60_000)
    fixed = _FIXED_PARSOID if shape == "parsoid" else _FIXED_SKIN
    fill = max(3_000, int((target - fixed) * 0.85))
    lower = topic.lower()

    blocks: list[tuple[int, str, str]] = []
    keep = max(3, min(len(headings), int(fill / 2_500)))
    if keep < len(headings):  # small pages have fewer sections, in their usual order
        chosen = sorted(rng.sample(range(len(headings)), keep))
        headings = [headings[i] for i in chosen]
    per_section = fill / len(headings)
    for heading in headings:
        for level, text in ((2, heading), (3, rng.choice(_SUBHEADINGS))):
            if level == 3 and rng.random() > 0.2:
                continue
            parts: list[str] = []
            size = 0
            budget = per_section * (0.4 if level == 3 else 1)
            while not parts or size < budget:
                part = rng.choice(pool)
                if parts and size + len(part) > budget * 1.2:
                    break
                parts.append(part)
                size += len(part) + 250  # heading, edit link, toc entry
            parts.insert(0, f"<p>{medtext.sentences(rng, rng.randint(2, 4))}\n</p>\n")
            body = "".join(parts).replace("{t}", lower).replace("{T}", topic)
            blocks.append((level, text, body))

    content: list[str] = [_infobox(topic), lead.replace("{T}", topic)]
    if shape == "parsoid":
        content = ['<section data-mw-section-id="0">', *content, "</section>"]
        open_levels: list[int] = []
        for n, (level, heading, body) in enumerate(blocks, start=1):
            while open_levels and open_levels[-1] >= level:
                content.append("</section>")
                open_levels.pop()
            content.append(
                f'<section data-mw-section-id="{n}"><h{level} id="s{n}">{heading}</h{level}>\n'
                f"{body}"
            )
            open_levels.append(level)
        content.append("</section>" * len(open_levels))
        content.append(
            f'<section data-mw-section-id="{len(blocks) + 1}"><h2 id="References">References</h2>\n'
            f"{_references(25)}{_navbox()}</section>"
        )
        page = (
            '<!DOCTYPE html>\n<html prefix="mw: http://mediawiki.org/rdf/">'
            '<head><meta charset="utf-8"/>'
            f"<title>{title}</title></head>"
            '<body class="mw-content-ltr parsoid-body mediawiki mw-parser-output">'
            + "".join(content)
            + "</body></html>\n"
        )
        return title, page

    toc = (
        '<div id="toc" class="toc"><div class="toctitle"><h2>Contents</h2></div><ul>'
        + "".join(
            f'<li class="toclevel-1"><a href="#s{i}"><span class="tocnumber">{i}</span> '
            f'<span class="toctext">{h}</span></a></li>'
            for i, (_, h, _) in enumerate(blocks[:30], start=1)
        )
        + "</ul></div>\n"
    )
    content.append(toc)
    for n, (level, heading, body) in enumerate(blocks, start=1):
        content.append(_heading(shape, level, heading, n) + body)
    content.append(_heading(shape, 2, "References", len(blocks) + 1))
    content.append(_references(25) + _navbox())
    page = (
        _CHROME_HEAD.replace("{title}", title) + '<div id="content" class="mw-body" role="main">\n'
        f'<h1 id="firstHeading" class="firstHeading" lang="en">{title}</h1>\n'
        '<div id="bodyContent" class="mw-body-content">\n'
        '<div id="mw-content-text" lang="en" dir="ltr" class="mw-content-ltr">'
        '<div class="mw-parser-output">'
        + "".join(content)
        + '</div></div>\n<div class="printfooter">Retrieved from "https://www.wikidoc.org/"</div>\n'
        "</div></div>\n" + _SIDEBAR + _FOOTER
    )
    return title, page


def make_pages(folder: Path, n_pages: int, seed: int = 0) -> Path:
    """Write `n_pages` saved wikidoc pages (20-60 KB each) into `folder`; returns it."""
    from meadow.sources.wikidoc import WikidocSource

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    pool = _paragraph_pool(rng, 3000)
    for index in range(n_pages):
        title, page = _page(rng, pool, index, SHAPES[index % len(SHAPES)])
        (folder / WikidocSource.page_filename(title)).write_text(page, encoding="utf-8")
    return folder


def measure(folder: Path) -> dict[str, float]:
    """Run `WikidocSource().records` over every page of `folder`; pages/s, records/s, MB/s."""
    from meadow.sources import Skip
    from meadow.sources.wikidoc import WikidocSource

    source = WikidocSource()
    files = source.shards(Path(folder))
    size = sum(path.stat().st_size for path in files)
    records = skips = 0
    start = time.perf_counter()
    for path in files:
        for item in source.records(path):
            if isinstance(item, Skip):
                skips += 1
            else:
                records += 1
    seconds = time.perf_counter() - start
    return {
        "pages": len(files),
        "records": records,
        "skips": skips,
        "seconds": round(seconds, 2),
        "pages_per_s": round(len(files) / seconds, 1),
        "records_per_s": round(records / seconds, 1),
        "mb_per_s": round(size / seconds / 1e6, 1),
        "mean_page_kb": round(size / len(files) / 1e3, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--pages", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--measure", action="store_true", help="time WikidocSource afterwards")
    args = parser.parse_args()
    start = time.perf_counter()
    make_pages(args.folder, args.pages, args.seed)
    print(f"wrote {args.pages} pages to {args.folder} in {time.perf_counter() - start:.1f} s")
    if args.measure:
        print(measure(args.folder))


if __name__ == "__main__":
    main()
