"""Token counting: tiktoken's encoding for a model, or ~4 characters per token when it
cannot load one (offline). Imports neither tiktoken (until asked) nor the OpenAI client, so
the dataset card counts with it too."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import tiktoken

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4  # the approximation when tiktoken cannot load its encoding
_TOKENS_PER_MESSAGE = 4  # role and separators around each chat message
_TOKENS_REPLY_PRIMING = 3  # the assistant turn every reply starts with

_ENCODINGS: dict[str, tiktoken.Encoding | None] = {}
_ENCODINGS_LOCK = threading.Lock()


def encoding_for(model: str) -> tiktoken.Encoding | None:
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
            CHARS_PER_TOKEN,
        )
        return None


class TokenCounter:
    """Counts tokens of texts and chat requests, exactly or by the approximation."""

    def __init__(self, encoding: tiktoken.Encoding | None):
        self.encoding = encoding
        self.approximate = encoding is None

    def count(self, text: str) -> int:
        """Tokens of `text` (~4 characters per token when approximate)."""
        if self.encoding is None:
            return math.ceil(len(text) / CHARS_PER_TOKEN)
        return len(self.encoding.encode_ordinary(text))

    def messages(self, messages: Sequence[tuple[str, str]]) -> int:
        """Tokens of a chat request's messages, as OpenAI bills them (content plus framing)."""
        content = sum(self.count(text) for _, text in messages)
        return content + _TOKENS_PER_MESSAGE * len(messages) + _TOKENS_REPLY_PRIMING
