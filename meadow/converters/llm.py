"""Questions written by a language model, for rows that have an answer but no question.

medAlpaca had gpt-3.5-turbo turn each Wikidoc paragraph into a question and rephrase each
Anki card, and published none of that code. This module does it in the open, reproducibly:

* any OpenAI-compatible endpoint (OpenAI, Azure, vLLM, Ollama) through the official `openai`
  client; the key comes from OPENAI_API_KEY and is never printed, logged, cached or stored;
* `QuestionWriter.plan()` counts requests, input tokens (tiktoken) and cost before anything
  is sent; `LlmSettings.max_cost` stops before the budget would be passed;
* every reply is cached in SQLite under MEADOW_HOME, keyed by model, prompt version and
  input, so a rerun or a crash never pays twice; the quality gate reads the cached text,
  so it can change without asking again;
* retries on 429, 5xx and timeouts (with backoff, jitter and `Retry-After`) are the
  client's own, set through `max_retries` and `timeout`; other failures stop in one line.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from meadow.errors import MeadowError, RecipeError, scrub_secrets
from meadow.paths import meadow_home

if TYPE_CHECKING:
    import openai
    import tiktoken

logger = logging.getLogger(__name__)

# A change to a kind's prompt below must bump its version: cached replies stay keyed by it.
PROMPT_VERSIONS: dict[str, str] = {"textbook": "textbook-1", "flashcard": "flashcard-1"}
DEFAULT_MODEL = "gpt-4o-mini"
# USD per 1M tokens (input, output): OpenAI's standard-tier API prices as listed on
# https://openai.com/api/pricing in mid-2025. Prices change; check them, and override or
# add models (Azure deployments, local servers) with `LlmSettings.prices`. A dated snapshot
# such as "gpt-4o-mini-2024-07-18" takes the price of its family ("gpt-4o-mini").
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
}

_PROMPTS: dict[str, tuple[str, str]] = {  # kind -> (system message, user message template)
    "textbook": (
        "You write exam questions from a medical textbook. You are given a page title, a "
        "section heading and one paragraph of that section. Write one question that the "
        "paragraph answers. The question must make sense to a reader who has not seen the "
        "paragraph: name the topic instead of saying 'the paragraph' or 'the text', and do "
        "not quote the paragraph. It must end with a question mark. Reply with the question "
        "only.",
        "Title: {title}\nHeading: {heading}\nParagraph:\n{paragraph}",
    ),
    "flashcard": (
        "You rewrite medical flashcards as question-and-answer pairs. You are given the front "
        "and the back of one card; a blank on the front is what the back fills in. Write one "
        "self-contained question, ending with a question mark, and its answer, using only "
        "the facts on the card. Reply in exactly this form and nothing else:\n"
        "Question: <the question>\nAnswer: <the answer>",
        "Front: {front}\nBack: {back}",
    ),
}
_FIELDS: dict[str, tuple[str, ...]] = {
    "textbook": ("title", "heading", "paragraph"),
    "flashcard": ("front", "back"),
}
_TYPICAL_OUTPUT_TOKENS = {"textbook": 30, "flashcard": 60}  # for the estimate, before asking

_CHARS_PER_TOKEN = 4  # the approximation when tiktoken cannot load its encoding
_TOKENS_PER_MESSAGE = 4  # role and separators around each chat message
_TOKENS_REPLY_PRIMING = 3  # the assistant turn every reply starts with
_PLACEHOLDER_KEY = "meadow-no-key"  # local servers need no key; the client insists on one

_MAX_QUESTION_CHARS = 300
_MAX_ANSWER_CHARS = 1000
# A question repeating this many consecutive words of its paragraph copies it (shorter runs
# are how a fact is naturally asked about: "What is the first-line drug for type 2 diabetes?"
# shares 9 words with "Metformin is the first-line drug for type 2 diabetes because ...").
_COPY_RUN_WORDS = 12
_COPY_RUN_MIN_WORDS = 4  # a shorter paragraph repeated whole copies it too


# --- the public types -----------------------------------------------------------------


@dataclass(frozen=True)
class LlmTask:
    """One row to write a question for.

    Attributes:
        key: the row id the answer belongs to (unique within a run).
        kind: "textbook" (fields: title, heading, paragraph) or "flashcard" (front, back).
        fields: the texts the prompt is filled with; other fields are ignored.
    """

    key: str
    kind: str
    fields: dict[str, str]

    def __post_init__(self) -> None:
        if self.kind not in _FIELDS:
            known = ", ".join(_FIELDS)
            raise ValueError(f"task {self.key!r}: expected kind in {known}, got {self.kind!r}")
        missing = [name for name in _FIELDS[self.kind] if name not in self.fields]
        if missing:
            raise ValueError(f"task {self.key!r} ({self.kind}): missing fields {missing}")


@dataclass(frozen=True)
class LlmResult:
    """The outcome for one task.

    Attributes:
        key: the task's key.
        question: the accepted question, or None when rejected.
        answer: flashcard: the rephrased answer; textbook: None (the paragraph stays the answer).
        rejected: None, or why the reply was rejected ("llm_empty", "llm_refused",
            "llm_too_long", "llm_not_a_question", "llm_copies_text", "llm_bad_format").
        cached: answered from the cache, no request made.
    """

    key: str
    question: str | None
    answer: str | None
    rejected: str | None
    cached: bool


@dataclass
class LlmSettings:
    """How to ask: endpoint, model, limits and budget (the key comes from OPENAI_API_KEY)."""

    model: str = DEFAULT_MODEL
    base_url: str | None = None  # None: the client's default (OPENAI_BASE_URL or OpenAI)
    concurrency: int = 8
    max_cost: float | None = None  # USD; None = no budget
    refresh: bool = False  # ignore (but overwrite) cached answers
    timeout: float = 60.0
    max_retries: int = 5
    max_output_tokens: int = 256
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)  # overrides of PRICES

    def __post_init__(self) -> None:
        if not self.model:
            raise RecipeError("model", "expected a model name, got an empty string")
        for name, low in (("concurrency", 1), ("max_retries", 0), ("max_output_tokens", 1)):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise RecipeError(name, f"expected an integer of at least {low}, got {value!r}")
        if not self.timeout > 0:
            raise RecipeError("timeout", f"expected seconds above 0, got {self.timeout!r}")
        if self.max_cost is not None and not self.max_cost >= 0:
            raise RecipeError("max_cost", f"expected USD of at least 0, got {self.max_cost!r}")
        for model, price in self.prices.items():
            if len(price) != 2 or not all(isinstance(p, (int, float)) and p >= 0 for p in price):
                raise RecipeError(
                    f"prices.{model}",
                    f"expected (USD per 1M input tokens, per 1M output tokens), got {price!r}",
                )


@dataclass
class LlmPlan:
    """What a run will do and cost, worked out before any request (what a dry run prints).

    Attributes:
        tasks: tasks given.
        cached: tasks already answered in the cache (0 with `refresh`).
        requests: requests to make (tasks with the same input share one).
        input_tokens: of those requests, system and user messages, counted for the model.
        output_tokens: an estimate: a typical reply length per kind, capped by
            `max_output_tokens`.
        cost_usd: None when the model has no known price.
        approximate: token counts are approximate (tiktoken could not load its encoding).
    """

    tasks: int
    cached: int
    requests: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    approximate: bool
    _model: str = ""  # only for describe()

    def describe(self) -> str:
        """A few human lines for the CLI's dry run."""
        to = f" to {self._model}" if self._model else ""
        how = (
            f"approximate, ~{_CHARS_PER_TOKEN} characters per token: tiktoken is unavailable"
            if self.approximate
            else "counted with tiktoken"
        )
        lines = [
            f"{self.tasks:,} tasks: {self.cached:,} answered from the cache, "
            f"{self.requests:,} requests{to}",
            f"input: {self.input_tokens:,} tokens ({how}); "
            f"output: about {self.output_tokens:,} tokens (estimate)",
        ]
        if self.cost_usd is None:
            lines.append(
                f"cost: unknown, no price for model {self._model or '?'!r} "
                "(give its USD prices per 1M input and output tokens)"
            )
        else:
            lines.append(f"cost: about ${self.cost_usd:,.4f}")
        return "\n".join(lines)


