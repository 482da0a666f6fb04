"""A dict of waiting values that spills to a temporary SQLite file past a memory budget.

For a source that pairs items appearing far apart in one file (a question and its
answer): the half read first waits here until its other half comes, and memory stays
flat however long it waits. Not a source itself; the registry finds nothing here.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson


class PendingStore:
    """Values (JSON-able dicts) waiting by integer key, popped once.

    Kept in a dict while `size` of what waits is under `budget` bytes; beyond that every
    waiting value is moved into a temporary SQLite file (under a folder named `prefix…`),
    removed by `close`.
    """

    def __init__(self, budget: int, *, size: Callable[[dict[str, Any]], int], prefix: str):
        self._budget = budget
        self._size = size
        self._prefix = prefix
        self._memory: dict[int, dict[str, Any]] = {}
        self._bytes = 0
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._db: sqlite3.Connection | None = None
        self._on_disk = 0

    def put(self, key: int, value: dict[str, Any]) -> None:
        """Let `value` wait under `key` (replacing what waited there)."""
        self._memory[key] = value
        self._bytes += self._size(value)
        if self._bytes > self._budget:
            self._spill()

    def pop(self, key: int) -> dict[str, Any] | None:
        """The value waiting under `key`, no longer waiting; None when none is."""
        value = self._memory.pop(key, None)
        if value is not None:
            self._bytes -= self._size(value)
            return value
        if not self._on_disk:
            return None
        assert self._db is not None
        found = self._db.execute("SELECT value FROM pending WHERE key = ?", (key,)).fetchone()
        if found is None:
            return None
        self._db.execute("DELETE FROM pending WHERE key = ?", (key,))
        self._on_disk -= 1
        return orjson.loads(found[0])

    def __len__(self) -> int:
        return len(self._memory) + self._on_disk

    def _spill(self) -> None:
        if self._db is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=self._prefix)
            self._db = sqlite3.connect(Path(self._tmp.name) / "pending.sqlite")
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute("CREATE TABLE pending (key INTEGER PRIMARY KEY, value BLOB)")
        self._db.executemany(
            "INSERT OR REPLACE INTO pending VALUES (?, ?)",
            ((key, orjson.dumps(value)) for key, value in self._memory.items()),
        )
        self._on_disk = self._db.execute("SELECT count(*) FROM pending").fetchone()[0]
        self._memory.clear()
        self._bytes = 0

    def close(self) -> None:
        """Remove the SQLite file, if there is one."""
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
