"""Where meadow keeps things: everything lives under MEADOW_HOME (default ~/.cache/meadow)."""

from __future__ import annotations

import os
from pathlib import Path


def meadow_home() -> Path:
    """MEADOW_HOME, read at call time so tests and users can point it elsewhere."""
    return Path(os.environ.get("MEADOW_HOME") or Path.home() / ".cache" / "meadow").expanduser()


def store_root() -> Path:
    """Built mixtures: one folder per name, one subfolder per revision."""
    return meadow_home() / "store"


def source_cache_root() -> Path:
    """Per-source parquet caches, keyed by adapter version and raw-file hashes."""
    return meadow_home() / "cache" / "sources"


def downloads_root() -> Path:
    """Raw files downloaded by meadow, one folder per source."""
    return meadow_home() / "downloads"


def folder_size(path: Path) -> int:
    """Bytes of the files under `path` (a file's own size): what removing it frees."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
