"""The few error types meadow raises on purpose.

Each carries what a user needs to fix the problem (the file, the row, the recipe key),
and its message is one line: the CLI prints it as it is and exits non-zero.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path


class MeadowError(Exception):
    """Base of every error meadow raises deliberately."""

    def __reduce__(self):  # keyword-style __init__s would not survive pickling otherwise
        return (_rebuild_error, (self.__class__, self.args, self.__dict__))


def _rebuild_error(cls: type[MeadowError], args: tuple, state: dict) -> MeadowError:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class UnknownSourceError(MeadowError, KeyError):
    def __init__(self, name: str, known: list[str]):
        self.name = name
        self.known = known
        hint = did_you_mean(name, known)
        super().__init__(f"unknown source {name!r}{hint}; available: {', '.join(known) or 'none'}")

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return self.args[0]


class RawFileError(MeadowError):
    """A raw file that cannot be read at all (not a row that can be skipped)."""

    def __init__(self, path: str | Path, problem: str, *, row: int | str | None = None):
        self.path = Path(path)
        self.problem = problem
        self.row = row
        where = f"{self.path}" + (f", row {row}" if row is not None else "")
        super().__init__(f"{where}: {problem}")


class MissingRawFilesError(MeadowError):
    """A source's raw files are neither given with --raw nor downloadable."""

    def __init__(self, source: str, how_to_get: str):
        self.source = source
        self.how_to_get = how_to_get
        super().__init__(
            f"source {source!r} needs its raw files: {how_to_get} "
            f"Then pass them with --raw {source}=PATH."
        )


class DownloadError(MeadowError):
    def __init__(self, url: str, problem: str, *, source: str | None = None):
        self.url = url
        self.problem = problem
        self.source = source
        hint = f" Download it yourself and pass --raw {source}=PATH." if source else ""
        super().__init__(f"cannot download {url}: {problem}.{hint}")


class EmptyBuildError(MeadowError):
    """A build that would publish no rows at all: nothing is written, `latest` stays."""


class HubError(MeadowError):
    """The Hub refused or failed a request (after retries): one clear line, never the token."""


class RecipeError(MeadowError):
    """A recipe (YAML or command-line override) that cannot be used; names the key."""

    def __init__(self, key: str, problem: str, *, recipe: str | None = None):
        self.key = key
        self.problem = problem
        self.recipe = recipe
        where = f"recipe {recipe}: " if recipe else ""
        super().__init__(f"{where}{key}: {problem}")


class MixtureNotFoundError(MeadowError, FileNotFoundError):
    def __init__(self, name: str, revision: str | None = None, *, known: list[str] | None = None):
        self.name = name
        self.revision = revision
        if revision:
            msg = f"mixture {name!r} has no revision {revision!r}"
            if known:
                msg += f"; revisions: {', '.join(known)}"
        else:
            msg = f"no mixture named {name!r} in the local store"
            msg += f"; built: {', '.join(known)}" if known else "; build one with `meadow build`"
        super().__init__(msg)

    def __str__(self) -> str:
        return self.args[0]


_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def excerpt(content: str | bytes, limit: int = 80) -> str:
    """A piece of a file, safe to put in a one-line error message.

    Raw file content may hold terminal escape sequences (`\\x1b]0;…\\x1b[2J` retitles and
    clears a terminal), line breaks that would split the message, or megabytes of text.
    Every character that is not printable (control and format characters, line and
    paragraph separators, bytes that are not UTF-8) is written as its `repr` escape
    (`\\x1b`, `\\n`, `\\u202e`), and the result holds at most `limit` characters, then `…`
    when the content goes on. Only the first `4 * limit` bytes are looked at, so the cost
    does not depend on the content's size.
    """
    if isinstance(content, bytes | bytearray | memoryview):
        text = bytes(content[: 4 * limit + 4]).decode("utf-8", "backslashreplace")
        more = len(content) > 4 * limit + 4
    else:
        text, more = content[: limit + 1], len(content) > limit + 1
    pieces: list[str] = []
    used = 0
    for char in text:
        piece = char if char.isprintable() else _SHORT_ESCAPES.get(char) or repr(char)[1:-1]
        if used + len(piece) > limit:
            return "".join(pieces) + "…"
        pieces.append(piece)
        used += len(piece)
    return "".join(pieces) + ("…" if more else "")


_SECRET_PATTERNS = re.compile(
    r"\bhf_[A-Za-z0-9]{30,}"  # Hugging Face tokens (hf_ and 34 letters and digits)
    r"|\b(?:sk|rk)-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_]{16,}"  # OpenAI keys: sk-…, sk-proj-…
    r"|(?<=Bearer )[^\s\"',;]+"  # any bearer credential (Authorization headers)
    r"|(?<=Basic )[A-Za-z0-9+/=]{8,}",
    re.IGNORECASE,
)
SECRET_ENV = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "OPENAI_API_KEY")


