from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from hypothesis import settings

import tests.toy_source  # noqa: F401  (registers the `toy` source)
from tests.hub_server import HUB_TOKEN, HubServer, use_hub


@pytest.fixture(autouse=True)
def meadow_home(tmp_path_factory, monkeypatch):
    """Every test gets its own MEADOW_HOME and datasets cache, and no progress bars."""
    home = tmp_path_factory.mktemp("meadow_home")
    monkeypatch.setenv("MEADOW_HOME", str(home))
    monkeypatch.setenv("MEADOW_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("MEADOW_DEBUG", raising=False)
    return home


# In CI, property tests draw the same examples on every run (a failure found there is one
# that reproduces); locally they explore new ones each run.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

_HF_CACHE: str | None = None


def pytest_configure(config):
    # datasets reads its cache folder once, at import: keep it out of the user's cache.
    global _HF_CACHE
    if "HF_DATASETS_CACHE" not in os.environ:
        _HF_CACHE = tempfile.mkdtemp(prefix="meadow-hf-datasets-")
        os.environ["HF_DATASETS_CACHE"] = _HF_CACHE


def pytest_unconfigure(config):
    if _HF_CACHE is not None:
        shutil.rmtree(_HF_CACHE, ignore_errors=True)


@pytest.fixture
def client():
    """An HTTP client as meadow makes it, with short timeouts for local test servers."""
    from meadow.http import make_client

    with make_client(timeout=5) as http_client:
        yield http_client


@pytest.fixture
def sleeps() -> list[float]:
    """Collects the waits a retry loop asked for, when given as `sleep=sleeps.append`."""
    return []


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch):
    """The openai client waits 0.5 s, 1 s, … between tries; tests cannot afford that."""
    import openai._base_client

    monkeypatch.setattr(openai._base_client, "INITIAL_RETRY_DELAY", 0.001)


@pytest.fixture(scope="session")
def encoding():
    """A tiktoken encoding with one token per byte: no download, easy to count by hand."""
    import tiktoken

    return tiktoken.Encoding(
        name="test_bytes",
        pat_str=r"\S+|\s+",
        mergeable_ranks={bytes([i]): i for i in range(256)},
        special_tokens={},
    )


@pytest.fixture
def hub(monkeypatch, tmp_path):
    """A Hub stand-in on 127.0.0.1 that huggingface_hub talks to, with HF_TOKEN set to
    HUB_TOKEN (tests/test_hub_server.py has its own, without a token in the environment)."""
    with HubServer(tokens={HUB_TOKEN}) as server:
        use_hub(server, monkeypatch, tmp_path / "hf")
        monkeypatch.setenv("HF_TOKEN", HUB_TOKEN)
        yield server
