"""An identical rebuild: found in the store without a quality pass, and raw files not read
again while their size, mtime, ctime and inode are as they were (`meadow.file_hashes`)."""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
from concurrent.futures import ProcessPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

import meadow.file_hashes
import meadow.pipeline
import meadow.prepare
from meadow import build
from meadow.file_hashes import hashes_file, rehashing, sha256_file, sha256_files
from meadow.mixer import evaluation_only, select
from meadow.recipe import load_recipe
from meadow.store import list_revisions
from tests.cli import run_cli
from tests.toy_source import write_toy

PAST = 1_600_000_000  # an mtime well before any hashing


def _folder_bytes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class _Refused:
    """Stands in for a stage an unchanged rebuild must not run."""

    def __init__(self, *args, **kwargs):
        raise AssertionError("an unchanged rebuild ran a stage it should skip")


@pytest.fixture
def reads(monkeypatch):
    """The files actually read to hash them, in order."""
    seen: list[Path] = []
    real = meadow.file_hashes._read

    def spy(path: Path) -> str:
        seen.append(Path(path))
        return real(path)

    monkeypatch.setattr(meadow.file_hashes, "_read", spy)
    return seen


@pytest.fixture
def toy_raw(tmp_path):
    path = write_toy(tmp_path / "toy.jsonl", range(200))
    os.utime(path, (PAST, PAST))
    return path


def test_sample_rebuild_is_unchanged_without_mixing_or_quality(monkeypatch, reads):
    first = build(mixture="sample", progress=False)
    assert not first.unchanged and reads  # every raw file hashed once
    before = _folder_bytes(first.path)
    reads.clear()
    monkeypatch.setattr(meadow.pipeline, "QualityRun", _Refused)
    monkeypatch.setattr(meadow.prepare, "select", _Refused)
    again = build(mixture="sample", progress=False)
    assert again.unchanged and again.revision == first.revision and again.path == first.path
    assert again.manifest == first.manifest and again.splits == first.splits
    assert _folder_bytes(again.path) == before
    assert reads == []  # the bundled files have not changed: no file was read
    assert "mixing" not in again.timings and "writing" not in again.timings
    assert [r["revision"] for r in list_revisions("sample")] == [first.revision]


def test_evaluation_only_subsets_are_known_before_mixing():
    build(mixture="sample", progress=False)
    recipe = load_recipe("sample")
    parsed = meadow.prepare.parse(recipe, meadow.prepare.BuildOptions(progress=False))
    selection = select(recipe, parsed.caches)
    held = {s.spec.name: s.stats.get("evaluation_only", []) for s in selection.sources}
    assert any(held.values())  # the sample has benchmarks with held-out subsets
    for name, spec in recipe.sources.items():
        assert evaluation_only(spec, parsed.caches[name]) == held[name], name


def test_a_touched_file_is_hashed_once_and_the_build_is_unchanged(toy_raw, reads):
    first = build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    assert reads == [toy_raw]
    os.utime(toy_raw, (PAST + 60, PAST + 60))  # same bytes, a new mtime
    reads.clear()
    touched = build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    assert touched.unchanged and touched.revision == first.revision
    assert reads == [toy_raw]
    reads.clear()
    assert build(sources=["toy"], raw={"toy": toy_raw}, name="t").unchanged
    assert reads == []


def test_changed_bytes_give_a_new_revision(toy_raw, reads):
    first = build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    write_toy(toy_raw, range(201))
    os.utime(toy_raw, (PAST, PAST))  # even with its old mtime: the size differs
    changed = build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    assert not changed.unchanged and changed.revision != first.revision
    assert reads == [toy_raw, toy_raw]


def test_rehash_reads_every_file_again(toy_raw, reads, capsys):
    args = ("build", "--sources", "toy", "--raw", f"toy={toy_raw}", "--name", "t")
    assert run_cli(capsys, *args)[0] == 0
    reads.clear()
    code, out, _ = run_cli(capsys, *args)
    assert code == 0 and "unchanged" in out and reads == []
    code, out, _ = run_cli(capsys, *args, "--rehash")
    assert code == 0 and "unchanged" in out and reads == [toy_raw]


