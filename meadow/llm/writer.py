"""`QaWriter`: plans a run's requests and cost, then answers its tasks from the
cache first and with requests in a thread pool, within the budget."""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from meadow.errors import LlmBudgetError, LlmRequestError
from meadow.llm.budget import LlmPlan
from meadow.llm.cache import ReplyCache, default_cache_path, input_id
from meadow.llm.client import ask, make_client
from meadow.llm.gate import judge
from meadow.llm.prices import PRICES, price_of
from meadow.llm.prompts import PROMPT_VERSIONS, TYPICAL_OUTPUT_TOKENS, chat_messages
from meadow.llm.settings import LlmSettings
from meadow.llm.tasks import Item, LlmResult, LlmTask, Reply
from meadow.llm.tokens import TokenCounter, encoding_for

if TYPE_CHECKING:
    import openai
    import tiktoken


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


class QaWriter:
    """Writes questions and answers for tasks through an OpenAI-compatible endpoint, with a
    reply cache.

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
        self.cache_path = Path(cache_path) if cache_path else default_cache_path()
        self._encoding = encoding
        self._client = client
        self._stats: LlmStats | None = None

    # -- planning

    def plan(self, tasks: Sequence[LlmTask]) -> LlmPlan:
        """Requests, tokens and cost of `run(tasks)`, without any request or cache write."""
        items = [self._item(task) for task in tasks]
        cached = set() if self.settings.refresh else ReplyCache.peek(self.cache_path, items)
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
            with ReplyCache(self.cache_path) as cache:
                run.answer_from(cache)
                run.ask(cache)
        finally:
            self._stats = run.stats(time.monotonic() - started)
        return [run.result(item) for item in items]

    @property
    def stats(self) -> LlmStats:
        """What the last `run()` did (also after it raised)."""
        if self._stats is None:
            raise RuntimeError("QaWriter.stats: run() has not been called yet")
        return self._stats

    # -- helpers shared by plan() and run()

    def _item(self, task: LlmTask) -> Item:
        return Item(task, input_id(self.settings.model, task), chat_messages(task))

    def _counter(self) -> TokenCounter:
        if self._encoding is None:
            self._encoding = encoding_for(self.settings.model)
        return TokenCounter(self._encoding)

    def _output_estimate(self, kind: str) -> int:
        return min(TYPICAL_OUTPUT_TOKENS[kind], self.settings.max_output_tokens)

    def _price(self) -> tuple[float, float] | None:
        return price_of(self.settings.model, {**PRICES, **self.settings.prices})

    def _cost(self, input_tokens: int, output_tokens: int) -> float | None:
        price = self._price()
        if price is None:
            return None
        return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000

    def _make_client(self) -> openai.OpenAI:
        return make_client(self.settings)


class _Run:
    """The state of one `run()`: replies, budget and counts, owned by the calling thread."""

    def __init__(self, writer: QaWriter, items: list[Item], progress: Callable[[int], None] | None):
        self.writer = writer
        self.settings = writer.settings
        self.items = items
        self.progress = progress or (lambda n: None)
        self.replies: dict[str, Reply] = {}
        self.from_cache: set[str] = set()
        self.requests = 0
        self.input_tokens = 0
        self.output_tokens = 0
        self.spent = 0.0
        self.estimated = False  # some count of this run fell back to the approximation

    @cached_property
    def counter(self) -> TokenCounter:  # loaded only when a request is to be made
        return self.writer._counter()

    def answer_from(self, cache: ReplyCache) -> None:
        if self.settings.refresh:
            return
        self.replies = cache.get_many({item.id for item in self.items})
        self.from_cache = set(self.replies)
        done = sum(item.id in self.from_cache for item in self.items)
        if done:
            self.progress(done)

    def ask(self, cache: ReplyCache) -> None:
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
        in_flight: dict[Future[Reply], tuple[Item, float]] = {}
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
                    future = pool.submit(ask, client, self.settings, item.messages, secret)
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

    def _estimate(self, item: Item) -> float:
        """The cost this request is expected to add, before sending it."""
        tokens_in = self.counter.messages(item.messages)
        return self.writer._cost(tokens_in, self.writer._output_estimate(item.task.kind)) or 0.0

    def _record(self, item: Item, reply: Reply) -> None:
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

    def result(self, item: Item) -> LlmResult:
        reply = self.replies[item.id]
        question, answer, rejected = judge(item.task.kind, item.task.fields, reply.text)
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


def _unique(items: Iterable[Item]) -> list[Item]:
    """The first item of each input: tasks with the same input share one request."""
    first: dict[str, Item] = {}
    for item in items:
        first.setdefault(item.id, item)
    return list(first.values())
