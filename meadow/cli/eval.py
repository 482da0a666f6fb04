"""`meadow eval`: score a model on medical benchmarks, the same numbers every time.

torch, transformers and peft are imported when the model is loaded, so `meadow --help`
works without them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from meadow.cli._common import console, err_console, parse_pairs, split_csv


def eval_command(
    model: Annotated[
        str,
        typer.Option(
            "--model", help="A Hub model id, a model folder, or an adapter folder (meadow train)."
        ),
    ],
    adapter: Annotated[
        Path | None,
        typer.Option("--adapter", help="An adapter folder to put on --model (its base model)."),
    ] = None,
    bench: Annotated[
        str,
        typer.Option(
            "--bench", "-b", help="Comma-separated: usmle, medqa, medqa5, medmcqa, pubmedqa, mmlu."
        ),
    ] = "usmle,medqa,medmcqa,pubmedqa,mmlu",
    raw: Annotated[
        list[str] | None,
        typer.Option("--raw", help="SOURCE=PATH: a benchmark's raw files (repeatable)."),
    ] = None,
    samples: Annotated[
        bool,
        typer.Option("--samples", help="The bundled sample corpora where no --raw is given."),
    ] = False,
    mode: Annotated[
        str, typer.Option(help="loglik (option log-likelihood, default) or generate (greedy).")
    ] = "loglik",
    template: Annotated[
        str | None, typer.Option(help="Override the template saved with the model.")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", help="Score the first N items of each benchmark.")
    ] = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", help="Questions per forward pass.")
    ] = 4,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output", "-o", help="Result folder (default MEADOW_HOME/evals/MODEL/MODE)."
        ),
    ] = None,
    prime: Annotated[
        str,
        typer.Option(
            "--prime",
            help="generate: text that starts every response; 'medalpaca' for medAlpaca's "
            "'The Answer to the question is:'.",
        ),
    ] = "",
    max_new_tokens: Annotated[
        int, typer.Option("--max-new-tokens", help="generate: tokens per answer at most.")
    ] = 32,
    device: Annotated[
        str, typer.Option(help="auto (CUDA when there is one), cpu or cuda.")
    ] = "auto",
    push: Annotated[
        bool, typer.Option("--push", help="Update the model card of --repo on the Hub.")
    ] = False,
    repo: Annotated[
        str | None, typer.Option("--repo", help="ORG/NAME of the model repo whose card to update.")
    ] = None,
) -> None:
    """Score a model on USMLE, MedQA, MedMCQA, PubMedQA and MMLU's health subjects.

    Each option is scored by the log-likelihood of its answer after the prompt the model
    was trained with (or, with --mode generate, a greedy answer is read for its letter).
    One JSON line per item, results.json and the model card go to --output; an interrupted
    run continues where it stopped.

    Examples:

      meadow eval --model ./adapters/small-llama --bench usmle --raw usmle=./usmle

      meadow eval --model meta-llama/Llama-3.2-1B --bench medqa,pubmedqa --raw medqa=./MedQA/US

      meadow eval --model ./adapter --bench usmle --raw usmle=./usmle --mode generate \\
        --prime medalpaca

      meadow eval --model ./adapter --samples --push --repo my-org/small-lora
    """
    from meadow.errors import RecipeError
    from meadow.eval import evaluate
    from meadow.eval.results import results_table

    if push and not repo:
        raise RecipeError("--push", "needs --repo ORG/NAME: the model repo whose card to update")
    result = evaluate(
        model,
        adapter=adapter,
        benchmarks=split_csv(bench) or [],
        raw=parse_pairs(raw, "--raw"),
        samples=samples,
        mode=mode,
        template=template,
        limit=limit,
        batch_size=batch_size,
        output=output,
        prime=prime,
        max_new_tokens=max_new_tokens,
        device=device,
        push_repo=repo if push else None,
    )
    console.print(results_table(result.results))
    for name, numbers in result.results["benchmarks"].items():
        if numbers.get("note"):
            err_console.print(f"{name}: {numbers['note']}", style="yellow", highlight=False)
    console.print(f"results: {result.output_dir}")
    if result.adapter_card:
        console.print(f"model card updated: {result.adapter_card}")
    if result.pushed:
        console.print(
            f"published the card to {result.pushed.repo_id} commit {result.pushed.commit}"
        )
