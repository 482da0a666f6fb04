"""The local store: every build is a revision folder; a name points at its latest one.

    MEADOW_HOME/store/NAME/refs.json                      latest revision and history
    MEADOW_HOME/store/NAME/revisions/REV/data/NAME/train-00000-of-00001.parquet
    MEADOW_HOME/store/NAME/revisions/REV/manifest.json
    MEADOW_HOME/store/NAME/revisions/REV/README.md        the dataset card

A revision is written into a temporary folder and renamed into place only when complete,
and `refs.json` is replaced atomically after that: a failed build leaves every earlier
revision, and the name's pointer, as they were.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

from meadow.errors import LoadMixtureError, MixtureNotFoundError, StoreError, StoreFileError
from meadow.manifest import Manifest, read_dict
from meadow.manifest import read as read_revision_manifest
from meadow.manifest import write as write_manifest
from meadow.mixer import Selection
from meadow.paths import folder_size, store_root
from meadow.schema import (
    CONTAMINATION_COLUMN,
    SPLITS,
    arrow_schema_with_features,
    dataset_features,
)
from meadow.workdirs import work_dir

if TYPE_CHECKING:
    from meadow.quality import QualityRun

logger = logging.getLogger("meadow.store")

ROWS_PER_SHARD = 250_000
ROW_GROUP_ROWS = 10_000
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,95}$")


def check_name(name: str) -> str:
    """Mixture names become folder names and Hub config names: keep them plain."""
    if not _NAME.match(name or "") or ".." in name:
        raise StoreError(
            f"invalid mixture name {name!r}: use letters, digits, '.', '_', '+', '-' "
            "(at most 96 characters), e.g. --name my-mix"
        )
    return name


class SplitWriter:
    """Writes one split as parquet shards of fixed row-group size, whatever batches arrive.

    Row groups and shard boundaries depend only on the row count, so the same rows give
    byte-identical files however they were batched upstream.
    """

    def __init__(
        self,
        folder: Path,
        split: str,
        total_rows: int,
        rows_per_shard: int = ROWS_PER_SHARD,
        row_group_rows: int = ROW_GROUP_ROWS,
        *,
        flagged: bool = False,
    ):
        self.folder = folder
        self.split = split
        self.total_rows = total_rows
        self.n_shards = max(1, math.ceil(total_rows / rows_per_shard))
        self.rows_per_shard = math.ceil(total_rows / self.n_shards) if total_rows else 0
        self.row_group_rows = row_group_rows
        self.schema = arrow_schema_with_features(flagged)
        self.files: list[str] = []
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._rows_in_shard = 0
        self._written = 0

    def _next_chunk_size(self) -> int:
        return min(self.row_group_rows, self.rows_per_shard - self._rows_in_shard)

    def _open(self) -> pq.ParquetWriter:
        if self._writer is None:
            name = f"{self.split}-{len(self.files):05d}-of-{self.n_shards:05d}.parquet"
            self.files.append(name)
            self._writer = pq.ParquetWriter(self.folder / name, self.schema, compression="zstd")
        return self._writer

    def _emit(self, size: int) -> None:
        pending = pa.concat_tables(self._pending)
        chunk = pending.slice(0, size).combine_chunks()
        rest = pending.slice(size)
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows
        self._open().write_table(chunk.cast(self.schema), row_group_size=size)
        self._rows_in_shard += size
        self._written += size
        if self._rows_in_shard == self.rows_per_shard:
            self._writer.close()
            self._writer = None
            self._rows_in_shard = 0

    def write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows and self._pending_rows >= self._next_chunk_size():
            self._emit(self._next_chunk_size())

    def close(self) -> list[str]:
        if self._pending_rows:
            self._emit(self._pending_rows)
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if not self.files:  # an empty split is still a (valid, empty) file
            pq.write_table(
                self.schema.empty_table(),
                self.folder / f"{self.split}-00000-of-00001.parquet",
                compression="zstd",
            )
            self.files.append(f"{self.split}-00000-of-00001.parquet")
        if self._written != self.total_rows:
            raise StoreError(
                f"internal error: wrote {self._written} rows to split "
                f"{self.split!r}, expected {self.total_rows}"
            )
        return self.files


def _write_json(path: Path, data: Any) -> None:
    """Replace `path` atomically: the JSON goes to a temporary file of this writer's own,
    flushed to disk, then renamed over it (readers see the old file or the new one)."""
    text = json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json_file(path: Path, what: str) -> Any:
    """A JSON file of the store; a damaged one is a one-line error naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise StoreFileError(path, what, exc) from None


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold `path`'s lock file (`PATH.lock`, an OS lock) for a read-modify-write of it:
    concurrent builds and pushes of one name then never lose each other's entries."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(path.with_name(path.name + ".lock")):
        yield