@dataclass
class LlmStats:
    """What a run did, for the manifest and the card (no key, no prompts).

    Attributes:
        model: the model asked.
        prompt_versions: kind -> prompt version, as in PROMPT_VERSIONS.
        requests: requests answered in this run; cached: tasks answered from the cache.
        input_tokens, output_tokens: of this run's requests (the server's usage when it
            reported one, else counted).
        cost_usd: of this run's requests; None when the model has no known price.
        rejected: reason -> tasks the quality gate rejected; accepted: tasks accepted.
        approximate: some token count fell back to the ~4 characters per token estimate.
        seconds: wall time of the run.
    """

    model: str
    prompt_versions: dict[str, str]
    requests: int
    cached: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None
    rejected: dict[str, int]
    accepted: int
    approximate: bool
    seconds: float

    def to_dict(self) -> dict:
        return asdict(self)


class LlmBudgetError(MeadowError):
    """The next request would pass `max_cost`; everything answered so far is cached."""

    def __init__(self, message: str, *, done: int = 0, left: int = 0, spent: float = 0.0):
        self.done = done
        self.left = left
        self.spent = spent
        super().__init__(message)


class LlmRequestError(MeadowError):
    """A request that cannot succeed as configured: bad key, model or URL, retries spent,
    or a malformed reply. `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None):
        self.status = status
        super().__init__(message)


# --- the writer -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Item:
    task: LlmTask
    id: str  # the cache key of its input
    messages: tuple[tuple[str, str], ...]  # (role, content)


@dataclass(frozen=True)
class _Reply:
    text: str
    input_tokens: int | None  # the server's usage, when it reported one
    output_tokens: int | None


class QuestionWriter:
    """Writes questions for tasks through an OpenAI-compatible endpoint, with a reply cache.

    One writer runs one `run()` at a time: the cache connection and the budget belong to
    the calling thread, and only the HTTP requests go to worker threads (the `openai`
    client is thread-safe). Several processes may share the cache file (SQLite WAL).
    """

    def __init__(
        self,
        settings: LlmSettings,
        *,
        cache_path: Path | None = None,
        encoding: tiktoken.Encoding | None = None,
        client: openai.OpenAI | None = None,
    ):
        self.settings = settings
        self.cache_path = Path(cache_path) if cache_path else meadow_home() / "llm" / "cache.sqlite"
        self._encoding = encoding
        self._client = client
        self._stats: LlmStats | None = None

    # -- planning

    def plan(self, tasks: Sequence[LlmTask]) -> LlmPlan:
        """Requests, tokens and cost of `run(tasks)`, without any request or cache write."""
        items = [self._item(task) for task in tasks]
        cached = set() if self.settings.refresh else _ReplyCache.peek(self.cache_path, items)
        to_send = _unique(item for item in items if item.id not in cached)
        counter = self._counter()
        input_tokens = sum(counter.messages(item.messages) for item in to_send)
        output_tokens = sum(self._output_estimate(item.task.kind) for item in to_send)
        return LlmPlan(
            tasks=len(items),
            cached=sum(item.id in cached for item in items),
            requests=len(to_send),
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=self._cost(input_tokens, output_tokens),
            approximate=counter.approximate,
            _model=self.settings.model,
        )

    # -- running

    def run(
        self, tasks: Sequence[LlmTask], progress: Callable[[int], None] | None = None
    ) -> list[LlmResult]:
        """Answer every task, from the cache first, then with requests; results in task order.

        `progress(n)` is called when n more tasks are finished. Each reply is cached as soon
        as it arrives, so an error or a budget stop loses nothing already paid for.

        Raises:
            LlmBudgetError: the next request would pass `max_cost` (after in-flight ones end).
            LlmRequestError: a request failed for good (after in-flight ones end).
        """
        started = time.monotonic()
        items = [self._item(task) for task in tasks]
        run = _Run(self, items, progress)
        try:
            with _ReplyCache(self.cache_path) as cache:
                run.answer_from(cache)
                run.ask(cache)
        finally:
            self._stats = run.stats(time.monotonic() - started)
        return [run.result(item) for item in items]

    @property
    def stats(self) -> LlmStats:
        """What the last `run()` did (also after it raised)."""
        if self._stats is None:
            raise RuntimeError("QuestionWriter.stats: run() has not been called yet")
        return self._stats

    # -- helpers shared by plan() and run()

    def _item(self, task: LlmTask) -> _Item:
        return _Item(task, _input_id(self.settings.model, task), _messages(task))

    def _counter(self) -> _TokenCounter:
        if self._encoding is None:
            self._encoding = _encoding_for(self.settings.model)
        return _TokenCounter(self._encoding)

    def _output_estimate(self, kind: str) -> int:
        return min(_TYPICAL_OUTPUT_TOKENS[kind], self.settings.max_output_tokens)

    def _price(self) -> tuple[float, float] | None:
        return _price_of(self.settings.model, {**PRICES, **self.settings.prices})

    def _cost(self, input_tokens: int, output_tokens: int) -> float | None:
        price = self._price()
        if price is None:
            return None
        return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000

    def _make_client(self) -> openai.OpenAI:
        import openai

        return openai.OpenAI(
            api_key=os.environ.get("OPENAI_API_KEY") or _PLACEHOLDER_KEY,
            base_url=self.settings.base_url,
            max_retries=self.settings.max_retries,
            timeout=self.settings.timeout,
        )


class _Run:
    """The state of one `run()`: replies, budget and counts, owned by the calling thread."""

    def __init__(
        self, writer: QuestionWriter, items: list[_Item], progress: Callable[[int], None] | None
    ):
        self.writer = writer
        self.settings = writer.settings
        self.items = items
        self.progress = progress or (lambda n: None)
        self.replies: dict[str, _Reply] = {}
        self.from_cache: set[str] = set()
        self.requests = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.spent = 0.0
        self.estimated = False  # some count of this run fell back to the approximation

    @cached_property
    def counter(self) -> _TokenCounter:  # loaded only when a request is to be made
        return self.writer._counter()

    def answer_from(self, cache: _ReplyCache) -> None:
        if self.settings.refresh:
            return
        self.replies = cache.get_many({item.id for item in self.items})
        self.from_cache = set(self.replies)
        done = sum(item.id in self.from_cache for item in self.items)
        if done:
            self.progress(done)

    def ask(self, cache: _ReplyCache) -> None:
        """Send the remaining requests, at most `concurrency` in flight, within the budget."""
        to_send = _unique(item for item in self.items if item.id not in self.replies)
        if not to_send:
            return
        max_cost = self.settings.max_cost
        if max_cost is not None and self.writer._price() is None:
            raise LlmBudgetError(
                f"no price known for model {self.settings.model!r}, so a maximum cost cannot "
                "be kept: give its USD prices per 1M input and output tokens",
                left=len(to_send),
            )
        tasks_of = Counter(item.id for item in self.items)
        client = self.writer._client or self.writer._make_client()
        secret = getattr(client, "api_key", None)
        pending = deque(to_send)
        in_flight: dict[Future[_Reply], tuple[_Item, float]] = {}
        failure: LlmRequestError | None = None
        over_budget = False
        limit = self.settings.concurrency
        with ThreadPoolExecutor(limit, "meadow-llm") as pool:
            while pending or in_flight:
                while pending and not (failure or over_budget) and len(in_flight) < limit:
                    estimate = self._estimate(pending[0])
                    reserved = sum(cost for _, cost in in_flight.values())
                    if max_cost is not None and self.spent + reserved + estimate > max_cost:
                        over_budget = True
                        break
                    item = pending.popleft()
                    future = pool.submit(_ask, client, self.settings, item.messages, secret)
                    in_flight[future] = (item, estimate)
                if not in_flight:
                    break
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: in_flight[f][0].id):
                    item, _ = in_flight.pop(future)
                    try:
                        reply = future.result()
                    except LlmRequestError as error:
                        failure = failure or error
                        continue
                    cache.put(item, self.settings.model, reply)
                    self._record(item, reply)
                    self.progress(tasks_of[item.id])
        if failure is not None:
            raise failure
        if over_budget:
            left = len(pending)
            raise LlmBudgetError(
                f"stopped before passing the maximum cost of ${max_cost:,.4f}: "
                f"{self.requests:,} requests done, ${self.spent:,.4f} spent, {left:,} left; "
                "their answers are cached, rerun with a higher --max-cost to finish",
                done=self.requests,
                left=left,
                spent=self.spent,
            )

    def _estimate(self, item: _Item) -> float:
        """The cost this request is expected to add, before sending it."""
        tokens_in = self.counter.messages(item.messages)
        return self.writer._cost(tokens_in, self.writer._output_estimate(item.task.kind)) or 0.0

    def _record(self, item: _Item, reply: _Reply) -> None:
        self.replies[item.id] = reply
        self.requests += 1
        tokens_in, tokens_out = reply.input_tokens, reply.output_tokens
        if tokens_in is None or tokens_out is None:  # no usage reported: spend the estimate
            self.estimated = self.estimated or self.counter.approximate
            tokens_in = self.counter.messages(item.messages)
            tokens_out = self.writer._output_estimate(item.task.kind)
        self.input_tokens += tokens_in
        self.output_tokens += tokens_out
        self.spent += self.writer._cost(tokens_in, tokens_out) or 0.0

    def result(self, item: _Item) -> LlmResult:
        reply = self.replies[item.id]
        question, answer, rejected = _judge(item.task.kind, item.task.fields, reply.text)
        return LlmResult(item.task.key, question, answer, rejected, item.id in self.from_cache)

    def stats(self, seconds: float) -> LlmStats:
        judged = [self.result(item) for item in self.items if item.id in self.replies]
        rejected = Counter(result.rejected for result in judged if result.rejected)
        return LlmStats(
            model=self.settings.model,
            prompt_versions=dict(PROMPT_VERSIONS),
            requests=self.requests,
            cached=sum(item.id in self.from_cache for item in self.items),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cost_usd=self.writer._cost(self.input_tokens, self.output_tokens),
            rejected=dict(sorted(rejected.items())),
            accepted=sum(result.rejected is None for result in judged),
            approximate=self.estimated,
            seconds=round(seconds, 3),
        )


def _unique(items: Iterable[_Item]) -> list[_Item]:
    """The first item of each input: tasks with the same input share one request."""
    first: dict[str, _Item] = {}
    for item in items:
        first.setdefault(item.id, item)
    return list(first.values())


# --- prompts and cache keys -----------------------------------------------------------


def _messages(task: LlmTask) -> tuple[tuple[str, str], ...]:
    system, template = _PROMPTS[task.kind]
    user = template.format(**{name: task.fields[name].strip() for name in _FIELDS[task.kind]})
    return (("system", system), ("user", user))


def _input_id(model: str, task: LlmTask) -> str:
    """sha256 of model, prompt version, kind and the prompt's fields, as canonical JSON."""
    fields = {name: task.fields[name] for name in _FIELDS[task.kind]}
    payload = [model, PROMPT_VERSIONS[task.kind], task.kind, fields]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _price_of(model: str, table: dict[str, tuple[float, float]]) -> tuple[float, float] | None:
    if model in table:
        return table[model]
    family = [name for name in table if model.startswith(name + "-")]  # dated snapshots
    return table[max(family, key=len)] if family else None


