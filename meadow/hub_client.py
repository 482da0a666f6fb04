"""Talking to the Hub: the token, the repo id, and requests retried on 429 and 5xx.

Every request meadow makes to the Hub (a dataset push or pull, an adapter push, eval
results) goes through `retrying`, so a busy Hub is waited for and what still fails is one
`HubError` line that names the repo and never the token.
"""

from __future__ import annotations

import importlib
import random
import re
import socket
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from meadow.errors import HubError, HubUnreachableError, scrub_secrets

_ATTEMPTS = 5
_CONNECT_ATTEMPTS = 2  # no connection at all (offline, a wrong HF_ENDPOINT): fail in seconds
_T = TypeVar("_T")


def check_token(token: str | None = None) -> str:
    """The Hugging Face token to publish with; a clear error when there is none."""
    from huggingface_hub import get_token

    found = token or get_token()
    if not found:
        raise HubError(
            "no Hugging Face token: set HF_TOKEN or run `hf auth login`, with write access "
            "to the repo, then publish again"
        )
    return found


def authenticated(token: str | None, endpoint: str | None) -> tuple[Any, str]:
    """An HfApi with a checked token, and the user name: a missing or rejected token
    stops a publish before anything is uploaded (or trained, or scored)."""
    from huggingface_hub import HfApi

    api = HfApi(endpoint=endpoint, token=check_token(token))
    try:
        who = retrying(api.whoami, "check the token", "the Hub")
    except HubError as error:
        status = _status(error.__cause__)
        if status in (401, 403):
            raise HubError(
                "the Hub rejected the Hugging Face token (HF_TOKEN or the `hf auth login` "
                "cache): make a token with write access and publish again"
            ) from None
        raise
    return api, who.get("name") or "meadow"


def check_repo_id(repo_id: str) -> None:
    """A clear error for a repo id that is not ORG/NAME, before the Hub is asked."""
    parts = repo_id.split("/")
    if len(parts) != 2 or not all(parts):
        raise HubError(f"invalid repo {repo_id!r}: expected ORG/NAME, e.g. --repo my-org/meadow")


def retrying(call: Callable[[], _T], what: str, repo_id: str) -> _T:
    """`call()`, retried with backoff and jitter on 429 and 5xx (honouring Retry-After);
    what still fails is a one-line `HubError` saying what could not be done on `repo_id`."""
    from huggingface_hub.errors import HfHubHTTPError

    for attempt in range(1, _ATTEMPTS + 1):
        try:
            return call()
        except (HfHubHTTPError, *_no_answer_errors()) as error:
            status = _status(error)
            if status is None and not isinstance(error, HfHubHTTPError):  # no answer at all
                if attempt < (_CONNECT_ATTEMPTS if _not_connected(error) else _ATTEMPTS):
                    time.sleep(_delay(None, attempt))
                    continue
                raise HubUnreachableError(
                    _endpoint(error), f"{what} on {repo_id}", _reason(error)
                ) from error
            if status is not None and (status == 429 or status >= 500) and attempt < _ATTEMPTS:
                time.sleep(_delay(error.response, attempt))  # type: ignore[union-attr]
                continue
            detail = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise HubError(f"could not {what} on {repo_id} ({scrub_secrets(detail)})") from error
    raise AssertionError("unreachable")


def _no_answer_errors() -> tuple[type[BaseException], ...]:
    """What a request that got no answer raises: OSError (requests, before
    huggingface_hub 1.0) and httpx's TransportError (1.0 on; some installs ship httpx as
    `httpx2`), neither of which is an OSError."""
    found: list[type[BaseException]] = [OSError]
    for module in ("httpx", "httpx2"):
        try:
            found.append(importlib.import_module(module).TransportError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _not_connected(error: BaseException) -> bool:
    """Whether no connection could be made at all (no name, refused, no route): httpx's
    `ConnectError`, or the socket's own error anywhere in the chain (requests wraps it in
    urllib3's errors); not a connection that broke mid-request, which is worth more tries."""
    return any(
        isinstance(each, (socket.gaierror, ConnectionRefusedError, *_connect_errors()))
        for each in _chain(error)
    )


def _connect_errors() -> tuple[type[BaseException], ...]:
    found: list[type[BaseException]] = []
    for module in ("httpx", "httpx2"):
        try:
            found.append(importlib.import_module(module).ConnectError)
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def _chain(error: BaseException) -> list[BaseException]:
    """`error` and what it wraps: causes, contexts, urllib3's `reason`, requests' first
    argument; each once, at most 16."""
    found: list[BaseException] = []
    waiting: list[object] = [error]
    while waiting and len(found) < 16:
        each = waiting.pop(0)
        if not isinstance(each, BaseException) or any(each is seen for seen in found):
            continue
        found.append(each)
        first = each.args[0] if each.args else None
        waiting += [each.__cause__, each.__context__, getattr(each, "reason", None), first]
    return found


def _endpoint(error: BaseException) -> str:
    """The scheme and host the failed request went to; HF_ENDPOINT's value if the error
    does not say."""
    try:
        url = str(error.request.url)  # type: ignore[attr-defined]  # httpx raises if unset
    except (AttributeError, RuntimeError):
        url = ""
    if not url:
        from huggingface_hub import constants

        url = constants.ENDPOINT
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else url


def _reason(error: BaseException) -> str:
    """`[Errno -2] Name or service not known` as "name or service not known": the
    socket's words (found through the transport's wrappers) without type or errno."""
    for each in _chain(error):
        if isinstance(each, ConnectionRefusedError):
            return "connection refused"
        if isinstance(each, socket.gaierror) and each.strerror:
            return each.strerror[:1].lower() + each.strerror[1:]
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", scrub_secrets(text))
    return (text[:1].lower() + text[1:]) if text else type(error).__name__


def _status(error: BaseException | None) -> int | None:
    """The HTTP status a Hub error carries. huggingface_hub before 1.0 raises some as
    requests' HTTPError (an OSError), e.g. `whoami` for a rejected token."""
    return getattr(getattr(error, "response", None), "status_code", None)


def _delay(response: Any, attempt: int) -> float:
    retry_after = response.headers.get("Retry-After") if response is not None else None
    try:
        if retry_after is not None:
            return max(0.0, min(float(retry_after), 60.0))
    except ValueError:
        pass
    return min(0.5 * 2 ** (attempt - 1), 8.0) * (0.5 + random.random() / 2)


__all__ = ["authenticated", "check_repo_id", "check_token", "retrying"]
