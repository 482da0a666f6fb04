"""One request to an OpenAI-compatible endpoint through the official `openai` client, and
its failures mapped to one-line errors that never show the key. Retries on 429, 5xx and
timeouts are the client's own; `openai` is imported only when a client is made."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from meadow.errors import LlmRequestError, scrub_secrets
from meadow.llm.tasks import Reply

if TYPE_CHECKING:
    import openai

    from meadow.llm.settings import LlmSettings

_PLACEHOLDER_KEY = "meadow-no-key"  # local servers need no key; the client insists on one


def make_client(settings: LlmSettings) -> openai.OpenAI:
    """The `openai` client for `settings`; the key comes from OPENAI_API_KEY, if set."""
    import openai

    return openai.OpenAI(
        api_key=os.environ.get("OPENAI_API_KEY") or _PLACEHOLDER_KEY,
        base_url=settings.base_url,
        max_retries=settings.max_retries,
        timeout=settings.timeout,
    )


def ask(
    client: openai.OpenAI,
    settings: LlmSettings,
    messages: Sequence[tuple[str, str]],
    secret: str | None,
) -> Reply:
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
    return Reply(text, tokens_in, tokens_out)


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
