"""`meadow fetch SOURCE [--pages FILE]`: politely save a source's pages for `--raw`.

Without `--pages`, the site's MediaWiki API lists them (a category's members, or every
page), and the list used is written to `OUT/pages.txt` so the same pages can be fetched
again with `--pages`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit, urlunsplit

import typer

from meadow.cli._common import console, err_console
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


LIST_CATEGORY = {"wikidoc": "Patient information"}
"""The category listed when neither `--pages` nor `--category` / `--all-pages` is given."""
PAGE_LIST = "pages.txt"


def api_url(template: str, base_url: str | None) -> str:
    """The MediaWiki API (`api.php`) of the site serving the page URL `template`."""
    page = page_urls(template, ["x"], base_url)[0]
    parts = urlsplit(page)
    root = parts.path.split("/index.php", 1)[0] if "/index.php" in parts.path else ""
    return urlunsplit((parts.scheme, parts.netloc, root + "/api.php", "", ""))


def write_titles(path: Path, titles: list[str], how: str) -> None:
    """The page list a fetch used, in the `--pages` format (a comment says how it was made)."""
    tmp = path.with_name(f".{path.name}.part")
    tmp.write_text(f"# {how}\n" + "".join(f"{t}\n" for t in titles), encoding="utf-8")
    tmp.replace(path)


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
    pages: Annotated[
        Path | None,
        typer.Option("--pages", help="Text file: one page title per line (default: ask the API)."),
    ] = None,
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
    category: Annotated[
        str | None,
        typer.Option(
            "--category",
            help="List this category's pages with the site's API (wikidoc default: "
            "'Patient information').",
        ),
    ] = None,
    all_pages: Annotated[
        bool,
        typer.Option("--all-pages", help="List every article with the API (see --prefix)."),
    ] = False,
    prefix: Annotated[
        str, typer.Option("--prefix", help="With --all-pages: titles starting with this.")
    ] = "",
    limit: Annotated[
        int | None, typer.Option("--limit", help="At most this many listed pages.")
    ] = None,
) -> None:
    """Save pages one by one, honouring robots.txt, with a delay and retries.

    Without --pages the site's MediaWiki API lists the pages (wikidoc: its patient
    information category), and the list is saved as OUT/pages.txt. Already saved pages
    are skipped, so an interrupted fetch resumes.

    Examples:

      meadow fetch wikidoc --out ./wikidoc_pages

      meadow fetch wikidoc --all-pages --out ./wikidoc_all

      meadow fetch wikidoc --pages ./wikidoc_pages/pages.txt --out ./wikidoc_pages
    """
    from meadow.crawl import fetch_pages  # httpx: only this command needs it

    cls = get_source(source)
    template = getattr(cls, "page_url", None)
    if not template or not hasattr(cls, "page_filename"):
        raise FetchError(
            f"source {source!r} has no page crawler; pass its files with --raw {source}=PATH"
        )
    out_dir = out or downloads_root() / source
    if pages is not None and (category is not None or all_pages):
        flag = "--category" if category is not None else "--all-pages"
        raise FetchError(f"--pages and {flag} both say which pages; give one of them")
    if limit is not None and limit < 1:
        raise FetchError(f"--limit: expected a positive number of pages, got {limit}")
    if pages is not None:
        titles = read_titles(pages)
    else:
        titles = _listed(source, template, base_url, category, all_pages, prefix, limit, delay)
        out_dir.mkdir(parents=True, exist_ok=True)
        listed_by = f"category {category or LIST_CATEGORY.get(source)!r}"
        if all_pages:
            listed_by = f"every page starting with {prefix!r}" if prefix else "every page"
        write_titles(out_dir / PAGE_LIST, titles, f"{len(titles)} pages: {listed_by}")
        pages = out_dir / PAGE_LIST
        console.print(f"listed {len(titles)} pages ({listed_by}); the list: {pages}")
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


def _listed(
    source: str,
    template: str,
    base_url: str | None,
    category: str | None,
    all_pages: bool,
    prefix: str,
    limit: int | None,
    delay: float,
) -> list[str]:
    """The titles the site's API lists for these flags."""
    if not all_pages:
        category = category or LIST_CATEGORY.get(source)
        if category is None:
            raise FetchError(f"source {source!r} has no default category: pass --pages FILE")
    from meadow.crawl import list_pages

    url = api_url(template, base_url)
    return list_pages(url, category=category, prefix=prefix, limit=limit, delay=delay)
