"""The page crawler against a real HTTP server on 127.0.0.1; waits are recorded, not slept."""

from __future__ import annotations

import pytest

from meadow.crawl import FetchReport, fetch_pages
from meadow.errors import PageListError
from tests.httpserver import LocalServer, Reply

PAGE_A = "<html><body><p>Asthma \u2013 overview</p></body></html>".encode()
PAGE_B = b"<html><body><p>Bronchitis</p></body></html>"


@pytest.fixture
def server():
    with LocalServer() as server:
        server.route("/wiki/Asthma", Reply(body=PAGE_A, headers={"Content-Type": "text/html"}))
        server.route("/wiki/Bronchitis", Reply(body=PAGE_B))
        yield server


def pages(server: LocalServer, *names: str) -> list[tuple[str, str]]:
    return [(f"{name}.html", server.url(f"/wiki/{name}")) for name in names]


def test_pages_are_written_atomically_with_the_servers_bytes(server, client, sleeps, tmp_path):
    out = tmp_path / "pages"

    report = fetch_pages(
        pages(server, "Asthma", "Bronchitis"), out, client=client, sleep=sleeps.append
    )

    assert report == FetchReport(saved=2, existing=0, disallowed=[], failed={})
    assert (out / "Asthma.html").read_bytes() == PAGE_A
    assert (out / "Bronchitis.html").read_bytes() == PAGE_B
    assert sorted(p.name for p in out.iterdir()) == ["Asthma.html", "Bronchitis.html"]


def test_robots_disallowed_page_is_never_requested(server, client, sleeps, tmp_path):
    server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /wiki/Bronchitis\n"))

    report = fetch_pages(
        pages(server, "Asthma", "Bronchitis"), tmp_path, client=client, sleep=sleeps.append
    )

    assert report.disallowed == [server.url("/wiki/Bronchitis")]
    assert report.saved == 1
    assert server.requests_to("/wiki/Bronchitis") == []
    assert len(server.requests_to("/robots.txt")) == 1  # read once per host


def test_robots_forbidden_disallows_everything(server, client, sleeps, tmp_path):
    server.route("/robots.txt", Reply(403))

    report = fetch_pages(pages(server, "Asthma"), tmp_path, client=client, sleep=sleeps.append)

    assert report.disallowed == [server.url("/wiki/Asthma")]
    assert [r.path for r in server.requests] == ["/robots.txt"]


def test_unreadable_robots_fails_the_hosts_pages(server, client, sleeps, tmp_path):
    server.route("/robots.txt", Reply(500))

    report = fetch_pages(
        pages(server, "Asthma", "Bronchitis"),
        tmp_path,
        client=client,
        sleep=sleeps.append,
        max_retries=1,
    )

    assert report.saved == 0
    assert set(report.failed) == {server.url("/wiki/Asthma"), server.url("/wiki/Bronchitis")}
    assert "robots.txt: HTTP 500" in report.failed[server.url("/wiki/Asthma")]
    assert {r.path for r in server.requests} == {"/robots.txt"}


def test_crawl_delay_for_our_agent_is_honoured(server, client, sleeps, tmp_path):
    robots = b"User-agent: other\nCrawl-delay: 60\n\nUser-agent: meadow\nCrawl-delay: 5\n"
    server.route("/robots.txt", Reply(body=robots))

    fetch_pages(
        pages(server, "Asthma", "Bronchitis"),
        tmp_path,
        delay=0.1,
        client=client,
        sleep=sleeps.append,
    )

    assert sleeps == [pytest.approx(5, abs=0.5)] * 2  # before each page, after robots.txt


def test_waits_delay_between_requests_to_a_host(server, client, sleeps, tmp_path):
    report = fetch_pages(
        pages(server, "Asthma", "Bronchitis"),
        tmp_path,
        delay=2.0,
        client=client,
        sleep=sleeps.append,
    )

    assert report.saved == 2
    assert [r.path for r in server.requests] == ["/robots.txt", "/wiki/Asthma", "/wiki/Bronchitis"]
    assert sleeps == [pytest.approx(2.0, abs=0.5)] * 2


def test_server_error_is_retried_no_sooner_than_the_delay(server, client, sleeps, tmp_path):
    server.route("/wiki/Asthma", [Reply(500), Reply(body=PAGE_A)])

    report = fetch_pages(
        pages(server, "Asthma"), tmp_path, delay=1.5, client=client, sleep=sleeps.append
    )

    assert report.saved == 1
    assert len(server.requests_to("/wiki/Asthma")) == 2
    assert sleeps[-1] >= 1.5  # the backoff before the retry
    assert (tmp_path / "Asthma.html").read_bytes() == PAGE_A


def test_missing_page_is_recorded_and_the_crawl_goes_on(server, client, sleeps, tmp_path):
    report = fetch_pages(
        pages(server, "Nonexistent", "Asthma"), tmp_path, client=client, sleep=sleeps.append
    )

    assert report.failed == {server.url("/wiki/Nonexistent"): "HTTP 404 Not Found"}
    assert report.saved == 1
    assert len(server.requests_to("/wiki/Nonexistent")) == 1  # a 404 is not retried
    assert not (tmp_path / "Nonexistent.html").exists()


def test_existing_file_is_skipped_without_a_request(server, client, sleeps, tmp_path):
    (tmp_path / "Asthma.html").write_bytes(b"kept from an earlier run")
    done: list[tuple[int, int]] = []

    report = fetch_pages(
        pages(server, "Asthma"),
        tmp_path,
        client=client,
        sleep=sleeps.append,
        progress=lambda n, total: done.append((n, total)),
    )

    assert report == FetchReport(saved=0, existing=1)
    assert server.requests == []
    assert (tmp_path / "Asthma.html").read_bytes() == b"kept from an earlier run"
    assert done == [(1, 1)]


@pytest.mark.parametrize("name", ["../escape.html", "sub/page.html", "..", ".hidden", ""])
def test_unsafe_file_name_is_rejected_before_any_request(server, client, tmp_path, name):
    page_list = [*pages(server, "Asthma"), (name, server.url("/wiki/Bronchitis"))]

    with pytest.raises(PageListError, match="not a plain file name"):
        fetch_pages(page_list, tmp_path / "out", client=client)

    assert server.requests == []
    assert not (tmp_path / "escape.html").exists()


def test_duplicate_file_name_is_rejected(server, client, tmp_path):
    page_list = [("a.html", server.url("/wiki/Asthma")), ("a.html", server.url("/wiki/B"))]

    with pytest.raises(PageListError, match="already used for"):
        fetch_pages(page_list, tmp_path, client=client)


def test_non_http_url_is_rejected(tmp_path):
    with pytest.raises(PageListError, match="not an http"):
        fetch_pages([("a.html", "file:///etc/passwd")], tmp_path)