def update_json(path: Path, change: Callable[[Any], Any], *, what: str, empty: Any) -> Any:
    """Read `path` (`empty` when missing), `change` it and write it back, under its lock.

    A damaged file (a crash of an older meadow, a hand edit) is kept aside as
    `PATH.damaged` with a warning, and `change` starts from `empty`.
    """
    with locked(path):
        try:
            data = read_json_file(path, what) if path.is_file() else empty
        except StoreFileError as err:
            aside = path.with_name(path.name + ".damaged")
            os.replace(path, aside)
            logger.warning("%s; kept it as %s and started it afresh", err, aside)
            data = empty
        data = change(data)
        _write_json(path, data)
        return data


def data_folder(config: str) -> str:
    """Where a config's parquet shards live, in a revision folder and in a Hub repo."""
    return f"data/{config}"


def chart_path(config: str) -> str:
    """Where a config's composition chart lives, in a revision folder and in a Hub repo."""
    return f"assets/{config}/composition.png"


def split_files(folder: Path, config: str, split: str) -> list[Path]:
    """A revision's parquet shards of one split (older revisions kept them in data/)."""
    found = sorted((folder / data_folder(config)).glob(f"{split}-*.parquet"))
    return found or sorted((folder / "data").glob(f"{split}-*.parquet"))


def revision_rows(folder: Path, config: str) -> Iterator[tuple[str, pa.Table]]:
    """(split, rows) of a revision folder, split by split, in tables of up to 10k rows."""
    for split in SPLITS:
        for shard in split_files(folder, config, split):
            for batch in pq.ParquetFile(shard).iter_batches(ROW_GROUP_ROWS):
                yield split, pa.Table.from_batches([batch])


def mixture_dir(name: str) -> Path:
    return store_root() / check_name(name)


def flagged(manifest: Manifest) -> bool:
    """Whether a revision's rows carry the `contamination` column."""
    return manifest.has_column(CONTAMINATION_COLUMN)


def write_rows(
    folder: Path, name: str, rows: Selection | QualityRun, *, flagged: bool
) -> dict[str, Any]:
    """Write `rows` (the mixer's selection, or the rows the quality steps kept) as the
    parquet shards of revision folder `folder`; return their token statistics, counted in
    the same pass."""
    from meadow.token_stats import token_statistics

    data = folder / data_folder(name)  # the Hub's layout: one folder per config
    data.mkdir(parents=True)
    counts = rows.split_counts()
    writers = {s: SplitWriter(data, s, counts[s], flagged=flagged) for s in rows.splits()}

    def written() -> Iterator[tuple[str, pa.Table]]:
        for split, table in rows.iter_tables():
            writers[split].write(table)
            yield split, table

    tokens = token_statistics(written())
    for writer in writers.values():
        writer.close()
    return tokens


def write_manifest_and_card(folder: Path, manifest: Manifest, card: str) -> None:
    """Write the revision's manifest.json and its dataset card (README.md)."""
    write_manifest(folder, manifest)
    (folder / "README.md").write_text(card, encoding="utf-8")


@contextmanager
def new_revision(name: str, revision: str) -> Iterator[Path]:
    """An empty temporary folder to write revision `revision` of `name` into; when the
    block ends without an error it is renamed into place and `name` points at it.

    A failure leaves nothing behind (a killed build's folder is removed by the next build,
    see `meadow.workdirs`); a revision already in the store is kept as it is (the same
    revision is the same content).
    """
    root = mixture_dir(name)
    final = root / "revisions" / revision
    with work_dir(root, revision) as tmp:
        yield tmp
        final.parent.mkdir(parents=True, exist_ok=True)
        if not final.exists():
            tmp.rename(final)
    _point_name_at(root, revision)


