"""Seeing the data and where it is: `show --rows`, the paths `show` and `list` print,
`list`'s row counts, `sources NAME` and the compact `sources` table."""

from __future__ import annotations

import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import meadow.sources as sources_registry
from meadow import build
from meadow.cli.show import head_rows, row_lines
from meadow.recipe import Recipe, SourceSpec
from meadow.schema import ARROW_SCHEMA
from meadow.sources import list_sources
from meadow.store import revision_dir
from tests.cli import run_cli
from tests.toy_source import ToySource, write_toy

MARKER = re.compile(r"… \[([\d,]+) more characters\]")


class OtherToySource(ToySource):
    """A second source, so that --source has something to pick from (registered by `mix`
    only, so other tests see the usual list of sources)."""

    name = "toy_other"


@pytest.fixture
def mix(tmp_path, monkeypatch):
    """`mix`: 40 toy rows (questions of two paragraphs, one long) and 20 toy_other rows."""
    list_sources()  # the registry is filled before toy_other joins it, for this test only
    monkeypatch.setitem(sources_registry._REGISTRY, "toy_other", OtherToySource)
    rows = [
        {"id": i, "q": f"question {i}\n" + " ".join(f"w{i}x{k}" for k in range(200)), "a": f"a {i}"}
        for i in range(40)
    ]
    toy = write_toy(tmp_path / "toy.jsonl", rows)
    other = write_toy(
        tmp_path / "other.jsonl",
        [{"id": i, "q": f"other question {i}?", "a": f"other answer {i}"} for i in range(20)],
    )
    recipe = Recipe(
        name="mix",
        sources={"toy": SourceSpec("toy"), "toy_other": SourceSpec("toy_other")},
        validation=0.25,
    )
    return build(recipe, raw={"toy": toy, "toy_other": other})


def test_show_rows_prints_each_field_wrapped_and_long_ones_cut(capsys, mix):
    code, out, err = run_cli(capsys, "show", "mix", "--rows", "60", "--source", "toy")
    assert code == 0, err
    rows = out.count("── row ")
    assert 0 < rows < 40  # the train split's toy rows only
    assert "toy_other" not in out and "question 0\n" not in out
    assert all(len(line) <= 80 for line in out.splitlines())
    first = json.loads(run_cli(capsys, "show", "mix", "--rows", "1", "--json")[1])[0]
    cut = [int(n.replace(",", "")) for n in MARKER.findall(out)]
    assert len(cut) == rows and cut[0] == len(first["input"]) - 500
    assert "input" in out and "license" in out and "CC0-1.0" in out


def test_show_rows_of_one_split_and_source(capsys, mix):
    code, out, err = run_cli(
        capsys, "show", "mix", "--rows", "2", "--split", "validation", "--source", "toy_other"
    )
    assert code == 0, err
    assert out.count("── row ") == 2 and "validation, source toy_other" in out
    code, out, _ = run_cli(capsys, "show", "mix", "--rows", "3", "--json")
    assert code == 0 and len(json.loads(out)) == 3


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--rows", "2", "--split", "dev"], "--split: mix has no split 'dev'; splits: train,"),
        (["--rows", "2", "--source", "nope"], "'nope' is not a source of mix (sources: toy"),
        (["--rows", "0"], "--rows: expected a number of rows (1 or more), got 0"),
        (["--split", "train"], "--split goes with --rows"),
    ],
)
def test_show_rows_bad_flags_are_one_line(capsys, mix, argv, message):
    code, out, err = run_cli(capsys, "show", "mix", *argv)
    assert code == 1 and message in err and len(err.strip().splitlines()) == 1


def test_row_lines_fit_the_width_and_keep_paragraphs():
    row = {"id": "abc", "input": "one two three " * 20 + "\nsecond paragraph", "license": None}
    lines = row_lines(row, width=50, max_chars=10_000)
    assert all(len(line) <= 50 for line in lines)
    assert lines[0] == "id       abc" and lines[-1] == "license  –"
    assert any(line.strip() == "second paragraph" for line in lines)


