"""`meadow plan` / `meadow build --check`: every source's raw files at once, nothing fetched."""

from __future__ import annotations

import re

import pytest

from meadow.paths import downloads_root
from meadow.raw import FOUND, MUST_BE_GIVEN, WILL_DOWNLOAD, check_raw
from meadow.sources import get_source
from meadow.store import mixture_dir
from tests.cli import run_cli


def _status(out: str, source: str) -> str:
    """The status cell of `source`'s row in the printed table."""
    match = re.search(rf"│ {source}\s+│ ([a-z ]+?)\s+│", out)
    assert match, f"no row for {source} in:\n{out}"
    return match.group(1)


@pytest.mark.parametrize(
    "argv", [("plan", "medalpaca"), ("build", "--mixture", "medalpaca", "--check")]
)
def test_missing_sources_are_listed_all_at_once(capsys, argv):
    code, out, err = run_cli(capsys, *argv)

    assert code == 1
    for source in ("anki", "wikidoc", "mediqa", "cord19", "chatdoctor", "usmle"):
        assert _status(out, source) == "must be given"
        assert f"--raw {source}=PATH" in out
    for source in ("stackexchange", "mmlu", "oasst"):
        assert _status(out, source) == "will download"
    assert "people.eecs.berkeley.edu/~hen" in out  # mmlu's URL, in the table
    assert "\nanki: Export a deck from Anki" in out  # where to get it, one line per source
    assert err.startswith("error: 6 source(s) must be given: anki, wikidoc, mediqa")
    assert not (downloads_root()).exists()  # nothing was downloaded


def test_sample_has_every_file_with_sizes(capsys):
    code, out, err = run_cli(capsys, "plan", "sample")

    assert code == 0, err
    assert _status(out, "wikidoc") == "found"
    assert re.search(r"│ wikidoc\s+│ found\s+│\s+[\d,]+ B │", out)
    assert "every source has its raw files" in out


def test_downloaded_file_is_found_and_bad_raw_path_must_be_given(capsys, tmp_path):
    tar = downloads_root() / "mmlu" / "data.tar"
    tar.parent.mkdir(parents=True)
    tar.write_bytes(b"x" * 1234)

    code, out, err = run_cli(
        capsys, "build", "--sources", "mmlu,wikidoc", "--raw", f"wikidoc={tmp_path}/nope", "--check"
    )

    assert code == 1
    assert re.search(r"│ mmlu\s+│ found\s+│\s+1,234 B │", out)
    assert _status(out, "wikidoc") == "must be given"
    assert f"wikidoc: no such file or folder: {tmp_path}/nope" in out
    assert not mixture_dir("mmlu+wikidoc").exists()  # --check builds nothing


def test_check_raw_says_what_resolve_raw_would_do(tmp_path):
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "Asthma.html").write_text("<html></html>")
    sources = {n: get_source(n)() for n in ("wikidoc", "anki", "pubmedqa")}

    checks = {c.source: c for c in check_raw(sources, {"wikidoc": pages})}

    assert (checks["wikidoc"].status, checks["wikidoc"].size) == (FOUND, 13)
    assert checks["anki"].status == MUST_BE_GIVEN
    assert checks["anki"].how == get_source("anki").how_to_get
    assert checks["anki"].flag == "--raw anki=PATH"
    assert checks["pubmedqa"].status == WILL_DOWNLOAD
    assert checks["pubmedqa"].where.startswith("https://")


def test_fetched_pages_are_pointed_to(capsys):
    fetched = downloads_root() / "wikidoc"
    fetched.mkdir(parents=True)
    (fetched / "Asthma.html").write_text("<html></html>")

    code, out, _ = run_cli(capsys, "plan", "--sources", "wikidoc")

    assert code == 1
    assert f"wikidoc: {fetched} holds fetched files (13 bytes): pass that folder" in out


def test_plan_needs_a_recipe_or_sources(capsys):
    code, _, err = run_cli(capsys, "plan")

    assert code == 1
    assert "--mixture" in err