def scrub_secrets(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` with every token-like secret replaced by `***`, to print it safely.

    Masked: the given `secrets` and the values of HF_TOKEN, HUGGING_FACE_HUB_TOKEN and
    OPENAI_API_KEY, wherever they appear; and anything shaped like a secret: `hf_` tokens,
    OpenAI `sk-…` keys, the credential after `Bearer ` or `Basic `. Code identifiers such
    as `hf_hub_download` are not token-shaped and stay.
    """
    values = {value for value in (*secrets, *map(os.environ.get, SECRET_ENV)) if value}
    for value in sorted(values, key=len, reverse=True):  # a token inside a longer one
        if len(value.strip()) >= 6:
            text = text.replace(value, "***")
    return _SECRET_PATTERNS.sub("***", text)


class ManifestError(MeadowError):
    """A manifest.json that does not match the manifest's type (meadow.manifest)."""

    def __init__(self, path: str | Path, key: str, problem: str):
        self.path = str(path)
        self.key = key
        where = f"{self.path}, key {key!r}" if key else self.path
        super().__init__(f"{where}: {problem}")


class CardError(MeadowError):
    """A dataset card (or a repo's README) whose YAML metadata meadow cannot read or write."""


class HttpError(MeadowError):
    """A request that failed after its last try; `status` is None when no answer came."""

    def __init__(self, url: str, problem: str, *, status: int | None = None):
        self.url = url
        self.problem = problem
        self.status = status
        super().__init__(f"{url}: {problem}")


class PageListError(MeadowError):
    """An entry of the page list that cannot be crawled as given (checked before any request)."""

    def __init__(self, file_name: str, url: str, problem: str):
        self.file_name = file_name
        self.url = url
        self.problem = problem
        super().__init__(f"page {file_name!r} ({url}): {problem}")


class StoreFileError(MeadowError):
    """A bookkeeping file of the local store that is not valid JSON (refs.json, hub.json)."""

    def __init__(self, path: Path, what: str, cause: Exception):
        self.path = path
        detail = str(cause).splitlines()[0][:120] if str(cause) else type(cause).__name__
        super().__init__(f"{path} is damaged ({detail}): it holds {what}; {_REPAIR}")


_REPAIR = (
    "the revisions beside it are intact: build the mixture again to rewrite it "
    "(the damaged file is kept as *.damaged)"
)


class LlmRequestError(MeadowError):
    """A request that cannot succeed as configured: bad key, model or URL, retries spent,
    or a malformed reply. `status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, status: int | None = None):
        self.status = status
        super().__init__(message)


class LlmBudgetError(MeadowError):
    """The next request would pass `max_cost`; everything answered so far is cached."""

    def __init__(self, message: str, *, done: int = 0, left: int = 0, spent: float = 0.0):
        self.done = done
        self.left = left
        self.spent = spent
        super().__init__(message)


class BenchmarkMissingError(MeadowError):
    """A benchmark that decontamination must check has no raw files."""

    def __init__(self, name: str, how_to_get: str):
        self.name = name
        super().__init__(
            f"decontamination against {name!r} needs its raw files: {how_to_get} "
            f"Then pass them with --raw {name}=PATH."
        )


class ConfigError(MeadowError):
    """A training config (YAML or flag) that cannot be used; names the key."""

    def __init__(self, key: str, problem: str, *, origin: str | None = None):
        self.key = key
        self.problem = problem
        self.origin = origin
        where = f"train config {origin}: " if origin else ""
        super().__init__(f"{where}{key}: {problem}")


class TrainError(MeadowError):
    """Training cannot start or finish for a reason the user can fix (one line)."""


class TemplateError(MeadowError):
    """An unknown template name, or a template the tokenizer cannot serve."""


class EvalError(MeadowError):
    """An evaluation that cannot start or go on for a reason the user can fix (one line)."""


class StoreError(MeadowError):
    """The local store cannot do what was asked: a bad mixture name, a file a revision
    does not hold, or a write that did not come out as planned."""


class LoadMixtureError(MeadowError):
    """`load_mixture` called with arguments that cannot work together; says the call that
    would."""


class MixerError(MeadowError):
    """The mixer was asked to mix sources it has no parsed data for."""


class SourceRegistrationError(MeadowError):
    """Two sources with one name, or a source plugin that cannot be loaded as registered."""


class AuditError(MeadowError):
    """An audit with nothing to check against, or a target that is neither a file, a
    built mixture nor a Hub repo with --name."""


class FetchError(MeadowError):
    """A crawl that cannot start (the source has no page crawler) or saved no page."""


class SourceNotFoundError(UnknownSourceError):
    """`meadow sources NAME` (or `cache clean --source`) with a name no source has; the
    closest names come first."""

    def __init__(self, name: str, known: list[str], close: list[str]):
        super().__init__(name, known)
        hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
        self.args = (f"unknown source {name!r}; {hint}available: {', '.join(known) or 'none'}",)


class ConfirmationError(MeadowError):
    """A command that deletes files, run without a terminal to ask on and without --yes."""


class ModelSourceError(TrainError):
    """A base model that is neither a folder here nor one the Hub can serve now: a path
    that does not exist, or a Hub id while the Hub cannot be reached (says what to do)."""


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """`" (did you mean 'textbook'?)"` when `word` is a likely typo of one of `known`, else
    "": the hint every "unknown X" message appends."""
    import difflib

    match = difflib.get_close_matches(str(word), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


class HubUnreachableError(HubError):
    """No answer from the Hub at all (no network, a wrong HF_ENDPOINT): names the endpoint
    that was tried, not the transport's `ConnectError`."""

    def __init__(self, endpoint: str, what: str, reason: str):
        self.endpoint = endpoint
        super().__init__(
            f"cannot reach the Hub at {endpoint} to {what} ({reason}): check the network "
            "connection, or HF_ENDPOINT if you set it, and try again"
        )
