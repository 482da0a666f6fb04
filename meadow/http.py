"""HTTP behaviour shared by the downloader and the page crawler, written once.

One user agent, one client factory and one retry policy: connection errors, timeouts, 429
and 5xx are retried with exponential backoff plus jitter (or the server's `Retry-After`);
any other answer, 4xx included, goes straight back to the caller, who knows what a 404 or
a 416 means for it. When every try failed, `HttpError` says why in one line.

A host that cannot be reached at all is the offline case, and there retries only make a
user wait: a name that does not resolve is not retried, and a refused or timed-out
connection is retried once, after a short pause.
"""

from __future__ import annotations

import email.utils
import math
import random
import socket
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from urllib.parse import urlsplit

import httpx

from meadow._version import __version__
from meadow.errors import HttpError

USER_AGENT = f"meadow/{__version__} (+https://github.com/meadow-ml/meadow)"

MAX_WAIT = 60.0
"""Longest single wait between tries, whatever `Retry-After` or the backoff asks for."""

UNREACHABLE_RETRIES = 1
"""Retries for a connection that was refused or timed out (an unresolvable name gets none)."""
UNREACHABLE_WAIT = 0.5
"""Seconds before that one retry: long enough for a blip, short enough for the offline."""

_DNS_FAILURES = (  # how getaddrinfo's errors read on Linux, macOS and Windows
    "name or service not known",
    "nodename nor servname",
    "temporary failure in name resolution",
    "no address associated with hostname",
    "getaddrinfo failed",
    "name resolution",
)


def make_client(*, timeout: float = 30.0, connect_timeout: float = 5.0) -> httpx.Client:
    """An `httpx.Client` with our user agent, redirects followed, and finite timeouts.

    The read timeout applies per network read, so large downloads are not cut short.
    """
    return httpx.Client(
        headers={"User-Agent": USER_AGENT},
        follow_redirects=True,
        timeout=httpx.Timeout(timeout, connect=connect_timeout),
    )


def is_retryable(status: int) -> bool:
    """Whether an HTTP status is worth another try (rate limits and server errors)."""
    return status == 429 or status >= 500


def backoff_delay(attempt: int, backoff: float = 0.5) -> float:
    """Seconds to wait before retry number `attempt + 1`: exponential, jittered, capped.

    Jitter keeps many clients that failed together from retrying together.
    """
    base = backoff * 2**attempt
    return min(base + random.uniform(0, backoff), MAX_WAIT)


def retry_after(value: str | None) -> float | None:
    """Seconds asked for by a `Retry-After` header (delta-seconds or HTTP date), capped.

    None when the header is missing or unreadable, so the caller falls back to backoff.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - datetime.now(timezone.utc)).total_seconds()
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_WAIT)


def describe(error: httpx.RequestError | httpx.InvalidURL, url: str) -> str:
    """One line for a transport error, worded for someone who may simply be offline."""
    try:
        host = urlsplit(url).netloc or url
    except ValueError:  # a URL too broken to split still deserves a message
        host = url
    if is_unresolvable(error):
        return f"cannot reach {host} (offline?): the host name does not resolve"
    if isinstance(error, httpx.ConnectError):
        return f"cannot reach {host} (offline?)"
    if isinstance(error, httpx.ConnectTimeout):
        return f"cannot reach {host} (offline?): no answer to connect"
    if isinstance(error, httpx.TimeoutException):
        return f"{host} did not answer in time"
    if isinstance(error, httpx.RemoteProtocolError):
        return f"{host} closed the connection early"
    detail = str(error).rstrip(".")
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def is_unresolvable(error: BaseException) -> bool:
    """Whether a connection failed because the host name does not resolve (DNS)."""
    if not isinstance(error, httpx.ConnectError):
        return False
    seen: BaseException | None = error
    while seen is not None:  # httpx wraps the socket.gaierror; its text says what it was
        if isinstance(seen, socket.gaierror):
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(error).lower()
    return any(marker in text for marker in _DNS_FAILURES)


def is_unreachable(error: BaseException) -> bool:
    """Whether no connection could be made at all: refused, timed out, or no such host."""
    return isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))


TRANSIENT_ERRORS = (  # worth another try: the next one may get through
    httpx.TimeoutException,
    httpx.NetworkError,
    httpx.RemoteProtocolError,
)


def request_with_retries(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    max_retries: int = 4,
    backoff: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    stream: bool = False,
) -> httpx.Response:
    """Send one request, retrying what is transient; return the first definite answer.

    Connection errors, timeouts, 429 and 5xx are retried up to `max_retries` times,
    waiting `Retry-After` when the server sent one and exponential backoff otherwise.
    A host that cannot be reached is not worth `max_retries` long waits: an unresolvable
    name fails at once, and a refused or timed-out connection is retried once after
    `UNREACHABLE_WAIT` seconds. Every other response (2xx, 3xx, any other 4xx) is returned
    unchecked: its meaning is
    the caller's business. With `stream=True` the body is not read yet and the caller
    must close the response. `sleep` is injectable so tests record waits instead.

    Raises:
        HttpError: after the last try, naming the last problem and the number of tries.
    """
    tries = max(max_retries, 0) + 1
    unreachable = 0
    for attempt in range(tries):
        wait: float | None = None
        status: int | None = None
        try:
            request = client.build_request(method, url, headers=headers)
            response = client.send(request, stream=stream)
        except TRANSIENT_ERRORS as error:
            problem = describe(error, url)
            if is_unreachable(error):
                unreachable += 1
                if is_unresolvable(error) or unreachable > min(UNREACHABLE_RETRIES, tries - 1):
                    suffix = f" (after {attempt + 1} tries)" if attempt else ""
                    raise HttpError(url, problem + suffix) from error
                wait = UNREACHABLE_WAIT
        except (httpx.RequestError, httpx.InvalidURL) as error:  # retrying will not help
            raise HttpError(url, describe(error, url)) from error
        else:
            if not is_retryable(response.status_code):
                return response
            status = response.status_code
            problem = f"HTTP {status} {response.reason_phrase}".rstrip()
            wait = retry_after(response.headers.get("Retry-After"))
            response.close()
        if attempt == tries - 1:
            suffix = f" (after {tries} tries)" if tries > 1 else ""
            raise HttpError(url, problem + suffix, status=status)
        sleep(wait if wait is not None else backoff_delay(attempt, backoff))
    raise AssertionError("unreachable")  # pragma: no cover
