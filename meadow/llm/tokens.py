"""Token counting: tiktoken's encoding for a model, or ~4 characters per token when it
cannot load one. Imports neither tiktoken (until asked) nor the OpenAI client, so the
dataset card counts with it too.

The card never downloads: it counts exactly only when tiktoken's file is already in its
cache (`TIKTOKEN_CACHE_DIR`, else `<tmp>/data-gym-cache`). The LLM step may download it,
with a short timeout; a failure is remembered in MEADOW_HOME for a day, so an offline
machine does not try again on every build.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from meadow.paths import meadow_home

if TYPE_CHECKING:
    import tiktoken

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN = 4  # the approximation when tiktoken cannot load its encoding
DOWNLOAD_TIMEOUT_S = 15.0  # the LLM step's one try at tiktoken's file
FAILURE_MEMORY_S = 24 * 3600  # how long a failed download keeps meadow from trying again
_TOKENS_PER_MESSAGE = 4  # role and separators around each chat message
_TOKENS_REPLY_PRIMING = 3  # the assistant turn every reply starts with
_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{}.tiktoken"

_ENCODINGS: dict[str, tiktoken.Encoding | None] = {}
_ENCODINGS_LOCK = threading.Lock()


def encoding_for(model: str, *, download: bool = True) -> tiktoken.Encoding | None:
    """tiktoken's encoding for `model`, once per process, or None for the approximation.

    `download=False` (the card) uses only tiktoken's local cache, silently. `download=True`
    (the LLM step, where counts are costs) may fetch the file once, and warns when it can't.
    """
    with _ENCODINGS_LOCK:
        if model in _ENCODINGS:
            return _ENCODINGS[model]
        encoding = _cached_encoding(model)
        if encoding is None and not download:
            return None  # not remembered: a later LLM step in this process may download
        if encoding is None:
            encoding = _download_encoding(model)
        _ENCODINGS[model] = encoding
        return encoding


def encoding_name(model: str) -> str:
    """The name of tiktoken's encoding for `model`; the newest one for a name it doesn't
    know (a local server's model)."""
    try:
        import tiktoken.model

        return tiktoken.model.encoding_name_for_model(model)
    except (ImportError, KeyError):
        return "o200k_base"


def tiktoken_cache_file(name: str) -> Path | None:
    """Where tiktoken keeps encoding `name`'s file (as `tiktoken.load` names it), or None
    when its cache is switched off (`TIKTOKEN_CACHE_DIR=""`)."""
    folder = os.environ.get("TIKTOKEN_CACHE_DIR", os.environ.get("DATA_GYM_CACHE_DIR"))
    if folder is None:
        folder = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not folder:
        return None
    return Path(folder) / hashlib.sha1(_BLOB.format(name).encode()).hexdigest()


def _cached_encoding(model: str) -> tiktoken.Encoding | None:
    """The encoding when its file is already in tiktoken's cache; no network."""
    name = encoding_name(model)
    path = tiktoken_cache_file(name)
    if path is None or not path.is_file():
        return None
    try:
        import tiktoken

        return tiktoken.get_encoding(name)
    except Exception:  # a damaged cache file: tiktoken would download; count approximately
        return None


def _failure_marker() -> Path:
    return meadow_home() / "tiktoken-unavailable"


def _download_encoding(model: str) -> tiktoken.Encoding | None:
    """One try, with a timeout, at downloading the encoding; a failure is remembered."""
    marker = _failure_marker()
    try:
        recent = time.time() - marker.stat().st_mtime < FAILURE_MEMORY_S
    except OSError:
        recent = False
    if recent:
        _warn(model, f"it could not be downloaded recently; delete {marker} to try again")
        return None
    result: list[tiktoken.Encoding | BaseException] = []

    def load() -> None:
        try:
            import tiktoken

            try:
                result.append(tiktoken.encoding_for_model(model))
            except KeyError:  # not an OpenAI model name (a local server's): the newest one
                result.append(tiktoken.get_encoding("o200k_base"))
        except BaseException as error:  # offline, it fails to download the encoding's file
            result.append(error)

    thread = threading.Thread(target=load, name="meadow-tiktoken", daemon=True)
    thread.start()
    thread.join(DOWNLOAD_TIMEOUT_S)
    if result and not isinstance(result[0], BaseException):
        return result[0]
    reason = type(result[0]).__name__ if result else f"no answer in {DOWNLOAD_TIMEOUT_S:g} s"
    try:
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(f"{model}: {reason}\n", encoding="utf-8")
    except OSError:
        pass  # an unwritable MEADOW_HOME only means trying again next time
    _warn(model, reason)
    return None


def _warn(model: str, reason: str) -> None:
    logger.warning(
        "tiktoken cannot load the encoding for %r (%s); counting ~%d characters per token "
        "instead, so token counts and costs are approximate. Point TIKTOKEN_CACHE_DIR at "
        "a folder holding its files to count exactly.",
        model,
        reason,
        CHARS_PER_TOKEN,
    )


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