class _ReplyCache:
    """Raw replies and usage in SQLite (WAL, autocommit: each reply is durable at once)."""

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS replies (
            id TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            kind TEXT NOT NULL,
            reply TEXT NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            created TEXT NOT NULL
        )"""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(self._SCHEMA)

    @staticmethod
    def peek(path: Path, items: Sequence[_Item]) -> set[str]:
        """The ids of `items` already cached, read without creating or changing anything."""
        if not path.exists() or not items:
            return set()
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return {row[0] for row in _select(db, "id", {item.id for item in items})}
        except sqlite3.OperationalError:  # not our table (yet): nothing cached
            return set()
        finally:
            db.close()

    def get_many(self, ids: set[str]) -> dict[str, _Reply]:
        rows = _select(self._db, "id, reply, input_tokens, output_tokens", ids)
        return {row[0]: _Reply(row[1], row[2], row[3]) for row in rows}

    def put(self, item: _Item, model: str, reply: _Reply) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.id,
                model,
                PROMPT_VERSIONS[item.task.kind],
                item.task.kind,
                reply.text,
                reply.input_tokens,
                reply.output_tokens,
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
            ),
        )

    def __enter__(self) -> _ReplyCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()


def _select(db: sqlite3.Connection, columns: str, ids: set[str]) -> list[tuple]:
    ordered = sorted(ids)
    rows: list[tuple] = []
    for start in range(0, len(ordered), 500):  # SQLite caps the number of parameters
        chunk = ordered[start : start + 500]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT {columns} FROM replies WHERE id IN ({marks})"
        rows.extend(db.execute(query, chunk).fetchall())
    return rows


# --- token counting -------------------------------------------------------------------

_ENCODINGS: dict[str, tiktoken.Encoding | None] = {}
_ENCODINGS_LOCK = threading.Lock()


def _encoding_for(model: str) -> tiktoken.Encoding | None:
    """tiktoken's encoding for `model`, once per process; None (after one warning) offline."""
    with _ENCODINGS_LOCK:
        if model not in _ENCODINGS:
            _ENCODINGS[model] = _load_encoding(model)
        return _ENCODINGS[model]


