"""`meadow fetch SOURCE --pages FILE`: politely save a source's pages for `--raw`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit, urlunsplit

import typer

from meadow.cli._common import console, err_console
from meadow.crawl import fetch_pages
from meadow.errors import FetchError, RawFileError
from meadow.paths import downloads_root
from meadow.progress import ProgressBars
from meadow.sources import get_source


def page_urls(template: str, titles: list[str], base_url: str | None) -> list[str]:
    """URLs of pages by title; `base_url` swaps the site (a mirror, or a test server)."""
    if base_url:
        site = urlsplit(base_url)
        parts = urlsplit(template)
        template = urlunsplit(
            (
                site.scheme,
                site.netloc,
                site.path.rstrip("/") + parts.path,
                parts.query,
                parts.fragment,
            )
        )
    return [template.format(title=quote(t.replace(" ", "_"), safe="():,'!*")) for t in titles]


def read_titles(path: Path) -> list[str]:
    if not path.is_file():
        raise RawFileError(
            path, "no such file; --pages takes a text file with one page title per line"
        )
    lines = path.read_text(encoding="utf-8").splitlines()
    titles = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    if not titles:
        raise RawFileError(path, "holds no page titles (one per line, # for comments)")
    return list(dict.fromkeys(titles))


def fetch_command(
    source: Annotated[str, typer.Argument(help="A source that reads saved pages (wikidoc).")],
    pages: Annotated[Path, typer.Option("--pages", help="Text file: one page title per line.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for the pages (default MEADOW_HOME/downloads/SOURCE)."),
    ] = None,
    delay: Annotated[
        float,
        typer.Option(help="Seconds between requests (robots.txt Crawl-delay wins when larger)."),
    ] = 1.0,
    base_url: Annotated[
        str | None,
        typer.Option("--base-url", help="Another site serving the same paths (a mirror)."),
    ] = None,
) -> None:
    """Save pages one by one, honouring robots.txt, with a delay and retries.

    Already saved pages are skipped, so an interrupted fetch resumes.

    Example: meadow fetch wikidoc --pages pages.txt --out ./wikidoc_pages
    """
    cls = get_source(source)
    template = getattr(cls, "page_url", None)
    if not template or not hasattr(cls, "page_filename"):
        raise FetchError(
            f"source {source!r} has no page crawler; pass its files with --raw {source}=PATH"
        )
    titles = read_titles(pages)
    out_dir = out or downloads_root() / source
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = list(
        zip(
            (cls.page_filename(t) for t in titles),
            page_urls(template, titles, base_url),
            strict=True,
        )
    )
    with ProgressBars("pages") as bars:
        task = bars.add(f"fetch {source}", total=len(targets))
        report = fetch_pages(targets, out_dir, delay=delay, progress=lambda *_: bars.advance(task))
    console.print(
        f"saved {report.saved}, already there {report.existing}, "
        f"disallowed by robots.txt {len(report.disallowed)}, failed {len(report.failed)}"
    )
    for url, reason in list(report.failed.items())[:20]:
        err_console.print(f"  failed: {url}: {reason}")
    if report.saved + report.existing:
        console.print(f"next: meadow build --sources {source} --raw {source}={out_dir}")
    else:
        raise FetchError(f"no page of {pages} could be fetched")
