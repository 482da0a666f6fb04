"""Hostile inputs: each must end as a one-line error or a counted skip, within fixed bounds.

Every case lives in a module of `benchmarks/hostile/` as `CASES = {"name": function}`;
`function(work)` writes its hostile input under `work` and runs the meadow operation that
met it (a build, a parse, a recipe load, a scrub), returning one line that says what came of
it. Each case runs in a fresh process, so that its peak RSS is its own (read with
`os.wait4`), under an address-space cap (so a regression fails here instead of taking the
machine down), with `MEADOW_HOME` and `TMPDIR` in a folder of its own whose size is polled
while it runs (the peak is what the case wrote to disk, its input not counted).

A case passes when it ended in meadow's own words (a result, or a `MeadowError`), not in an
untyped Python error, a kill or a timeout, and stayed within the bounds below.

Run:  python benchmarks/bench_hostile.py [--only SUBSTRING] [--work DIR] [--baseline TREE]

`--baseline TREE` (a checkout of an earlier meadow, e.g. `git worktree add /tmp/before
68abf5c`) runs every case against that tree's `meadow` too, in the same run, for a before
and after.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASES_DIR = Path(__file__).resolve().parent / "hostile"

# The bounds every case must stay within (the README states them).
MAX_RSS_MIB = 1024
MAX_DISK_MIB = 256
MAX_SECONDS = 60
# The address-space cap of each case's process: large enough for Python with numpy, pyarrow
# and lxml mapped, small enough that a runaway case fails instead of swapping.
ADDRESS_SPACE_BYTES = 6 * 1024**3


def load_cases(module_name: str = "*") -> dict[str, tuple[Path, Callable[[Path], str]]]:
    """Every case of the modules in benchmarks/hostile/ (all by default), as `module/case`."""
    tree = os.environ.get("MEADOW_BENCH_TREE", str(ROOT))  # whose meadow the cases import
    sys.path[:0] = [tree, str(ROOT), str(ROOT / "benchmarks")]
    cases: dict[str, tuple[Path, Callable[[Path], str]]] = {}
    for path in sorted(CASES_DIR.glob(f"{module_name}.py")):
        spec = importlib.util.spec_from_file_location(f"hostile_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, function in getattr(module, "CASES", {}).items():
            cases[f"{path.stem}/{name}"] = (path, function)
    return cases


def run_one(name: str, work: Path) -> None:
    """In the child: run one case and print its outcome as one JSON line."""
    try:  # a baseline tree may lack what a case module imports
        function = load_cases(name.split("/")[0])[name][1]
    except ImportError as exc:
        print("\n" + json.dumps({"result": str(exc), "status": "not runnable", "seconds": 0.0}))
        return
    from meadow.errors import MeadowError

    started = time.perf_counter()
    try:
        result, status = function(work), "ok"
    except MeadowError as exc:
        result, status = f"{type(exc).__name__}: {exc}", "ok"
    except BaseException as exc:  # noqa: BLE001 - an untyped error is what this reports
        result, status = f"{type(exc).__name__}: {exc}", "untyped error"
    seconds = time.perf_counter() - started
    print("\n" + json.dumps({"result": str(result), "status": status, "seconds": seconds}))


def folder_size(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for file in files:
            with contextlib.suppress(OSError):  # a file removed while we looked
                total += os.lstat(os.path.join(root, file)).st_blocks * 512
    return total


def measure(name: str, case_dir: Path, timeout: float, tree: Path = ROOT) -> dict:
    """Run one case in its own capped process; its peak RSS, peak disk and outcome."""
    work, home, tmp = case_dir / "input", case_dir / "home", case_dir / "tmp"
    for folder in (work, home, tmp):
        folder.mkdir(parents=True, exist_ok=True)
    env = dict(
        os.environ,
        MEADOW_HOME=str(home),
        TMPDIR=str(tmp),
        MEADOW_DISABLE_PROGRESS_BARS="1",
        HF_HUB_OFFLINE="1",
        MEADOW_BENCH_TREE=str(tree),
        PYTHONPATH=os.pathsep.join([str(tree), os.environ.get("PYTHONPATH", "")]),
    )

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE_BYTES, ADDRESS_SPACE_BYTES))

    command = [sys.executable, __file__, "--run", name, "--work", str(work)]
    started = time.perf_counter()
    child = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=cap
    )
    peak_disk, done = 0, threading.Event()

    def poll_disk() -> None:
        nonlocal peak_disk
        while not done.is_set():
            peak_disk = max(peak_disk, folder_size(home) + folder_size(tmp))
            done.wait(0.1)

    poller = threading.Thread(target=poll_disk, daemon=True)
    poller.start()
    output: list[bytes] = []
    readers = [
        threading.Thread(target=lambda s=stream: output.append(s.read()), daemon=True)
        for stream in (child.stdout, child.stderr)
    ]
    for reader in readers:
        reader.start()
    killed, usage, returncode = False, None, None
    while True:  # os.wait4, not Popen.poll: the child's own rusage is its peak RSS
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            returncode = os.waitstatus_to_exitcode(status)
            child.returncode = returncode
            break
        if time.perf_counter() - started > timeout and not killed:
            child.kill()
            killed = True
        time.sleep(0.05)
    for reader in readers:
        reader.join()
    done.set()
    poller.join()
    peak_disk = max(peak_disk, folder_size(home) + folder_size(tmp))
    rss_mib = usage.ru_maxrss / 1024
    outcome = _outcome(b"".join(output).decode("utf-8", "replace"))
    if killed:
        outcome = {"result": f"killed after {timeout:.0f} s", "status": "timeout"}
        outcome["seconds"] = timeout
    elif outcome is None:
        outcome = {
            "result": f"process ended with code {returncode} and no outcome",
            "status": "crashed",
            "seconds": time.perf_counter() - started,
        }
    outcome["result"] = outcome["result"].replace(f"{work}{os.sep}", "")  # paths in messages
    return {**outcome, "rss_mib": rss_mib, "disk_mib": peak_disk / 1024**2}


def _outcome(output: str) -> dict | None:
    for line in reversed(output.splitlines()):
        if line.startswith("{") and '"status"' in line:
            return json.loads(line)
    return None


def passes(row: dict) -> bool:
    return (
        row["status"] == "ok"
        and row["rss_mib"] <= MAX_RSS_MIB
        and row["disk_mib"] <= MAX_DISK_MIB
        and row["seconds"] <= MAX_SECONDS
    )


def _print_row(name: str, row: dict) -> bool:
    ok = passes(row)
    result = " ".join(row["result"].split())
    if len(result) > 160:
        result = result[:159] + "…"
    status = row["status"] + ": " if row["status"] != "ok" else ""
    print(
        f"{name:<46} {row['rss_mib']:>8.0f} {row['disk_mib']:>9.1f} {row['seconds']:>8.2f}"
        f"  {'ok' if ok else 'FAIL':4}  {status}{result}",
        flush=True,
    )
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--work", type=Path, help="where inputs go (default: a temporary folder)")
    parser.add_argument("--timeout", type=float, default=2 * MAX_SECONDS)
    parser.add_argument("--baseline", type=Path, help="also run every case on this checkout")
    parser.add_argument("--run", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run_one(args.run, args.work)
        return 0

    names = [name for name in load_cases() if args.only in name]
    if not names:
        print(f"no case matches {args.only!r}", file=sys.stderr)
        return 2
    work = args.work or Path(tempfile.mkdtemp(prefix="meadow-hostile-"))
    print(
        f"bounds: peak RSS <= {MAX_RSS_MIB} MiB, disk <= {MAX_DISK_MIB} MiB, "
        f"<= {MAX_SECONDS} s; each case capped at {ADDRESS_SPACE_BYTES / 1024**3:.0f} GiB "
        "of address space"
    )
    print(f"{'case':<46} {'RSS MiB':>8} {'disk MiB':>9} {'seconds':>8}  {'':4}  result")
    failures = 0
    for name in names:
        case_dir = work / name.replace("/", "__")
        if args.baseline:
            _print_row(f"{name} (before)", measure(name, case_dir, args.timeout, args.baseline))
            shutil.rmtree(case_dir, ignore_errors=True)
        row = measure(name, case_dir, args.timeout)
        shutil.rmtree(case_dir, ignore_errors=True)
        failures += not _print_row(name, row)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(names) - failures} of {len(names)} cases within bounds")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