def revision_path(name: str, revision: str) -> Path:
    """Where revision `revision` (the full one) of `name` is, once written."""
    return mixture_dir(name) / "revisions" / revision


def keep_revision(name: str, revision: str) -> None:
    """Point `name` at revision `revision`, already in the store, as writing it again would
    (an unchanged rebuild): its folder is left as it is."""
    _point_name_at(mixture_dir(name), revision)


def adopt_revision(name: str, revision: str, folder: Path) -> Path:
    """Copy a complete revision folder (a pulled one) into the store; point `name` at it."""
    with new_revision(name, revision) as tmp:
        shutil.rmtree(tmp)  # copytree makes it
        shutil.copytree(folder, tmp)
    return revision_path(name, revision)


_NO_REFS: dict[str, Any] = {"latest": None, "history": []}


def _read_refs(root: Path) -> dict[str, Any]:
    refs = root / "refs.json"
    return (
        read_json_file(refs, "the name's latest revision and history")
        if refs.is_file()
        else dict(_NO_REFS)
    )


def _point_name_at(root: Path, revision: str) -> None:
    def point(refs: dict[str, Any]) -> dict[str, Any]:
        history = [h for h in refs.get("history", []) if h.get("revision") != revision]
        if not history and refs is _NO_REFS:  # a fresh or damaged refs.json: list what is there
            history = _history_from_folders(root, revision)
        history.append(
            {
                "revision": revision,
                "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            }
        )
        return {**refs, "latest": revision, "history": history}

    update_json(
        root / "refs.json", point, what="the name's latest revision and history", empty=_NO_REFS
    )


def _history_from_folders(root: Path, revision: str) -> list[dict[str, Any]]:
    """History entries for the revision folders of a name whose refs.json was lost, oldest
    first by folder time (`built_at` is the folder's modification time)."""
    folders = [p for p in (root / "revisions").glob("*") if p.is_dir() and p.name != revision]
    folders.sort(key=lambda p: (p.stat().st_mtime, p.name))
    return [
        {
            "revision": p.name,
            "built_at": datetime.fromtimestamp(p.stat().st_mtime, timezone.utc).isoformat(
                timespec="seconds"
            ),
        }
        for p in folders
    ]


def list_mixtures() -> list[str]:
    """Names in the local store that have at least one revision."""
    root = store_root()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "refs.json").is_file())


def list_revisions(name: str) -> list[dict[str, Any]]:
    """Revisions of a name, oldest first, with when they were built."""
    root = mixture_dir(name)
    if not (root / "refs.json").is_file():
        raise MixtureNotFoundError(name, known=list_mixtures())
    return [h for h in _read_refs(root)["history"] if (root / "revisions" / h["revision"]).is_dir()]


def revision_dir(name: str, revision: str | None = None) -> Path:
    """Folder of a revision (the latest when None; a unique prefix is enough)."""
    root = mixture_dir(name)
    if not (root / "refs.json").is_file():
        raise MixtureNotFoundError(name, known=list_mixtures())
    if revision is None:
        revision = _read_refs(root)["latest"]
        if revision is None:
            raise MixtureNotFoundError(name, known=list_mixtures())
    folder = root / "revisions"
    matches = sorted(p for p in folder.glob(f"{revision}*") if p.is_dir()) if revision else []
    if len(matches) != 1:
        known = [p.name for p in sorted(folder.iterdir())] if folder.is_dir() else []
        raise MixtureNotFoundError(name, revision, known=known)
    return matches[0]


@dataclass
class Removal:
    """What `remove_revisions` will take out of the store (revision -> folder, oldest
    first, and its bytes), measured before; `whole_name`: no revision is left after."""

    name: str
    folders: dict[str, Path]
    sizes: dict[str, int] = field(default_factory=dict)
    whole_name: bool = False

    @property
    def bytes(self) -> int:
        return sum(self.sizes.values())


