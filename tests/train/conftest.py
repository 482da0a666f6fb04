"""Fixtures of the training tests: a tokenizer, a tiny saved model and a built mixture.

The session-scoped ones are shared by every test: do not change them in place
(`copy.deepcopy(tiny_tokenizer)` first).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from meadow.pipeline import BuildResult
from tests.train import tiny_llama_config, train_tokenizer


@pytest.fixture(scope="session")
def tiny_tokenizer():
    """Byte-level BPE trained on medical-ish lines: bos `<s>`, eos `</s>`, pad `<pad>`,
    a post-processor that adds BOS, and a chat template."""
    return train_tokenizer()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory, tiny_tokenizer) -> Path:
    """A saved 2-layer Llama (random weights, seed 0) with `tiny_tokenizer` beside it."""
    import torch
    from transformers import LlamaForCausalLM

    folder = tmp_path_factory.mktemp("tiny-llama")
    torch.manual_seed(0)
    model = LlamaForCausalLM(tiny_llama_config(tiny_tokenizer))
    model.save_pretrained(folder)
    tiny_tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def _sample_store(tmp_path_factory) -> tuple[Path, BuildResult]:
    """The `sample` recipe built once per session, in a MEADOW_HOME of its own: (home,
    build). Module-scoped fixtures that train once point MEADOW_HOME at `home`."""
    from meadow import build

    home = tmp_path_factory.mktemp("sample-home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEADOW_HOME", str(home))
        patch.setenv("MEADOW_DISABLE_PROGRESS_BARS", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        result = build("sample")
    return home, result


@pytest.fixture
def tiny_mixture(_sample_store, meadow_home) -> BuildResult:
    """The `sample` mixture (bundled corpora; train/validation/test splits) in this test's
    store, as `meadow.build` returned it: `load_mixture(tiny_mixture.name)` loads it."""
    home, result = _sample_store
    shutil.copytree(home / "store", meadow_home / "store", dirs_exist_ok=True)
    path = meadow_home / result.path.relative_to(home)
    return dataclasses.replace(result, path=path)


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """Train the tiny model on one thread: it gains nothing from more, and OpenMP threads
    that spin while another process holds a core make a step 100x slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