def _load_encoding(model: str) -> tiktoken.Encoding | None:
    try:
        import tiktoken

        try:
            return tiktoken.encoding_for_model(model)
        except KeyError:  # not an OpenAI model name (a local server's): the newest encoding
            return tiktoken.get_encoding("o200k_base")
    except Exception as error:  # offline, it fails to download the encoding's file
        logger.warning(
            "tiktoken cannot load the encoding for %r (%s); counting ~%d characters per token "
            "instead, so token counts and costs are approximate. Point TIKTOKEN_CACHE_DIR at "
            "a folder holding its files to count exactly.",
            model,
            type(error).__name__,
            _CHARS_PER_TOKEN,
        )
        return None


class _TokenCounter:
    def __init__(self, encoding: tiktoken.Encoding | None):
        self.encoding = encoding
        self.approximate = encoding is None

    def count(self, text: str) -> int:
        if self.encoding is None:
            return math.ceil(len(text) / _CHARS_PER_TOKEN)
        return len(self.encoding.encode_ordinary(text))

    def messages(self, messages: Sequence[tuple[str, str]]) -> int:
        """Tokens of a chat request's messages, as OpenAI bills them (content plus framing)."""
        content = sum(self.count(text) for _, text in messages)
        return content + _TOKENS_PER_MESSAGE * len(messages) + _TOKENS_REPLY_PRIMING


