"""Temporary folders a build writes into, and the ones a killed build leaves behind.

A source cache or a store revision is written into `PARENT/.tmp-KEY-HOST-PID` and renamed
into place only when complete. While a folder is in use its lock file (`….lock`, beside
it) is held; the operating system releases that lock when the process ends, even on
SIGKILL. So the next build can tell an abandoned folder from one another build is still
writing: the lock is free, and, on this host, process PID is gone too (both must hold; a
folder of another host is judged by its lock alone, which needs a file system with working
locks). A folder named the old way (`.tmp-KEY-PID`, no host, no lock file) is judged by
its PID on this host.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

_TMP = re.compile(r"^\.tmp-(?P<key>[^-]+)-(?:(?P<host>.+)-)?(?P<pid>\d+)$")


def _host() -> str:
    """This machine's name as it goes into a folder name (no dashes: they separate parts)."""
    return re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname()) or "localhost"


def _lock_file(folder: Path) -> Path:
    return folder.with_name(folder.name + ".lock")


def _alive(pid: int) -> bool:
    """Whether process `pid` exists on this host (it may be another user's)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OverflowError:
        return False
    return True


@contextmanager
def work_dir(parent: Path, key: str) -> Iterator[Path]:
    """A fresh, empty `parent/.tmp-KEY-HOST-PID`, held while the block runs.

    The block renames the folder into place when its content is complete; whatever is
    left of it on the way out (an error, an interrupt) is removed.
    """
    parent.mkdir(parents=True, exist_ok=True)
    folder = parent / f".tmp-{key}-{_host()}-{os.getpid()}"
    lock = FileLock(_lock_file(folder))
    try:
        with lock:
            shutil.rmtree(folder, ignore_errors=True)  # this process's own, from an earlier try
            folder.mkdir()
            try:
                yield folder
            finally:
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        _lock_file(folder).unlink(missing_ok=True)


def _abandoned(folder: Path, host: str | None, pid: int) -> bool:
    """Remove `folder` if its owner is gone; whether it was removed."""
    lock_file = _lock_file(folder)
    had_lock_file = lock_file.exists()  # not for a folder of an older meadow
    lock = FileLock(lock_file, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return False  # a build is writing it
    try:
        if (host is None or host == _host()) and _alive(pid):
            return False
        if not folder.is_dir():  # finished (renamed) or removed while we waited
            return False
        shutil.rmtree(folder, ignore_errors=True)
        return not folder.exists()
    finally:
        lock.release()
        if not had_lock_file or not folder.exists():
            lock_file.unlink(missing_ok=True)


def remove_stale(parents: Iterable[Path]) -> list[Path]:
    """Remove the temporary folders in `parents` whose build is gone; return them."""
    removed: list[Path] = []
    for parent in parents:
        try:
            entries = sorted(parent.iterdir())
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            match = _TMP.match(entry.name)
            if match is None or not entry.is_dir() or entry.is_symlink():
                continue
            if _abandoned(entry, match["host"], int(match["pid"])):
                removed.append(entry)
    return removed
