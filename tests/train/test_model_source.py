"""Where a base model comes from: a folder that is not there, a Hub that cannot be reached,
and `meadow init-model --tiny`, the smoke-test model that needs neither."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import sys
import time

import pytest

from meadow.train.source import check_model_source, looks_like_path
from tests.cli import run_cli
from tests.httpserver import LocalServer


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("./tiny-llama", True),
        ("../models/x", True),
        ("/abs/model", True),
        ("~/model", True),
        ("tiny-llama/", True),
        ("a/b/c", True),
        ("meta-llama/Llama-3.2-1B", False),
        ("gpt2", False),
    ],
)
def test_what_looks_like_a_path(name, path):
    assert looks_like_path(name) is path


def test_a_hub_id_whose_org_is_a_folder_here_is_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    assert looks_like_path("models/llama")


@pytest.mark.parametrize("form", ["relative", "absolute", "partly there"])
def test_train_with_a_missing_folder_says_no_such_folder(capsys, tmp_path, monkeypatch, form):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    name = {
        "relative": "./tiny-llama",
        "absolute": str(tmp_path / "tiny-llama"),
        "partly there": "models/llama",
    }[form]
    code, _, err = run_cli(capsys, "train", "--mixture", "sample", "--base-model", name)
    assert code == 1
    assert f"error: no such folder: {tmp_path}/" in err, err
    assert "Repo id" not in err and len(err.strip().splitlines()) <= 2  # one (wrapped) line


def test_eval_with_a_missing_folder_says_no_such_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "models").mkdir()
    code, _, err = run_cli(capsys, "eval", "--model", "models/llama", "--samples")
    assert code == 1 and "no such folder" in err and "Repo id" not in err


@pytest.fixture
def dead_hub(monkeypatch) -> str:
    """HF_ENDPOINT at a port on 127.0.0.1 that nothing listens on; not offline."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint)
    _online(monkeypatch)
    return endpoint


def _online(monkeypatch) -> None:
    """Not offline, even where HF_HUB_OFFLINE=1 was set before huggingface_hub was imported
    (CI sets it for the whole run, and the library reads it once, at import)."""
    from huggingface_hub import constants

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)


@pytest.mark.parametrize("command", ["train", "eval"])
def test_an_unreachable_hub_is_said_in_seconds(capsys, dead_hub, command):
    flags = (
        ["train", "--mixture", "sample", "--base-model", "some-org/some-model"]
        if command == "train"
        else ["eval", "--model", "some-org/some-model", "--samples", "--limit", "1"]
    )
    start = time.monotonic()
    code, _, err = run_cli(capsys, *flags)
    elapsed = time.monotonic() - start
    assert code == 1 and elapsed < 10, (elapsed, err)
    line = " ".join(err.split())  # rich wraps the one line at the terminal's width
    assert f"the Hub ({dead_hub}) cannot be reached" in line
    assert "set HF_HUB_OFFLINE=1 to use the local cache, or pass a local folder" in line
    assert "hf download some-org/some-model" in line
    assert "Traceback" not in err and "Name or service" not in err


def test_a_hub_that_answers_at_all_is_reachable(monkeypatch):
    with LocalServer() as server:  # every path 404s: the connection is what counts
        monkeypatch.setenv("HF_ENDPOINT", server.url("/").rstrip("/"))
        _online(monkeypatch)
        check_model_source("some-org/some-model")
        assert server.requests


def test_offline_the_hub_is_not_asked(dead_hub, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    check_model_source("some-org/some-model")  # the loader's own offline message follows


# -- meadow init-model --tiny -----------------------------------------------------------------


def test_init_model_writes_a_labelled_smoke_test_model(capsys, tiny_mixture, tmp_path):
    code, out, err = run_cli(capsys, "init-model", "--tiny", str(tmp_path / "m"))
    assert code == 0, err
    assert "smoke-test model" in " ".join(out.split())
    config = json.loads((tmp_path / "m" / "config.json").read_text())
    assert config["model_type"] == "llama" and "smoke-test" in config["meadow_smoke_test"]
    assert "smoke-test model" in (tmp_path / "m" / "README.md").read_text()

    from transformers import AutoModelForCausalLM, AutoTokenizer

    from meadow.train.templates import check_template, get_template

    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "m", local_files_only=True)
    for name in ("medalpaca", "alpaca", "chat"):
        check_template(get_template(name), tokenizer)
    ids = tokenizer("What causes gout?")["input_ids"]
    assert ids[0] == tokenizer.bos_token_id and tokenizer.eos_token_id is not None
    assert tokenizer.decode(ids, skip_special_tokens=True) == "What causes gout?"
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "m", local_files_only=True)
    assert model.config.vocab_size == len(tokenizer)


def test_init_model_is_deterministic_and_seeded(capsys, tiny_mixture, tmp_path):
    def digest(folder):
        return {
            name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            for name in ("model.safetensors", "tokenizer.json")
        }

    for name, seed in (("a", "0"), ("b", "0"), ("c", "1")):
        code, _, err = run_cli(capsys, "init-model", "--tiny", str(tmp_path / name), "--seed", seed)
        assert code == 0, err
    a, b, c = (digest(tmp_path / name) for name in "abc")
    assert a == b
    assert a["model.safetensors"] != c["model.safetensors"]


def test_init_model_errors_are_one_line(capsys, tmp_path):
    code, _, err = run_cli(capsys, "init-model", str(tmp_path / "m"))
    assert code == 1 and "pass --tiny" in err
    code, _, err = run_cli(capsys, "init-model", "--tiny", str(tmp_path / "m"), "--mixture", "nope")
    assert code == 1 and "build it first (meadow build --mixture nope)" in " ".join(err.split())
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("")
    code, _, err = run_cli(capsys, "init-model", "--tiny", str(tmp_path / "full"))
    assert code == 1 and "is not empty" in err and "--overwrite" in err


def test_a_missing_folder_fails_before_torch_is_imported(tmp_path):
    code = (
        "import sys\nfrom meadow.cli import main\n"
        f"assert main(['train', '--mixture', 'sample', '--base-model', {str(tmp_path / 'no')!r}])"
        " == 1\n"
        "heavy = {'torch', 'transformers', 'peft'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "no such folder" in done.stderr
