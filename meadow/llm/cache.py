"""The reply cache: raw replies and usage in SQLite, keyed by model, prompt version and
input, so a rerun or a crash never pays twice."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from meadow.llm.prompts import FIELDS, PROMPT_VERSIONS
from meadow.llm.tasks import Item, LlmTask, Reply
from meadow.paths import meadow_home


def default_cache_path() -> Path:
    """Where the LLM step keeps its replies unless told otherwise (`meadow cache clean --llm`
    removes it, with its `-wal`/`-shm` files)."""
    return meadow_home() / "llm" / "cache.sqlite"


def input_id(model: str, task: LlmTask) -> str:
    """sha256 of model, prompt version, kind and the prompt's fields, as canonical JSON."""
    fields = {name: task.fields[name] for name in FIELDS[task.kind]}
    payload = [model, PROMPT_VERSIONS[task.kind], task.kind, fields]
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ReplyCache:
    """Raw replies and usage in SQLite (WAL, autocommit: each reply is durable at once)."""

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS replies (
            id TEXT PRIMARY KEY,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            kind TEXT NOT NULL,
            reply TEXT NOT NULL,
            input_tokens INTEGER,
            output_tokens INTEGER,
            created TEXT NOT NULL
        )"""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(self._SCHEMA)

    @staticmethod
    def peek(path: Path, items: Sequence[Item]) -> set[str]:
        """The ids of `items` already cached, read without creating or changing anything."""
        if not path.exists() or not items:
            return set()
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            return {row[0] for row in _select(db, "id", {item.id for item in items})}
        except sqlite3.OperationalError:  # not our table (yet): nothing cached
            return set()
        finally:
            db.close()

    def get_many(self, ids: set[str]) -> dict[str, Reply]:
        """The cached replies among `ids`, by id."""
        rows = _select(self._db, "id, reply, input_tokens, output_tokens", ids)
        return {row[0]: Reply(row[1], row[2], row[3]) for row in rows}

    def put(self, item: Item, model: str, reply: Reply) -> None:
        """Store one reply at once, so a crash later loses nothing already paid for."""
        self._db.execute(
            "INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                item.id,
                model,
                PROMPT_VERSIONS[item.task.kind],
                item.task.kind,
                reply.text,
                reply.input_tokens,
                reply.output_tokens,
                datetime.now(timezone.utc).isoformat(timespec="seconds"),
            ),
        )

    def __enter__(self) -> ReplyCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()


def _select(db: sqlite3.Connection, columns: str, ids: set[str]) -> list[tuple]:
    ordered = sorted(ids)
    rows: list[tuple] = []
    for start in range(0, len(ordered), 500):  # SQLite caps the number of parameters
        chunk = ordered[start : start + 500]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT {columns} FROM replies WHERE id IN ({marks})"
        rows.extend(db.execute(query, chunk).fetchall())
    return rows
