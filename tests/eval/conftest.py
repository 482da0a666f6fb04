"""Fixtures of the evaluation tests: the tiny tokenizer, a random and a taught tiny model,
and benchmark raw files. Session-scoped ones are shared: do not change them in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.eval import fixture_questions, overfit, random_questions, write_medqa
from tests.train import tiny_llama_config, train_tokenizer


@pytest.fixture(scope="session")
def eval_tokenizer():
    return train_tokenizer()


@pytest.fixture(scope="session")
def random_model(tmp_path_factory, eval_tokenizer) -> Path:
    """A saved 2-layer Llama with random weights (seed 0), no template of its own."""
    import torch
    from transformers import LlamaForCausalLM

    folder = tmp_path_factory.mktemp("random-llama")
    torch.manual_seed(0)
    LlamaForCausalLM(tiny_llama_config(eval_tokenizer)).save_pretrained(folder)
    eval_tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def taught_raw(tmp_path_factory) -> Path:
    """A MedQA US folder whose test split is the twelve fixture questions."""
    return write_medqa(tmp_path_factory.mktemp("medqa-taught"), fixture_questions())


@pytest.fixture(scope="session")
def taught_model(tmp_path_factory, eval_tokenizer, taught_raw) -> Path:
    """The tiny Llama trained on `taught_raw`'s rows until it answers them (medalpaca)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return overfit(tmp_path_factory.mktemp("taught-llama"), taught_raw, eval_tokenizer)
    finally:
        torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def random_raw(tmp_path_factory) -> Path:
    """200 MedQA questions with random options and a uniformly drawn key."""
    return write_medqa(tmp_path_factory.mktemp("medqa-random"), random_questions(200))


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """One torch thread: the tiny model gains nothing from more, and OpenMP threads that
    spin while another process holds a core make a forward pass many times slower."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
