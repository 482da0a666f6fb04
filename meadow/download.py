"""Resumable, checksum-verified downloads of raw files.

A download streams into `NAME.part` next to its destination and is renamed into place only
when it is complete and its sha256 matches, so a file at `dest` is always whole. An
interrupted download (Ctrl-C, a dropped connection) keeps its `.part` and the next call
resumes it with a `Range` request. Transient failures are retried by `meadow.http`.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from meadow.errors import DownloadError, HttpError
from meadow.file_hashes import sha256_file as remembered_sha256
from meadow.file_hashes import sha256_of
from meadow.http import (
    TRANSIENT_ERRORS,
    backoff_delay,
    describe,
    make_client,
    request_with_retries,
)

CHUNK_SIZE = 1 << 20  # 1 MiB: large enough that hashing and writing run at disk speed

Progress = Callable[[int, int | None], None]
"""Called with (bytes done, total bytes or None when the server does not say)."""


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (memory stays flat for any size)."""
    return sha256_of(Path(path)).hexdigest()


def _error(url: str, problem: str, source: str | None) -> DownloadError:
    # DownloadError adds the --raw hint only when it knows the source; say it anyway.
    if source is None:
        problem += "; download it yourself and pass it with --raw SOURCE=PATH"
    return DownloadError(url, problem, source=source)


def _range_start(response: httpx.Response) -> int | None:
    # "Content-Range: bytes 100-199/200" -> 100
    value = response.headers.get("Content-Range", "")
    unit, _, rest = value.partition(" ")
    start = rest.partition("-")[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def download(
    url: str,
    dest: Path,
    *,
    sha256: str | None = None,
    source: str | None = None,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    max_retries: int = 4,
    sleep: Callable[[float], None] = time.sleep,
) -> Path:
    """Download `url` to `dest`, resuming a previous attempt and verifying `sha256`.

    Nothing is requested when `dest` already exists and matches `sha256` (or no checksum
    is given; its digest is remembered while the file is unchanged, `meadow.file_hashes`).
    `source` names the source in error messages so they say which
    `--raw SOURCE=PATH` to pass instead. `client` defaults to `meadow.http.make_client()`;
    `sleep` is injectable so tests can record the waits between retries.

    Raises:
        DownloadError: the server cannot be reached or refuses the file, the connection
            kept dropping (the `.part` is kept for the next try), or the checksum does
            not match (the download is deleted).
    """
    dest = Path(dest)
    expected = sha256.lower() if sha256 else None
    if dest.is_file() and (expected is None or remembered_sha256(dest) == expected):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")

    owns_client = client is None
    client = client or make_client()
    try:
        digest = _fetch(
            client,
            url,
            part,
            hashed=expected is not None,
            progress=progress,
            max_retries=max_retries,
            sleep=sleep,
            source=source,
        )
    finally:
        if owns_client:
            client.close()

    if expected is not None:
        got = digest.hexdigest()
        if got != expected:
            part.unlink(missing_ok=True)
            raise _error(
                url, f"sha256 mismatch: expected {expected}, got {got}; deleted the file", source
            )
    os.replace(part, dest)
    return dest


def _fetch(
    client: httpx.Client,
    url: str,
    part: Path,
    *,
    hashed: bool,
    progress: Progress | None,
    max_retries: int,
    sleep: Callable[[float], None],
    source: str | None,
) -> hashlib._Hash:
    """Bring `part` to the complete file; return the sha256 of what it holds.

    A body cut short is resumed from where it stopped, up to `max_retries` times.
    """
    for attempt in range(max_retries + 1):
        offset = part.stat().st_size if part.is_file() else 0
        headers = {"Accept-Encoding": "identity"}  # the bytes as stored, so ranges line up
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = request_with_retries(
                client,
                "GET",
                url,
                headers=headers,
                max_retries=max_retries,
                sleep=sleep,
                stream=True,
            )
        except HttpError as error:
            raise _error(url, error.problem, source) from error
        try:
            status = response.status_code
            if status == 416 and offset:  # nothing left past our offset: the .part is whole
                return sha256_of(part) if hashed else hashlib.sha256()
            if status == 206 and offset and _range_start(response) == offset:
                append = True
            elif 200 <= status < 300 and status != 206:  # the server ignored Range: restart
                append = False
            elif status == 206:  # a range we did not ask for: start over cleanly
                part.unlink(missing_ok=True)
                continue
            else:
                raise _error(url, f"HTTP {status} {response.reason_phrase}".rstrip(), source)
            try:
                return _save_body(response, part, append=append, hashed=hashed, progress=progress)
            except TRANSIENT_ERRORS as error:
                if attempt == max_retries:
                    got = part.stat().st_size if part.is_file() else 0
                    problem = f"{describe(error, url)} after {got} bytes"
                    raise _error(
                        url, f"{problem} (kept the .part; run again to resume)", source
                    ) from error
                sleep(backoff_delay(attempt))
        finally:
            response.close()
    raise _error(url, "the server kept answering with unexpected ranges", source)


def _save_body(
    response: httpx.Response,
    part: Path,
    *,
    append: bool,
    hashed: bool,
    progress: Progress | None,
) -> hashlib._Hash:
    """Write the body to `part` (appending to a resumed one), hashing as it streams."""
    done = part.stat().st_size if append else 0
    length = response.headers.get("Content-Length")
    total = done + int(length) if length and length.isdigit() else None
    digest = sha256_of(part) if hashed and append else hashlib.sha256()
    with open(part, "ab" if append else "wb") as f:
        for chunk in response.iter_raw():  # as received: a cut leaves every byte on disk
            f.write(chunk)
            if hashed:
                digest.update(chunk)
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        f.flush()
        os.fsync(f.fileno())
    if total is not None and done < total:
        raise httpx.RemoteProtocolError(f"body ended after {done} of {total} bytes")
    return digest