def test_head_rows_reads_only_the_row_groups_it_needs(tmp_path, monkeypatch):
    folder = tmp_path / "rev"
    data = folder / "data" / "m"
    data.mkdir(parents=True)
    n, group = 100, 10
    columns = {c: [f"{c} {i}" for i in range(n)] for c in ARROW_SCHEMA.names}
    columns["source"] = ["late" if i >= 70 else "early" for i in range(n)]
    pq.write_table(
        pa.table(columns, schema=ARROW_SCHEMA),
        data / "train-00000-of-00001.parquet",
        row_group_size=group,
    )
    whole_groups: list[int] = []
    real = pq.ParquetFile.read_row_group

    def counting(self, i, columns=None, **kw):
        if columns is None:
            whole_groups.append(i)
        return real(self, i, columns=columns, **kw)

    monkeypatch.setattr(pq.ParquetFile, "read_row_group", counting)
    assert [r["id"] for r in head_rows(folder, "m", "train", 3)] == ["id 0", "id 1", "id 2"]
    assert whole_groups == [0]
    whole_groups.clear()
    rows = head_rows(folder, "m", "train", 12, source="late")
    assert [r["id"] for r in rows] == [f"id {i}" for i in range(70, 82)]
    assert whole_groups == [7, 8]  # groups 0-6 were read for their source column only


def test_show_and_list_print_where_the_revision_is(capsys, mix):
    folder = revision_dir("mix")
    code, out, _ = run_cli(capsys, "show", "mix")
    assert code == 0
    assert f"folder:   {folder}" in out
    assert f"card:     {folder / 'README.md'}" in out
    assert f"manifest: {folder / 'manifest.json'}" in out
    code, out, _ = run_cli(capsys, "list")
    assert code == 0 and f"mix: {folder} (README.md, manifest.json)" in out
    train, validation = mix.splits["train"], mix.splits["validation"]
    assert f"train {train}" in out and f"({train + validation})" in out


def test_list_name_shows_every_revision_with_its_rows(capsys, mix, tmp_path):
    raw = write_toy(tmp_path / "more.jsonl", range(5))
    build(Recipe(name="mix", sources={"toy": SourceSpec("toy")}), raw={"toy": raw})
    code, out, _ = run_cli(capsys, "list", "mix")
    assert code == 0
    assert "2 revision(s)" in out and "(latest)" in out
    assert "train 5 (5)" in out.replace("\n", " ") or "train 5" in out
    assert str(revision_dir("mix", mix.revision)) in out


def test_sources_table_is_one_line_per_source(capsys):
    code, out, _ = run_cli(capsys, "sources")
    assert code == 0
    lines = out.splitlines()
    for name in list_sources():
        assert sum(line.startswith(f"│ {name} ") for line in lines) == 1
    assert len(lines) <= len(list_sources()) + 8
    table = {line.split("│")[1].strip(): line for line in lines if line.startswith("│ ")}
    assert "downloaded" in table["stackexchange"] and "--raw" in table["wikidoc"]
    assert "*" in table["usmle"]


def test_sources_name_describes_one_source_in_full(capsys):
    code, out, _ = run_cli(capsys, "sources", "stackexchange")
    assert code == 0
    assert "license:  CC-BY-SA-4.0" in out
    assert "academia, biology, fitness, health, bioinformatics" in out
    assert "academia.stackexchange.com.7z: downloaded from https://archive.org/" in out
    assert "  min_score: 5" in out and "  keep_closed: false" in out
    assert "how to get them:" in out
    code, out, _ = run_cli(capsys, "sources", "toy", "--json")
    info = json.loads(out)
    assert info["default_options"] == {"upper": False} and info["license"] == "CC0-1.0"


def test_sources_unknown_name_suggests_the_close_one(capsys):
    code, _, err = run_cli(capsys, "sources", "stackexchang")
    assert code == 1
    assert "error: unknown source 'stackexchang'; did you mean 'stackexchange'?" in err
