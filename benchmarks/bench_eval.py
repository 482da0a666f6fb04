"""Option log-likelihood scoring speed: meadow's packed pass against one pass per option.

Same items, same model, same weights (seed 0), same tokens scored; only the scoring differs.
Each route runs in a process of its own, so its peak memory is its own:

* naive: one forward pass of prompt + option for every option (what a plain loop over
  `model(prompt + option)` does; `meadow.eval.scoring.reference_scores`);
* packed: meadow's scorer, one forward pass per question: the prompt once, every option
  after it with a 4-D mask and restarting positions, logits only where a continuation
  token is predicted (`meadow.eval.scoring.option_scores`), `--batch-size` questions a pass.

The items are synthetic MedQA questions in the upstream 4-option layout (a 5-sentence
vignette, ~170 tokens of prompt with the medalpaca template, options of 1 to 4 words), read
by `meadow eval`'s own loader. Timing starts after the first batch (warm-up) and stops after
a CUDA synchronisation; both routes must pick the same options (checked). The model is
bench_train's `100m` (12 layers, width 768, MLP 2,560: ~102M parameters here) or `1b`
(Llama-3.2-1B's shape), random weights, with bench_train's tokenizer size (2,000).
`--device auto` runs on CUDA with bf16 weights when there is a GPU, else on CPU in fp32
with `--threads` threads.

Measured here (2 CPU cores shared with other work, load average ~2.3; 1 torch thread, fp32;
100m; 24 items of 4 options, 23 timed; 171 prompt tokens per item), three runs:

    route             items/s            vs naive       tokens/item  peak RSS MiB
    naive             0.50 / 0.44 / 0.47  1.00x          702          893-898
    packed (batch 1)  1.36 / 1.42 / 1.76  2.7x-3.8x      189          884-894
    packed (batch 4)  1.50 / 1.98 / 2.00  3.0x-4.6x      189          930-947

Every run picked the same options on both routes. The packed pass runs 3.7x fewer tokens
(the prompt once instead of once per option); batching questions adds a little on CPU.

Measured on one NVIDIA H200 (bf16 weights; 96 items of 4 options, 95 timed; 170 prompt
tokens per item), one run each:

    config  route             items/s   vs naive   GPU MiB  same picks as naive
    1b      naive             18.6      1.00x      3,735    -
    1b      packed (batch 1)  23.7      1.28x      3,735    yes
    1b      packed (batch 8)  152.0     8.20x      3,735    no (bf16: see below)
    100m    naive             22.3      1.00x      392      -
    100m    packed (batch 1)  39.5      1.78x      392      yes
    100m    packed (batch 8)  153.5     6.89x      392      yes

On a GPU a forward pass of one question is launch-bound, so batching questions is what
pays. In bf16 a batch of 8 rows rounds differently from one row, and one near-tied item
of the random 1B model picked another option than the naive route: results are
byte-identical for the same batch size (batches are fixed slices of the item list), not
across batch sizes, on a GPU in bf16. On CPU (fp32) every batch size gave the same picks.

Run:  python benchmarks/bench_eval.py [--config 100m|1b|tiny] [--items 24] [--batch-size 4]
          [--device auto|cpu|cuda] [--threads 1] [--routes naive,packed1,packed]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from bench_train import CONFIGS, VOCAB  # noqa: E402  (the trainer benchmark's model shapes)

ROUTES = ("naive", "packed1", "packed")
_FINDINGS = [
    "has had {s} for {n} days",
    "reports {s} that is worse at night",
    "has a history of {c} treated with {d}",
    "takes {d} daily and drinks alcohol on weekends",
    "has a temperature of 38.{n} C and a pulse of 1{n}0/min",
    "has {s} on examination of the {o}",
    "had a sibling with {c} diagnosed at the age of {n}0",
]
_SYMPTOMS = ["fatigue", "cough", "chest pain", "joint pain", "a rash", "headache", "dyspnea"]
_ORGANS = ["chest", "abdomen", "knee", "skin", "neck", "back"]
_DRUGS = ["metformin", "lisinopril", "ibuprofen", "prednisone", "albuterol", "warfarin"]
_CONDITIONS = [
    "gout", "asthma", "migraine", "pneumonia", "iron deficiency anemia", "atrial fibrillation",
    "hypothyroidism", "type 2 diabetes", "heart failure", "chronic kidney disease", "psoriasis",
    "appendicitis", "osteoporosis", "epilepsy", "influenza", "hypertension",
]  # fmt: skip


def write_items(folder: Path, count: int, seed: int = 0) -> Path:
    """`count` MedQA-style questions in `4_options/phrases_no_exclude_test.jsonl`."""
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        findings = [
            rng.choice(_FINDINGS).format(
                s=rng.choice(_SYMPTOMS),
                n=rng.randint(2, 9),
                c=rng.choice(_CONDITIONS),
                d=rng.choice(_DRUGS),
                o=rng.choice(_ORGANS),
            )
            for _ in range(5)
        ]
        question = (
            f"A {rng.randint(20, 80)}-year-old patient comes to the physician. The patient "
            + ". The patient ".join(findings)
            + ". Which of the following is the most likely diagnosis?"
        )
        options = dict(zip("ABCD", rng.sample(_CONDITIONS, 4), strict=True))
        key = rng.choice("ABCD")
        lines.append(
            {
                "question": question,
                "answer": options[key],
                "options": options,
                "meta_info": "step1",
                "answer_idx": key,
                "metamap_phrases": [],
            }
        )
    path = folder / "4_options" / "phrases_no_exclude_test.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return folder


def prepare(work: Path, items: int) -> None:
    """The items and the tokenizer, once, before any timed route."""
    from tests.train import medical_lines, train_tokenizer

    raw = write_items(work / "medqa", items)
    texts = [json.loads(line)["question"] for line in next(raw.rglob("*.jsonl")).open()]
    train_tokenizer(medical_lines() + texts, vocab_size=VOCAB).save_pretrained(work / "tokenizer")


def run_route(route: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """Score every item along one route; its items/s, peak memory and predictions."""
    import torch
    from transformers import AutoTokenizer, LlamaForCausalLM

    from meadow.eval import get_benchmark, load_benchmark
    from meadow.eval.scoring import best, encode_item, option_scores, reference_scores
    from meadow.train.templates import get_template
    from tests.train import tiny_llama_config

    cuda = args.device == "cuda" or (args.device == "auto" and torch.cuda.is_available())
    device = torch.device("cuda" if cuda else "cpu")
    if not cuda:
        torch.set_num_threads(args.threads)
    tokenizer = AutoTokenizer.from_pretrained(work / "tokenizer")
    bench = load_benchmark(get_benchmark("medqa"), work / "medqa")
    template = get_template("medalpaca")
    encoded = [
        encode_item(bench.benchmark, item, bench.instruction, template, tokenizer)
        for item in bench.items
    ]
    torch.manual_seed(0)
    with device:  # a 1B model initialises in seconds on a GPU
        model = LlamaForCausalLM(tiny_llama_config(tokenizer, **CONFIGS[args.config]))
    model = model.to(torch.bfloat16 if cuda else torch.float32).eval()
    parameters = sum(p.numel() for p in model.parameters())
    size = {"naive": 1, "packed1": 1, "packed": args.batch_size}[route]
    batches = [encoded[i : i + size] for i in range(0, len(encoded), size)]

    def score(batch: list[Any]) -> list[dict[str, Any]]:
        if route == "naive":
            return [reference_scores(model, one, device) for one in batch]
        return option_scores(model, batch, device, tokenizer.pad_token_id)

    predictions = [best(s, "mean") for s in score(batches[0])]  # warm-up, untimed
    if cuda:
        torch.cuda.synchronize()
    start = time.perf_counter()
    for batch in batches[1:]:
        predictions += [best(s, "mean") for s in score(batch)]
    if cuda:
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    timed = sum(len(b) for b in batches[1:])
    options = sum(len(e.continuations) for e in encoded)
    if route == "naive":  # the prompt again for every option
        tokens = sum(len(e.prompt) * len(e.continuations) for e in encoded) + sum(
            e.packed_length - len(e.prompt) for e in encoded
        )
    else:
        tokens = sum(e.packed_length for e in encoded)
    return {
        "route": route,
        "config": args.config,
        "batch_size": size,
        "parameters": parameters,
        "device": torch.cuda.get_device_name()
        if cuda
        else f"cpu ({torch.get_num_threads()} threads)",
        "items_timed": timed,
        "seconds": seconds,
        "items_per_s": timed / seconds,
        "prompt_tokens_per_item": sum(len(e.prompt) for e in encoded) / len(encoded),
        "options_per_item": options / len(encoded),
        "forward_tokens_per_item": tokens / len(encoded),
        "predictions": predictions,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "peak_cuda_mib": torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
    }


def in_own_process(route: str, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    """`run_route` in a fresh (spawned) process, so that its peak memory is its own."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(run_route, route, args, work).result()