def plan_removal(name: str, revision: str | None = None) -> Removal:
    """What removing `revision` (a prefix is enough) of `name` frees; every revision of the
    name when `revision` is None. Nothing is touched."""
    root = mixture_dir(name)
    listed = [h["revision"] for h in list_revisions(name)]  # the error names unknown names
    present = sorted(p.name for p in (root / "revisions").glob("*") if p.is_dir())
    every = listed + [r for r in present if r not in listed]
    chosen = every if revision is None else [revision_dir(name, revision).name]
    folders = {r: root / "revisions" / r for r in every if r in chosen}
    sizes = {r: folder_size(p) for r, p in folders.items()}
    return Removal(name, folders, sizes, whole_name=set(chosen) >= set(every))


def remove_revisions(removal: Removal) -> str | None:
    """Remove `removal`'s revisions; return the one the name now points at (None: gone).

    Under `refs.json`'s lock the folders are moved aside and `refs.json` rewritten (without
    its latest revision the name points at the one built before), so a reader sees the
    store before or after, never half of it; the moved folders are deleted after."""
    root = mixture_dir(removal.name)
    refs_path = root / "refs.json"
    aside: list[Path] = []
    latest: str | None = None
    with locked(refs_path):
        refs = _read_refs(root) if refs_path.is_file() else dict(_NO_REFS)
        for revision, folder in removal.folders.items():
            if folder.is_dir():
                trash = root / f".removing-{revision}-{os.getpid()}"
                os.replace(folder, trash)
                aside.append(trash)
        kept = [
            h for h in refs.get("history", []) if (root / "revisions" / h["revision"]).is_dir()
        ] or _history_from_folders(root, "")
        if kept:
            latest = kept[-1]["revision"]
            _write_json(refs_path, {**refs, "latest": latest, "history": kept})
        else:
            refs_path.unlink(missing_ok=True)
    for trash in aside:
        shutil.rmtree(trash, ignore_errors=True)
    if latest is None:  # tidy the name's folder; a concurrent build's work keeps it
        for tidy in (
            (root / "revisions").rmdir,
            root.joinpath("refs.json.lock").unlink,
            root.rmdir,
        ):
            with suppress(OSError):
                tidy()
    return latest


def read_manifest(name: str, revision: str | None = None) -> dict[str, Any]:
    """A revision's manifest as its JSON object (the latest when `revision` is None)."""
    return read_dict(revision_dir(name, revision))


def revision_manifest(name: str, revision: str | None = None) -> Manifest:
    """A revision's manifest (the latest when `revision` is None)."""
    return read_revision_manifest(revision_dir(name, revision))


def load_local_mixture(name_or_repo: str, *, name: str | None = None, revision: str | None = None):
    """Load a built mixture as a `datasets.DatasetDict` (splits train/validation/test).

    Three ways to call it:

        load_local_mixture("my-mix")                          # latest build of a name
        load_local_mixture("my-mix", revision="3f2a9c0d")     # a pinned revision (prefix is fine)
        load_local_mixture("sample", name="sample")           # `name` is the config name, which
                                                              # locally is the mixture name itself

    The same revision always gives the same rows in the same order.
    """
    from datasets import Dataset, DatasetDict, load_dataset

    if name is not None and name != name_or_repo:
        raise LoadMixtureError(
            f"load_mixture({name_or_repo!r}, name={name!r}): in the local store a mixture's "
            f"config is its name; call load_mixture({name!r})"
        )
    if "/" in name_or_repo:
        raise LoadMixtureError(
            f"{name_or_repo!r} is a Hub repo: load it with meadow.load_mixture({name_or_repo!r}, "
            "name=CONFIG, revision=...), which pulls it into the local store"
        )
    folder = revision_dir(name_or_repo, revision)
    manifest = read_revision_manifest(folder)
    splits = manifest.splits
    data_files = {
        split: [str(p) for p in split_files(folder, name_or_repo, split)]
        for split in SPLITS
        if splits.get(split)
    }
    features = dataset_features(flagged(manifest))
    loaded = (
        load_dataset("parquet", data_files=data_files, features=features)
        if data_files
        else DatasetDict()
    )
    # datasets cannot read a 0-row parquet file: an empty split is made, not loaded
    return DatasetDict(
        {
            split: loaded[split]
            if split in loaded
            else Dataset.from_dict({name: [] for name in features}, features=features)
            for split in SPLITS
            if split in splits
        }
    )
