"""`meadow fetch wikidoc` listing its pages with a MediaWiki API on 127.0.0.1."""

from __future__ import annotations

import json
from importlib import resources
from urllib.parse import parse_qs

import pytest

from meadow.crawl import list_pages
from meadow.errors import FetchError
from tests.cli import run_cli
from tests.httpserver import LocalServer, Reply, Request

SAMPLES = resources.files("meadow") / "samples" / "wikidoc"
PATIENT_PAGES = ["Asthma (patient information)", "Gout (patient information)"]
MORE_PAGES = ["Hypertension (patient information)"]


def fake_api(request: Request) -> Reply:
    """A MediaWiki `api.php`: a category in two batches joined by `continue`; allpages."""
    query = {k: v[0] for k, v in parse_qs(request.query, keep_blank_values=True).items()}
    if query.get("action") != "query" or query.get("format") != "json":
        return Reply(body=json.dumps({"error": {"code": "badquery", "info": "bad"}}).encode())
    if query.get("list") == "allpages":
        titles = [t for t in PATIENT_PAGES + MORE_PAGES if t.startswith(query["apprefix"])]
        answer: dict = {"batchcomplete": "", "query": {"allpages": [{"title": t} for t in titles]}}
    elif query.get("cmtitle") != "Category:Patient information":
        answer = {"batchcomplete": "", "query": {"categorymembers": []}}
    elif "cmcontinue" not in query:
        first = [{"ns": 0, "title": t} for t in PATIENT_PAGES]
        answer = {
            "continue": {"cmcontinue": "page|48595045|2", "continue": "-||"},
            "query": {"categorymembers": first},
        }
    else:
        assert query["cmcontinue"] == "page|48595045|2" and query["continue"] == "-||"
        rest = [{"ns": 0, "title": t} for t in MORE_PAGES]
        answer = {"batchcomplete": "", "query": {"categorymembers": rest}}
    return Reply(body=json.dumps(answer).encode(), headers={"Content-Type": "application/json"})


@pytest.fixture
def wiki():
    with LocalServer() as server:
        server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /index.php/Special:\n"))
        server.route("/api.php", fake_api)
        for title in PATIENT_PAGES + MORE_PAGES:
            name = title.replace(" ", "_")
            page = (SAMPLES / f"{name}.html").read_bytes()
            server.route(f"/index.php/{name}", Reply(body=page))
        yield server


def test_category_members_follow_continuation(wiki, client, sleeps):
    titles = list_pages(
        wiki.url("/api.php"), category="Patient information", client=client, sleep=sleeps.append
    )

    assert titles == PATIENT_PAGES + MORE_PAGES
    assert len(wiki.requests_to("/api.php")) == 2
    assert len(wiki.requests_to("/robots.txt")) == 1
    assert sleeps == [pytest.approx(1.0, abs=0.2)] * 2  # the delay before each API request


def test_all_pages_with_a_prefix_and_a_limit(wiki, client, sleeps):
    url = wiki.url("/api.php")
    assert list_pages(url, prefix="Gout", client=client, sleep=sleeps.append) == PATIENT_PAGES[1:]
    assert list_pages(url, limit=1, client=client, sleep=sleeps.append) == PATIENT_PAGES[:1]


def test_listing_errors_are_one_line(wiki, client, sleeps):
    url = wiki.url("/api.php")
    with pytest.raises(FetchError, match=r"lists no category 'Nope'; check the name"):
        list_pages(url, category="Category:Nope", client=client, sleep=sleeps.append)
    with pytest.raises(FetchError, match=r"did not answer with MediaWiki API JSON"):
        list_pages(wiki.url("/index.php/Gout_(patient_information)"), client=client, delay=0)
    with LocalServer() as other:
        other.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /api.php\n"))
        with pytest.raises(FetchError, match=r"robots.txt forbids .*; pass --pages FILE"):
            list_pages(other.url("/api.php"), client=client, delay=0)


def test_fetch_lists_the_pages_itself_and_they_build(capsys, wiki, tmp_path):
    out_dir = tmp_path / "pages"
    fetch = ["fetch", "wikidoc", "--out", str(out_dir), "--delay", "0"]

    code, out, err = run_cli(capsys, *fetch, "--base-url", wiki.url("/"))

    assert code == 0, err
    assert "listed 3 pages (category 'Patient information')" in out
    assert "saved 3" in out
    saved = sorted(p.name for p in out_dir.glob("*.html"))
    assert saved == [t.replace(" ", "_") + ".html" for t in PATIENT_PAGES + MORE_PAGES]
    page_list = out_dir / "pages.txt"
    assert page_list.read_text().splitlines()[1:] == PATIENT_PAGES + MORE_PAGES

    # the list it wrote fetches the same pages again (all there already)
    again = ["fetch", "wikidoc", "--pages", str(page_list), "--out", str(out_dir)]
    code, out, err = run_cli(capsys, *again, "--delay", "0", "--base-url", wiki.url("/"))
    assert code == 0, err
    assert "already there 3" in out

    code, out, err = run_cli(
        capsys, "build", "--sources", "wikidoc", "--raw", f"wikidoc={out_dir}", "--name", "listed"
    )
    assert code == 0, err
    assert "wikidoc" in out


def test_fetch_refuses_two_page_lists(capsys, tmp_path):
    pages = tmp_path / "pages.txt"
    pages.write_text("Asthma\n")

    code, _, err = run_cli(capsys, "fetch", "wikidoc", "--pages", str(pages), "--all-pages")

    assert code == 1
    assert "error: --pages and --all-pages both say which pages; give one of them" in err