def _report(results: list[dict[str, Any]]) -> None:
    naive = next((r for r in results if r["route"] == "naive"), None)
    first = results[0]
    print(
        f"{first['config']}: {first['parameters'] / 1e6:.0f}M parameters on {first['device']}, "
        f"{first['items_timed']} items timed, {first['prompt_tokens_per_item']:.0f} prompt "
        "tokens per item"
    )
    header = (
        f"{'route':<18} {'items/s':>8} {'vs naive':>8} {'tokens/item':>11} {'RSS MiB':>8} "
        f"{'GPU MiB':>8}  same picks"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        label = "naive" if r["route"] == "naive" else f"packed (batch {r['batch_size']})"
        ratio = f"{r['items_per_s'] / naive['items_per_s']:.2f}x" if naive else "-"
        gpu = f"{r['peak_cuda_mib']:.0f}" if r["peak_cuda_mib"] is not None else "-"
        same = "-" if naive is None else str(r["predictions"] == naive["predictions"]).lower()
        print(
            f"{label:<18} {r['items_per_s']:>8.2f} {ratio:>8} "
            f"{r['forward_tokens_per_item']:>11.0f} {r['peak_rss_mib']:>8.0f} {gpu:>8}  {same}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="100m", choices=list(CONFIGS))
    parser.add_argument("--routes", default=",".join(ROUTES))
    parser.add_argument("--items", type=int, default=24, help="questions (the first is warm-up)")
    parser.add_argument("--batch-size", type=int, default=4, help="questions per packed pass")
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--threads", type=int, default=1, help="torch threads on CPU")
    parser.add_argument("--out", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    routes = [r.strip() for r in args.routes.split(",") if r.strip()]
    with tempfile.TemporaryDirectory(prefix="meadow-bench-eval-") as tmp:
        work = Path(tmp)
        os.environ.setdefault("MEADOW_HOME", str(work / "home"))
        os.environ.setdefault("MEADOW_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        prepare(work, args.items)
        results = [in_own_process(route, args, work) for route in routes]
    _report(results)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
