"""The LoRA trainer on a tiny Llama built in the test and the bundled `sample` mixture.

One adapter is trained per module (`trained`) and read by several tests; the tests that
need a run of their own (resume, errors, push, two processes) keep it to a few steps.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard

from meadow import build
from meadow.errors import ConfigError, HubError, MixtureNotFoundError, TemplateError, TrainError
from meadow.hub import push, tag_of
from meadow.train.card import DatasetPin, render_model_card
from meadow.train.config import TrainConfig, load_config
from meadow.train.model import resolve_precision
from meadow.train.publish import RUN_FILE, push_adapter
from meadow.train.trainer import train
from tests.hub_server import HUB_TOKEN
from tests.toy_source import write_toy

ROOT = Path(__file__).resolve().parents[2]
TOKEN = HUB_TOKEN


def tiny(model_dir: Path, out: Path, **overrides) -> TrainConfig:
    """The `tiny` preset on the sample mixture, into `out`."""
    settings = {"mixture": "sample", "base_model": str(model_dir), "output_dir": str(out)}
    return load_config("tiny", **{**settings, **overrides})


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run_record(out: Path) -> dict:
    return json.loads((out / RUN_FILE).read_text())


@pytest.fixture(scope="module")
def trained(_sample_store, tiny_model_dir, tmp_path_factory):
    """One adapter: 40 steps of the tiny preset (all-linear LoRA + lm_head) on `sample`."""
    home, _ = _sample_store
    out = tmp_path_factory.mktemp("adapter") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MEADOW_HOME", str(home))
        patch.setenv("MEADOW_DISABLE_PROGRESS_BARS", "1")
        patch.setenv("HF_HUB_OFFLINE", "1")
        return train(tiny(tiny_model_dir, out))


# -- what one run produces --------------------------------------------------------------------


def test_loss_falls_with_all_linear_lora(trained):
    losses = [e["loss"] for e in run_record(trained.output_dir)["log_history"] if "loss" in e]
    assert len(losses) == 8  # logged every 5 of 40 steps
    assert losses[-1] < 0.85 * losses[0]
    assert trained.steps == 40 and trained.start_step == 0
    assert trained.train_loss == losses[-1]
    assert trained.eval_loss is not None and trained.eval_loss < losses[0]
    adapter = json.loads((trained.output_dir / "adapter_config.json").read_text())
    linear = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    assert {name.rsplit(".", 1)[-1] for name in adapter["target_modules"]} == linear
    assert adapter["modules_to_save"] == ["lm_head"]


def test_validation_is_the_mixtures_own_split(trained, _sample_store):
    _, build_result = _sample_store
    record = run_record(trained.output_dir)
    assert record["dataset"]["rows"] == build_result.splits
    evals = [e for e in record["log_history"] if "eval_loss" in e]
    assert [e["step"] for e in evals] == [20, 40]  # every eval_steps, on the validation split
    assert trained.tokens_per_second > trained.response_tokens_per_second > 0


def test_adapter_folder_has_template_record_curve_and_meadows_card(trained):
    out = trained.output_dir
    for name in [
        "adapter_model.safetensors",
        "adapter_config.json",
        "tokenizer.json",
        "meadow_template.json",
        RUN_FILE,
        "loss.png",
        "README.md",
    ]:
        assert (out / name).is_file(), name
    assert (out / "loss.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-20", "checkpoint-40"]
    readme = (out / "README.md").read_text()
    assert "Model Card for Model ID" not in readme  # peft's README is replaced
    assert "![Training and validation loss](loss.png)" in readme
    assert "Not for clinical use" in readme
    assert json.loads((out / "meadow_template.json").read_text())["name"] == "medalpaca"


def test_card_pins_the_dataset_revision(trained, _sample_store, tiny_model_dir):
    _, build_result = _sample_store
    card = ModelCard.load(trained.output_dir / "README.md")
    data = card.data.to_dict()
    assert data["base_model"] == str(Path(tiny_model_dir).resolve())
    assert data["base_model_relation"] == "adapter"
    assert data["library_name"] == "peft"
    assert data["datasets"] == ["sample"]
    assert set(data["tags"]) >= {"medical", "meadow", "lora"}
    pin = data["meadow"]
    assert pin["dataset_revision"] == build_result.revision
    assert pin["dataset_tag"] == tag_of("sample", build_result.revision)
    assert pin["recipe"] == "sample" and pin["template"] == "medalpaca"
    assert f"`{build_result.revision}`" in card.text
    assert f"load_mixture('sample', revision='{build_result.revision}')" in card.text
    assert str(ModelCard(str(card))) == str(card)  # it reads back unchanged
    versions = run_record(trained.output_dir)["versions"]
    assert {"meadow", "torch", "transformers", "peft"} <= set(versions)
    assert f"peft {versions['peft']}" in card.text


def test_card_links_a_hub_dataset_at_its_tag_and_commit():
    pin = DatasetPin(
        name="small",
        revision="3f2a9c0d1e2f",
        tag="small-3f2a9c0d1e",
        repo="org/meadow",
        commit="a" * 40,
        recipe="small",
        license="cc-by-sa-4.0",
        rows={"train": 10, "validation": 0},
    )
    text = render_model_card(
        base_model="meta-llama/Llama-3.2-1B",
        dataset=pin,
        template={"name": "chat"},
        prompt_example=None,
        hyperparameters={"lora_r": 8},
        metrics={"steps": 3},
        versions={"meadow": "0.1.0"},
        endpoint="https://hub.example",
    )
    card = ModelCard(text)
    assert card.data.base_model == "meta-llama/Llama-3.2-1B"
    assert card.data.datasets == ["org/meadow"] and card.data.license == "cc-by-sa-4.0"
    assert card.data.meadow["dataset_commit"] == "a" * 40
    assert "(https://hub.example/datasets/org/meadow/tree/small-3f2a9c0d1e)" in text
    assert f"(https://hub.example/datasets/org/meadow/tree/{'a' * 40})" in text
    assert "no validation loss" in text


# -- resuming ---------------------------------------------------------------------------------


def test_resume_continues_from_the_checkpoint_step(trained, tiny_mixture, tiny_model_dir, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained.output_dir, out)
    again = train(tiny(tiny_model_dir, out, max_steps=45, resume=True))
    assert again.start_step == 40 and again.steps == 45
    history = run_record(out)["log_history"]
    steps = [e["step"] for e in history if "loss" in e]
    assert steps == [5, 10, 15, 20, 25, 30, 35, 40, 45]  # the first run's history goes on
    losses = [e["loss"] for e in history if "loss" in e]
    assert losses[-1] < 0.9 * losses[0]  # from the trained weights, not from scratch
    state = json.loads((out / "checkpoint-45" / "trainer_state.json").read_text())
    assert state["global_step"] == 45


def test_resume_without_a_checkpoint_is_a_clear_error(tiny_mixture, tiny_model_dir, tmp_path):
    with pytest.raises(TrainError, match=r"--resume: no checkpoint-\* folder in"):
        train(tiny(tiny_model_dir, tmp_path / "empty", resume=True))
    with pytest.raises(TrainError, match="not a Trainer checkpoint"):
        train(tiny(tiny_model_dir, tmp_path / "x", resume=str(tmp_path)))


# -- data choices -----------------------------------------------------------------------------


def test_packing_trains_on_packed_blocks(tiny_mixture, tiny_model_dir, tmp_path, monkeypatch):
    from meadow.train import data

    batches: list[dict[str, torch.Tensor]] = []
    collate = data.CompletionCollator.__call__

    def recording(self, features):
        batch = collate(self, features)
        batches.append(batch)
        return batch

    monkeypatch.setattr(data.CompletionCollator, "__call__", recording)
    result = train(tiny(tiny_model_dir, tmp_path / "packed", packing=True, max_steps=3))
    assert result.steps == 3
    assert result.response_tokens_per_second > 0

    trained = [b for b in batches if "position_ids" in b]
    assert trained and all("attention_mask" not in b for b in trained)
    # several whole examples per block: positions restart at 0 where each one begins
    starts = [int((row == 0).sum()) for b in trained for row in b["position_ids"]]
    assert sum(starts) / len(starts) > 1.5, starts

    # no attention across examples: each example's logits in its block are the logits it
    # has alone (without a KV cache, as the trainer runs the model)
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_model_dir).eval()
    block = trained[0]
    ids, positions = block["input_ids"][:1], block["position_ids"][:1]
    with torch.no_grad():
        packed = model(input_ids=ids, position_ids=positions, use_cache=False).logits[0]
        bounds = [*torch.nonzero(positions[0] == 0).flatten().tolist(), ids.shape[1]]
        assert len(bounds) > 2
        for start, end in zip(bounds, bounds[1:], strict=False):
            alone = model(input_ids=ids[:, start:end], use_cache=False).logits[0]
            torch.testing.assert_close(packed[start:end], alone, atol=1e-4, rtol=1e-4)


def test_a_mixture_without_validation_rows_trains_without_evaluation(
    tiny_model_dir, tmp_path, caplog
):
    raw = write_toy(tmp_path / "toy" / "t.jsonl", range(40))
    build(sources=["toy"], raw={"toy": raw}, name="noval", validation=0, test=0)
    with caplog.at_level("WARNING", logger="meadow.train"):
        result = train(tiny(tiny_model_dir, tmp_path / "out", mixture="noval", max_steps=3))
    assert result.eval_loss is None
    assert "no validation rows" in caplog.text
    assert "no validation loss was computed" in (tmp_path / "out" / "README.md").read_text()


# -- errors a user can cause ------------------------------------------------------------------


def test_unknown_mixture_and_revision_are_clear_errors(tiny_mixture, tiny_model_dir, tmp_path):
    with pytest.raises(MixtureNotFoundError, match="no mixture named 'nope'"):
        train(tiny(tiny_model_dir, tmp_path, mixture="nope"))
    with pytest.raises(MixtureNotFoundError, match="has no revision 'ffff'"):
        train(tiny(tiny_model_dir, tmp_path, revision="ffff"))


def test_a_base_model_that_cannot_be_loaded_offline(tiny_mixture, tmp_path):
    config = tiny(tmp_path / "missing", tmp_path / "out", base_model="no-org/no-such-model")
    with pytest.raises(TrainError, match=r"tokenizer of 'no-org/no-such-model' offline"):
        train(config)


def test_chat_template_the_tokenizer_lacks(tiny_mixture, tiny_model_dir, tmp_path):
    plain = tmp_path / "plain"
    shutil.copytree(tiny_model_dir, plain)
    (plain / "chat_template.jinja").unlink(missing_ok=True)
    config_file = plain / "tokenizer_config.json"
    settings = json.loads(config_file.read_text())
    settings.pop("chat_template", None)
    config_file.write_text(json.dumps(settings))
    with pytest.raises(TemplateError, match="has no chat template"):
        train(tiny(plain, tmp_path / "out", template="chat"))


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error of a machine without CUDA")
def test_quantization_without_cuda_is_a_clear_error(tiny_mixture, tiny_model_dir, tmp_path):
    with pytest.raises(TrainError, match="quantization '4bit' \\(QLoRA\\) needs a CUDA GPU"):
        train(tiny(tiny_model_dir, tmp_path, quantization="4bit"))
    with pytest.raises(ConfigError, match="quantization: expected 8bit or 4bit"):
        tiny(tiny_model_dir, tmp_path, quantization="2bit")


@pytest.mark.skipif(torch.cuda.is_available(), reason="precision of a machine without CUDA")
def test_precision_auto_is_fp32_on_cpu_and_fp16_needs_cuda():
    assert resolve_precision("auto") == "fp32"
    assert resolve_precision("bf16") == "bf16"
    with pytest.raises(TrainError, match="fp16 needs a CUDA GPU"):
        resolve_precision("fp16")


# -- the Hub ----------------------------------------------------------------------------------


def test_train_on_a_hub_mixture_and_push_adapter_and_card_in_one_commit(
    hub, tiny_mixture, tiny_model_dir, tmp_path, monkeypatch
):
    published = push("sample", repo_id="org/meadow")
    monkeypatch.setenv("MEADOW_HOME", str(tmp_path / "fresh-home"))  # only the Hub has it
    out = tmp_path / "adapter"
    result = train(
        tiny(
            tiny_model_dir,
            out,
            repo="org/meadow",
            revision=published.tag,
            max_steps=3,
            push=True,
            push_repo="org/sample-lora",
        )
    )
    pin = result.dataset
    assert (pin.repo, pin.commit, pin.tag) == ("org/meadow", published.commit, published.tag)
    pushed = result.pushed
    assert pushed is not None and pushed.tag == published.tag
    commits = hub.commits("org/sample-lora", repo_type="model")
    assert len(commits) == 2 and commits[-1] == pushed.commit  # the repo's first, then ours
    assert hub.tags("org/sample-lora", repo_type="model") == {published.tag: pushed.commit}
    files = hub.files("org/sample-lora", pushed.tag, repo_type="model")
    expected = {"adapter_model.safetensors", "adapter_config.json", "meadow_template.json"}
    assert expected | {"README.md", "loss.png", RUN_FILE, "tokenizer.json"} <= set(files)
    assert not any(p.startswith("checkpoint-") for p in files)
    card = ModelCard(files["README.md"].decode())
    assert card.data.datasets == ["org/meadow"]
    assert card.data.meadow["dataset_commit"] == published.commit
    assert card.data.meadow["dataset_tag"] == published.tag
    assert 'generate("org/sample-lora"' in card.text
    again = push_adapter(out, "org/sample-lora", published.tag)  # the tag moves to the new one
    assert hub.tags("org/sample-lora", repo_type="model") == {published.tag: again.commit}


def test_a_hub_mixture_offline_is_a_clear_error(tiny_mixture, tiny_model_dir, tmp_path):
    config = tiny(tiny_model_dir, tmp_path, repo="org/meadow", revision="sample-0123456789")
    with pytest.raises(TrainError, match="HF_HUB_OFFLINE is set: pull it first"):
        train(config)


def test_a_bad_hub_revision_and_a_missing_token_fail_before_training(
    hub, tiny_mixture, tiny_model_dir, tmp_path, monkeypatch
):
    push("sample", repo_id="org/meadow")
    config = tiny(tiny_model_dir, tmp_path / "a", repo="org/meadow", revision="sample-nope")
    with pytest.raises(HubError, match="could not find revision 'sample-nope' on org/meadow"):
        train(config)
    monkeypatch.delenv("HF_TOKEN")
    with pytest.raises(HubError, match="no Hugging Face token"):
        train(tiny(tiny_model_dir, tmp_path / "b", push=True, push_repo="org/x"))
    assert not (tmp_path / "b").exists()


# -- several processes ------------------------------------------------------------------------


def test_two_cpu_processes_through_accelerate_launch(tiny_mixture, tiny_model_dir, tmp_path):
    """`accelerate launch --multi_gpu --num_processes 2` on a machine without a GPU runs two
    processes over gloo (`--cpu` would make accelerate 1.x start only one)."""
    out = tmp_path / "ddp"
    script = tmp_path / "meadow_cli.py"
    script.write_text("import sys\nfrom meadow.cli import main\nsys.exit(main())\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    env["CUDA_VISIBLE_DEVICES"] = ""  # CPU even where a GPU is
    command = [
        sys.executable, "-m", "accelerate.commands.launch",
        "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
        "--mixed_precision", "no", "--dynamo_backend", "no",
        "--main_process_port", str(free_port()),
        str(script), "train", "--mixture", "sample", "--base-model", str(tiny_model_dir),
        "--config", "tiny", "--output-dir", str(out), "--max-steps", "4",
    ]  # fmt: skip
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=180, check=False, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    record = run_record(out)
    assert record["world_size"] == 2 and record["metrics"]["steps"] == 4
    assert done.stdout.count("trained ") == 1  # one report, from the main process
    assert (out / "adapter_model.safetensors").is_file()
