"""`meadow build --llm`: LLM-written wikidoc questions and Anki rephrasings, end to end.

Every request goes to an OpenAI-compatible stand-in on 127.0.0.1 through the real
`openai` client; tiktoken counts with an encoding built in the test.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import meadow.llm as llm
from meadow import build, load_mixture
from meadow.errors import MixtureNotFoundError, RecipeError
from meadow.llm import DEFAULT_MODEL, tokens
from meadow.manifest import read as read_manifest
from meadow.recipe import recipe_from_dict
from meadow.store import list_revisions
from tests.cli import run_cli
from tests.openai_server import DEFAULT_USAGE, ChatRequest, OpenAIServer, completion

SAMPLES = Path(__file__).resolve().parent.parent / "meadow" / "samples"
WIKIDOC = SAMPLES / "wikidoc"
ANKI = SAMPLES / "anki"


def answer(request: ChatRequest) -> str:
    """A well-behaved model: a question from the heading, or a rephrased card."""
    fields = dict(line.split(": ", 1) for line in request.user_text.splitlines() if ": " in line)
    if "Heading" in fields:
        return f"What should a student know about {fields['Heading'].lower()} in {fields['Title']}?"
    return f"Question: {fields['Front'].rstrip('?')}?\nAnswer: {fields['Back']}"


@pytest.fixture(autouse=True)
def counted_offline(monkeypatch, encoding):
    """Token counts from the test's encoding: tiktoken never tries to download."""
    monkeypatch.setitem(tokens._ENCODINGS, DEFAULT_MODEL, encoding)


@pytest.fixture
def server():
    with OpenAIServer(answer) as stand_in:
        yield stand_in


def data_digest(path: Path) -> str:
    files = sorted((path / "data").rglob("*.parquet"))
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def test_llm_writes_textbook_questions_and_a_rerun_asks_nothing(server):
    options = {"base_url": server.base_url}
    first = build(
        sources=["wikidoc"], raw={"wikidoc": WIKIDOC}, name="w", llm=True, llm_options=options
    )
    rows = load_mixture("w")["train"]
    textbook = [r for r in rows if r["subset"] == "textbook"]
    patient = [r for r in rows if r["subset"] == "patient_information"]
    assert textbook and patient
    assert all(r["input"].startswith("What should a student know about") for r in textbook)
    assert not any(r["input"].startswith("What should a student know") for r in patient)
    asked = len(server.completion_requests())
    assert asked == len(textbook)

    stats = first.manifest["sources"]["wikidoc"]["llm"]
    assert stats["model"] == DEFAULT_MODEL and stats["rows_written"] == len(textbook)
    assert stats["prompt_versions"] == {"textbook": llm.PROMPT_VERSIONS["textbook"]}
    assert stats["answered_from_cache"] == 0 and stats["rejected_kept_template"] == {}
    card = (first.path / "README.md").read_text()
    assert f"{len(textbook)} rows were written by the LLM `{DEFAULT_MODEL}`" in card
    assert "--llm --llm-model gpt-4o-mini" in card

    second = build(
        sources=["wikidoc"], raw={"wikidoc": WIKIDOC}, name="w", llm=True, llm_options=options
    )
    assert len(server.completion_requests()) == asked  # every answer came from the cache
    assert second.revision == first.revision
    assert data_digest(second.path) == data_digest(first.path)
    assert second.manifest["sources"]["wikidoc"]["llm"]["answered_from_cache"] == len(textbook)


def test_the_manifest_records_the_llm_requests_tokens_and_cost(server):
    result = build(
        sources=["wikidoc"],
        raw={"wikidoc": WIKIDOC},
        name="w",
        llm=True,
        llm_base_url=server.base_url,
        llm_price=(1.0, 2.0),
    )
    asked = len(server.completion_requests())
    report = read_manifest(result.path).llm
    assert report is not None and report.model == DEFAULT_MODEL
    assert report.requests == asked > 0 and report.answered_from_cache == 0
    assert report.input_tokens == asked * DEFAULT_USAGE["prompt_tokens"]
    assert report.output_tokens == asked * DEFAULT_USAGE["completion_tokens"]
    expected = (report.input_tokens * 1.0 + report.output_tokens * 2.0) / 1_000_000
    assert report.cost_usd == pytest.approx(expected)
    assert report.accepted == asked and report.rejected == {} and not report.approximate
    written = json.loads((result.path / "manifest.json").read_text())
    assert written["llm"] == report.to_dict()

    plain = build(sources=["wikidoc"], raw={"wikidoc": WIKIDOC}, name="plain")
    assert "llm" not in json.loads((plain.path / "manifest.json").read_text())


def test_llm_revision_differs_from_the_template_build(server):
    plain = build(sources=["wikidoc"], raw={"wikidoc": WIKIDOC}, name="w")
    written = build(
        sources=["wikidoc"],
        raw={"wikidoc": WIKIDOC},
        name="w",
        llm=True,
        llm_options={"base_url": server.base_url},
    )
    assert plain.revision != written.revision
    assert {h["revision"] for h in list_revisions("w")} == {plain.revision, written.revision}
    assert "llm" not in plain.manifest["sources"]["wikidoc"]


