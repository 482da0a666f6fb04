"""Find a source's raw files: given by the user, or downloaded into the cache."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from meadow.errors import MissingRawFilesError, RawFileError
from meadow.paths import downloads_root
from meadow.sources.base import Source


def resolve_raw(source: Source, given: Path | None, *, download_missing: bool = True) -> Path:
    """The file or folder to parse for `source`.

    `--raw SOURCE=PATH` always wins. Otherwise a source whose raw files all have a public
    URL is downloaded (resumable, sha256-verified) into MEADOW_HOME/downloads/SOURCE;
    any other source stops with where to get its files and which flag takes them. With
    `download_missing=False`, only files already downloaded are used (nothing is fetched).
    """
    if given is not None:
        path = Path(given).expanduser()
        if not path.exists():
            raise RawFileError(
                path,
                f"no such file or folder (given for source {source.name!r}); "
                f"check the path in --raw {source.name}=PATH",
            )
        return path
    missing = MissingRawFilesError(source.name, source.how_to_get or "see the source's homepage.")
    if source.raw_files and all(f.url for f in source.raw_files):
        folder = downloads_root() / source.name
        if not download_missing and not all((folder / f.name).is_file() for f in source.raw_files):
            raise missing
        from meadow.download import download  # httpx only when something is fetched

        folder.mkdir(parents=True, exist_ok=True)
        paths = [
            download(f.url, folder / f.name, sha256=f.sha256, source=source.name)
            for f in source.raw_files
        ]
        return paths[0] if len(paths) == 1 else folder
    raise missing


FOUND = "found"
WILL_DOWNLOAD = "will download"
MUST_BE_GIVEN = "must be given"


@dataclass(frozen=True)
class RawCheck:
    """Where one source's raw files would come from if the build ran now.

    Attributes:
        source: the source's name.
        status: `found` (given, or downloaded before), `will download`, or `must be given`.
        where: the path found or given, or the URLs to download (space-separated).
        size: bytes found (a folder's files summed); None when not known before download.
        flag: the flag that takes the files (`--raw NAME=PATH`).
        how: for files that must be given, what is wrong or where to get them.
    """

    source: str
    status: str
    where: str
    size: int | None
    flag: str
    how: str = ""

    @property
    def missing(self) -> bool:
        """Whether the build would stop here: the user must give the files."""
        return self.status == MUST_BE_GIVEN


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def check_raw(sources: Mapping[str, Source], given: Mapping[str, Path | None]) -> list[RawCheck]:
    """What `resolve_raw` would do for every source at once, with nothing parsed or fetched.

    `given` holds each source's path from `--raw` or the recipe (None or absent: none).
    A build stops at its first missing source; this lets a user see them all in one go.
    """
    checks = []
    for name, source in sources.items():
        flag = f"--raw {name}=PATH"
        path = given.get(name)
        how = source.how_to_get or "see the source's homepage."
        if path is not None:
            path = Path(path).expanduser()
            if path.exists():
                checks.append(RawCheck(name, FOUND, str(path), _size(path), flag))
            else:
                problem = f"no such file or folder: {path}"
                checks.append(RawCheck(name, MUST_BE_GIVEN, str(path), None, flag, problem))
            continue
        if source.raw_files and all(f.url for f in source.raw_files):
            folder = downloads_root() / name
            files = [folder / f.name for f in source.raw_files]
            if all(f.is_file() for f in files):
                where = str(files[0] if len(files) == 1 else folder)
                checks.append(RawCheck(name, FOUND, where, sum(_size(f) for f in files), flag))
            else:
                urls = " ".join(str(f.url) for f in source.raw_files)
                checks.append(RawCheck(name, WILL_DOWNLOAD, urls, None, flag))
            continue
        fetched = downloads_root() / name  # `meadow fetch` saves pages here by default
        if fetched.is_dir() and any(p.is_file() for p in fetched.iterdir()):
            how = f"{fetched} holds fetched files ({_size(fetched):,} bytes): pass that folder"
        checks.append(RawCheck(name, MUST_BE_GIVEN, "", None, flag, how))
    return checks
