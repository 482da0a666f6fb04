"""The `meadow` command: every command's --help, one-line errors, and the main flows."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.cli import run_cli
from tests.toy_source import write_toy

COMMANDS = ["sources", "build", "show", "list", "fetch", "push", "pull", "audit"]


run = run_cli


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "Example" in out and f"meadow {command}" in out


def test_console_script_runs():
    done = subprocess.run(
        [sys.executable, "-m", "meadow.cli", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.startswith("meadow ")


def test_sources_lists_every_source_with_its_needs(capsys):
    code, out, _ = run(capsys, "sources", "--json")
    infos = {i["name"]: i for i in json.loads(out)}
    assert code == 0 and {"anki", "wikidoc", "toy"} <= set(infos)
    assert infos["wikidoc"]["subsets"] == ["patient_information", "textbook"]
    assert infos["toy"]["how_to_get"]
    code, out, _ = run(capsys, "sources")
    assert code == 0 and "wikidoc" in out and "anki" in out and "toy" in out


def test_build_show_list_flow(capsys, tmp_path):
    raw = write_toy(tmp_path / "t.jsonl", range(40))
    code, out, err = run(
        capsys,
        "build",
        "--sources",
        "toy",
        "--raw",
        f"toy={raw}",
        "--name",
        "cli-mix",
        "--quota",
        "toy=30",
        "--validation",
        "0.2",
    )
    assert code == 0, err
    assert "cli-mix @" in out and "splits: train" in out
    code, out, _ = run(capsys, "show", "cli-mix")
    assert code == 0 and "toy" in out and "t.jsonl" in out and "30" in out
    code, out, _ = run(capsys, "show", "cli-mix", "--json")
    assert json.loads(out)["sources"]["toy"]["taken"] == 30
    code, out, _ = run(capsys, "list")
    assert code == 0 and "cli-mix" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["build", "--sources", "nope"], "error: unknown source 'nope'; available: anki"),
        (["build", "--sources", "toy"], "error: source 'toy' needs its raw files"),
        (["build", "--sources", "toy", "--raw", "toy"], "error: --raw: expected SOURCE=VALUE"),
        (
            ["build", "--sources", "toy", "--raw", "anki=x", "--raw", "toy=y"],
            "error: --raw anki: source 'anki' is not in this build",
        ),
        (["build", "--mixture", "nosuch"], "error: --mixture: no built-in recipe 'nosuch'"),
        (
            ["build", "--mixture", "small"],
            "error: source 'wikidoc' needs its raw files: WikiDoc pages cannot be",
        ),
        (["build"], "error: --mixture: give a recipe"),
        (["show", "never-built"], "error: no mixture named 'never-built'"),
        (
            ["build", "--sources", "toy", "--quota", "toy=-2", "--raw", "toy=."],
            "error: --quota toy: quota must not be negative",
        ),
    ],
)
def test_errors_are_one_line_and_exit_non_zero(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 1
    assert err.startswith(message), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_corrupt_raw_file_names_the_file(capsys, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(b"\xff\xfe\x00garbage\n")
    code, _, err = run(capsys, "build", "--sources", "toy", "--raw", f"toy={bad}")
    assert code == 1 and "bad.jsonl: could not be parsed by source 'toy'" in err


def test_debug_shows_the_traceback(capsys, monkeypatch):
    monkeypatch.setenv("MEADOW_DEBUG", "1")
    code, _, err = run(capsys, "build", "--sources", "nope")
    assert code == 1 and err.startswith("Traceback (most recent call last):")
    assert "meadow.errors.UnknownSourceError: unknown source 'nope'; available:" in err


def test_usage_errors_exit_2(capsys):
    code, _, err = run(capsys, "build", "--num-proc", "many")
    assert code == 2 and "Invalid value for '--num-proc'" in err


def test_sample_mixture_builds_offline_and_loads(capsys):
    from meadow import load_mixture
    from meadow.recipe import load_recipe

    code, out, err = run(capsys, "build", "--mixture", "sample")
    assert code == 0, err
    loaded = load_mixture("sample")
    rows = [row for split in loaded.values() for row in split]
    assert {row["source"] for row in rows} == set(load_recipe("sample").sources)
    assert {row["subset"] for row in rows if row["source"] == "wikidoc"} == {
        "patient_information",
        "textbook",
    }
    assert all(row["input"].strip() and row["output"].strip() for row in rows)
    assert len({row["id"] for row in rows}) == len(rows)
    # `meadow show` says what data hygiene did: the medqa train row planted with a USMLE
    # 13-gram, ChatDoctor's stripped sign-offs, and the benchmarks checked
    from meadow.cli.show import _hygiene

    code, out, _ = run(capsys, "show", "sample")
    assert code == 0 and "hygiene" in out
    assert "decontaminated against: medmcqa (5 items), medqa (2 items)" in " ".join(out.split())
    code, out, _ = run(capsys, "show", "sample", "--json")
    sources = json.loads(out)["sources"]
    assert _hygiene(sources["medqa"]) == "contaminated (usmle): 1"
    assert _hygiene(sources["chatdoctor"]).startswith("boilerplate stripped: ")


def test_fetch_saves_pages_politely_and_they_build(capsys, tmp_path):
    from importlib import resources

    from tests.httpserver import LocalServer, Reply

    page = (
        resources.files("meadow") / "samples" / "wikidoc" / "Asthma_(patient_information).html"
    ).read_bytes()
    titles = tmp_path / "pages.txt"
    titles.write_text("# wikidoc pages\nAsthma (patient information)\nPrivate page\nMissing\n")
    out_dir = tmp_path / "pages"
    with LocalServer() as server:
        server.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /index.php/Private\n"))
        server.route("/index.php/Asthma_(patient_information)", Reply(body=page))
        fetch = ["fetch", "wikidoc", "--pages", str(titles), "--out", str(out_dir)]
        fetch += ["--delay", "0", "--base-url", server.url("/")]
        code, out, err = run(capsys, *fetch)
        assert code == 0, err
        assert "saved 1" in out and "disallowed by robots.txt 1" in out and "failed 1" in out
        assert not server.requests_to("/index.php/Private_page")
        code, out, _ = run(capsys, *fetch)
        assert "already there 1" in out
        assert len(server.requests_to("/index.php/Asthma_(patient_information)")) == 1
    code, out, err = run(
        capsys, "build", "--sources", "wikidoc", "--raw", f"wikidoc={out_dir}", "--name", "fetched"
    )
    assert code == 0, err
    assert "wikidoc" in out


def test_fetch_refuses_a_source_without_pages(capsys, tmp_path):
    titles = tmp_path / "pages.txt"
    titles.write_text("x\n")
    code, _, err = run(capsys, "fetch", "anki", "--pages", str(titles))
    assert code == 1 and "source 'anki' has no page crawler" in err
    code, _, err = run(capsys, "fetch", "wikidoc", "--pages", str(tmp_path / "none.txt"))
    assert code == 1 and "none.txt: no such file" in err


def test_medalpaca_recipe_builds_with_every_raw_file_given(capsys):
    from meadow.recipe import load_recipe
    from meadow.store import read_manifest

    sample = load_recipe("sample")
    medalpaca = load_recipe("medalpaca")
    assert set(medalpaca.sources) <= set(sample.sources)
    raw = [f"--raw={name}={sample.sources[name].raw}" for name in medalpaca.sources]
    code, _, err = run(capsys, "build", "--mixture", "medalpaca", *raw)
    assert code == 0, err
    manifest = read_manifest("medalpaca")
    se = manifest["sources"]["stackexchange"]
    assert se["subsets"]["academia"]["quota"] == 40865
    assert se["subsets"]["academia"]["quota_exceeds_available"] is True
    assert manifest["sources"]["cord19"]["quota"] == 50000
    assert manifest["sources"]["wikidoc"]["subsets"]["textbook"]["quota"] == 10000
    for stats in manifest["sources"].values():
        assert {"available", "taken", "skipped", "subsets", "raw_files"} <= set(stats)
    assert manifest["sources"]["usmle"]["evaluation_only"] == ["step1", "step2", "step3"]
    assert manifest["sources"]["usmle"]["splits"]["train"] == 0


def test_pmc_llama_recipe_builds_on_the_samples_with_paraphrased_instructions(capsys):
    from meadow import load_mixture
    from meadow.converters.multiple_choice import MULTIPLE_CHOICE_PARAPHRASES
    from meadow.recipe import load_recipe
    from meadow.store import read_manifest

    sample = load_recipe("sample")
    recipe = load_recipe("pmc-llama")
    assert set(recipe.sources) == {"medqa", "medmcqa", "pubmedqa", "umls"}
    raw = [f"--raw={name}={sample.sources[name].raw}" for name in recipe.sources]
    code, _, err = run(capsys, "build", "--mixture", "pmc-llama", *raw)
    assert code == 0, err
    manifest = read_manifest("pmc-llama")
    sources = manifest["sources"]
    assert sources["medqa"]["subsets"]["train"]["quota"] == 10178
    assert sources["medmcqa"]["subsets"]["rationale"]["quota"] == 182822
    assert sources["pubmedqa"]["subsets"]["artificial_reasoning"]["quota"] == 211269
    assert sources["umls"]["quota"] == 99000
    assert set(sources["umls"]["subsets"]) == {"entity", "relation"}
    assert sources["medqa"]["instruction_paraphrases"] == {
        "train": len(MULTIPLE_CHOICE_PARAPHRASES)
    }
    rows = load_mixture("pmc-llama")["train"]
    assert {r["source"] for r in rows} == {"medqa", "medmcqa", "pubmedqa", "umls"}
    medqa = [r["instruction"] for r in rows if r["source"] == "medqa"]
    assert set(medqa) <= set(MULTIPLE_CHOICE_PARAPHRASES)
