"""What `meadow build` tells a new user: seconds per stage, "unchanged", a missing
validation split, `--columns` for their own files, and a Hub that cannot be reached."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pyarrow.parquet as pq
import pytest

from meadow.errors import HubUnreachableError
from meadow.hub_client import retrying
from meadow.options import BuildOptions
from meadow.pipeline import build
from tests.cli import run_cli
from tests.toy_source import write_toy

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def toy_raw(tmp_path) -> Path:
    return write_toy(tmp_path / "toy" / "t.jsonl", range(40))


@pytest.fixture
def qa_csv(tmp_path) -> Path:
    """Your own CSV, with column names meadow does not know."""
    path = tmp_path / "qa.csv"
    path.write_text(
        textwrap.dedent(
            """\
            qid,question,answer
            q1,What is asthma?,A chronic disease of the airways.
            q2,What is a fever?,A body temperature above normal.
            """
        )
    )
    return path


def test_timings_name_every_stage_in_order(toy_raw):
    result = build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    stages = list(result.timings)
    assert stages[0] == "parse toy" and stages[1] == "mixing" and stages[-1] == "writing"
    quality = [s.removeprefix("quality ") for s in stages if s.startswith("quality ")]
    assert {"filters", "decontamination", "exact_dedup", "near_dedup"} <= set(quality)
    assert all(seconds >= 0 for seconds in result.timings.values())
    assert not result.unchanged


def test_timings_stay_out_of_the_manifest(toy_raw):
    result = build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    text = (result.path / "manifest.json").read_text()
    assert "timings" not in result.manifest and "mixing" not in text and "seconds" not in text


def test_a_second_build_is_cached_and_unchanged(toy_raw, capsys):
    args = ("build", "--sources", "toy", "--raw", f"toy={toy_raw}", "--name", "t")
    code, out, err = run_cli(capsys, *args)
    assert code == 0 and "unchanged" not in out
    assert "time: parse " in err and "toy " in err and "writing" in err and "; total " in err
    code, out, err = run_cli(capsys, *args)
    assert code == 0
    assert "unchanged: revision " in out and "already in the store" in out
    assert "toy cached " in " ".join(err.split())  # the parse stage is named as cached


def test_an_adhoc_build_says_it_has_no_validation_split(toy_raw, capsys):
    args = ("build", "--sources", "toy", "--raw", f"toy={toy_raw}", "--name", "t")
    code, _, err = run_cli(capsys, *args)
    assert code == 0 and "no validation split" in err
    assert "pass --validation 0.05" in " ".join(err.split())
    code, out, err = run_cli(capsys, *args, "--validation", "0.1")
    assert code == 0 and "no validation split" not in err
    assert "splits: train 35, validation 5" in out


def test_columns_flag_maps_your_own_csv(qa_csv, capsys, meadow_home):
    code, out, err = run_cli(
        capsys,
        "build",
        "--sources",
        "local",
        "--raw",
        f"local={qa_csv}",
        "--columns",
        "local=input:question,output:answer,id:qid",
        "--name",
        "mine",
    )
    assert code == 0, err
    (folder,) = (meadow_home / "store" / "mine" / "revisions").iterdir()
    rows = [r for f in (folder / "data").rglob("*.parquet") for r in pq.read_table(f).to_pylist()]
    by_id = {row["source_id"]: row for row in rows}
    assert by_id["q1"]["input"] == "What is asthma?"
    assert by_id["q2"]["output"] == "A body temperature above normal."
    card = (folder / "README.md").read_text()
    assert "--columns local=input:question,output:answer,id:qid" in card


def test_without_columns_the_error_names_the_flag(qa_csv, capsys):
    code, _, err = run_cli(capsys, "build", "--sources", "local", "--raw", f"local={qa_csv}")
    assert code == 1 and "has no column 'output'" in err and "--columns local=" in err


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("local=input", "--columns local: missing ':' in 'input'"),
        ("local=inptu:question", "--columns local: unknown target column 'inptu'"),
        ("local=input:", "--columns local: no column name after 'input:'"),
        ("local=input:a,input:b", "--columns local: 'input' is mapped twice"),
        ("toy=input:q", "--columns toy: source 'toy' has no column mapping"),
        ("wikidoc=input:q", "--columns wikidoc: source 'wikidoc' is not in this build"),
        ("input:q", "--columns: expected SOURCE=VALUE"),
    ],
)
def test_a_bad_columns_spec_is_one_line_naming_the_flag(spec, message, qa_csv, toy_raw, capsys):
    raws = ("--raw", f"local={qa_csv}", "--raw", f"toy={toy_raw}")
    code, _, err = run_cli(capsys, "build", "--sources", "local,toy", *raws, "--columns", spec)
    assert code == 1
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {message}")


def test_columns_is_written_back_as_its_flag():
    options = BuildOptions(columns={"local": "input:q,output:a"})
    assert options.to_flags() == ["--columns", "local=input:q,output:a"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_push_without_a_reachable_hub_names_the_endpoint(toy_raw, tmp_path):
    build(sources=["toy"], raw={"toy": toy_raw}, name="t")
    endpoint = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    env = {k: v for k, v in os.environ.items() if k != "HF_HUB_OFFLINE"}
    env.update(HF_ENDPOINT=endpoint, HF_TOKEN="hf_not_a_real_token", HF_HOME=str(tmp_path / "hf"))
    script = (
        "import sys, meadow.hub_client as c; c.time.sleep = lambda s: None; "
        "import tests.toy_source; from meadow.cli import main; "
        "sys.exit(main(['push', 't', '--repo', 'org/t']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot reach the Hub at {endpoint} to check the token")
    assert "connection refused" in last and "HF_ENDPOINT" in last
    assert "ConnectError" not in done.stderr and "Errno" not in done.stderr
    assert "hf_not_a_real_token" not in done.stderr


def _request() -> httpx.Request:
    return httpx.Request("GET", "http://127.0.0.1:9/api/whoami-v2")


def test_no_connection_is_tried_twice_and_names_the_endpoint(monkeypatch):
    monkeypatch.setattr("meadow.hub_client.time.sleep", lambda seconds: None)
    calls = []

    def refused():
        calls.append(1)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=_request())

    with pytest.raises(
        HubUnreachableError,
        match=r"^cannot reach the Hub at http://127\.0\.0\.1:9 to check the token on the Hub "
        r"\(connection refused\)",
    ):
        retrying(refused, "check the token", "the Hub")
    assert len(calls) == 2


def test_a_connection_broken_mid_request_gets_every_try(monkeypatch):
    monkeypatch.setattr("meadow.hub_client.time.sleep", lambda seconds: None)
    calls = []

    def broken():
        calls.append(1)
        if len(calls) < 4:
            raise httpx.ReadError("connection reset by peer", request=_request())
        return "ok"

    assert retrying(broken, "commit", "org/meadow") == "ok" and len(calls) == 4
