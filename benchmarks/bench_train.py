"""Training throughput and peak memory: meadow's batches against padding to max_length.

Same rows (the `sample` mixture's train split, the bundled corpora: 127 rows of 87 to 315
tokens, repeated to `--rows` 4,096 so that the length-grouped sampler has whole megabatches
to group), same model, same LoRA (r 16 on every linear layer), optimizer, seed, batch size
and number of steps; only what meadow changes differs. Each route runs in a process of its
own, so its peak memory is its own:

* baseline: every example padded to max_length, in random order, as the Alpaca-era
  scripts medAlpaca started from did (`padding="max_length"`), with the model's own loss
  (logits at every position);
* dynamic: random batches padded to their longest (multiple of 8), as medAlpaca's later
  `medalpaca/train.py` did with `DataCollatorForSeq2Seq` (for reference), model's loss;
* grouped: `meadow train` as configured by default: length-grouped batches padded to their
  longest (`CompletionCollator`, the Trainer's `group_by_length` sampler on the `length`
  column), and meadow's `ResponseLoss` (logits only at the response positions);
* packed: `meadow train` with `packing: true`: examples whole in blocks of max_length,
  attention kept within each example through restarting `position_ids`, `ResponseLoss`.

Every route has meadow's labels (prompt masked, EOS kept), so "response tokens" (response +
EOS, the tokens the loss is on) are counted the same way for all; a step's tokens differ
(a packed step holds more examples than a padded one), so compare tokens/s, not steps/s.
Timing starts after `--warmup` steps (allocator and kernel warm-up) and includes loading
and collating batches. Peak memory is the process's peak RSS (and, on CUDA, the peak of
allocated GPU memory). With `--repeat N` the routes run N times, interleaved, and the
median run is shown. On CPU each route uses `--threads` torch threads (default 1: on a
small shared machine, OpenMP threads competing with other work made timings swing 10x).
On CUDA the frozen base weights are bf16 (as `meadow train` loads them) under bf16
autocast. MFU counts model FLOPs of the real (non-pad) tokens only: 4N per token (forward,
and the backward's activation gradients: LoRA leaves the base's weight gradients out) plus
attention, over the GPU's dense bf16 peak (989 TFLOP/s for an H100/H200).
The tokenizer is a byte-level BPE trained on the mixture's text (vocabulary 2,000: ~3.9
characters per token, close to Llama's on this text).

Models: `tiny` (the tests' 2-layer, width-64 Llama), `100m` (12 layers, width 768, MLP
2,560: ~102M parameters with this vocabulary) and `1b` (Llama-3.2-1B's shape: 16 layers,
width 2,048, MLP 8,192, 8 KV heads: ~0.98B). max_length defaults to 256, medAlpaca's
default.

Measured on CPU here (2 cores shared with other work, 1 thread per route, batch 8; tiny:
60 steps, median of 3 interleaved runs; 100m: 17 steps, one run), response tokens/s and
the ratio to the baseline:

    max_length  model  baseline  dynamic        grouped        packed         peak RSS MiB
    256         tiny   2,087     2,787 (1.34x)  6,779 (3.25x)  5,915 (2.83x)  652 / 607 / 614
    512         tiny   930       2,586 (2.78x)  6,851 (7.36x)  4,674 (5.02x)  785 / 624 / 716
    256         100m   15.1      18.1 (1.19x)   39.6 (2.61x)   35.2 (2.33x)   5017 / 5103 / 5265
    512         100m   7.8       24.9 (3.19x)   45.7 (5.85x)   37.0 (4.74x)   9636 / 6324 / 9787

(peak RSS: baseline / grouped / packed). Padding alone is worth at most ~2x at 256 on this
data (examples average 126 tokens); the rest is `ResponseLoss`: the vocabulary-wide head
and cross-entropy run on the ~25% of positions that are response instead of all of them
(most of the tiny model's work; less of the 100m's).

Measured on one NVIDIA H200 (bf16, 40 steps, 5 warm-up, one run; the 300-step run: 60
warm-up), `1b`:

    max_length  batch  baseline  dynamic        grouped        packed          MFU base/packed
    256         16     4,832     3,722 (0.77x)  3,265 (0.68x)  8,044 (1.66x)   7.0% / 11.5%
    256 (300)   16     4,049     -              3,250 (0.80x)  6,089 (1.50x)   5.8% / 8.7%
    512         16     3,077     3,621 (1.18x)  2,673 (0.87x)  11,183 (3.63x)  4.4% / 15.3%
    256         64     6,817     6,682 (0.98x)  9,130 (1.34x)  10,956 (1.61x)  9.7% / 15.7%

Peak GPU memory 11.2 / 11.6 GiB (256, batch 16), 20.4 / 21.3 GiB (512), 38.6 / 40.3 GiB
(256, batch 64), baseline / packed. A 1B LoRA step at these sizes is bound by per-step
overhead (kernel launches, many small LoRA matmuls), not by arithmetic: removing padding
saves little and varying batch shapes cost more than they save, while a packed step
carries 1.8-4x the examples for about the same time. Hence `packing: true` in the GPU
presets (`small`, `7b`); length-grouping stays the default on CPU.

Run:  python benchmarks/bench_train.py [--config tiny|100m|1b|all] [--max-length 256]
          [--steps N] [--warmup 1] [--batch-size 8] [--rows 4096] [--repeat 3]
          [--threads 1] [--routes baseline,dynamic,grouped,packed] [--out results.json]
          [--work-dir DIR [--prepare-only]]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CONFIGS: dict[str, dict[str, int]] = {
    "tiny": {},  # tests.train.tiny_llama_config's defaults
    "100m": {
        "hidden_size": 768,
        "intermediate_size": 2560,
        "num_hidden_layers": 12,
        "num_attention_heads": 12,
    },
    "1b": {  # Llama-3.2-1B's shape (with grouped-query attention): ~0.98B parameters here
        "hidden_size": 2048,
        "intermediate_size": 8192,
        "num_hidden_layers": 16,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
    },
}
# Dense bf16 peak of the accelerators MFU is reported for (vendor figures, TFLOP/s).
PEAK_TFLOPS = {"H100": 989.4, "H200": 989.4, "A100": 312.0}
ROUTES = ("baseline", "dynamic", "grouped", "packed")
DEFAULT_STEPS = {"tiny": 60, "100m": 17, "1b": 40}  # 100m: 16 timed steps, one pass over the rows
MIXTURE = "sample"
VOCAB = 2_000


def prepare(work: Path) -> None:
    """Build the mixture and train the tokenizer once, before any timed route."""
    from meadow import build, load_mixture
    from tests.train import medical_lines, train_tokenizer

    build(MIXTURE)
    splits = load_mixture(MIXTURE)
    texts = [row[k] for split in splits.values() for row in split for k in ("input", "output")]
    train_tokenizer(medical_lines() + texts, vocab_size=VOCAB).save_pretrained(work / "tokenizer")


def run_route(route: str, config: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Train `args.steps` steps along one route; its throughput and peak memory."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import (
        AutoTokenizer,
        LlamaForCausalLM,
        Trainer,
        TrainerCallback,
        TrainingArguments,
    )

    from meadow import load_mixture
    from meadow.train import (
        CompletionCollator,
        get_template,
        pack,
        tokenize_split,
    )
    from meadow.train.loss import ResponseLoss, has_plain_head
    from meadow.train.trainer import CountingTrainer as MeadowTrainer
    from tests.train import tiny_llama_config

    cuda = torch.cuda.is_available() and args.device != "cpu"
    if not cuda:
        torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(work / "tokenizer")
    rows = cycled(load_mixture(MIXTURE)["train"], args.rows)
    encoded = tokenize_split(rows, get_template("medalpaca"), tokenizer, args.max_length)
    train_set = pack(encoded, args.max_length) if route == "packed" else encoded
    meadows = route in ("grouped", "packed")
    multiple = {"baseline": args.max_length, "dynamic": 8}.get(route, 8 if cuda else None)
    collator = CompletionCollator(tokenizer, pad_to_multiple_of=multiple)

    torch.manual_seed(0)
    model_config = tiny_llama_config(tokenizer, **CONFIGS[config])
    with torch.device("cuda" if cuda else "cpu"):  # a 1B model initialises in seconds there
        model = LlamaForCausalLM(model_config)
    if cuda:  # frozen base weights in bf16, as `meadow train` loads them on a GPU
        model = model.to(torch.bfloat16)
    parameters = sum(p.numel() for p in model.parameters())
    matmul_parameters = parameters - model.get_input_embeddings().weight.numel()
    lora = LoraConfig(
        r=16, lora_alpha=32, lora_dropout=0.05, target_modules="all-linear", task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, lora)

    class Clock(TrainerCallback):
        def __init__(self) -> None:
            self.ends: list[float] = []

        def on_step_end(self, *_: Any, **__: Any) -> None:
            if cuda:
                torch.cuda.synchronize()
            self.ends.append(time.perf_counter())

    class CountingTrainer(MeadowTrainer if meadows else Trainer):
        def __init__(self, *rest: Any, **kw: Any) -> None:
            super().__init__(*rest, **kw)
            self.steps: list[dict[str, int]] = []

        def training_step(self, model: Any, inputs: dict[str, Any], *rest: Any, **kw: Any):
            self.steps.append(step_counts(inputs, tokenizer.pad_token_id))
            return super().training_step(model, inputs, *rest, **kw)

    clock = Clock()
    # meadow's routes have its response-only logits; the others the model's own loss
    plain = meadows and has_plain_head(model)
    loss = ResponseLoss(model.get_output_embeddings()) if plain else None
    with tempfile.TemporaryDirectory(prefix="meadow-bench-") as out:
        training = TrainingArguments(
            output_dir=out,
            max_steps=args.steps,
            per_device_train_batch_size=args.batch_size,
            learning_rate=2e-4,
            lr_scheduler_type="constant",
            logging_strategy="no",
            save_strategy="no",
            report_to="none",
            disable_tqdm=True,
            bf16=cuda,
            use_cpu=not cuda,
            train_sampling_strategy="group_by_length" if route == "grouped" else "random",
            length_column_name="length",
            remove_unused_columns=False,
            seed=0,
            data_seed=0,
        )
        trainer = CountingTrainer(
            model=model,
            args=training,
            train_dataset=train_set,
            data_collator=collator,
            callbacks=[clock],
            compute_loss_func=loss,
        )
        trainer.train()

    timed = trainer.steps[args.warmup :]
    seconds = clock.ends[-1] - clock.ends[args.warmup - 1]
    response = sum(step["response"] for step in timed)
    positions = sum(step["positions"] for step in timed)
    flops = sum(
        lora_training_flops(matmul_parameters, model_config, step["tokens"], step["attended"])
        for step in timed
    )
    device = torch.cuda.get_device_name() if cuda else f"cpu ({torch.get_num_threads()} threads)"
    peak = next((tflops for name, tflops in PEAK_TFLOPS.items() if name in device), None)
    return {
        "route": route,
        "config": config,
        "parameters": parameters,
        "device": device,
        "tokens_per_s": sum(step["tokens"] for step in timed) / seconds,
        "model_tflops": flops / seconds / 1e12,
        "mfu": flops / seconds / (peak * 1e12) if peak else None,
        "steps_timed": len(timed),
        "seconds": seconds,
        "response_tokens_per_s": response / seconds,
        "steps_per_s": len(timed) / seconds,
        "response_tokens_per_step": response / len(timed),
        "positions_per_step": positions / len(timed),
        "useful_fraction": response / positions,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_cuda_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
    }


def cycled(rows: Any, count: int) -> Any:
    """`rows` repeated (in order) up to `count` rows: the same length distribution, and
    enough rows for the length-grouped sampler, which groups within megabatches of
    min(50, rows / (4 x batch size)) batches (127 rows would give it one batch)."""
    from datasets import concatenate_datasets

    copies = -(-count // len(rows))
    return concatenate_datasets([rows] * copies).select(range(count))


def step_counts(inputs: dict[str, Any], pad_id: int) -> dict[str, int]:
    """A batch's response tokens, positions, real (non-pad) tokens and attended keys.

    Attended keys are what causal attention costs: a real token at position p attends to
    p + 1 keys. Positions come from `position_ids` (packed rows restart them per example)
    or from the attention mask.
    """
    from meadow.train import response_token_count

    input_ids = inputs["input_ids"]
    if "position_ids" in inputs:
        real = input_ids.ne(pad_id)
        position = inputs["position_ids"]
    else:
        real = inputs["attention_mask"].bool()
        position = inputs["attention_mask"].cumsum(-1) - 1
    return {
        "response": response_token_count(inputs["labels"]),
        "positions": input_ids.numel(),
        "tokens": int(real.sum()),
        "attended": int((position + 1)[real].sum()),
    }


def lora_training_flops(matmul_parameters: int, config: Any, tokens: int, attended: int) -> int:
    """Model FLOPs of a LoRA step on `tokens` real tokens, padding excluded.

    The base weights are frozen, so the backward pass computes activation gradients only:
    2N per token forward and 2N backward (not the 6N of full fine-tuning), plus attention,
    4·d per attended key and layer forward and twice that backward. The adapters' own
    FLOPs (rank 16) are left out; they are under 2% here.
    """
    attention = 12 * config.num_hidden_layers * config.hidden_size * attended
    return 4 * matmul_parameters * tokens + attention


def _child(route: str, config: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", route, "--config", config, "--work", str(work)]
    for flag in ("steps", "warmup", "batch_size", "max_length", "rows", "device", "threads"):
        command += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode or not lines:
        sys.exit(f"route {route} ({config}) failed:\n{done.stderr[-4000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The median run by response tokens/s; memory is the largest peak of all runs."""
    ordered = sorted(runs, key=lambda r: r["response_tokens_per_s"])
    summary = dict(ordered[len(ordered) // 2])
    summary["runs"] = len(runs)
    summary["response_tokens_per_s_all"] = [round(r["response_tokens_per_s"]) for r in runs]
    summary["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    return summary


def _report(results: list[dict[str, Any]]) -> None:
    baseline = {
        r["config"]: r["response_tokens_per_s"] for r in results if r["route"] == "baseline"
    }
    header = (
        f"{'config':<6} {'route':<9} {'resp tok/s':>10} {'vs base':>7} {'steps/s':>8} "
        f"{'resp/step':>9} {'pos/step':>8} {'useful':>6} {'TFLOP/s':>7} {'MFU':>5} "
        f"{'RSS MiB':>8} {'GPU MiB':>8}  runs"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        ratio = r["response_tokens_per_s"] / baseline[r["config"]] if r["config"] in baseline else 0
        gpu = f"{r['peak_cuda_mib']:.0f}" if r["peak_cuda_mib"] is not None else "-"
        mfu = f"{r['mfu']:.1%}" if r["mfu"] is not None else "-"
        print(
            f"{r['config']:<6} {r['route']:<9} {r['response_tokens_per_s']:>10.0f} "
            f"{ratio:>6.2f}x {r['steps_per_s']:>8.2f} {r['response_tokens_per_step']:>9.0f} "
            f"{r['positions_per_step']:>8.0f} {r['useful_fraction']:>6.0%} "
            f"{r['model_tflops']:>7.2f} {mfu:>5} "
            f"{r['peak_rss_mib']:>8.0f} {gpu:>8}  {r['response_tokens_per_s_all']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", default="all", choices=[*CONFIGS, "all"], help="all: tiny and 100m"
    )
    parser.add_argument("--routes", default=",".join(ROUTES))
    parser.add_argument("--steps", type=int, help="steps per route (default: 60 tiny, 17 100m)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed first steps (>= 1)")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument(
        "--rows", type=int, default=4096, help="train rows, the sample's repeated (default 4096)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per route, interleaved (median)"
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads on CPU")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu"])
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="keep the built mixture and tokenizer here and reuse them (default: a temp dir)",
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="build into --work-dir, train nothing"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("MEADOW_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    if args.child:
        os.environ["MEADOW_HOME"] = str(args.work / "home")
        os.environ["HF_DATASETS_CACHE"] = str(args.work / "datasets")
        result = run_route(args.child, args.config, args, args.work)
        print("RESULT " + json.dumps(result))
        return

    configs = ["tiny", "100m"] if args.config == "all" else [args.config]
    routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    unknown = sorted(set(routes) - set(ROUTES))
    if unknown:
        parser.error(f"unknown routes {unknown}; available: {', '.join(ROUTES)}")
    if args.prepare_only and not args.work_dir:
        parser.error("--prepare-only needs --work-dir")
    results = []
    with tempfile.TemporaryDirectory(prefix="meadow-bench-train-") as tmp:
        work = (args.work_dir or Path(tmp)).resolve()
        os.environ["MEADOW_HOME"] = str(work / "home")
        os.environ["HF_DATASETS_CACHE"] = str(work / "datasets")
        if not (work / "tokenizer").is_dir():
            prepare(work)
        if args.prepare_only:
            return
        for config in configs:
            settings = argparse.Namespace(**vars(args))
            settings.steps = args.steps or DEFAULT_STEPS[config]
            if not 1 <= args.warmup < settings.steps:
                parser.error("--warmup must be at least 1 and fewer than --steps")
            runs: dict[str, list[dict[str, Any]]] = {route: [] for route in routes}
            for _ in range(args.repeat):
                for route in routes:
                    run = _child(route, config, settings, work)
                    tokens = run["response_tokens_per_s"]
                    print(f"{config} {route}: {tokens:.0f} response tokens/s", file=sys.stderr)
                    runs[route].append(run)
            results += [_summary(runs[route]) for route in routes]
    print(f"max_length {args.max_length}, batch size {args.batch_size}, {results[0]['device']}")
    _report(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
