"""Reclaiming disk: `meadow rm` keeps the store consistent, `meadow cache clean` removes
parse caches (and LLM replies only when asked); both show sizes and ask first."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import meadow.cli.manage as manage
from meadow import build
from meadow.cli import app
from meadow.llm.cache import default_cache_path
from meadow.parse_runner import cached_sources
from meadow.paths import source_cache_root
from meadow.recipe import Recipe, SourceSpec
from meadow.store import list_mixtures, list_revisions, mixture_dir, revision_dir
from tests.cli import run_cli
from tests.toy_source import write_toy


def _build(raw, rows: int):
    return build(
        Recipe(name="mix", sources={"toy": SourceSpec("toy", quota=rows)}), raw={"toy": raw}
    )


@pytest.fixture
def three(tmp_path):
    """Three revisions of `mix` (10, 20, 30 rows), built in that order."""
    raw = write_toy(tmp_path / "t.jsonl", range(40))
    return [_build(raw, n).revision for n in (10, 20, 30)]


def _refs() -> dict:
    return json.loads((mixture_dir("mix") / "refs.json").read_text())


def test_rm_without_yes_and_without_a_terminal_refuses_after_showing_sizes(capsys, three):
    code, out, err = run_cli(capsys, "rm", "mix", "--revision", three[0][:8])
    assert code == 1
    assert three[0] in out and " kB " in out and "in all: " in out
    assert err.strip() == (
        "error: meadow rm: no terminal to ask on, so nothing was removed; pass --yes to remove"
    )
    assert len(list_revisions("mix")) == 3


def test_rm_of_the_latest_points_the_name_at_the_one_before(capsys, three):
    code, out, err = run_cli(capsys, "rm", "mix", "--revision", three[2], "--yes")
    assert code == 0, err
    assert "removed 1 revision" in out and f"mix now points at {three[1]}" in out
    assert _refs()["latest"] == three[1]
    assert [h["revision"] for h in _refs()["history"]] == three[:2]
    assert revision_dir("mix").name == three[1]
    assert not (mixture_dir("mix") / "revisions" / three[2]).exists()
    assert not [p for p in mixture_dir("mix").iterdir() if p.name.startswith(".removing")]


def test_rm_of_an_older_revision_keeps_the_latest(capsys, three):
    code, _, err = run_cli(capsys, "rm", "mix", "--revision", three[0], "--yes")
    assert code == 0, err
    assert _refs()["latest"] == three[2]
    assert [h["revision"] for h in list_revisions("mix")] == three[1:]


def test_rm_of_the_last_revision_removes_the_name(capsys, three):
    for rev in three:
        code, out, err = run_cli(capsys, "rm", "mix", "--revision", rev, "--yes")
        assert code == 0, err
    assert "mix is gone" in out
    assert list_mixtures() == [] and not mixture_dir("mix").exists()


def test_rm_of_a_name_removes_every_revision(capsys, three):
    code, out, err = run_cli(capsys, "rm", "mix", "--yes")
    assert code == 0, err
    assert all(rev in out for rev in three) and "the name goes too" in out
    assert "removed 3 revisions" in out
    assert list_mixtures() == []
    code, _, err = run_cli(capsys, "show", "mix")
    assert code == 1 and "no mixture named 'mix'" in err


def test_rm_asks_at_a_terminal(three, monkeypatch):
    monkeypatch.setattr(manage, "interactive", lambda: True)
    runner = CliRunner()
    result = runner.invoke(app, ["rm", "mix", "--revision", three[0]], input="n\n")
    assert result.exit_code == 1 and "nothing removed" in result.output
    assert len(list_revisions("mix")) == 3
    result = runner.invoke(app, ["rm", "mix", "--revision", three[0]], input="y\n")
    assert result.exit_code == 0, result.output
    assert "Remove them? [y/N]" in result.output
    assert len(list_revisions("mix")) == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["rm", "nope", "--yes"], "error: no mixture named 'nope' in the local store"),
        (["rm", "mix", "--revision", "ffff", "--yes"], "error: mixture 'mix' has no revision"),
    ],
)
def test_rm_of_something_not_there_is_one_line(capsys, three, argv, message):
    code, _, err = run_cli(capsys, *argv)
    assert code == 1 and err.startswith(message) and len(err.strip().splitlines()) == 1


# -- cache clean ------------------------------------------------------------------------------


@pytest.fixture
def caches(tmp_path):
    """Parse caches of `toy` (two parses) and `toy` under another source name, and an LLM
    reply cache."""
    for n in (10, 20):  # two raw-file contents: two parses of toy
        raw = write_toy(tmp_path / f"t{n}.jsonl", range(n))
        build(Recipe(name=f"m{n}", sources={"toy": SourceSpec("toy")}), raw={"toy": raw})
    other = source_cache_root() / "wikidoc" / "0123456789abcdef"
    other.mkdir(parents=True)
    (other / "stats.json").write_text("{}")
    llm = default_cache_path()
    llm.parent.mkdir(parents=True, exist_ok=True)
    llm.write_bytes(b"x" * 4096)
    llm.with_name(llm.name + "-wal").write_bytes(b"x" * 100)
    return llm


def test_cache_clean_one_source_keeps_the_others_and_the_llm_replies(capsys, caches):
    assert {c.source: c.parses for c in cached_sources()} == {"toy": 2, "wikidoc": 1}
    code, out, err = run_cli(capsys, "cache", "clean", "--source", "toy", "--yes")
    assert code == 0, err
    assert "toy" in out and "2 parses" in out and "wikidoc" not in out and "removed" in out
    assert [c.source for c in cached_sources()] == ["wikidoc"]
    assert caches.is_file()
    assert list_mixtures() == ["m10", "m20"]  # built mixtures stay


def test_cache_clean_llm_only_when_asked(capsys, caches):
    code, out, err = run_cli(capsys, "cache", "clean", "--yes")
    assert code == 0, err
    assert cached_sources() == [] and caches.is_file()
    code, out, err = run_cli(capsys, "cache", "clean", "--llm", "--yes")
    assert code == 0, err
    assert "LLM reply cache" in out and "4.2 kB" in out
    assert not caches.exists() and not caches.with_name(caches.name + "-wal").exists()
    code, out, _ = run_cli(capsys, "cache", "clean", "--llm")
    assert code == 0 and out.startswith("nothing to remove")


def test_cache_clean_without_yes_refuses_and_keeps_everything(capsys, caches):
    code, out, err = run_cli(capsys, "cache", "clean")
    assert code == 1 and "in all: " in out and "pass --yes" in err
    assert len(cached_sources()) == 2


def test_cache_clean_of_an_unknown_source_suggests_names(capsys, caches):
    code, _, err = run_cli(capsys, "cache", "clean", "--source", "wikidok", "--yes")
    assert code == 1
    assert "error: unknown source 'wikidok'; did you mean 'wikidoc'?" in err
    code, out, _ = run_cli(capsys, "cache", "clean", "--source", "anki", "--yes")
    assert code == 0 and "nothing to remove: no parse cache of source anki" in out


@pytest.mark.parametrize("command", [["rm"], ["cache", "clean"]])
def test_help_has_an_example(capsys, command):
    code, out, _ = run_cli(capsys, *command, "--help")
    assert code == 0 and "Example" in out and f"meadow {' '.join(command)} " in out
