"""Where a base model comes from, checked before torch is even imported: a folder that
is not there, or a Hub id while the Hub cannot be reached, is one line in a second, not
huggingface_hub's "Repo id must …" or a minute of connection retries.
"""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from meadow.errors import ModelSourceError


def offline() -> bool:
    """Whether the Hub must not be asked (HF_HUB_OFFLINE, read now, not at import)."""
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE", "").strip().lower()
    return value in {"1", "true", "yes", "on"} or bool(constants.HF_HUB_OFFLINE)


HUB_PROBE_TIMEOUT = 3.0
"""Seconds to wait for the Hub before saying it cannot be reached (instead of ~50 s of
huggingface_hub's retries)."""

_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+|[A-Za-z0-9][\w.-]*")


def looks_like_path(name: str) -> bool:
    """Whether `name` means a folder, not a Hub id: it starts with ./, ../, / or ~, has a
    separator but is not ORG/NAME, or its first part is a folder here."""
    text = str(name)
    if text.startswith((".", "/", "~")) or (os.altsep and text.startswith(os.altsep)):
        return True
    separators = {os.sep, os.altsep or os.sep}
    if any(sep in text for sep in separators - {"/"}) or not _HUB_ID.fullmatch(text):
        return True
    return "/" in text and Path(text.split("/", 1)[0]).is_dir()


def check_model_source(name: str) -> None:
    """Fail in a second, in one line, where loading `name` would fail slowly or cryptically:
    a path that is not there ("no such folder"), or a Hub id while the Hub cannot be
    reached (huggingface_hub would retry for about a minute). The Hub is asked once per
    endpoint and process, and not at all offline (HF_HUB_OFFLINE) or for a folder."""
    path = Path(str(name)).expanduser()
    if path.exists():
        return
    if looks_like_path(name):
        raise ModelSourceError(
            f"no such folder: {path.absolute()} (from {name!r}); pass a model folder (e.g. one "
            "`meadow init-model --tiny PATH` wrote) or a Hub model id ORG/NAME"
        )
    if offline():
        return
    endpoint = hub_endpoint()
    problem = _hub_unreachable(endpoint)
    if problem:
        raise ModelSourceError(
            f"the Hub ({endpoint}) cannot be reached ({problem}), so {name!r} cannot be "
            "downloaded: set HF_HUB_OFFLINE=1 to use the local cache, or pass a local folder; "
            f"to get it where there is a network: hf download {name}"
        )


def hub_endpoint() -> str:
    """The Hub's address: HF_ENDPOINT as it is now, else huggingface_hub's."""
    from huggingface_hub import constants

    return (os.environ.get("HF_ENDPOINT") or constants.ENDPOINT).rstrip("/")


@functools.lru_cache(maxsize=8)
def _hub_unreachable(endpoint: str) -> str | None:
    """Why the Hub at `endpoint` cannot be reached (one short try), or None when it answers
    at all (any HTTP status: only the connection matters here)."""
    import httpx

    try:
        httpx.head(endpoint, timeout=HUB_PROBE_TIMEOUT, follow_redirects=False)
    except httpx.TimeoutException:
        return f"no answer in {HUB_PROBE_TIMEOUT:g} s"
    except (httpx.HTTPError, OSError) as error:
        return (str(error).strip().splitlines() or [type(error).__name__])[0]
    return None


__all__ = ["HUB_PROBE_TIMEOUT", "check_model_source", "hub_endpoint", "looks_like_path", "offline"]
