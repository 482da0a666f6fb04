"""The local store under concurrency and crashes (issue 14, section 6).

Each case runs real builds (the `local` source over a small JSON lines file) or real store
updates, in real processes, and says what the store holds afterwards.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

from meadow import build
from meadow.errors import MeadowError
from meadow.recipe import Recipe, SourceSpec

WRITERS = 4
UPDATES = 50

_WRITER = """
import sys
from pathlib import Path
from meadow.store import adopt_revision
writer, folder = int(sys.argv[1]), Path(sys.argv[2])
for k in range({updates}):
    adopt_revision("busy", f"{{writer:02d}}{{k:06d}}", folder)
"""


def _rows(path: Path, outputs: list[str]) -> Path:
    rows = [
        {"instruction": "Answer.", "input": f"q {i}?", "output": o} for i, o in enumerate(outputs)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _recipe(name: str, raw: Path, seed: int = 42) -> Recipe:
    return Recipe(name=name, sources={"local": SourceSpec("local", raw=raw)}, seed=seed)


def concurrent_refs_updates(work: Path) -> str:
    """4 processes point one name at 50 revisions each, all at once."""
    folder = work / "revision"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    script = _WRITER.format(updates=UPDATES)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(w), str(folder)], stderr=subprocess.PIPE
        )
        for w in range(WRITERS)
    ]
    errors = [p.communicate()[1].decode().strip().splitlines()[-1:] for p in writers]
    failed = [e[0] for e in errors if e]
    refs = Path(os.environ["MEADOW_HOME"]) / "store" / "busy" / "refs.json"
    try:
        history = json.loads(refs.read_text())["history"]
    except ValueError as exc:
        return f"refs.json is not valid JSON: {exc}"
    kept = len({h["revision"] for h in history})
    said = f"; {len(failed)} writers failed: {failed[0]}" if failed else ""
    return f"{kept} of {WRITERS * UPDATES} history entries kept, refs.json parses{said}"


def stale_temporary_folders(work: Path) -> str:
    """Folders of a build killed with SIGKILL (its pid gone) in the cache and the store,
    and one of a live process; then a build."""
    home = Path(os.environ["MEADOW_HOME"])
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    dead = int(done.stdout)
    host = "".join(c if c.isalnum() or c == "." else "_" for c in socket.gethostname())
    stale = [
        home / "cache" / "sources" / "local" / f".tmp-0123abcd-{host}-{dead}",
        home / "store" / "mix" / f".tmp-89abcdef-{dead}",
    ]
    for folder in stale:
        folder.mkdir(parents=True)
        (folder / "part-00000.parquet").write_bytes(b"\0" * (1 << 20))
    live = home / "store" / "mix" / f".tmp-fedcba98-{host}-{os.getpid()}"
    live.mkdir(parents=True)
    said: list[str] = []

    class Said(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            said.append(record.getMessage())

    handler = Said(logging.WARNING)
    logging.getLogger("meadow.build").addHandler(handler)
    try:
        result = build(_recipe("mix", _rows(work / "rows.jsonl", ["a", "b", "c"])))
    finally:
        logging.getLogger("meadow.build").removeHandler(handler)
    gone = sum(not f.exists() for f in stale)
    message = next((m for m in said if "stale" in m), "no message")
    return (
        f"built: {result.rows} rows; {gone} of {len(stale)} stale folders gone, "
        f"live one {'kept' if live.is_dir() else 'REMOVED'}; {message}"
    )


def every_row_skipped(work: Path) -> str:
    """A good build, then one of the same name whose every row has an empty answer."""
    good = build(_recipe("mix", _rows(work / "good.jsonl", ["a", "b", "c"])))
    try:
        bad = build(_recipe("mix", _rows(work / "bad.jsonl", ["", " ", ""]), seed=7))
    except MeadowError as err:
        result = f"{type(err).__name__}: {err}"
    else:
        result = f"built: {bad.rows} rows"
    from meadow.store import read_manifest

    latest = read_manifest("mix")["revision"]
    return f"{result}; latest {'unchanged' if latest == good.revision else 'MOVED'}"


CASES = {
    "refs-4-writers-x-50-updates": concurrent_refs_updates,
    "stale-tmp-folders-of-a-killed-build": stale_temporary_folders,
    "build-every-row-skipped": every_row_skipped,
}
