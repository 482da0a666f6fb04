"""The local store under concurrent writers and after damage: nothing lost, one clear line."""

from __future__ import annotations

import json
import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

import pytest

from meadow import build
from meadow.errors import StoreFileError
from meadow.recipe import Recipe, SourceSpec
from meadow.store import adopt_revision, list_revisions, mixture_dir, read_manifest, update_json
from tests.cli import run_cli
from tests.toy_source import write_toy

WRITERS = 4
UPDATES = 50


def _adopt_many(home: str, writer: int, folder: str) -> None:
    """One writer process: point the name at UPDATES revisions of its own, one by one."""
    os.environ["MEADOW_HOME"] = home
    for k in range(UPDATES):
        adopt_revision("busy", f"{writer:02d}{k:06d}", Path(folder))


def test_concurrent_writers_keep_every_history_entry(meadow_home, tmp_path):
    folder = tmp_path / "revision"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    with ProcessPoolExecutor(WRITERS, mp_context=get_context("spawn")) as pool:
        jobs = [pool.submit(_adopt_many, str(meadow_home), w, str(folder)) for w in range(WRITERS)]
        for job in jobs:
            job.result()
    refs = json.loads((mixture_dir("busy") / "refs.json").read_text())
    assert len(refs["history"]) == WRITERS * UPDATES
    expected = {f"{w:02d}{k:06d}" for w in range(WRITERS) for k in range(UPDATES)}
    assert {h["revision"] for h in refs["history"]} == expected
    assert refs["latest"] in {f"{w:02d}{UPDATES - 1:06d}" for w in range(WRITERS)}
    leftovers = [p.name for p in mixture_dir("busy").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def _increment(path: str) -> None:
    for _ in range(UPDATES):
        update_json(Path(path), lambda d: {"n": d["n"] + 1}, what="a counter", empty={"n": 0})


def test_update_json_is_a_locked_read_modify_write(tmp_path):
    path = tmp_path / "counter.json"
    with ProcessPoolExecutor(WRITERS, mp_context=get_context("spawn")) as pool:
        for job in [pool.submit(_increment, str(path)) for _ in range(WRITERS)]:
            job.result()
    assert json.loads(path.read_text()) == {"n": WRITERS * UPDATES}


# -- a damaged refs.json ----------------------------------------------------------------------


@pytest.fixture
def two_names(tmp_path):
    raw = write_toy(tmp_path / "toy" / "t.jsonl", range(30))
    for name in ("good", "broken"):
        build(Recipe(name=name, sources={"toy": SourceSpec("toy")}), raw={"toy": raw})
    refs = mixture_dir("broken") / "refs.json"
    refs.write_text(refs.read_text()[:40])  # cut short, as a crash of an older meadow left it
    return raw, refs


def test_a_damaged_refs_json_does_not_hide_the_other_names(capsys, two_names):
    _, refs = two_names
    code, out, err = run_cli(capsys, "list")
    assert code == 0
    assert "good" in out and "broken" not in out
    assert f"broken: {refs} is damaged" in err.replace("\n", "")
    code, out, err = run_cli(capsys, "show", "good")
    assert code == 0 and "good" in out


def test_show_of_the_damaged_name_is_one_line_naming_the_file(capsys, two_names):
    _, refs = two_names
    code, _, err = run_cli(capsys, "show", "broken")
    assert code == 1
    assert err.strip().count("\n") == 0
    assert f"{refs} is damaged" in err and "build the mixture again" in err
    with pytest.raises(StoreFileError, match=r"refs\.json is damaged \(.*\): it holds"):
        read_manifest("broken")


def test_building_again_sets_the_damaged_file_aside_and_keeps_the_history(two_names, caplog):
    raw, refs = two_names
    first = [p.name for p in (refs.parent / "revisions").iterdir()]
    with caplog.at_level("WARNING", logger="meadow.store"):
        again = build(
            Recipe(name="broken", sources={"toy": SourceSpec("toy")}, seed=7), raw={"toy": raw}
        )
    assert refs.with_name("refs.json.damaged").is_file()
    assert "kept it as" in caplog.text and "refs.json.damaged" in caplog.text
    assert [r["revision"] for r in list_revisions("broken")] == [*first, again.revision]
    assert read_manifest("broken")["revision"] == again.revision
