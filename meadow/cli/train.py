"""`meadow train` and `meadow generate`: a LoRA adapter on a mixture, and asking it questions.

torch, transformers and peft are imported inside the commands, so `meadow --help` works
without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from meadow.cli._common import console, err_console, split_csv


def train_command(
    mixture: Annotated[
        str | None, typer.Option("--mixture", "-m", help="A mixture: local, or in --dataset-repo.")
    ] = None,
    base_model: Annotated[
        str | None, typer.Option("--base-model", help="A local model folder or a Hub model id.")
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", help="A preset (tiny, small, 7b) or a YAML file."),
    ] = None,
    revision: Annotated[
        str | None,
        typer.Option(help="The mixture's revision: local (a prefix is enough), or a Hub tag/sha."),
    ] = None,
    dataset_repo: Annotated[
        str | None,
        typer.Option("--dataset-repo", help="ORG/NAME: load the mixture from this Hub repo."),
    ] = None,
    template: Annotated[
        str | None, typer.Option(help="Prompt template: medalpaca (default), alpaca or chat.")
    ] = None,
    output_dir: Annotated[
        Path | None, typer.Option("--output-dir", "-o", help="Where the adapter goes.")
    ] = None,
    max_length: Annotated[
        int | None, typer.Option("--max-length", help="Tokens per example.")
    ] = None,
    train_on_inputs: Annotated[
        bool | None,
        typer.Option(
            "--train-on-inputs/--no-train-on-inputs", help="Loss on the prompt too (default off)."
        ),
    ] = None,
    packing: Annotated[
        bool | None,
        typer.Option("--packing/--no-packing", help="Pack examples (else length-grouped batches)."),
    ] = None,
    epochs: Annotated[float | None, typer.Option(help="Epochs over the train split.")] = None,
    max_steps: Annotated[
        int | None, typer.Option("--max-steps", help="Optimizer steps (wins over --epochs).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option("--batch-size", help="Examples per device and step.")
    ] = None,
    grad_accum: Annotated[
        int | None, typer.Option("--grad-accum", help="Gradient accumulation steps.")
    ] = None,
    learning_rate: Annotated[
        float | None, typer.Option("--learning-rate", "--lr", help="Peak learning rate.")
    ] = None,
    lora_r: Annotated[int | None, typer.Option("--lora-r", help="LoRA rank.")] = None,
    lora_alpha: Annotated[int | None, typer.Option("--lora-alpha", help="LoRA alpha.")] = None,
    lora_dropout: Annotated[
        float | None, typer.Option("--lora-dropout", help="LoRA dropout.")
    ] = None,
    target_modules: Annotated[
        str | None,
        typer.Option("--target-modules", help="all-linear (default) or comma-separated names."),
    ] = None,
    precision: Annotated[
        str | None, typer.Option(help="auto (default), bf16, fp16 or fp32.")
    ] = None,
    quantization: Annotated[
        str | None, typer.Option(help="8bit or 4bit (QLoRA): needs CUDA and bitsandbytes.")
    ] = None,
    gradient_checkpointing: Annotated[
        bool | None,
        typer.Option(
            "--gradient-checkpointing/--no-gradient-checkpointing",
            help="Recompute activations to save memory.",
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of the data order and LoRA init.")] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint in --output-dir.")
    ] = False,
    resume_from: Annotated[
        Path | None, typer.Option("--resume-from", help="Continue from this checkpoint folder.")
    ] = None,
    merge: Annotated[
        bool, typer.Option("--merge", help="Also write the merged model to OUTPUT_DIR/merged.")
    ] = False,
    push: Annotated[
        bool, typer.Option("--push", help="Publish adapter and card to a Hub model repo.")
    ] = False,
    repo: Annotated[
        str | None,
        typer.Option("--repo", help="ORG/NAME of the model repo (default YOUR-USER/DIR-NAME)."),
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="Create the model repo private.")
    ] = False,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE for any config key (repeatable), in YAML syntax."),
    ] = None,
) -> None:
    """Train a LoRA adapter on a mixture; its card pins the dataset revision.

    Every option can be set in a YAML file (--config), whose keys are those of
    meadow.train.config.TrainConfig; flags and --set win over the file.

    Examples:

      meadow train --mixture sample --base-model ./tiny-llama --config tiny

      meadow train --mixture small --base-model meta-llama/Llama-3.2-1B --config small

      meadow train --mixture small --dataset-repo my-org/meadow --revision small-3f2a9c0d1e \\
        --base-model mistralai/Mistral-7B-v0.1 --config 7b --push --repo my-org/small-lora
    """
    from meadow.train.config import load_config, parse_assignments

    flags = {
        "mixture": mixture,
        "base_model": base_model,
        "revision": revision,
        "repo": dataset_repo,
        "template": template,
        "output_dir": str(output_dir) if output_dir else None,
        "max_length": max_length,
        "train_on_inputs": train_on_inputs,
        "packing": packing,
        "epochs": epochs,
        "max_steps": max_steps,
        "batch_size": batch_size,
        "gradient_accumulation_steps": grad_accum,
        "learning_rate": learning_rate,
        "lora_r": lora_r,
        "lora_alpha": lora_alpha,
        "lora_dropout": lora_dropout,
        "target_modules": _target_modules(target_modules),
        "precision": precision,
        "quantization": quantization,
        "gradient_checkpointing": gradient_checkpointing,
        "seed": seed,
        "resume": str(resume_from) if resume_from else (True if resume else None),
        "merge": merge or None,
        "push": push or None,
        "push_repo": repo,
        "private": private or None,
    }
    settings = load_config(config).replace(**parse_assignments(assignments)).with_flags(**flags)
    settings.check_ready()

    from meadow.train.trainer import train  # torch and friends from here on

    result = train(settings)
    if not result.main_process:  # `accelerate launch`: one report, from the main process
        return
    pin = result.dataset
    console.print(f"trained {result.output_dir}")
    console.print(f"dataset: {pin.repo or pin.name} @ {pin.revision} (tag {pin.tag})")
    losses = f"train loss {_number(result.train_loss)}, validation loss {_number(result.eval_loss)}"
    console.print(f"steps: {result.steps}, {losses}")
    console.print(
        f"{result.tokens_per_second:,.0f} tokens/s, "
        f"{result.response_tokens_per_second:,.0f} response tokens/s"
    )
    if result.merged_dir:
        console.print(f"merged model: {result.merged_dir}")
    if result.pushed:
        console.print(f"published {result.pushed.repo_id} commit {result.pushed.commit}")
        console.print(f"tag: {result.pushed.tag}")
    err_console.print(
        f'ask it with: meadow generate --model {result.output_dir} "What is gout?"', style="dim"
    )


def generate_command(
    question: Annotated[str, typer.Argument(help="The question (the row's input).")],
    model: Annotated[
        Path, typer.Option("--model", help="An adapter folder from `meadow train`, or merged/.")
    ],
    input: Annotated[
        str | None,
        typer.Option(
            "--input", help="Context: then QUESTION is the instruction and this the input."
        ),
    ] = None,
    instruction: Annotated[
        str | None,
        typer.Option(help="The instruction (default: 'Answer this question truthfully')."),
    ] = None,
    max_new_tokens: Annotated[
        int, typer.Option("--max-new-tokens", help="Tokens to generate at most.")
    ] = 256,
    template: Annotated[
        str | None, typer.Option(help="Override the template saved with the model.")
    ] = None,
    sample: Annotated[
        bool, typer.Option("--sample", help="Sample instead of greedy decoding.")
    ] = False,
) -> None:
    """Answer a question with a trained adapter, prompted exactly as in training.

    Examples:

      meadow generate --model ~/.cache/meadow/adapters/sample-tiny-llama "What causes gout?"

      meadow generate --model out/merged "Summarize this abstract." --input "Background: ..."
    """
    from meadow.train.generate import generate

    answer = generate(
        model,
        question,
        input=input or "",
        instruction=instruction,
        max_new_tokens=max_new_tokens,
        template=template,
        do_sample=sample,
    )
    console.print(answer, markup=False, highlight=False)
    if not answer:
        err_console.print("(the model answered nothing but whitespace or special tokens)")


def _target_modules(value: str | None) -> str | list[str] | None:
    if value is None or value.strip() == "all-linear":
        return value.strip() if value else None
    return split_csv(value)


def _number(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "–"