# --- one request ----------------------------------------------------------------------


def _ask(
    client: openai.OpenAI,
    settings: LlmSettings,
    messages: Sequence[tuple[str, str]],
    secret: str | None,
) -> _Reply:
    """One chat completion (the client retries what is transient); runs in a worker thread."""
    import openai

    where = str(client.base_url).rstrip("/")
    try:
        response = client.chat.completions.create(
            model=settings.model,
            messages=[{"role": role, "content": text} for role, text in messages],
            temperature=0,
            max_tokens=settings.max_output_tokens,
        )
    except openai.APIError as error:
        raise _request_error(error, settings, where, secret) from None
    except ValueError as error:  # a body that is not JSON (json.JSONDecodeError)
        raise _malformed(settings, where, f"{type(error).__name__}: {error}") from None
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise _malformed(settings, where, "no choices in the reply")
    message = getattr(choices[0], "message", None)
    text = getattr(message, "content", None)
    if text is None:  # a structured refusal, or nothing at all
        text = getattr(message, "refusal", None) or ""
    if not isinstance(text, str):
        raise _malformed(settings, where, "the message has no text content")
    usage = getattr(response, "usage", None)
    tokens_in = getattr(usage, "prompt_tokens", None)
    tokens_out = getattr(usage, "completion_tokens", None)
    if not (isinstance(tokens_in, int) and isinstance(tokens_out, int)):
        tokens_in = tokens_out = None
    return _Reply(text, tokens_in, tokens_out)


