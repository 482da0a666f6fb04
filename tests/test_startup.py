"""Start-up stays light: `meadow --help` and an unchanged rebuild import none of the heavy
libraries that only some commands need (issue 17: a rebuild whose revision exists takes
seconds, and most of that was imports). Each check runs in a fresh interpreter, since this
test process has imported everything already."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from meadow import build
from tests.toy_source import write_toy

ROOT = Path(__file__).resolve().parents[1]

# needed by train, eval, load_mixture, push, the card, the LLM step or fetch: never by start-up
HEAVY = (
    "torch",
    "transformers",
    "peft",
    "datasets",
    "pandas",
    "scipy",
    "matplotlib",
    "openai",
    "tiktoken",
    "huggingface_hub",
    "jinja2",
    "httpx",
)


def _imported_after(code: str) -> list[str]:
    """The HEAVY modules a fresh interpreter holds after running `code`."""
    report = f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"{code}\nimport json, sys\n{report}"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_pulls_in_no_heavy_library():
    assert _imported_after("import meadow.cli") == []


def test_public_names_still_import_from_meadow():
    # `build`, `load_mixture` and friends are loaded on first use, not at `import meadow`
    assert _imported_after("import meadow") == []
    code = "from meadow import BuildResult, build, list_mixtures, load_mixture, pull, push"
    assert "huggingface_hub" not in _imported_after(code)  # the Hub client: only when called


def test_an_unknown_name_is_still_an_attribute_error():
    import meadow

    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        meadow.nonexistent  # noqa: B018


def test_an_unchanged_rebuild_imports_no_heavy_library(tmp_path):
    raw = write_toy(tmp_path / "toy.jsonl", range(50))
    first = build(sources=["toy"], raw={"toy": raw}, name="t", progress=False)
    args = ["build", "--sources", "toy", "--raw", f"toy={raw}", "--name", "t"]
    code = (
        "import tests.toy_source\n"
        "from meadow.cli import main\n"
        f"assert main({args!r}) == 0\n"
        "from meadow.store import list_revisions\n"
        f"assert [r['revision'] for r in list_revisions('t')] == [{first.revision!r}]"
    )
    assert _imported_after(code) == []
