"""A polite page crawler for corpora that exist only as web pages (`meadow fetch wikidoc`).

Polite means: each host's robots.txt is read once and obeyed (Disallow, Crawl-delay and
Request-rate for our user agent), requests to one host are at least `delay` seconds apart,
and transient failures are retried by `meadow.http` with backoff no shorter than that
delay. A crawl is resumable: pages whose file already exists are not requested again, and
each page is written atomically, so a file in `out_dir` is always a whole page.

`list_pages` asks a MediaWiki site's API which pages there are (a category's members, or
every page with a prefix), with the same politeness, so a crawl needs no page list.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from meadow.errors import FetchError, HttpError, PageListError
from meadow.http import USER_AGENT, make_client, request_with_retries

logger = logging.getLogger(__name__)


@dataclass
class FetchReport:
    """What a crawl did with each page.

    Attributes:
        saved: pages requested and written in this run.
        existing: pages skipped without a request because their file was already there.
        disallowed: URLs robots.txt forbids to us; never requested.
        failed: URL -> one-line reason (`HTTP 404 Not Found`, `cannot reach HOST
            (offline?) (after 2 tries)`, ...). Running the crawl again retries only these
            (and any not reached), since saved pages are skipped.
    """

    saved: int = 0
    existing: int = 0
    disallowed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


@dataclass
class _Host:
    """Per-host state: its robots rules, the gap to keep, and when we last asked it."""

    delay: float
    robots: RobotFileParser | None = None
    problem: str | None = None  # robots.txt could not be read: skip the host's pages
    last: float | None = None  # time.monotonic() when the previous request ended


def check_file_name(file_name: str, url: str) -> None:
    """Refuse names that would write outside the output folder or clash with temp files."""
    bad = (
        not file_name
        or file_name in (".", "..")
        or file_name.startswith(".")
        or any(sep in file_name for sep in ("/", "\\", "\0"))
        or os.sep in file_name
        or (os.altsep is not None and os.altsep in file_name)
    )
    if bad:
        raise PageListError(
            file_name, url, "not a plain file name (no path separators, no leading '.')"
        )
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise PageListError(file_name, url, "not an http(s) URL")


def fetch_pages(
    pages: Iterable[tuple[str, str]],
    out_dir: Path,
    *,
    delay: float = 1.0,
    max_retries: int = 4,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[int, int], None] | None = None,
) -> FetchReport:
    """Fetch each `(file_name, url)` page into `out_dir / file_name`, politely.

    The whole list is checked first, so a bad entry stops the crawl before any request.
    A page that cannot be fetched (404, robots.txt unreadable, retries exhausted) is
    recorded in the report and the crawl goes on. `sleep` is injectable so tests record
    the waits; `progress(done, total)` is called after each page.

    Raises:
        PageListError: a file name is not a plain name, a URL is not http(s), or two
            pages share a file name.
    """
    pages = list(pages)
    seen: dict[str, str] = {}
    for file_name, url in pages:
        check_file_name(file_name, url)
        if file_name in seen:
            raise PageListError(file_name, url, f"file name already used for {seen[file_name]}")
        seen[file_name] = url

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    owns_client = client is None
    crawler = _Crawler(client or make_client(), delay, max_retries, sleep)
    try:
        for done, (file_name, url) in enumerate(pages, 1):
            crawler.fetch(url, out_dir / file_name)
            if progress is not None:
                progress(done, len(pages))
    finally:
        if owns_client:
            crawler.client.close()
    return crawler.report


class _Crawler:
    """The state of one crawl: the client, what each host allows, and the report."""

    def __init__(
        self,
        client: httpx.Client,
        delay: float,
        max_retries: int,
        sleep: Callable[[float], None],
    ):
        self.client = client
        self.delay = delay
        self.max_retries = max_retries
        self.sleep = sleep
        # robots.txt rules are matched against the user agent we actually send
        self.agent = client.headers.get("User-Agent", USER_AGENT)
        self.hosts: dict[str, _Host] = {}
        self.report = FetchReport()

    def fetch(self, url: str, path: Path) -> None:
        """Fetch one page into `path`, or record why not."""
        report = self.report
        if path.exists():
            report.existing += 1
            return
        host = self.host(url)
        if host.problem is not None:
            report.failed[url] = host.problem
            return
        assert host.robots is not None
        if not host.robots.can_fetch(self.agent, url):
            report.disallowed.append(url)
            return
        try:
            response = self.get(host, url)
        except HttpError as error:
            report.failed[url] = error.problem
            return
        if response.status_code != 200:
            report.failed[url] = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
            return
        _write_atomically(path, response.content)
        report.saved += 1

    def get(self, host: _Host, url: str) -> httpx.Response:
        """GET with retries, at least `host.delay` seconds after the host's last request."""
        if host.last is not None:
            wait = host.last + host.delay - time.monotonic()
            if wait > 0:
                self.sleep(wait)
        try:
            return request_with_retries(
                self.client,
                "GET",
                url,
                max_retries=self.max_retries,
                backoff=max(0.5, host.delay),  # a retry is a request too: keep the gap
                sleep=self.sleep,
            )
        finally:
            host.last = time.monotonic()

    def host(self, url: str) -> _Host:
        """The host of `url`, reading its robots.txt on first use."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        if origin not in self.hosts:
            self.hosts[origin] = self._open_host(origin)
        return self.hosts[origin]

    def _open_host(self, origin: str) -> _Host:
        host = _Host(delay=self.delay)
        robots_url = f"{origin}/robots.txt"
        try:
            response = self.get(host, robots_url)
        except HttpError as error:
            host.problem = f"cannot read {robots_url}: {error.problem}"
            return host
        robots = RobotFileParser(robots_url)
        status = response.status_code
        if status in (401, 403):  # as urllib.robotparser reads them: the site says no
            robots.disallow_all = True
        elif 200 <= status < 300:
            robots.parse(response.text.splitlines())
        else:  # 404 and other answers without rules: everything is allowed
            robots.allow_all = True
        host.robots = robots
        asked = float(robots.crawl_delay(self.agent) or 0)
        rate = robots.request_rate(self.agent)
        if rate is not None and rate.requests > 0:
            asked = max(asked, rate.seconds / rate.requests)
        if asked > host.delay:
            logger.info("%s asks for %.1f s between requests", origin, asked)
            host.delay = asked
        return host


def list_pages(
    api_url: str,
    *,
    category: str | None = None,
    prefix: str = "",
    limit: int | None = None,
    delay: float = 1.0,
    max_retries: int = 4,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[str]:
    """Titles of a MediaWiki site's articles, from its API (`api.php`), in the API's order.

    With `category`, the members of `Category:CATEGORY` (`list=categorymembers`); without,
    every article whose title starts with `prefix` (`list=allpages`). Only articles
    (namespace 0) are listed. The API's continuation is followed until the list ends or
    `limit` titles are in; each request obeys robots.txt and `delay` as `fetch_pages` does.

    Raises:
        FetchError: robots.txt forbids the API, a request failed after its retries, the
            answer is not the API's JSON (or is an API error), or no page was listed.
    """
    if category is not None:
        name = category.removeprefix("Category:").strip()
        params = {"list": "categorymembers", "cmtitle": f"Category:{name}", "cmnamespace": "0"}
        params["cmlimit"], key = "500", "categorymembers"
        what = f"category {name!r}"
    else:
        params = {"list": "allpages", "apprefix": prefix, "apnamespace": "0", "aplimit": "500"}
        key = "allpages"
        what = f"pages starting with {prefix!r}" if prefix else "pages"
    params = {"action": "query", "format": "json", **params}
    owns_client = client is None
    crawler = _Crawler(client or make_client(), delay, max_retries, sleep)
    titles: list[str] = []
    carry: dict[str, str] = {}
    try:
        while True:
            answer = _api_query(crawler, f"{api_url}?{urlencode({**params, **carry})}")
            titles += [str(page["title"]) for page in answer.get("query", {}).get(key, [])]
            carry = answer.get("continue") or {}
            if not carry or (limit is not None and len(titles) >= limit):
                break
    finally:
        if owns_client:
            crawler.client.close()
    if not titles:
        raise FetchError(f"{api_url} lists no {what}; check the name, or pass --pages FILE")
    return list(dict.fromkeys(titles))[:limit]


def _api_query(crawler: _Crawler, url: str) -> dict:
    """One API request, politely; its JSON, or a FetchError saying what came back."""
    host = crawler.host(url)
    if host.problem is not None:
        raise FetchError(f"cannot list pages: {host.problem}; pass --pages FILE instead")
    assert host.robots is not None
    if not host.robots.can_fetch(crawler.agent, url):
        raise FetchError(f"robots.txt forbids {url}; pass --pages FILE instead")
    try:
        response = crawler.get(host, url)
    except HttpError as error:
        raise FetchError(f"cannot list pages: {url}: {error.problem}") from error
    if response.status_code != 200:
        status = f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
        raise FetchError(f"cannot list pages: {url}: {status}")
    try:
        answer = json.loads(response.content)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise FetchError(f"cannot list pages: {url} did not answer with MediaWiki API JSON")
    if "error" in answer:
        error = answer["error"] if isinstance(answer["error"], dict) else {}
        problem = error.get("info") or error.get("code") or "an error"
        raise FetchError(f"cannot list pages: the API at {url} answered: {problem}")
    return answer


def _write_atomically(path: Path, content: bytes) -> None:
    tmp = path.with_name(f".{path.name}.part")  # hidden, and overwritten by the next try
    with open(tmp, "wb") as f:
        f.write(content)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
