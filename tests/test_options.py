"""`BuildOptions`: the command line fills one, and one gives back its command line."""

from __future__ import annotations

import dataclasses
import shlex
from pathlib import Path

import pytest
import typer

import meadow.cli.build as cli_build
from meadow.cli import app
from meadow.options import BuildOptions
from meadow.pipeline import _rebuild_command
from meadow.recipe import recipe_from_dict
from tests.cli import run_cli

EVERY_FLAG = BuildOptions(
    sources=["wikidoc", "anki"],
    quotas={"wikidoc": "all", "wikidoc.textbook": "0.5", "anki": "10"},
    seed=7,
    name="mix",
    llm=True,
    llm_model="gpt-4o-mini",
    validation=0.05,
    test=0.0,
    contamination="flag",
    require_benchmarks=["usmle", "medqa"],
    benchmark_mixture="eval-mix@abc",
    raw={"wikidoc": Path("/data/pages"), "usmle": Path("/data/usmle")},
    llm_base_url="http://127.0.0.1:9/v1",
    llm_concurrency=2,
    llm_refresh=True,
    llm_price=(0.15, 0.6),
    max_cost=1.5,
    num_proc=2,
)


def _parsed(monkeypatch, capsys, flags: list[str]) -> BuildOptions:
    """The `BuildOptions` that `meadow build FLAGS` hands to `build()`."""
    seen: list[BuildOptions] = []

    def capture(mixture, options):
        seen.append(options)
        raise typer.Exit(0)  # what was parsed is all this test wants

    monkeypatch.setattr(cli_build, "build", capture)
    code, out, err = run_cli(capsys, "build", *flags)
    assert code == 0 and seen, err
    return seen[0]


def test_options_become_flags_and_the_flags_the_same_options(monkeypatch, capsys):
    assert _parsed(monkeypatch, capsys, EVERY_FLAG.to_flags()) == EVERY_FLAG


def test_unset_options_write_no_flags():
    assert BuildOptions().to_flags() == []
    assert BuildOptions(name="m", num_proc=1, llm=False).to_flags() == ["--name", "m"]


def test_each_field_with_a_flag_is_an_option_of_meadow_build():
    command = typer.main.get_command(app).commands["build"]
    cli_flags = {opt for param in command.params for opt in param.opts}
    flags = {f.metadata["flag"] for f in dataclasses.fields(BuildOptions) if "flag" in f.metadata}
    assert flags <= cli_flags
    assert len(flags) == len([f for f in dataclasses.fields(BuildOptions) if f.name != "progress"])


def test_the_rebuild_command_gives_back_the_recipe_s_options(monkeypatch, capsys):
    recipe = recipe_from_dict(
        {
            "name": "m",
            "seed": 3,
            "splits": {"validation": 0.1},
            "sources": {"wikidoc": {"quota": 5, "subsets": {"textbook": 0.5}, "llm": True}},
            "llm": {"model": "mine"},
        },
        origin="/tmp/a b.yaml",
    )
    command = _rebuild_command(recipe)
    assert command.startswith("meadow build --mixture '/tmp/a b.yaml' --sources wikidoc ")
    flags = shlex.split(command)[4:]
    assert _parsed(monkeypatch, capsys, flags) == BuildOptions(
        sources=["wikidoc"],
        quotas={"wikidoc": "5", "wikidoc.textbook": "0.5"},
        seed=3,
        name="m",
        llm=True,
        llm_model="mine",
        validation=0.1,
        test=0.0,
        raw={"wikidoc": Path("PATH")},
    )


def test_build_keywords_are_the_fields_of_build_options():
    options = BuildOptions.of(seed=4, llm_options={"base_url": "http://x/v1", "refresh": None})
    assert (options.seed, options.llm_base_url, options.llm_refresh) == (4, "http://x/v1", False)
    with pytest.raises(TypeError, match="'sed'"):
        BuildOptions.of(sed=4)