def _request_error(
    error: openai.APIError, settings: LlmSettings, where: str, secret: str | None
) -> LlmRequestError:
    """One line for a failed request; never the key (server messages are scrubbed of it)."""
    import openai

    tries = f" after {settings.max_retries + 1} tries" if settings.max_retries else ""
    if isinstance(error, (openai.AuthenticationError, openai.PermissionDeniedError)):
        if not os.environ.get("OPENAI_API_KEY"):
            fix = "OPENAI_API_KEY is not set: set it to a key for this endpoint"
        else:
            fix = "set OPENAI_API_KEY to a valid key for this endpoint"
        return LlmRequestError(
            f"{where} refused the API key (HTTP {error.status_code}): {fix}",
            status=error.status_code,
        )
    if isinstance(error, openai.NotFoundError):
        return LlmRequestError(
            f"model {settings.model!r} or URL {where} not found (HTTP 404): "
            "check the model name and the base URL",
            status=404,
        )
    if isinstance(error, openai.APIStatusError):
        status = error.status_code
        retried = tries if status in (408, 409, 429) or status >= 500 else ""
        detail = _scrub(_server_message(error), secret)
        return LlmRequestError(
            f"{where} answered HTTP {status} for model {settings.model!r}{retried}: {detail}",
            status=status,
        )
    if isinstance(error, openai.APITimeoutError):
        return LlmRequestError(f"{where} did not answer within {settings.timeout:g} s{tries}")
    if isinstance(error, openai.APIConnectionError):
        return LlmRequestError(f"cannot reach {where}{tries} (offline, or a wrong base URL?)")
    return _malformed(settings, where, _scrub(str(error), secret))


