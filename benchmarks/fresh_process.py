"""Each benchmark route runs in a fresh process so that its peak memory is its own."""

from __future__ import annotations

import json
import subprocess
import sys


def run_route(script: str, route: str, args: list[str]) -> dict:
    """Run `script --child ROUTE ARGS…` in a fresh interpreter; the JSON object its last
    line of output prints."""
    done = subprocess.run(
        [sys.executable, script, "--child", route, *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise SystemExit(f"{route} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])
