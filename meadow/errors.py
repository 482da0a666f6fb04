"""The few error types meadow raises on purpose.

Each carries what a user needs to fix the problem (the file, the row, the recipe key),
and its message is one line: the CLI prints it as it is and exits non-zero.
"""

from __future__ import annotations

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
        super().__init__(f"unknown source {name!r}; available: {', '.join(known) or 'none'}")

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