def _malformed(settings: LlmSettings, where: str, detail: str) -> LlmRequestError:
    return LlmRequestError(f"{where} sent a malformed reply for model {settings.model!r}: {detail}")


def _server_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return str(message)
    return str(error.message)


def _scrub(text: str, secret: str | None) -> str:
    """One short line, with the key (should a server echo it) masked."""
    text = " ".join(scrub_secrets(text, [secret]).split())
    return text if len(text) <= 200 else text[:199] + "…"


# --- the quality gate -----------------------------------------------------------------

_REFUSAL_START = re.compile(
    r"^(?:i'?m sorry|i am sorry|sorry\b|i apologi[sz]e|unfortunately\b"
    r"|i (?:cannot|can ?not|can't|am unable|'m unable|am not able|won't|will not)\b)",
    re.IGNORECASE,
)
_REFUSAL_ANYWHERE = re.compile(
    r"\bas an ai\b|\bas an? (?:ai )?language model\b|\bi'?m (?:just )?an ai\b", re.IGNORECASE
)
_LABEL = re.compile(r"^(?:question|q)\s*:\s*", re.IGNORECASE)
_QUOTES = " \t\r\n\"'`*“”‘’«»"
_NEEDS_CONTEXT = re.compile(
    r"\b(?:the|this|above|given|following) (?:paragraph|passage|text|excerpt)\b", re.IGNORECASE
)
_PAIR = re.compile(
    r"^\W*question\W*:\s*(?P<question>.+?)\s*\n\s*\W*answer\W*:\s*(?P<answer>.+?)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_WORD = re.compile(r"\w+")


def _judge(
    kind: str, fields: dict[str, str], reply: str
) -> tuple[str | None, str | None, str | None]:
    """The quality gate: (question, answer, None) for an accepted reply, else
    (None, None, reason). Pure, so cached replies give the same results every time."""
    text = reply.replace("’", "'").strip()
    if not text.strip(_QUOTES):
        return None, None, "llm_empty"
    if _REFUSAL_START.match(text.lstrip(_QUOTES)) or _REFUSAL_ANYWHERE.search(text):
        return None, None, "llm_refused"
    if kind == "flashcard":
        pair = _PAIR.match(text)
        if pair is None:
            return None, None, "llm_bad_format"
        question, answer = _clean(pair["question"]), _clean(pair["answer"])
        if not question or not answer:
            return None, None, "llm_bad_format"
        if len(question) > _MAX_QUESTION_CHARS or len(answer) > _MAX_ANSWER_CHARS:
            return None, None, "llm_too_long"
        if not question.endswith("?"):
            return None, None, "llm_not_a_question"
        return question, answer, None
    question = _clean(text)
    if not question:
        return None, None, "llm_empty"
    if len(question) > _MAX_QUESTION_CHARS:
        return None, None, "llm_too_long"
    if not question.endswith("?") or _NEEDS_CONTEXT.search(question):
        return None, None, "llm_not_a_question"  # or not one that stands without the paragraph
    if _copies(question, fields.get("paragraph", "")):
        return None, None, "llm_copies_text"
    return question, None, None


def _clean(text: str) -> str:
    """Without surrounding quotes or markup, a "Question:" label, or runs of whitespace."""
    text = _LABEL.sub("", text.strip(_QUOTES)).strip(_QUOTES)
    return " ".join(text.split())


def _copies(question: str, paragraph: str) -> bool:
    """Whether the question repeats `_COPY_RUN_WORDS` consecutive words of the paragraph,
    or all of a shorter paragraph."""
    source = _words(paragraph)
    size = max(min(_COPY_RUN_WORDS, len(source)), _COPY_RUN_MIN_WORDS)
    return not _runs(_words(question), size).isdisjoint(_runs(source, size))


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(text)]


def _runs(words: list[str], size: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}
