"""The record, in a local revision's folder, of the Hub repos it was published to or
pulled from (`hub.json`): what `meadow show` lists and what the trainer pins."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meadow.store import read_json_file, revision_dir, update_json

PUBLISHED = "hub.json"  # in a revision folder: where and when it was published
_PUBLISHED_WHAT = "the Hub repos this revision was published to"


def record_publication(folder: Path, record: dict[str, Any]) -> None:
    """Add `record` to the revision's `hub.json`: one entry per repo, the latest last; a
    repo's entry takes the new record's values over its old ones (under a lock, so two
    pushes of one revision to two repos keep both)."""

    def add(data: Any) -> dict[str, Any]:
        entries = _entries(data)
        old = next((e for e in entries if e.get("repo_id") == record["repo_id"]), {})
        kept = [e for e in entries if e.get("repo_id") != record["repo_id"]]
        return {"publications": [*kept, {**old, **record}]}

    update_json(folder / PUBLISHED, add, what=_PUBLISHED_WHAT, empty={"publications": []})


def _entries(data: Any) -> list[dict[str, Any]]:
    """The entries of a `hub.json`; one written before it kept a list is one entry."""
    if isinstance(data, dict) and isinstance(data.get("publications"), list):
        return [e for e in data["publications"] if isinstance(e, dict)]
    if isinstance(data, dict) and "repo_id" in data:
        return [data]
    return []


def publications(name: str, revision: str | None = None) -> list[dict[str, Any]]:
    """Every Hub repo a local revision was published to or pulled from, one entry per
    repo (repo_id, config, and commit, tag, url, published_at for a push;
    pulled_revision for a pull), the latest last."""
    path = revision_dir(name, revision) / PUBLISHED
    return _entries(read_json_file(path, _PUBLISHED_WHAT)) if path.is_file() else []


def published(name: str, revision: str | None = None) -> dict[str, Any] | None:
    """Where a local revision was last published (repo, commit, tag), or None."""
    found = publications(name, revision)
    return found[-1] if found else None


__all__ = ["PUBLISHED", "publications", "published", "record_publication"]
