"""Token counting never downloads for the card, and the LLM step tries tiktoken's file once
per machine, with a timeout."""

from __future__ import annotations

import logging
import time

import pyarrow as pa
import pytest
import tiktoken

from meadow.llm import tokens
from meadow.token_stats import APPROXIMATE_TOKENIZER, token_statistics


@pytest.fixture
def tiktoken_calls(monkeypatch, tmp_path):
    """tiktoken's loaders record each call and fail as offline; its cache is empty."""
    calls: list[str] = []

    def offline(name: str):
        calls.append(name)
        raise ConnectionError("cannot resolve openaipublic.blob.core.windows.net")

    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path / "tiktoken-cache"))
    monkeypatch.setattr(tiktoken, "encoding_for_model", offline)
    monkeypatch.setattr(tiktoken, "get_encoding", offline)
    monkeypatch.setattr(tokens, "_ENCODINGS", {})
    return calls


def _rows() -> list[tuple[str, pa.Table]]:
    columns = {"instruction": ["abcd"], "input": [""], "output": ["abcdefgh"], "source": ["a"]}
    return [("train", pa.table(columns))]


def test_card_statistics_count_approximately_without_network_or_warning(tiktoken_calls, caplog):
    with caplog.at_level(logging.WARNING, logger="meadow.llm.tokens"):
        stats = token_statistics(_rows(), model="gpt-4o-mini")
    assert tiktoken_calls == []
    assert not caplog.records
    assert stats["approximate"] is True and stats["tokenizer"] == APPROXIMATE_TOKENIZER
    assert stats["total"] == 3


def test_card_statistics_use_tiktoken_when_its_file_is_cached(
    tiktoken_calls, monkeypatch, encoding
):
    path = tokens.tiktoken_cache_file("o200k_base")
    path.parent.mkdir(parents=True)
    path.write_bytes(b"cached")
    monkeypatch.setattr(tiktoken, "get_encoding", lambda name: encoding)
    stats = token_statistics(_rows(), model="gpt-4o-mini")
    assert stats["approximate"] is False and stats["total"] == 12  # one token per byte


def test_llm_step_tries_once_per_machine_and_remembers_the_failure(
    tiktoken_calls, monkeypatch, caplog, meadow_home
):
    with caplog.at_level(logging.WARNING, logger="meadow.llm.tokens"):
        assert tokens.encoding_for("gpt-4o-mini") is None
        assert tokens.encoding_for("gpt-4o-mini") is None  # once per process
        monkeypatch.setattr(tokens, "_ENCODINGS", {})  # a later build, another process
        assert tokens.encoding_for("gpt-4o-mini") is None
    assert tiktoken_calls == ["gpt-4o-mini"]
    assert (meadow_home / "tiktoken-unavailable").is_file()
    first, second = (r.getMessage() for r in caplog.records)
    assert "ConnectionError" in first and "approximate" in first
    assert "could not be downloaded recently" in second and "tiktoken-unavailable" in second


def test_llm_step_gives_up_on_a_slow_download(tiktoken_calls, monkeypatch):
    monkeypatch.setattr(tiktoken, "encoding_for_model", lambda model: time.sleep(5))
    monkeypatch.setattr(tokens, "DOWNLOAD_TIMEOUT_S", 0.2)
    started = time.monotonic()
    assert tokens.encoding_for("gpt-4o-mini") is None
    assert time.monotonic() - started < 2
