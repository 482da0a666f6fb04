"""Wall time of one build run cold, warm (parse cached) and unchanged (revision stored).

Generates ChatDoctor, Wikidoc and CORD-19 inputs in their upstream layouts (realistic
vocabulary, from gen_chatdoctor / gen_wikidoc / gen_cord19; cached in --work) and runs
`meadow build --sources chatdoctor,wikidoc,cord19`, each run a fresh `meadow` process
sharing one MEADOW_HOME, so the walls are what a user waits for:

* cold: empty MEADOW_HOME: hash, parse, mix, quality, write;
* warm: the mixture removed from the store, the parse cache kept: mix, quality, write;
* unchanged: the same build again: the revision is found, nothing is mixed or written;
* unchanged --rehash: the same, every raw file read again (what hashing costs);
* and, for scale, the bare `sha256` of every raw file.

Run:  python benchmarks/bench_rebuild.py [--scale 1.0] [--work DIR] [--num-proc 1]
      (scale 1.0: 112k ChatDoctor rows, 8k Wikidoc pages, 100k CORD-19 rows)
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def make_inputs(work: Path, scale: float) -> dict[str, Path]:
    """The raw files, generated once per scale."""
    from gen_chatdoctor import make_file
    from gen_cord19 import make_metadata
    from gen_wikidoc import make_pages

    folder = work / f"scale-{scale:g}"
    done = folder / ".done"
    raw = {
        "chatdoctor": folder / "chatdoctor",
        "wikidoc": folder / "wikidoc",
        "cord19": folder / "cord19" / "metadata.csv",
    }
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        started = time.perf_counter()
        make_file(raw["chatdoctor"], max(1, int(112_165 * scale)))
        make_pages(raw["wikidoc"], max(1, int(8_000 * scale)))
        raw["cord19"].parent.mkdir(parents=True, exist_ok=True)
        make_metadata(raw["cord19"], max(1, int(100_000 * scale)))
        done.touch()
        print(f"generated the inputs in {time.perf_counter() - started:.0f}s")
    return raw


def files_of(path: Path) -> list[Path]:
    return [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())


def bare_hash(raw: dict[str, Path]) -> float:
    """Seconds to sha256 every raw file once (the cost an unchanged build no longer pays)."""
    started = time.perf_counter()
    for path in raw.values():
        for file in files_of(path):
            digest = hashlib.sha256()
            with file.open("rb") as f:
                while chunk := f.read(1 << 20):
                    digest.update(chunk)
    return time.perf_counter() - started


def run_build(home: Path, raw: dict[str, Path], num_proc: int, *extra: str) -> tuple[float, str]:
    """(wall seconds, the summary's stderr time line) of one `meadow build` process."""
    args = [sys.executable, "-m", "meadow.cli", "build", "--sources", ",".join(raw)]
    for name, path in raw.items():
        args += ["--raw", f"{name}={path}"]
    args += ["--name", "bench", "--num-proc", str(num_proc), *extra]
    env = {**os.environ, "MEADOW_HOME": str(home), "MEADOW_DISABLE_PROGRESS_BARS": "1"}
    env["COLUMNS"] = "1000"  # the time line on one line
    started = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, text=True, cwd=HERE.parent)
    wall = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"meadow build failed:\n{done.stdout}\n{done.stderr}")
    line = next((x for x in done.stderr.splitlines() if x.startswith("time: ")), "")
    unchanged = "unchanged: revision" in done.stdout
    return wall, ("[unchanged] " if unchanged else "") + line.removeprefix("time: ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="input size (1.0: see above)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "meadow-bench")
    parser.add_argument("--num-proc", type=int, default=1)
    args = parser.parse_args()
    raw = make_inputs(args.work, args.scale)
    size = sum(f.stat().st_size for p in raw.values() for f in files_of(p))
    count = sum(len(files_of(p)) for p in raw.values())
    print(f"inputs: {count:,} files, {size / 1e6:,.0f} MB (scale {args.scale:g})")
    home = Path(tempfile.mkdtemp(prefix="meadow-bench-home-"))
    try:
        results = {}
        results["cold"] = run_build(home, raw, args.num_proc)
        shutil.rmtree(home / "store")
        results["warm (parse cached)"] = run_build(home, raw, args.num_proc)
        results["unchanged"] = run_build(home, raw, args.num_proc)
        results["unchanged --rehash"] = run_build(home, raw, args.num_proc, "--rehash")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    cold = results["cold"][0]
    for name, (wall, line) in results.items():
        print(f"{name:20s} {wall:7.2f}s  ({wall / cold:5.1%} of cold)  {line}")
    print(f"{'bare sha256 of all':20s} {bare_hash(raw):7.2f}s")


if __name__ == "__main__":
    main()
