"""`meadow audit`: the duplicate and contamination report of a file or mixture, no build."""

from __future__ import annotations

import json

import pytest

from meadow.converters.multiple_choice import format_question
from tests.cli import run_cli
from tests.quality.helpers import (
    PARAPHRASE,
    PARKINSON,
    PARKINSON_OPTIONS,
    WERNICKE,
    WERNICKE_OPTIONS,
    write_meadow_json,
    write_medqa_test,
    write_usmle,
)


@pytest.fixture
def benchmarks(tmp_path):
    return {
        "usmle": write_usmle(tmp_path / "usmle", [(WERNICKE, WERNICKE_OPTIONS, "C")]),
        "medqa": write_medqa_test(tmp_path / "medqa", [(PARKINSON, PARKINSON_OPTIONS, "B")]),
    }


@pytest.fixture
def wikidoc_json(tmp_path):
    """A published medical_meadow_*.json with a repeated question, a repeated row and two
    benchmark overlaps."""
    return write_meadow_json(
        tmp_path / "medical_meadow_wikidoc.json",
        [
            ("What is gout?", "A kind of arthritis."),
            ("What is gout?", "Arthritis caused by uric acid crystals."),
            ("What causes gout?", "Uric acid."),
            ("what causes gout", "uric acid"),
            (PARAPHRASE, "Thiamine."),
            (format_question(PARKINSON, PARKINSON_OPTIONS), "B: Substantia nigra pars compacta"),
        ],
    )


def test_audit_of_a_medical_meadow_file_reports_overlaps_and_duplicates(
    capsys, tmp_path, benchmarks, wikidoc_json
):
    out_file = tmp_path / "report.json"
    code, out, err = run_cli(
        capsys,
        "audit",
        str(wikidoc_json),
        "--raw",
        f"usmle={benchmarks['usmle']}",
        "--raw",
        f"medqa={benchmarks['medqa']}",
        "--output",
        str(out_file),
    )
    assert code == 0, err
    report = json.loads(out_file.read_text())
    assert report["rows"] == 6
    usmle, medqa = report["contamination"]["usmle"], report["contamination"]["medqa"]
    shared = "with long standing heavy alcohol use is brought to the emergency department because"
    assert [(r["input"][:12], r["matches"]) for r in usmle] == [
        ("A man of 47 ", [{"item": "step1/1", "kind": "ngram", "text": shared}])
    ]
    assert [[(m["item"], m["kind"]) for m in r["matches"]] for r in medqa] == [
        [("test/1", "ngram")]
    ]
    assert report["benchmarks"]["usmle"]["files"][0]["name"] == "step1.json"
    assert report["benchmarks"]["medmcqa"]["checked"] is False
    assert report["duplicates"]["exact"]["rows"] == 1
    assert report["duplicates"]["input"]["rows"] == 1
    example = report["duplicates"]["exact"]["examples"][0]
    assert {example["kept"]["input"], example["duplicate"]["input"]} == {
        "What causes gout?",
        "what causes gout",
    }
    assert "usmle: 1 rows overlap its 1 items" in out and "medqa: 1 rows overlap" in out
    assert "repeated questions (same normalised input, another output): 1" in out
    assert "medmcqa: not checked" in err


def test_audit_of_a_built_mixture_leaves_its_benchmark_rows_out(capsys, tmp_path, benchmarks):
    recipe = tmp_path / "r.yaml"
    copy = write_meadow_json(tmp_path / "copy" / "copy.json", [(WERNICKE, "C: Thiamine")])
    recipe.write_text(
        f"name: unchecked\nquality: false\nsources:\n  usmle: {{raw: {benchmarks['usmle']}}}\n"
        f"  local: {{raw: {copy}}}\n"
    )
    assert run_cli(capsys, "build", "--mixture", str(recipe))[0] == 0
    code, out, err = run_cli(
        capsys,
        "audit",
        "unchecked",
        "--against",
        "usmle",
        "--raw",
        f"usmle={benchmarks['usmle']}",
        "--output",
        str(tmp_path / "a.json"),
    )
    assert code == 0, err
    report = json.loads((tmp_path / "a.json").read_text())
    assert report["target"].startswith("unchecked@")
    assert [r["source"] for r in report["contamination"]["usmle"]] == ["local"]
    assert report["duplicates"]["exact"]["rows"] == 0  # the usmle row is not a duplicate to drop


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["no-such-mixture"], "no-such-mixture: no such file or folder, and no mixture"),
        (["org/repo"], "org/repo is read as a Hub repo id: add --name CONFIG"),
        (
            ["{file}", "--against", "medmcqa"],
            "decontamination against 'medmcqa' needs its raw files",
        ),
        (["{file}", "--against", "pubmed"], "--against: unknown benchmark 'pubmed'"),
        (["{file}", "--raw", "wikidoc=x"], "--raw wikidoc: not a benchmark"),
        (["{file}", "--threshold", "2"], "--threshold: expected a number in (0, 1)"),
        (["{file}", "--ngram", "2"], "--ngram: expected 4 to 50 words"),
    ],
)
def test_audit_errors_are_one_line(capsys, wikidoc_json, argv, message):
    argv = [a.replace("{file}", str(wikidoc_json)) for a in argv]
    code, _, err = run_cli(capsys, "audit", *argv)
    assert code == 1
    assert message in err and len(err.strip().splitlines()) == 1


def test_audit_without_any_benchmark_files_says_how_to_give_them(capsys, wikidoc_json):
    code, _, err = run_cli(capsys, "audit", str(wikidoc_json))
    assert code == 1
    assert "no benchmark raw files found: pass them with --raw BENCHMARK=PATH" in err


def test_audit_of_a_hub_repo_pulls_the_config_at_its_tag(
    capsys, monkeypatch, tmp_path, benchmarks, wikidoc_json
):
    from meadow import build, push
    from tests.hub_server import HubServer, use_hub

    with HubServer(tokens={"hf_test"}) as server:
        use_hub(server, monkeypatch, tmp_path / "hf")
        monkeypatch.setenv("HF_TOKEN", "hf_test")
        recipe = tmp_path / "published.yaml"
        recipe.write_text(
            f"name: published\nquality: false\nsources:\n  local: {{raw: {wikidoc_json}}}\n"
        )
        build(str(recipe))
        tag = push("published", repo_id="org/meadow").tag
        monkeypatch.setenv("MEADOW_HOME", str(tmp_path / "fresh-home"))
        code, out, err = run_cli(
            capsys, "audit", "org/meadow", "--name", "published", "--revision", tag,
            "--raw", f"usmle={benchmarks['usmle']}", "--output", str(tmp_path / "hub.json"),
        )  # fmt: skip
    assert code == 0, err
    report = json.loads((tmp_path / "hub.json").read_text())
    assert report["target"].startswith("org/meadow@")
    assert len(report["contamination"]["usmle"]) == 1 and report["rows"] == 6
