"""Find a source's raw files: given by the user, or downloaded into the cache."""

from __future__ import annotations

from pathlib import Path

from meadow.download import download
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
        folder.mkdir(parents=True, exist_ok=True)
        paths = [
            download(f.url, folder / f.name, sha256=f.sha256, source=source.name)
            for f in source.raw_files
        ]
        return paths[0] if len(paths) == 1 else folder
    raise missing
