"""The base Source finds the raw files of a source from what the source declares.

A source names its files (`expected_files`: pattern -> subset) or its suffixes, and says
what a folder holding several copies or none means; the base turns that into shards and
errors, so adapters keep only rules of their own (`file_shards`, `folder_shards`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from meadow.errors import RawFileError
from meadow.schema import Record
from meadow.sources.base import Skip, Source


class Declared(Source):
    name = "declared"
    expected_files = {"b.json": "bee", "a.json": "ay"}
    missing_files = "holds neither a.json nor b.json"

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        return iter(())

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        return ()


class BySuffix(Declared):
    name = "by_suffix"
    expected_files = {}
    missing_files = ""
    file_suffixes = (".csv",)


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("x")
    return path


def test_declared_files_come_in_declaration_order_at_any_depth(tmp_path: Path) -> None:
    a = touch(tmp_path / "deep" / "a.json")
    b = touch(tmp_path / "b.json")
    touch(tmp_path / "c.json")
    assert Declared().shards(tmp_path) == [b, a]


def test_several_copies_are_all_read_by_default(tmp_path: Path) -> None:
    copies = [touch(tmp_path / "x" / "a.json"), touch(tmp_path / "y" / "a.json")]
    assert Declared().shards(tmp_path) == copies


def test_several_copies_first_or_an_error_when_declared(tmp_path: Path, monkeypatch) -> None:
    first = touch(tmp_path / "x" / "a.json")
    touch(tmp_path / "y" / "a.json")
    monkeypatch.setattr(Declared, "several_files", "first")
    assert Declared().shards(tmp_path) == [first]
    monkeypatch.setattr(Declared, "several_files", "pass one folder")
    with pytest.raises(
        RawFileError, match=r"holds several a.json files \(x/a.json, y/a.json\): pass one folder"
    ):
        Declared().shards(tmp_path)


def test_a_folder_without_them_says_what_the_source_wants(tmp_path: Path) -> None:
    touch(tmp_path / "c.json")
    with pytest.raises(RawFileError, match="holds neither a.json nor b.json"):
        Declared().shards(tmp_path)
    with pytest.raises(RawFileError, match="folder holds no .csv files for source 'by_suffix'"):
        BySuffix().shards(tmp_path)


def test_a_file_is_its_own_shard_and_a_missing_path_is_said_once(tmp_path: Path) -> None:
    path = touch(tmp_path / "anything.txt")
    assert Declared().shards(path) == [path]
    with pytest.raises(RawFileError, match="no such file or folder"):
        BySuffix().shards(tmp_path / "missing")