def test_rehash_is_not_in_the_rebuild_command(toy_raw):
    result = build(sources=["toy"], raw={"toy": toy_raw}, name="t", rehash=True)
    assert "--rehash" not in (result.path / "README.md").read_text()


def _garbage(path: Path) -> None:
    path.write_bytes(b"not a database, a crash's leftovers" * 100)


def _truncated(path: Path) -> None:
    path.write_bytes(path.read_bytes()[:200])


def _other_table(path: Path) -> None:
    path.unlink()
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE hashes (path TEXT PRIMARY KEY, digest TEXT)")


@pytest.mark.parametrize("damage", [_garbage, _truncated, _other_table])
def test_a_damaged_hash_cache_is_put_aside_and_rebuilt(toy_raw, reads, caplog, damage):
    first = build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    damage(hashes_file())
    reads.clear()
    with caplog.at_level(logging.WARNING, logger="meadow.file_hashes"):
        again = build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    assert again.unchanged and again.revision == first.revision and reads == [toy_raw]
    assert "is damaged" in caplog.text
    assert hashes_file().with_name("file-hashes.sqlite.damaged").is_file()
    reads.clear()
    assert build(sources=["toy"], raw={"toy": toy_raw}, name="t").unchanged and reads == []


def _set_entry(path: Path, **values: object) -> None:
    with sqlite3.connect(hashes_file()) as db:
        for column, value in values.items():
            db.execute(
                f"UPDATE hashes SET {column} = ? WHERE path = ?", (value, str(path.absolute()))
            )


@pytest.mark.parametrize("column", ["size", "mtime_ns", "ctime_ns", "inode"])
def test_an_entry_is_not_trusted_when_the_file_differs(tmp_path, reads, column):
    path = tmp_path / "a.txt"
    path.write_text("some raw text\n")
    os.utime(path, (PAST, PAST))
    right = sha256_file(path)
    _set_entry(path, sha256="0" * 64)
    assert sha256_file(path) == "0" * 64  # trusted while everything matches
    current = sqlite3.connect(hashes_file()).execute(f"SELECT {column} FROM hashes").fetchone()
    _set_entry(path, **{column: current[0] + 1})
    reads.clear()
    assert sha256_file(path) == right and reads == [path]


def test_a_file_changed_just_before_hashing_is_hashed_again(tmp_path, reads):
    path = tmp_path / "fresh.txt"
    path.write_text("written a moment ago\n")
    assert sha256_file(path) == sha256_file(path)
    assert reads == [path, path]  # its mtime is too close to the hash to trust it


def test_rehashing_reads_and_refreshes(tmp_path, reads):
    path = tmp_path / "a.txt"
    path.write_text("x")
    os.utime(path, (PAST, PAST))
    sha256_file(path)
    with rehashing():
        sha256_file(path)
    sha256_file(path)
    assert reads == [path, path]


def _hash_all(home: str, paths: list[str]) -> list[str]:
    os.environ["MEADOW_HOME"] = home  # a reused worker process may hold another test's
    return sha256_files([Path(p) for p in paths], workers=2)


def test_concurrent_builds_share_the_cache_without_damage(tmp_path):
    files = []
    for i in range(60):
        path = tmp_path / f"f{i}.txt"
        path.write_text(f"file {i}\n" * (i + 1))
        os.utime(path, (PAST, PAST))
        files.append(str(path))
    expected = [hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in files]
    with ProcessPoolExecutor(4) as pool:
        orders = [files[i:] + files[:i] for i in range(0, 60, 10)]
        results = list(pool.map(_hash_all, [os.environ["MEADOW_HOME"]] * len(orders), orders))
    for i, digests in zip(range(0, 60, 10), results, strict=True):
        assert digests == expected[i:] + expected[:i]
    db = sqlite3.connect(hashes_file())
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert db.execute("SELECT count(*) FROM hashes").fetchone() == (60,)
    assert not hashes_file().with_name("file-hashes.sqlite.damaged").exists()