def test_rejected_answers_keep_the_template_question_and_are_counted(server):
    def sometimes_bad(request: ChatRequest) -> str:
        good = answer(request)
        return "I'm sorry, I cannot help with that." if "Treatment" in request.user_text else good

    server.answer = sometimes_bad
    template = {
        r["id"]: r["input"]
        for r in load_mixture_of(build(sources=["wikidoc"], raw={"wikidoc": WIKIDOC}, name="t"))
    }
    result = build(
        sources=["wikidoc"],
        raw={"wikidoc": WIKIDOC},
        name="w",
        llm=True,
        llm_options={"base_url": server.base_url},
    )
    stats = result.manifest["sources"]["wikidoc"]["llm"]
    refused = stats["rejected_kept_template"].get("llm_refused", 0)
    assert refused > 0
    rows = load_mixture("w")["train"]
    kept = [r for r in rows if r["subset"] == "textbook" and r["input"] == template[r["id"]]]
    assert len(kept) == refused
    assert "llm_refused answers failed the quality gate" in (result.path / "README.md").read_text()


def load_mixture_of(result) -> list[dict]:
    return list(load_mixture(result.name, revision=result.revision)["train"])


def test_anki_cards_are_rephrased(server):
    result = build(
        sources=["anki"],
        raw={"anki": ANKI},
        name="a",
        llm=True,
        llm_options={"base_url": server.base_url},
    )
    rows = load_mixture("a")["train"]
    assert rows and all(r["input"].endswith("?") for r in rows)
    assert result.manifest["sources"]["anki"]["llm"]["prompt_versions"] == {
        "flashcard": llm.PROMPT_VERSIONS["flashcard"]
    }
    assert len(server.completion_requests()) == len(rows)


def test_dry_run_counts_the_requests_the_build_then_makes(server, capsys):
    argv = ["build", "--sources", "wikidoc", "--raw", f"wikidoc={WIKIDOC}", "--llm"]
    argv += ["--llm-base-url", server.base_url, "--llm-price", "0.15,0.6"]
    code, out, err = run_cli(capsys, *argv, "--dry-run")
    assert code == 0, err
    assert server.completion_requests() == []
    planned = llm_plan_requests(out)
    assert "$" in out
    code, out, err = run_cli(capsys, *argv)
    assert code == 0, err
    assert len(server.completion_requests()) == planned > 0
    assert "rows written by gpt-4o-mini" in out
    code, out, _ = run_cli(capsys, *argv, "--dry-run")
    assert llm_plan_requests(out) == 0


def llm_plan_requests(text: str) -> int:
    """The request count in a dry run's description."""
    for line in text.splitlines():
        words = line.replace(",", "").split()
        for i, word in enumerate(words):
            if word.startswith("request") and i and words[i - 1].isdigit():
                return int(words[i - 1])
    raise AssertionError(f"no request count in:\n{text}")


def test_budget_stop_writes_nothing_and_a_rerun_pays_only_the_rest(server, capsys):
    usage = {"prompt_tokens": 200, "completion_tokens": 30, "total_tokens": 230}
    server.answer = lambda request: completion(answer(request), usage=usage)  # $0.23 each
    argv = ["build", "--sources", "wikidoc", "--raw", f"wikidoc={WIKIDOC}", "--llm", "--name", "b"]
    argv += ["--llm-base-url", server.base_url, "--llm-price", "1000,1000"]
    code, _, err = run_cli(capsys, *argv, "--max-cost", "1.5", "--llm-concurrency", "1")
    assert code != 0
    assert err.count("\n") == 1 and "max-cost" in err.replace("max_cost", "max-cost")
    with pytest.raises(MixtureNotFoundError):
        list_revisions("b")  # nothing half-written reached the store
    done = len(server.completion_requests())
    assert done > 0
    code, _, err = run_cli(capsys, *argv, "--max-cost", "1000")
    assert code == 0, err
    total = len(server.completion_requests())
    textbook = [r for r in load_mixture("b")["train"] if r["subset"] == "textbook"]
    assert total == len(textbook)  # the first run's answers were not asked again


def test_bad_key_is_one_clear_line_without_the_key(server, capsys, monkeypatch):
    from tests.openai_server import error

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-123")
    server.answer = lambda request: error(401, "Incorrect API key provided: sk-test-secret-123")
    argv = ["build", "--sources", "wikidoc", "--raw", f"wikidoc={WIKIDOC}", "--llm"]
    code, out, err = run_cli(capsys, *argv, "--llm-base-url", server.base_url)
    assert code != 0
    assert "OPENAI_API_KEY" in err and "sk-test-secret-123" not in out + err
    assert err.count("\n") == 1


def test_llm_needs_a_source_that_has_llm_rows():
    with pytest.raises(RecipeError, match=r"--llm: none of this build's sources \(mmlu\)"):
        build(sources=["mmlu"], raw={"mmlu": SAMPLES / "mmlu"}, llm=True)
    with pytest.raises(RecipeError, match=r"sources\.mmlu\.llm: source 'mmlu' has no rows"):
        recipe_from_dict({"name": "m", "sources": {"mmlu": {"llm": True}}})
    with pytest.raises(RecipeError, match=r"llm\.api_key: unknown key"):
        recipe_from_dict({"name": "m", "sources": ["wikidoc"], "llm": {"api_key": "x"}})


def test_recipe_turns_llm_on_with_its_settings(server, tmp_path):
    recipe = recipe_from_dict(
        {
            "name": "r",
            "sources": {"wikidoc": {"llm": True, "raw": str(WIKIDOC)}},
            "llm": {"model": DEFAULT_MODEL, "base_url": server.base_url, "concurrency": 4},
        }
    )
    result = build(recipe)
    assert result.manifest["sources"]["wikidoc"]["llm"]["rows_written"] > 0
    assert result.manifest["recipe"]["llm"]["concurrency"] == 4
    assert "OPENAI_API_KEY" not in json.dumps(result.manifest)
