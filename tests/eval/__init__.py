"""Benchmark fixtures in the upstream raw formats, and a tiny model taught to answer them.

    write_medqa(folder, questions)            # MedQA US: 4_options/phrases_no_exclude_test.jsonl
    write_usmle(folder, {1: [...]}, images={1: [0]})   # stepN.json, solutions, image list
    write_pubmedqa(folder, items, test=[pmid, ...])    # ori_pqal.json (+ test_ground_truth.json)
    overfit(model_dir, raw)                   # full fine-tuning until it answers every item

A question is `(text, {"A": ..., ...}, "C")`.
"""

from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path
from typing import Any

Question = tuple[str, dict[str, str], str]

CONDITIONS = [
    "asthma", "gout", "migraine", "anemia", "diabetes", "pneumonia", "epilepsy", "psoriasis",
    "influenza", "appendicitis", "osteoporosis", "hypertension",
]  # fmt: skip
WORDS = [
    "kidney", "liver", "heart", "lung", "bone", "skin", "blood", "joint", "nerve", "brain",
    "insulin", "iron", "salt", "rest", "surgery", "vaccine", "steroid", "antibiotic",
    "fever", "cough", "rash", "pain", "fatigue", "swelling",
]  # fmt: skip


def fixture_questions() -> list[Question]:
    """Twelve distinct four-option questions, the key spread over A to D."""
    questions = []
    for number, condition in enumerate(CONDITIONS):
        rng = random.Random(number)
        texts = rng.sample(WORDS, 4)
        options = dict(zip("ABCD", texts, strict=True))
        questions.append((f"Which word goes with {condition}?", options, "ABCD"[number % 4]))
    return questions


def random_questions(count: int, seed: int = 7) -> list[Question]:
    """`count` questions with random options and a key drawn uniformly from A to D."""
    rng = random.Random(seed)
    questions = []
    for number in range(count):
        condition = rng.choice(CONDITIONS)
        options = dict(zip("ABCD", rng.sample(WORDS, 4), strict=True))
        questions.append(
            (f"Item {number}: what is linked to {condition}?", options, rng.choice("ABCD"))
        )
    return questions


def write_medqa(folder: Path, questions: list[Question], *, split: str = "test") -> Path:
    """MedQA's 4-option layout: `4_options/phrases_no_exclude_{split}.jsonl`."""
    path = folder / "4_options" / f"phrases_no_exclude_{split}.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        {
            "question": text,
            "answer": options.get(key, ""),
            "options": options,
            "meta_info": "step1",
            "answer_idx": key,
            "metamap_phrases": ["fixture"],
        }
        for text, options, key in questions
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return folder


def write_usmle(
    folder: Path, steps: dict[int, list[Question]], images: dict[int, list[int]] | None = None
) -> Path:
    """medAlpaca's USMLE files: `stepN.json`, `stepN_solutions.json` and the image list."""
    folder.mkdir(parents=True, exist_ok=True)
    for step in (1, 2, 3):
        questions = steps.get(step, [])
        items = [
            {"no": no, "question": text, "options": options}
            for no, (text, options, _) in enumerate(questions, start=1)
        ]
        solutions = {str(no): key for no, (_, _, key) in enumerate(questions, start=1)}
        (folder / f"step{step}.json").write_text(json.dumps(items, indent=4))
        (folder / f"step{step}_solutions.json").write_text(json.dumps(solutions, indent=4))
    positions = {f"step{step}": (images or {}).get(step, []) for step in (1, 2, 3)}
    (folder / "question_with_images.json").write_text(json.dumps(positions, indent=4))
    return folder


def write_pubmedqa(
    folder: Path, items: dict[str, tuple[str, str]], test: list[str] | None = None
) -> Path:
    """`ori_pqal.json` (PMID -> question and decision), and the test split's PMIDs."""
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = {
        pmid: {
            "QUESTION": question,
            "CONTEXTS": [f"The study of {pmid} found an effect.", "Patients were followed."],
            "LABELS": ["RESULTS", "METHODS"],
            "MESHES": ["Humans"],
            "YEAR": "2010",
            "reasoning_required_pred": "yes",
            "reasoning_free_pred": "yes",
            "final_decision": decision,
            "LONG_ANSWER": "It does.",
        }
        for pmid, (question, decision) in items.items()
    }
    (folder / "ori_pqal.json").write_text(json.dumps(data, indent=1))
    if test is not None:
        truth = {pmid: items[pmid][1] for pmid in test}
        (folder / "test_ground_truth.json").write_text(json.dumps(truth))
    return folder


def overfit(model_dir: Path, raw: Path, tokenizer: Any, *, max_steps: int = 300) -> Path:
    """A tiny Llama fully fine-tuned on the MedQA test rows under `raw`, built by the source
    as a mixture would build them, until its loss is near zero (~80 steps, ~5 s on one
    thread); saved with its template."""
    import torch
    from transformers import LlamaForCausalLM

    from meadow.sources import get_source
    from meadow.train.data import CompletionCollator, encode_example
    from meadow.train.templates import get_template, save_template
    from tests.train import tiny_llama_config

    source = get_source("medqa")()
    template = get_template("medalpaca")
    rows = [
        dataclasses.asdict(record)
        for shard in source.shards(raw)
        for record in source.records(shard)
        if not hasattr(record, "reason")
    ]
    batch = CompletionCollator(tokenizer)(
        [encode_example(row, template, tokenizer, 512) for row in rows]
    )
    torch.manual_seed(0)
    model = LlamaForCausalLM(tiny_llama_config(tokenizer))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    model.train()
    for _ in range(max_steps):
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if loss.item() < 0.05:
            break
    model.eval()
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    save_template(template, model_dir)
    return model_dir


def make_adapter(base: Path, out: Path, tokenizer: Any, *, template: str = "alpaca") -> Path:
    """An adapter folder as `meadow train` leaves it (LoRA weights, tokenizer, template, run
    record, card), without training: its LoRA starts as the identity."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM

    from meadow.train.card import DatasetPin, render_model_card
    from meadow.train.model import peft_quietly
    from meadow.train.publish import RUN_FILE
    from meadow.train.templates import get_template, save_template

    torch.manual_seed(1)
    lora = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM")
    with peft_quietly():
        model = get_peft_model(LlamaForCausalLM.from_pretrained(base), lora)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    save_template(get_template(template), out)
    pin = DatasetPin(name="sample", revision="0123456789abcdef", tag="sample-0123456789")
    (out / RUN_FILE).write_text(json.dumps({"dataset": pin.to_dict()}))
    card = render_model_card(
        base_model=str(base),
        dataset=pin,
        template=get_template(template).to_dict(),
        prompt_example=None,
        hyperparameters={"lora_r": 4},
        metrics={"steps": 0},
        versions={"meadow": "test"},
    )
    (out / "README.md").write_text(card, encoding="utf-8")
    return out
