"""benchmarks/bench_scale.py runs end to end at a tiny scale, so it cannot rot unnoticed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from meadow.cli.build import timings_line

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

from bench_scale import parse_time_line  # noqa: E402


def test_time_line_is_read_back_stage_by_stage() -> None:
    timings = {
        "parse medqa": 0.41,
        "parse umls (cached)": 0.04,
        "mixing": 0.02,
        "quality filters": 0.9,
        "quality near_dedup": 12.5,
        "writing": 0.3,
    }
    seconds = parse_time_line("other output\ntime: " + timings_line(timings) + "\n")
    assert seconds["parse medqa"] == 0.41 and seconds["parse umls"] == 0.04
    assert seconds["parse"] == 0.45 and seconds["mixing"] == 0.02
    assert seconds["quality"] == 13.4 and seconds["quality near_dedup"] == 12.5
    assert seconds["writing"] == 0.3 and seconds["total"] == 14.2


def test_pmc_llama_builds_cold_warm_and_unchanged_next_to_the_baselines(tmp_path: Path) -> None:
    figures = tmp_path / "figures.json"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "bench_scale.py"),
            "--scale",
            "0.0002",
            "--recipe",
            "pmc-llama",
            "--num-proc",
            "1",
            "--work",
            str(tmp_path / "work"),
            "--json",
            str(figures),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "## pmc-llama: seconds per stage" in done.stdout
    got = json.loads(figures.read_text())
    builds = got["builds"]
    assert [b["mode"] for b in builds] == ["cold", "warm", "unchanged"]
    assert len({b["revision"] for b in builds}) == 1 and builds[0]["revision"]
    for b in builds:
        assert b["rows"] > 100 and b["wall"] > 0 and b["cpu"] > 0 and b["peak_mib"] > 50
    for b in builds[:2]:
        assert {"parse", "mixing", "quality", "writing", "total"} <= set(b["stages"])
    # an unchanged rebuild stops after the parse: the revision is already in the store
    assert {"parse", "total"} <= set(builds[2]["stages"])
    assert not {"mixing", "quality", "writing"} & set(builds[2]["stages"])
    assert {"parse medqa", "parse medmcqa", "parse pubmedqa", "parse umls"} <= set(
        builds[0]["stages"]
    )
    routes = {(r["source"], r["kind"]) for r in got["baselines"]}
    for source in ("medqa", "medmcqa", "pubmedqa", "umls"):
        assert {(source, "ceiling"), (source, "naive")} <= routes
    assert all(r["rows"] > 0 for r in got["baselines"])
    # generated inputs are kept for the next run
    assert (tmp_path / "work" / "pmc-llama-0.0002" / "umls" / "MRREL.RRF").stat().st_size > 0
