"""build(): determinism, quotas, splits, manifests, failures that lose nothing."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import socket
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

import meadow.parse_runner
from meadow import build, load_mixture
from meadow.errors import EmptyBuildError, MissingRawFilesError, RawFileError, RecipeError
from meadow.recipe import Recipe, SourceSpec
from meadow.store import SplitWriter, list_revisions, read_manifest
from tests.cli import run_cli
from tests.toy_source import write_toy


def _data_hashes(path):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted((path / "data").rglob("*.parquet"))
    }


def _recipe(name="mix", **spec):
    return Recipe(
        name=name, sources={"toy": SourceSpec("toy", **spec)}, seed=3, validation=0.1, test=0.1
    )


@pytest.fixture
def toy_files(tmp_path):
    folder = tmp_path / "toy"
    for k in range(4):
        write_toy(folder / f"part{k}.jsonl", range(k * 250, (k + 1) * 250))
    return folder


def test_build_writes_data_manifest_and_card(toy_files):
    result = build(_recipe(), raw={"toy": toy_files})
    manifest = json.loads((result.path / "manifest.json").read_text())
    toy = manifest["sources"]["toy"]
    assert toy["available"] == toy["taken"] == toy["rows_parsed"] == 1000
    assert [f["name"] for f in toy["raw_files"]] == [f"part{k}.jsonl" for k in range(4)]
    assert all(len(f["sha256"]) == 64 for f in toy["raw_files"])
    assert toy["adapter_version"] == "1" and toy["licenses"] == {"CC0-1.0": 1000}
    assert manifest["revision"] == result.revision and manifest["seed"] == 3
    assert sum(manifest["splits"].values()) == 1000
    assert set(manifest["splits"]) == {"train", "validation", "test"}
    card = (result.path / "README.md").read_text()
    assert "config_name: mix" in card and "| toy | easy |" in card and "## Limitations" in card


def test_same_recipe_and_files_give_identical_bytes(toy_files, tmp_path, monkeypatch):
    first = build(_recipe(), raw={"toy": toy_files})
    monkeypatch.setenv("MEADOW_HOME", str(tmp_path / "other_home"))
    second = build(_recipe(), raw={"toy": toy_files})
    assert first.revision == second.revision
    assert first.path != second.path
    assert _data_hashes(first.path) == _data_hashes(second.path)
    assert (first.path / "manifest.json").read_bytes() == (
        second.path / "manifest.json"
    ).read_bytes()


def test_process_count_does_not_change_the_output(toy_files, tmp_path, monkeypatch):
    monkeypatch.setattr(meadow.parse_runner, "GROUP_FILES", 1)  # one group per file
    one = build(_recipe(quota=600), raw={"toy": toy_files}, num_proc=1)
    monkeypatch.setenv("MEADOW_HOME", str(tmp_path / "other_home"))
    two = build(_recipe(quota=600), raw={"toy": toy_files}, num_proc=2)
    assert one.revision == two.revision
    assert _data_hashes(one.path) == _data_hashes(two.path)
    assert len(list((tmp_path / "other_home").glob("cache/sources/toy/*/part-*.parquet"))) == 4


def test_seed_changes_the_sample_not_the_splits(toy_files):
    a = load_mixture(build(_recipe(quota=300), raw={"toy": toy_files}).name)
    b_result = build(_recipe(name="mix2", quota=300).with_overrides(seed=4), raw={"toy": toy_files})
    b = load_mixture(b_result.name)
    split_a = {row["id"]: s for s in a for row in a[s]}
    split_b = {row["id"]: s for s in b for row in b[s]}
    assert set(split_a) != set(split_b)
    common = set(split_a) & set(split_b)
    assert common and all(split_a[i] == split_b[i] for i in common)


def test_adding_rows_keeps_chosen_rows_in_their_split(tmp_path):
    write_toy(tmp_path / "v1" / "a.jsonl", range(500))
    write_toy(tmp_path / "v2" / "a.jsonl", range(800))
    old = load_mixture(build(_recipe("old"), raw={"toy": tmp_path / "v1"}).name)
    new = load_mixture(build(_recipe("new"), raw={"toy": tmp_path / "v2"}).name)
    old_split = {row["id"]: s for s in old for row in old[s]}
    new_split = {row["id"]: s for s in new for row in new[s]}
    assert len(old_split) == 500 and len(new_split) == 800
    assert all(new_split[i] == s for i, s in old_split.items())


def test_quota_larger_than_available_takes_all_and_says_so(toy_files):
    result = build(_recipe(quota=5000), raw={"toy": toy_files})
    toy = result.manifest["sources"]["toy"]
    assert toy["taken"] == 1000 and toy["quota_exceeds_available"] is True
    card = (result.path / "README.md").read_text()
    assert (
        "`toy`: the quota (5000) is larger than the 1,000 rows available, so all were taken" in card
    )


def test_subset_quotas_then_source_quota(toy_files):
    result = build(_recipe(subsets={"hard": 50, "easy": 0.5}), raw={"toy": toy_files})
    toy = result.manifest["sources"]["toy"]
    assert toy["subsets"]["hard"] == {
        "available": 334,
        "quota": 50,
        "taken": 50,
        "licenses": {"CC0-1.0": 50},
    }
    assert toy["subsets"]["easy"]["taken"] == 333
    assert toy["taken"] == 383
    capped = build(
        _recipe(name="capped", quota=100, subsets={"hard": "all"}), raw={"toy": toy_files}
    )
    assert capped.manifest["sources"]["toy"]["subsets"] == {
        "hard": {"available": 334, "quota": "all", "taken": 100, "licenses": {"CC0-1.0": 100}}
    }
    rows = load_mixture("capped")
    assert {r["subset"] for s in rows for r in rows[s]} == {"hard"}


def test_fraction_quota_and_skips_are_counted(tmp_path):
    rows = [{"id": i, "q": f"q{i}", "a": f"a{i}"} for i in range(10)]
    rows += [{"id": 3, "q": "again", "a": "dup"}, {"id": 99, "q": "no answer", "a": ""}]
    write_toy(tmp_path / "t.jsonl", rows, extra="{not json\n")
    result = build(_recipe(quota=0.5), raw={"toy": tmp_path / "t.jsonl"})
    toy = result.manifest["sources"]["toy"]
    assert toy["skipped"] == {"bad_json": 1, "duplicate_id": 1, "missing_answer": 1}
    assert toy["available"] == 10 and toy["taken"] == 5


def test_load_mixture_round_trip_matches_the_parquet(toy_files):
    result = build(_recipe(quota=200), raw={"toy": toy_files})
    loaded = load_mixture("mix")
    for split, dataset in loaded.items():
        files = sorted((result.path / "data").rglob(f"{split}-*.parquet"))
        table = pq.read_table(files[0]) if len(files) == 1 else None
        assert dataset.to_list() == table.to_pylist()
    assert loaded["train"].features["id"].dtype == "string"
    row = loaded["train"][0]
    assert row["source"] == "toy" and row["instruction"] == "Answer this question truthfully"


def test_older_revisions_stay_loadable(toy_files):
    first = build(_recipe(quota=100), raw={"toy": toy_files})
    second = build(_recipe(quota=200), raw={"toy": toy_files})
    assert first.revision != second.revision
    assert [r["revision"] for r in list_revisions("mix")] == [first.revision, second.revision]
    assert sum(len(d) for d in load_mixture("mix").values()) == 200
    old = load_mixture("mix", revision=first.revision[:8])
    assert sum(len(d) for d in old.values()) == 100
    assert read_manifest("mix")["revision"] == second.revision


def test_failed_parse_leaves_the_previous_revision(toy_files, tmp_path, meadow_home):
    good = build(_recipe(), raw={"toy": toy_files})
    before = _data_hashes(good.path)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "x.jsonl").write_bytes(b'{"id": 1, "q": "\xff\xfe", "a": "x"}\n')
    with pytest.raises(RawFileError, match=r"x\.jsonl: could not be parsed by source 'toy'"):
        build(_recipe(), raw={"toy": tmp_path / "broken"})
    assert read_manifest("mix")["revision"] == good.revision
    assert _data_hashes(good.path) == before
    assert not list(meadow_home.rglob(".tmp-*"))


def test_failed_write_leaves_the_previous_revision(toy_files, monkeypatch, meadow_home):
    good = build(_recipe(), raw={"toy": toy_files})

    def explode(self, table):
        raise OSError("disk full")

    monkeypatch.setattr(SplitWriter, "write", explode)
    with pytest.raises(OSError, match="disk full"):
        build(_recipe(quota=10), raw={"toy": toy_files})
    assert [r["revision"] for r in list_revisions("mix")] == [good.revision]
    assert not list(meadow_home.rglob(".tmp-*"))


def test_raw_for_a_source_not_in_the_build_is_an_error(toy_files):
    with pytest.raises(RecipeError, match=r"--raw anki: source 'anki' is not in this build"):
        build(_recipe(), raw={"toy": toy_files, "anki": toy_files})


def test_missing_raw_files_say_where_to_get_them():
    with pytest.raises(
        MissingRawFilesError,
        match=r"source 'toy' needs its raw files: write a "
        r"\.jsonl .* --raw toy=PATH",
    ):
        build(sources=["toy"])


def test_raw_path_that_does_not_exist(tmp_path):
    with pytest.raises(RawFileError, match=r"nope: no such file or folder .*--raw toy=PATH"):
        build(sources=["toy"], raw={"toy": tmp_path / "nope"})


def test_empty_folder_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(RawFileError, match=r"empty: folder holds no \.jsonl files"):
        build(sources=["toy"], raw={"toy": tmp_path / "empty"})


def test_unknown_option_names_the_option(toy_files):
    with pytest.raises(RecipeError, match=r"sources\.toy\.options\.lower: unknown option .* upper"):
        build(_recipe(options={"lower": True}), raw={"toy": toy_files})


def test_source_options_change_the_output_and_the_cache_key(toy_files):
    plain = build(_recipe(), raw={"toy": toy_files})
    upper = build(_recipe(name="upper", options={"upper": True}), raw={"toy": toy_files})
    assert (
        plain.manifest["sources"]["toy"]["fingerprint"]
        != upper.manifest["sources"]["toy"]["fingerprint"]
    )
    assert load_mixture("upper")["train"][0]["output"].isupper()


def test_invalid_name_is_refused(toy_files):
    from meadow.errors import MeadowError

    with pytest.raises(MeadowError, match="invalid mixture name '../x'"):
        build(_recipe(name="../x"), raw={"toy": toy_files})


def test_source_with_a_public_url_is_downloaded_once(tmp_path, monkeypatch):
    import meadow.sources as registry
    from meadow.sources.base import RawFile
    from tests.httpserver import LocalServer, serve_bytes
    from tests.toy_source import ToySource

    payload = write_toy(tmp_path / "served.jsonl", range(20)).read_bytes()
    with LocalServer() as server:
        server.route("/files/toy.jsonl", serve_bytes(payload))

        class HostedToy(ToySource):
            name = "hosted_toy"
            raw_files = (
                RawFile(
                    "toy.jsonl",
                    url=server.url("/files/toy.jsonl"),
                    sha256=hashlib.sha256(payload).hexdigest(),
                ),
            )

        monkeypatch.setitem(registry._REGISTRY, "hosted_toy", HostedToy)
        first = build(sources=["hosted_toy"], name="hosted")
        second = build(sources=["hosted_toy"], name="hosted")
        assert len(server.requests_to("/files/toy.jsonl")) == 1
    assert first.revision == second.revision
    assert first.manifest["sources"]["hosted_toy"]["taken"] == 20
    raw = first.manifest["sources"]["hosted_toy"]["raw_files"]
    assert raw == [
        {"name": "toy.jsonl", "sha256": hashlib.sha256(payload).hexdigest(), "size": len(payload)}
    ]


def test_card_rebuild_command_rebuilds_the_same_revision(toy_files, capsys):
    import re

    from meadow.cli import main

    first = build(_recipe(quota=300, subsets={"hard": 40, "easy": "all"}), raw={"toy": toy_files})
    card = (first.path / "README.md").read_text()
    command = re.search(r"```\n(meadow build .*)\n```", card).group(1)
    assert "--raw toy=PATH" in command
    argv = command.replace("toy=PATH", f"toy={toy_files}").split()[1:]
    assert main(argv + ["--name", "again"]) == 0, capsys.readouterr().err
    assert read_manifest("again")["revision"] == first.revision


def test_progress_bars_show_rows_per_source(toy_files, capsys):
    build(_recipe(), raw={"toy": toy_files}, progress=True)
    err = capsys.readouterr().err
    assert "toy" in err and "rows" in err and "1,000" in err


def test_evaluation_only_subsets_stay_in_the_test_split(toy_files, monkeypatch):
    import meadow.sources as registry
    from tests.toy_source import ToySource

    class BenchToy(ToySource):
        name = "bench_toy"
        evaluation_subsets = ("hard",)

    monkeypatch.setitem(registry._REGISTRY, "bench_toy", BenchToy)
    recipe = Recipe(
        name="held",
        sources={"bench_toy": SourceSpec("bench_toy")},
        seed=1,
        validation=0.2,
        test=0.0,
    )
    result = build(recipe, raw={"bench_toy": toy_files})
    loaded = load_mixture("held")
    assert {r["subset"] for r in loaded["test"]} == {"hard"}
    assert len(loaded["test"]) == 334
    assert all(r["subset"] == "easy" for s in ("train", "validation") for r in loaded[s])
    assert result.manifest["sources"]["bench_toy"]["evaluation_only"] == ["hard"]
    card = (result.path / "README.md").read_text()
    assert "- `bench_toy`: hard is a benchmark subset, kept in the test split only" in card

    trained = Recipe(
        name="trained",
        seed=1,
        validation=0.2,
        test=0.0,
        sources={"bench_toy": SourceSpec("bench_toy", train_on_evaluation=True)},
    )
    build(trained, raw={"bench_toy": toy_files})
    assert "hard" in {r["subset"] for r in load_mixture("trained")["train"]}


def test_mixture_with_an_empty_split_loads(tmp_path):
    write_toy(tmp_path / "t.jsonl", range(3))
    recipe = Recipe(name="tiny", sources={"toy": SourceSpec("toy")}, seed=1, validation=0.01)
    result = build(recipe, raw={"toy": tmp_path / "t.jsonl"})
    assert result.splits["validation"] == 0
    loaded = load_mixture("tiny")
    assert len(loaded["train"]) == 3 and len(loaded["validation"]) == 0
    assert loaded["validation"].features == loaded["train"].features


def test_a_source_may_parse_a_folder_as_one_shard(tmp_path, monkeypatch):
    import meadow.sources as registry
    from tests.toy_source import ToySource

    class FolderToy(ToySource):
        name = "folder_toy"

        def shards(self, raw):
            return [raw]

        def parse(self, path):
            for part in sorted(path.glob("*.jsonl")):
                yield from super().parse(part)

    monkeypatch.setitem(registry._REGISTRY, "folder_toy", FolderToy)
    write_toy(tmp_path / "f" / "a.jsonl", range(5))
    write_toy(tmp_path / "f" / "b.jsonl", range(5, 9))
    first = build(sources=["folder_toy"], raw={"folder_toy": tmp_path / "f"}, name="folder")
    [raw] = first.manifest["sources"]["folder_toy"]["raw_files"]
    assert raw["name"] == "f" and raw["size"] > 0 and len(raw["sha256"]) == 64
    assert first.manifest["sources"]["folder_toy"]["taken"] == 9
    write_toy(tmp_path / "f" / "b.jsonl", range(5, 10))  # a changed file changes the key
    second = build(sources=["folder_toy"], raw={"folder_toy": tmp_path / "f"}, name="folder")
    assert second.manifest["sources"]["folder_toy"]["taken"] == 10
    assert second.revision != first.revision


@pytest.fixture
def paraphrasing_toy(monkeypatch):
    import meadow.sources as registry
    from tests.toy_source import ToySource

    class ParaphrasingToy(ToySource):
        name = "para_toy"
        instruction_paraphrases = {"hard": ("Say it.", "Tell me.", "Answer this.")}

    monkeypatch.setitem(registry._REGISTRY, "para_toy", ParaphrasingToy)
    return ParaphrasingToy


def _para_recipe(name="para", seed=5, **spec):
    return Recipe(name=name, seed=seed, sources={"para_toy": SourceSpec("para_toy", **spec)})


def _instructions(name):
    rows = load_mixture(name)["train"]
    return {(r["id"], r["subset"]): r["instruction"] for r in rows}


def test_paraphrased_instructions_vary_by_id_and_seed(tmp_path, paraphrasing_toy):
    rows = [
        {"id": i, "q": f"q{i}", "a": f"a{i}", "subset": ["easy", "hard"][i % 2]} for i in range(300)
    ]
    raw = write_toy(tmp_path / "t.jsonl", rows)
    result = build(_para_recipe(), raw={"para_toy": raw})
    first = _instructions("para")
    hard = [text for (_, subset), text in first.items() if subset == "hard"]
    assert set(hard) == {"Say it.", "Tell me.", "Answer this."}
    assert all(n > 25 for n in Counter(hard).values())
    easy = {text for (_, subset), text in first.items() if subset == "easy"}
    assert easy == {"Answer this question truthfully"}  # a subset without variants keeps its own
    assert result.manifest["sources"]["para_toy"]["instruction_paraphrases"] == {"hard": 3}

    build(_para_recipe(), raw={"para_toy": raw})
    assert _instructions("para") == first  # the same seed picks the same wording again
    build(_para_recipe(name="other_seed", seed=6), raw={"para_toy": raw})
    other = _instructions("other_seed")
    changed = [key for key in first if key in other and other[key] != first[key]]
    assert changed and all(subset == "hard" for _, subset in changed)


@pytest.mark.parametrize("spec", [{"paraphrase": False}, {"instruction": "Fixed."}])
def test_recipe_can_fix_a_single_instruction(tmp_path, paraphrasing_toy, spec):
    rows = [{"id": i, "q": f"q{i}", "a": f"a{i}", "subset": "hard"} for i in range(60)]
    raw = write_toy(tmp_path / "t.jsonl", rows)
    result = build(_para_recipe(name="fixed", **spec), raw={"para_toy": raw})
    expected = spec.get("instruction", "Answer this question truthfully")
    assert set(_instructions("fixed").values()) == {expected}
    assert "instruction_paraphrases" not in result.manifest["sources"]["para_toy"]


def test_card_says_which_rows_are_held_out_and_paraphrased(tmp_path, paraphrasing_toy):
    rows = [{"id": i, "q": f"q{i}", "a": f"a{i}", "subset": "hard"} for i in range(20)]
    result = build(
        _para_recipe(name="carded"), raw={"para_toy": write_toy(tmp_path / "t.jsonl", rows)}
    )
    card = (result.path / "README.md").read_text()
    assert "- `para_toy`: each row's instruction is one of several wordings" in card
    assert "(hard: 3 wordings)" in card


# -- a build that keeps nothing ---------------------------------------------------------


@pytest.fixture
def all_bad_rows(tmp_path):
    """Three lines that are not JSON and two rows without an answer: nothing to keep."""
    path = tmp_path / "bad" / "x.jsonl"
    write_toy(path, [{"id": 1, "q": "q?", "a": ""}, {"id": 2, "q": "q?"}], extra="{nope\n" * 3)
    return path


def test_a_build_that_skips_every_row_fails_and_keeps_latest(toy_files, all_bad_rows):
    good = build(_recipe(), raw={"toy": toy_files})
    with pytest.raises(
        EmptyBuildError,
        match=r"mixture 'mix' has no rows, .* unchanged; .*\(toy: bad_json 3, missing_answer 2\)",
    ) as info:
        build(_recipe(), raw={"toy": all_bad_rows})
    assert "\n" not in str(info.value)
    assert read_manifest("mix")["revision"] == good.revision
    assert [r["revision"] for r in list_revisions("mix")] == [good.revision]


def test_the_cli_build_that_skips_every_row_exits_non_zero_in_one_line(capsys, all_bad_rows):
    code, out, err = run_cli(
        capsys, "build", "--sources", "toy", "--raw", f"toy={all_bad_rows}", "--name", "empty"
    )
    assert code == 1
    assert err.strip().count("\n") == 0, err
    assert "has no rows" in err and "bad_json 3, missing_answer 2" in err
    assert not (meadow_home_of() / "store" / "empty" / "refs.json").exists()


def test_a_build_whose_quota_takes_nothing_says_so(toy_files):
    with pytest.raises(EmptyBuildError, match=r"toy: quota 0 took 0 of 1,000"):
        build(_recipe(quota=0), raw={"toy": toy_files})


def meadow_home_of():
    from meadow.paths import meadow_home

    return meadow_home()


# -- what a killed build leaves behind ----------------------------------------------------


_HOST = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())  # as meadow names its folders


def _dead_pid() -> int:
    """The pid of a process that has run and exited (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(done.stdout)


def test_stale_temporary_folders_are_removed_at_the_next_build(toy_files, meadow_home, caplog):
    dead = _dead_pid()
    stale = [
        meadow_home / "cache" / "sources" / "toy" / f".tmp-0123abcd-{dead}",  # an older meadow
        meadow_home / "store" / "mix" / f".tmp-89abcdef-{_HOST}-{dead}",
    ]
    for folder in stale:
        (folder / "data").mkdir(parents=True)
        (folder / "data" / "part-00000.parquet").write_bytes(b"half written")
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"]) as live:
        try:
            kept = meadow_home / "store" / "mix" / f".tmp-fedcba98-{live.pid}"
            kept.mkdir(parents=True)
            with caplog.at_level("WARNING", logger="meadow.build"):
                build(_recipe(), raw={"toy": toy_files})
            assert kept.is_dir()  # its process is alive: maybe another build writing
        finally:
            live.kill()
    assert not any(folder.exists() for folder in stale)
    assert (
        "removed 2 stale temporary folders of killed builds (cache/sources/toy/.tmp-0123abcd-"
        in (caplog.text)
    )


_HOLD = """
import sys, time
from pathlib import Path
from meadow.workdirs import work_dir
with work_dir(Path(sys.argv[1]), "c0ffee00") as folder:
    (folder / "part").write_text("x")
    print(folder, flush=True)
    time.sleep(60)
"""


def test_a_folder_held_by_a_running_build_is_kept_then_removed_once_it_is_killed(
    toy_files, meadow_home, capsys, caplog
):
    parent = meadow_home / "cache" / "sources" / "toy"
    with subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(parent)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            folder = Path(holder.stdout.readline().strip())
            build(_recipe(), raw={"toy": toy_files})
            assert folder.is_dir()
        finally:
            holder.send_signal(signal.SIGKILL)
            holder.wait()
    assert folder.is_dir()  # SIGKILL: nothing ran to remove it
    with caplog.at_level("WARNING", logger="meadow.build"):  # the CLI prints it on stderr
        code, _, err = run_cli(capsys, "build", "--sources", "toy", "--raw", f"toy={toy_files}")
    assert code == 0, err
    assert not folder.exists() and not folder.with_name(folder.name + ".lock").exists()
    expected = (
        f"removed 1 stale temporary folder of killed builds (cache/sources/toy/{folder.name})"
    )
    assert expected in caplog.text
