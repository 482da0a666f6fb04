"""Requests per second of QaWriter with one request in flight against sixteen.

Runs the real `openai` client against the test suite's OpenAI-compatible stand-in on
127.0.0.1, which adds a fixed latency to every reply (as a remote API would), with a fresh
cache each time so every task is a request. Token counts use a one-token-per-byte
encoding, so nothing is downloaded.

Run:  python benchmarks/bench_llm.py [--tasks 200] [--latency 0.05] [--concurrency 1 16]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tiktoken  # noqa: E402

from meadow.llm import LlmSettings, LlmTask, QaWriter  # noqa: E402
from tests.openai_server import OpenAIServer  # noqa: E402


def byte_encoding() -> tiktoken.Encoding:
    ranks = {bytes([i]): i for i in range(256)}
    return tiktoken.Encoding("bytes", pat_str=r"\S+|\s+", mergeable_ranks=ranks, special_tokens={})


def make_tasks(n: int) -> list[LlmTask]:
    return [
        LlmTask(
            f"wikidoc-{i}",
            "textbook",
            {
                "title": "Hypertension",
                "heading": f"Section {i}",
                "paragraph": f"Paragraph {i}: blood pressure above 130/80 mmHg is hypertension.",
            },
        )
        for i in range(n)
    ]


def requests_per_second(server: OpenAIServer, tasks: list[LlmTask], concurrency: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        settings = LlmSettings(base_url=server.base_url, concurrency=concurrency, timeout=30)
        writer = QaWriter(
            settings, cache_path=Path(folder) / "cache.sqlite", encoding=byte_encoding()
        )
        started = time.perf_counter()
        results = writer.run(tasks)
        seconds = time.perf_counter() - started
    assert writer.stats.requests == len(tasks) and all(r.question for r in results)
    return len(tasks) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per reply")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 16])
    args = parser.parse_args()
    os.environ.setdefault("OPENAI_API_KEY", "sk-bench")
    tasks = make_tasks(args.tasks)
    rates: dict[int, float] = {}
    with OpenAIServer(lambda request: "What defines hypertension?", latency=args.latency) as server:
        for concurrency in args.concurrency:
            rates[concurrency] = requests_per_second(server, tasks, concurrency)
            print(
                f"concurrency {concurrency:>3}: {rates[concurrency]:7.1f} requests/s "
                f"({args.tasks} tasks, {args.latency * 1000:.0f} ms latency per reply)"
            )
    low, high = min(rates), max(rates)
    if low != high:
        print(f"ratio c={high} / c={low}: {rates[high] / rates[low]:.1f}x")


if __name__ == "__main__":
    main()
