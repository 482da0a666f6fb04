"""QaWriter against a real `openai` client and an OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time

import openai
import pytest
import tiktoken

from meadow.errors import LlmBudgetError, LlmRequestError, RecipeError
from meadow.llm import (
    PRICES,
    PROMPT_VERSIONS,
    LlmSettings,
    LlmTask,
    QaWriter,
    gate,
    prompts,
    tokens,
)
from tests.openai_server import (
    ChatRequest,
    OpenAIServer,
    Reply,
    completion,
    error,
    malformed,
    rate_limited,
    server_error,
    slow,
)

SECRET = "sk-test-0123456789-do-not-leak"
MODEL = "gpt-4o-mini"


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)


def good_answer(request: ChatRequest) -> str:
    """What a well-behaved model replies, built from the prompt it was sent."""
    lines = dict(line.split(": ", 1) for line in request.user_text.splitlines() if ": " in line)
    if "Heading" in lines:
        return f"What is known about {lines['Heading'].lower()} in {lines['Title']}?"
    return f"Question: {lines['Front'].rstrip('?')}?\nAnswer: {lines['Back']}"


@pytest.fixture
def server():
    with OpenAIServer(good_answer) as stand_in:
        yield stand_in


@pytest.fixture
def make_writer(server, encoding):
    def make(**settings) -> QaWriter:
        settings = {"model": MODEL, "base_url": server.base_url, "timeout": 2.0, **settings}
        return QaWriter(LlmSettings(**settings), encoding=encoding)

    return make


def textbook(i: int) -> LlmTask:
    paragraph = f"Paragraph {i:03d}: hypertension is treated first with lifestyle changes."
    fields = {"title": "Hypertension", "heading": f"Treatment {i:03d}", "paragraph": paragraph}
    return LlmTask(f"wikidoc-{i}", "textbook", fields)


def flashcard(i: int) -> LlmTask:
    return LlmTask(f"anki-{i}", "flashcard", {"front": f"Card {i} {{{{c1::...}}}}", "back": "yes"})


def tasks(n: int) -> list[LlmTask]:
    return [textbook(i) for i in range(n)]


# --- normal runs and the cache ------------------------------------------------------


def test_questions_for_textbook_paragraphs_and_flashcards(server, make_writer):
    writer = make_writer(max_output_tokens=100)
    finished: list[int] = []
    results = writer.run([textbook(0), flashcard(1), textbook(2)], progress=finished.append)

    assert [r.key for r in results] == ["wikidoc-0", "anki-1", "wikidoc-2"]
    assert results[0].question == "What is known about treatment 000 in Hypertension?"
    assert results[0].answer is None
    assert (results[1].question, results[1].answer) == ("Card 1 {{c1::...}}?", "yes")
    assert all(r.rejected is None and not r.cached for r in results)
    assert sum(finished) == 3

    sent = server.completion_requests()
    assert len(sent) == 3
    body = sent[0].json
    assert (body["model"], body["temperature"], body["max_tokens"]) == (MODEL, 0, 100)
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert sent[0].headers["authorization"] == f"Bearer {SECRET}"
    stats = writer.stats
    assert (stats.requests, stats.cached, stats.accepted, stats.rejected) == (3, 0, 3, {})
    assert (stats.input_tokens, stats.output_tokens) == (30, 15)  # the server's usage
    assert stats.prompt_versions == PROMPT_VERSIONS


def test_cache_lives_under_meadow_home(make_writer, meadow_home):
    make_writer().run(tasks(1))
    assert (meadow_home / "llm" / "cache.sqlite").is_file()


def test_rerun_answers_from_the_cache_without_a_request(server, make_writer):
    first = make_writer().run(tasks(4))
    finished: list[int] = []
    writer = make_writer()
    again = writer.run(tasks(4), progress=finished.append)

    assert len(server.completion_requests()) == 4
    assert all(r.cached for r in again)
    assert [(r.key, r.question) for r in again] == [(r.key, r.question) for r in first]
    assert finished == [4]
    assert (writer.stats.requests, writer.stats.cached, writer.stats.cost_usd) == (0, 4, 0.0)


def test_refresh_asks_again_and_overwrites_the_cache(server, make_writer):
    make_writer().run(tasks(2))
    server.answer = lambda request: "What changed?"
    refreshed = make_writer(refresh=True).run(tasks(2))
    assert len(server.completion_requests()) == 4
    assert [r.question for r in refreshed] == ["What changed?"] * 2
    assert not any(r.cached for r in refreshed)
    assert [r.question for r in make_writer().run(tasks(2))] == ["What changed?"] * 2
    assert len(server.completion_requests()) == 4


def test_a_new_model_or_prompt_version_is_asked_again(server, make_writer, monkeypatch):
    make_writer().run(tasks(1))
    make_writer(model="gpt-4.1-mini").run(tasks(1))
    assert len(server.completion_requests()) == 2
    monkeypatch.setitem(PROMPT_VERSIONS, "textbook", "textbook-test")
    make_writer().run(tasks(1))
    assert len(server.completion_requests()) == 3


def test_tasks_with_the_same_input_share_one_request(server, make_writer):
    twin = LlmTask("wikidoc-twin", "textbook", dict(textbook(0).fields, extra="ignored"))
    finished: list[int] = []
    writer = make_writer()
    assert writer.plan([textbook(0), twin]).requests == 1
    results = writer.run([textbook(0), twin], progress=finished.append)
    assert len(server.completion_requests()) == 1
    assert results[0].question == results[1].question
    assert finished == [2]


def test_results_are_the_same_given_the_same_cached_replies(server, make_writer):
    server.latency = 0.01  # replies arrive out of order with concurrency
    first = make_writer(concurrency=4).run(tasks(12))
    second = make_writer().run(tasks(12))
    third = make_writer().run(list(reversed(tasks(12))))
    assert second == [r.__class__(r.key, r.question, r.answer, r.rejected, True) for r in first]
    assert third == list(reversed(second))


def test_empty_task_list_needs_no_server():
    writer = QaWriter(LlmSettings(base_url="http://127.0.0.1:9/v1"))
    assert writer.run([]) == []
    assert writer.stats.requests == 0


# --- retries, timeouts and clear stops --------------------------------------------------


def test_rate_limit_waits_for_retry_after_then_succeeds(server, make_writer):
    server.script(rate_limited(retry_after=0.3))
    [result] = make_writer(max_retries=2).run(tasks(1))
    first, second = server.completion_requests()
    assert result.question and result.rejected is None
    assert second.received - first.received >= 0.3
    assert second.headers["x-stainless-retry-count"] == "1"


def test_server_error_is_retried_with_backoff(server, make_writer):
    server.script(server_error(), server_error())
    [result] = make_writer(max_retries=2).run(tasks(1))
    assert result.question
    assert len(server.completion_requests()) == 3


def test_retries_run_out_in_one_line(server, make_writer):
    server.script(*[server_error()] * 3)
    with pytest.raises(LlmRequestError, match=r"HTTP 500 for model 'gpt-4o-mini' after 3 tries"):
        make_writer(max_retries=2).run(tasks(1))
    assert len(server.completion_requests()) == 3


@pytest.mark.parametrize("status", [401, 403])
def test_bad_key_stops_at_once_without_showing_it(server, make_writer, status):
    server.answer = lambda request: error(status, f"Incorrect API key provided: {SECRET}")
    with pytest.raises(LlmRequestError, match=r"refused the API key .* set OPENAI_API_KEY") as info:
        make_writer(max_retries=3, concurrency=1).run(tasks(3))
    assert SECRET not in str(info.value)
    assert info.value.status == status
    assert len(server.completion_requests()) == 1  # not retried, nothing more sent after


def test_missing_key_is_named(server, make_writer, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    server.answer = lambda request: error(401)
    with pytest.raises(LlmRequestError, match="OPENAI_API_KEY is not set"):
        make_writer().run(tasks(1))
    assert server.requests[0].headers["authorization"] == "Bearer meadow-no-key"


def test_not_found_names_the_model_and_url(server, make_writer):
    server.answer = lambda request: error(404, "The model does not exist")
    expected = f"model 'gpt-4o-mini' or URL {server.base_url} not found"
    with pytest.raises(LlmRequestError, match=expected):
        make_writer().run(tasks(1))


def test_other_client_errors_quote_the_server_without_the_key(server, make_writer):
    server.answer = lambda request: error(400, f"max_tokens too large for key {SECRET}")
    with pytest.raises(LlmRequestError, match=r"HTTP 400 .*: max_tokens too large for key \*\*\*$"):
        make_writer().run(tasks(1))


@pytest.mark.parametrize(
    "reply",
    [
        malformed(),
        Reply(body=b"{}"),
        Reply(body=b'{"choices": []}'),
        Reply(body=b"[1, 2]"),
        Reply(body=b"Bad gateway", headers={"Content-Type": "text/html"}),
    ],
    ids=["cut-json", "no-choices", "empty-choices", "a-list", "not-json"],
)
def test_malformed_reply_is_a_clear_error(server, make_writer, reply):
    server.script(reply)
    with pytest.raises(LlmRequestError, match="sent a malformed reply for model 'gpt-4o-mini'"):
        make_writer().run(tasks(1))


def test_timeout_without_retries_is_a_clear_error(server, make_writer):
    server.script(slow(2.0))
    started = time.monotonic()
    with pytest.raises(LlmRequestError, match=r"did not answer within 0.2 s$"):
        make_writer(timeout=0.2, max_retries=0).run(tasks(1))
    assert time.monotonic() - started < 1.5


def test_timeout_is_retried(server, make_writer):
    server.script(slow(2.0))
    [result] = make_writer(timeout=0.2, max_retries=1).run(tasks(1))
    assert result.question
    assert len(server.completion_requests()) == 2


def test_unreachable_server_is_a_clear_error(encoding):
    settings = LlmSettings(base_url="http://127.0.0.1:9/v1", max_retries=0, timeout=1)
    with pytest.raises(LlmRequestError, match=r"cannot reach http://127.0.0.1:9/v1 \(offline"):
        QaWriter(settings, encoding=encoding).run(tasks(1))


def test_answers_received_before_a_failure_are_kept(server, make_writer):
    server.script(completion("What is first?"), error(401))
    with pytest.raises(LlmRequestError):
        make_writer(concurrency=1).run(tasks(3))
    server.answer = lambda request: "What is next?"
    results = make_writer().run(tasks(3))
    assert [r.cached for r in results] == [True, False, False]
    assert len(server.completion_requests()) == 4


def test_the_key_is_stored_nowhere(server, make_writer, meadow_home, caplog):
    caplog.set_level(logging.DEBUG)
    writer = make_writer()
    writer.run(tasks(2))
    assert SECRET not in json.dumps(writer.stats.to_dict())
    assert SECRET not in caplog.text
    for path in (meadow_home / "llm").iterdir():
        assert SECRET.encode() not in path.read_bytes()


# --- budget and concurrency ------------------------------------------------------------


def test_budget_stop_keeps_the_answers_and_a_rerun_pays_only_the_rest(server, make_writer):
    usage = {"prompt_tokens": 1000, "completion_tokens": 1000, "total_tokens": 2000}
    server.answer = lambda request: completion(good_answer(request), usage=usage)
    prices = {MODEL: (1.0, 1.0)}  # USD per 1M tokens: one request costs $0.002
    estimate = make_writer(prices=prices).plan(tasks(1)).cost_usd
    assert estimate < 0.004  # so that the budget below stops after exactly three requests
    budget = 3 * 0.002 + estimate / 2

    writer = make_writer(prices=prices, max_cost=budget, concurrency=1)
    with pytest.raises(LlmBudgetError, match=r"3 requests done, \$0.0060 spent, 7 left") as info:
        writer.run(tasks(10))
    assert "rerun with a higher --max-cost" in str(info.value)
    assert (info.value.done, info.value.left) == (3, 7)
    assert writer.stats.requests == 3 and writer.stats.cost_usd == pytest.approx(0.006)
    assert len(server.completion_requests()) == 3

    rerun = make_writer(prices=prices, max_cost=1.0)
    results = rerun.run(tasks(10))
    assert len(server.completion_requests()) == 10
    assert [r.cached for r in results] == [True] * 3 + [False] * 7
    assert rerun.stats.cost_usd == pytest.approx(7 * 0.002)


def test_budget_counts_the_estimate_when_the_server_reports_no_usage(server, make_writer):
    server.answer = lambda request: completion("What is it?", usage=None)
    prices = {MODEL: (1.0, 1.0)}
    estimate = make_writer(prices=prices).plan(tasks(1)).cost_usd
    writer = make_writer(prices=prices, max_cost=estimate * 2.5, concurrency=1)
    with pytest.raises(LlmBudgetError, match="2 requests done"):
        writer.run(tasks(5))
    assert writer.stats.cost_usd == pytest.approx(2 * estimate)


def test_a_budget_needs_a_price(server, make_writer):
    with pytest.raises(LlmBudgetError, match="no price known for model 'local-llama'"):
        make_writer(model="local-llama", max_cost=1.0).run(tasks(1))
    assert server.requests == []


def test_concurrency_is_bounded(server, make_writer):
    server.latency = 0.05
    make_writer(concurrency=3).run(tasks(12))
    assert server.max_in_flight == 3


def test_concurrency_one_sends_one_at_a_time(server, make_writer):
    server.latency = 0.01
    make_writer(concurrency=1).run(tasks(4))
    assert server.max_in_flight == 1


# --- planning and token counts -----------------------------------------------------------


def test_plan_counts_what_run_then_sends(server, make_writer, encoding, meadow_home):
    writer = make_writer(max_output_tokens=40)
    work = [textbook(0), flashcard(1), textbook(2)]
    plan = writer.plan(work)
    assert server.requests == [] and not (meadow_home / "llm").exists()  # no request, no write

    writer.run(work)
    sent = server.completion_requests()
    assert plan.requests == len(sent) == 3
    counted = sum(len(encoding.encode(m["content"])) + 4 for r in sent for m in r.messages)
    assert plan.input_tokens == counted + 3 * 3  # plus the reply priming of each request
    assert plan.output_tokens == 30 + 40 + 30  # flashcards: 60, capped at max_output_tokens
    in_price, out_price = PRICES[MODEL]
    expected = (plan.input_tokens * in_price + plan.output_tokens * out_price) / 1e6
    assert plan.cost_usd == pytest.approx(expected)
    assert (plan.tasks, plan.cached, plan.approximate) == (3, 0, False)


def test_plan_after_a_run_counts_the_cached(make_writer):
    make_writer().run(tasks(2))
    plan = make_writer().plan(tasks(5))
    assert (plan.tasks, plan.cached, plan.requests) == (5, 2, 3)
    assert make_writer(refresh=True).plan(tasks(5)).requests == 5


def test_plan_describes_itself(make_writer):
    text = make_writer().plan(tasks(3)).describe()
    assert "3 tasks: 0 answered from the cache, 3 requests to gpt-4o-mini" in text
    assert "counted with tiktoken" in text and "cost: about $0.00" in text
    unknown = make_writer(model="local-llama").plan(tasks(1))
    assert unknown.cost_usd is None
    assert "cost: unknown, no price for model 'local-llama'" in unknown.describe()


def test_prices_of_snapshots_and_overrides(make_writer):
    assert make_writer(model="gpt-4o-mini-2024-07-18")._price() == PRICES["gpt-4o-mini"]
    assert make_writer(model="gpt-4o-2024-08-06")._price() == PRICES["gpt-4o"]
    assert make_writer(model="mine", prices={"mine": (1.0, 2.0)})._price() == (1.0, 2.0)


def test_tiktoken_offline_falls_back_to_an_approximation_with_one_warning(
    server, monkeypatch, caplog
):
    def offline(model: str):
        raise ConnectionError("cannot resolve openaipublic.blob.core.windows.net")

    monkeypatch.setattr(tiktoken, "encoding_for_model", offline)
    monkeypatch.setattr(tokens, "_ENCODINGS", {})
    settings = LlmSettings(base_url=server.base_url)
    with caplog.at_level(logging.WARNING, logger="meadow.llm.tokens"):
        plan = QaWriter(settings).plan([textbook(0)])
        QaWriter(settings).plan([textbook(1)])
        writer = QaWriter(settings)
        server.answer = lambda request: completion("What is it?", usage=None)
        writer.run([textbook(2)])

    assert plan.approximate and writer.stats.approximate
    assert "approximate" in plan.describe()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "approximate" in warnings[0].getMessage()
    system, user = prompts.chat_messages(textbook(0))
    expected = sum(math.ceil(len(text) / 4) + 4 for _, text in (system, user)) + 3
    assert plan.input_tokens == expected


def test_unknown_model_names_use_the_newest_encoding(monkeypatch, encoding):
    asked: list[str] = []
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: asked.append(name) or encoding)
    monkeypatch.setattr(tokens, "_ENCODINGS", {})
    plan = QaWriter(LlmSettings(model="llama3")).plan(tasks(1))
    assert asked == ["o200k_base"] and not plan.approximate


# --- the quality gate --------------------------------------------------------------------

PARAGRAPH = (
    "Metformin is the first-line drug for type 2 diabetes because it lowers hepatic glucose "
    "output without causing weight gain."
)
TEXTBOOK = {"title": "Diabetes", "heading": "Treatment", "paragraph": PARAGRAPH}


@pytest.mark.parametrize(
    "reply, question, reason",
    [
        ("What is the first-line drug for type 2 diabetes?", "same", None),
        ('  "What is the first-line drug for type 2 diabetes?"\n', "unquoted", None),
        ("Question: Why is metformin preferred?", "Why is metformin preferred?", None),
        ("**Question:** Why is metformin preferred?", "Why is metformin preferred?", None),
        ("", None, "llm_empty"),
        ('  ""  ', None, "llm_empty"),
        ("Question:", None, "llm_empty"),
        ("I'm sorry, but I can't help with that.", None, "llm_refused"),
        ("I’m sorry, I cannot do that.", None, "llm_refused"),
        ("I cannot create questions from medical text.", None, "llm_refused"),
        ("As an AI language model, what is diabetes?", None, "llm_refused"),
        ("What is " + "very " * 80 + "important?", None, "llm_too_long"),
        ("Metformin is the first-line drug.", None, "llm_not_a_question"),
        ("Explain the treatment of diabetes", None, "llm_not_a_question"),
        ("What does the paragraph say about metformin?", None, "llm_not_a_question"),
        ("According to the text, why is metformin used?", None, "llm_not_a_question"),
        ("What is it?\nAnswer: metformin", None, "llm_not_a_question"),
        (
            "Why does metformin lower hepatic glucose output without causing weight gain?",
            "same",
            None,  # nine words of the paragraph in a row: how a fact is asked about
        ),
        (
            "Why is metformin the first-line drug for type 2 diabetes because it lowers "
            "hepatic glucose output?",
            None,
            "llm_copies_text",  # fourteen words in a row
        ),
    ],
)
def test_gate_on_textbook_questions(reply, question, reason):
    expected = reply.strip() if question == "same" else question
    if question == "unquoted":
        expected = "What is the first-line drug for type 2 diabetes?"
    assert gate.judge("textbook", TEXTBOOK, reply) == (expected, None, reason)


def test_gate_on_a_short_paragraph_repeated_whole():
    fields = dict(TEXTBOOK, paragraph="Aspirin inhibits platelet cyclooxygenase.")
    assert gate.judge("textbook", fields, "Aspirin inhibits platelet cyclooxygenase?")[2] == (
        "llm_copies_text"
    )
    assert gate.judge("textbook", fields, "What does aspirin inhibit?")[2] is None
    tiny = dict(TEXTBOOK, paragraph="Unknown.")
    assert gate.judge("textbook", tiny, "Is the cause unknown?")[2] is None


CARD = {"front": "The first-line drug for type 2 diabetes is {{c1::...}}", "back": "metformin"}


@pytest.mark.parametrize(
    "reply, pair, reason",
    [
        (
            "Question: What is the first-line drug for type 2 diabetes?\nAnswer: Metformin.",
            ("What is the first-line drug for type 2 diabetes?", "Metformin."),
            None,
        ),
        (
            "**Question:** Which drug comes first?\n\n**Answer:** Metformin",
            ("Which drug comes first?", "Metformin"),
            None,
        ),
        ("question: Which drug?\nanswer: metformin", ("Which drug?", "metformin"), None),
        ("", None, "llm_empty"),
        ("I am unable to rephrase this card.", None, "llm_refused"),
        ("What is the first-line drug? Metformin.", None, "llm_bad_format"),
        ("Question: Which drug?", None, "llm_bad_format"),
        ("Question: Which drug?\nAnswer:", None, "llm_bad_format"),
        ("Question: Name the first-line drug.\nAnswer: Metformin", None, "llm_not_a_question"),
        ("Question: Which drug?\nAnswer: " + "metformin " * 120, None, "llm_too_long"),
        ("Question: Why" + " so" * 150 + "?\nAnswer: yes", None, "llm_too_long"),
    ],
)
def test_gate_on_flashcards(reply, pair, reason):
    question, answer = pair or (None, None)
    assert gate.judge("flashcard", CARD, reply) == (question, answer, reason)


def test_rejections_are_counted_by_reason(server, make_writer):
    replies = ["What is fine?", "", "I'm sorry, I can't.", "Not a question.", "What is fine?"]
    server.answer = lambda request: replies[int(request.user_text.split("Treatment ")[1][:3])]
    writer = make_writer()
    results = writer.run(tasks(5))
    assert [r.rejected for r in results] == [
        None,
        "llm_empty",
        "llm_refused",
        "llm_not_a_question",
        None,
    ]
    assert all(r.question is None for r in results if r.rejected)
    assert writer.stats.rejected == {"llm_empty": 1, "llm_not_a_question": 1, "llm_refused": 1}
    assert writer.stats.accepted == 2


def test_a_structured_refusal_is_rejected(server, make_writer):
    server.answer = lambda request: completion(None)
    [result] = make_writer().run(tasks(1))
    assert result.rejected == "llm_empty"


# --- settings, tasks, prompts, stats -----------------------------------------------------


# Each kind's prompt version and the sha256 (first 12 hex digits) of its prompts.
PROMPTS_OF_VERSION = {
    "textbook": ("textbook-1", "cd9c09a5d59c"),
    "flashcard": ("flashcard-1", "73070eb4cd21"),
}


def test_prompt_change_needs_a_version_bump():
    """Cached replies are keyed by prompt version: a changed prompt needs a new version."""
    for kind, prompt in prompts.PROMPTS.items():
        digest = hashlib.sha256(json.dumps(prompt).encode()).hexdigest()[:12]
        assert (PROMPT_VERSIONS[kind], digest) == PROMPTS_OF_VERSION[kind], kind


@pytest.mark.parametrize(
    "name, value, match",
    [
        ("concurrency", 0, "concurrency: expected an integer of at least 1, got 0"),
        ("max_retries", -1, "max_retries: expected an integer of at least 0"),
        ("timeout", 0, "timeout: expected seconds above 0"),
        ("max_cost", -1.0, "max_cost: expected USD of at least 0"),
        ("prices", {"m": (1.0,)}, r"prices.m: expected \(USD per 1M input tokens"),
        ("model", "", "model: expected a model name"),
    ],
)
def test_settings_are_checked(name, value, match):
    with pytest.raises(RecipeError, match=match):
        LlmSettings(**{name: value})


def test_tasks_are_checked():
    with pytest.raises(ValueError, match="expected kind in textbook, flashcard, got 'essay'"):
        LlmTask("k", "essay", {})
    with pytest.raises(ValueError, match=r"missing fields \['back'\]"):
        LlmTask("k", "flashcard", {"front": "x"})


def test_stats_are_plain_data(make_writer):
    writer = make_writer()
    writer.run(tasks(1))
    data = writer.stats.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {
        "model",
        "prompt_versions",
        "requests",
        "cached",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "rejected",
        "accepted",
        "approximate",
        "seconds",
    }
    with pytest.raises(RuntimeError, match="run\\(\\) has not been called"):
        _ = make_writer().stats


def test_client_is_configured_from_settings(make_writer):
    client = make_writer(max_retries=4, timeout=7.5)._make_client()
    assert (client.max_retries, client.timeout, client.api_key) == (4, 7.5, SECRET)
    assert isinstance(client, openai.OpenAI)
