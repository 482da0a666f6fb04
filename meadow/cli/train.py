"""`meadow train` and `meadow generate`: a LoRA adapter on a mixture, and asking it questions.

torch, transformers and peft are imported inside the commands, so `meadow --help` works
without them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from meadow.cli._common import console, err_console, split_csv
from meadow.train.config import Flag, load_config, parse_assignments
from meadow.train.config import flags as config_flags


def train_command(
    config: Annotated[
        str | None,
        typer.Option("--config", "-c", help="A preset (tiny, small, 7b) or a YAML file."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue from the last checkpoint in --output-dir.")
    ] = False,
    resume_from: Annotated[
        Path | None, typer.Option("--resume-from", help="Continue from this checkpoint folder.")
    ] = None,
    assignments: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE for any config key (repeatable), in YAML syntax."),
    ] = None,
    **options: Any,
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
    flags = {flag.key: _from_flag(flag, options[flag.key]) for flag in config_flags()}
    flags["resume"] = str(resume_from) if resume_from else (True if resume else None)
    settings = load_config(config).replace(**parse_assignments(assignments)).with_flags(**flags)
    settings.check_ready()
    from meadow.train.source import check_model_source

    check_model_source(str(settings.base_model))  # before torch: a wrong model fails at once

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


def _with_config_flags(command: Callable[..., None]) -> Callable[..., None]:
    """`command` taking a flag for each config key that has one (`config.flags()`), as
    declared on `TrainConfig`'s fields, besides its own options."""
    own = [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
        for p in inspect.signature(command, eval_str=True).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    derived = []
    for flag in config_flags():
        option = typer.Option(*flag.names, help=flag.help)
        kind = _FLAG_TYPES.get(flag.key, flag.kind)
        annotation = Annotated[bool, option] if flag.switch else Annotated[kind | None, option]
        default = False if flag.switch else None
        derived.append(
            inspect.Parameter(
                flag.key, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    parameters = own[:1] + derived + own[1:]  # --config first, the config's flags, the rest
    command.__signature__ = inspect.Signature(parameters, return_annotation=None)
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    return command


# the flags whose command-line value is not the config's as it is
_FLAG_TYPES: dict[str, type] = {"output_dir": Path}


def _from_flag(flag: Flag, value: Any) -> Any:
    """A flag's value as the config takes it; None: not given (a switch left off)."""
    if value is None or (flag.switch and not value):
        return None
    if flag.key == "output_dir":
        return str(value)
    if flag.key == "target_modules":
        return _target_modules(value)
    return value


train_command = _with_config_flags(train_command)


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


def init_model_command(
    path: Annotated[Path, typer.Argument(help="The folder to write the model to.")],
    tiny: Annotated[
        bool,
        typer.Option("--tiny", help="A small random Llama for smoke tests (the only kind)."),
    ] = False,
    mixture: Annotated[
        str, typer.Option("--mixture", help="A built mixture whose rows train the tokenizer.")
    ] = "sample",
    vocab_size: Annotated[
        int, typer.Option("--vocab-size", help="Tokens in the tokenizer (at least 300).")
    ] = 1000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random weights.")] = 0,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Write into a folder that is not empty.")
    ] = False,
) -> None:
    """Write a small random Llama-shaped model and a tokenizer trained on a mixture, to try
    train, generate and eval offline on a CPU. A SMOKE-TEST model: its answers mean nothing.

    Examples:

      meadow build --mixture sample && meadow init-model --tiny ./tiny-llama --mixture sample

      meadow train --mixture sample --base-model ./tiny-llama --config tiny
    """
    from meadow.errors import TrainError

    if not tiny:
        raise TrainError(
            "init-model writes only smoke-test models for now: pass --tiny "
            "(for a real model, pass its Hub id or folder to --base-model)"
        )
    from meadow.train.tiny import SMOKE_TEST_NOTE, init_tiny_model

    made = init_tiny_model(
        path, mixture=mixture, vocab_size=vocab_size, seed=seed, overwrite=overwrite
    )
    console.print(
        f"wrote {made.path}: {made.parameters:,} parameters, a {made.vocab_size:,}-token "
        f"tokenizer trained on {made.mixture!r}"
    )
    console.print(f"note: {SMOKE_TEST_NOTE}", style="yellow", markup=False, highlight=False)
    err_console.print(
        f"train on it with: meadow train --mixture {made.mixture} --base-model {made.path} "
        "--config tiny",
        style="dim",
    )


def _target_modules(value: str | None) -> str | list[str] | None:
    if value is None or value.strip() == "all-linear":
        return value.strip() if value else None
    return split_csv(value)


def _number(value: float | None) -> str:
    return f"{value:.4f}" if value is not None else "–"
