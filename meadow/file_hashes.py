"""The sha256 of raw files, remembered so an unchanged file is not read again.

A build keys its parse caches and its revision by the sha256 of every raw file; reading
gigabytes to find them unchanged is most of an identical rebuild. Each digest is kept in
MEADOW_HOME/cache/file-hashes.sqlite with the file's absolute path, size, mtime, ctime and
inode, and is trusted only while all of them still match: a file touched, replaced or
rewritten is hashed again. A digest taken while the file's mtime was within `RACY_SECONDS`
of the hash is not trusted either (the file may have changed again within the same clock
tick), so such a file is hashed once more by the next build, as git does for its index.

The cache only ever saves time: a damaged file is put aside and started afresh, and a
database busy for too long (another build writing) or not writable is skipped for this run. Within
`rehashing()` (`meadow build --rehash`) every file is read and its entry refreshed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from contextvars import ContextVar
from pathlib import Path

from meadow.paths import meadow_home

logger = logging.getLogger("meadow.file_hashes")

CHUNK_SIZE = 1 << 20
RACY_SECONDS = 2
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS hashes (path TEXT PRIMARY KEY, size INTEGER, "
    "mtime_ns INTEGER, ctime_ns INTEGER, inode INTEGER, sha256 TEXT, hashed_ns INTEGER)"
)
_rehash: ContextVar[bool] = ContextVar("meadow_rehash", default=False)


def hashes_file() -> Path:
    """Where the remembered digests are."""
    return meadow_home() / "cache" / "file-hashes.sqlite"


@contextmanager
def rehashing(enabled: bool = True) -> Iterator[None]:
    """Within the block, every file is hashed again and its entry refreshed (`--rehash`)."""
    token = _rehash.set(enabled)
    try:
        yield
    finally:
        _rehash.reset(token)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of one file: the remembered one while the file is unchanged."""
    return sha256_files([Path(path)])[0]


def sha256_files(paths: Sequence[Path], *, workers: int = 1) -> list[str]:
    """Hex sha256 of each file of `paths`, in order; files not remembered (or changed
    since) are read, `workers` at a time, and remembered."""
    stats = [os.stat(p) for p in paths]
    keys = [os.path.abspath(p) for p in paths]  # the stat, not the path, tells a file apart
    known = {} if _rehash.get() else _lookup(keys)
    digests: list[str | None] = [
        _trusted(known.get(key), st) for key, st in zip(keys, stats, strict=True)
    ]
    todo = [i for i, d in enumerate(digests) if d is None]
    if todo:
        started = time.time_ns()
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:  # hashlib frees the GIL
            for i, digest in zip(todo, pool.map(lambda i: _read(paths[i]), todo), strict=True):
                digests[i] = digest
        _remember([(keys[i], stats[i], digests[i], started) for i in todo])
    return [d for d in digests if d is not None]


def sha256_of(path: Path) -> hashlib._Hash:
    """The sha256 state after reading the whole file in 1 MiB chunks (memory stays flat),
    uncached; a caller may go on updating it (a resumed download)."""
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK_SIZE)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buffer):
            digest.update(view[:n])
    return digest


def _read(path: Path) -> str:
    return sha256_of(path).hexdigest()


def _trusted(row: tuple | None, st: os.stat_result) -> str | None:
    """The remembered digest when the file is as it was when hashed, else None."""
    if row is None:
        return None
    size, mtime_ns, ctime_ns, inode, digest, hashed_ns = row
    if (size, mtime_ns, ctime_ns, inode) != (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino):
        return None
    if mtime_ns >= hashed_ns - RACY_SECONDS * 1_000_000_000:
        return None  # written too close to its hashing to be sure
    return digest if isinstance(digest, str) and len(digest) == 64 else None


def _connect() -> sqlite3.Connection:
    path = hashes_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=10)
    db.execute(_SCHEMA)
    return db


def _put_aside(error: sqlite3.DatabaseError) -> None:
    path = hashes_file()
    aside = path.with_name(path.name + ".damaged")
    try:
        os.replace(path, aside)
    except OSError:
        return
    logger.warning("%s is damaged (%s); kept it as %s and started it afresh", path, error, aside)


def _busy(error: sqlite3.DatabaseError) -> bool:
    """An error of the moment (another build writing, a folder not writable), not damage."""
    transient = ("locked", "busy", "unable to open", "readonly")
    return isinstance(error, sqlite3.OperationalError) and any(w in str(error) for w in transient)


def _lookup(keys: list[str]) -> dict[str, tuple]:
    found: dict[str, tuple] = {}
    try:
        with closing(_connect()) as db:
            query = (
                "SELECT size, mtime_ns, ctime_ns, inode, sha256, hashed_ns "
                "FROM hashes WHERE path = ?"
            )
            for key in keys:
                row = db.execute(query, (key,)).fetchone()
                if row is not None:
                    found[key] = row
    except sqlite3.DatabaseError as error:
        if not _busy(error):
            _put_aside(error)
        return {}
    except OSError:  # MEADOW_HOME not writable: every file is read
        return {}
    return found


def _remember(entries: list[tuple[str, os.stat_result, str | None, int]]) -> None:
    rows = [
        (key, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, digest, started)
        for key, st, digest, started in entries
    ]
    try:
        with closing(_connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO hashes VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    except sqlite3.DatabaseError as error:
        if not _busy(error):
            _put_aside(error)
    except OSError:
        pass


__all__ = ["hashes_file", "rehashing", "sha256_file", "sha256_files", "sha256_of"]
