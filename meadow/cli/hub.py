"""`meadow push` and `meadow pull`: a local build to a Hub repo, and back."""

from __future__ import annotations

from typing import Annotated

import typer

from meadow.cli._common import console, err_console
from meadow.hub import PushResult, pull, push

RepoOption = Annotated[
    str | None,
    typer.Option("--repo", help="ORG/NAME of the dataset repo (default: YOUR-USER/NAME)."),
]
PrivateOption = Annotated[
    bool, typer.Option("--private", help="Create the repo private (when it does not exist).")
]


def push_command(
    name: Annotated[str, typer.Argument(help="A mixture in the local store.")],
    revision: Annotated[
        str | None, typer.Option(help="Its revision (a prefix is enough); default the latest.")
    ] = None,
    repo: RepoOption = None,
    private: PrivateOption = False,
) -> None:
    """Publish a build from the local store to the Hub, as config NAME: one commit, one tag.

    The token comes from HF_TOKEN or `hf auth login`.

    Examples:

      meadow push my-mix --repo my-org/meadow

      meadow push my-mix --revision 3f2a9c0d --repo my-org/meadow --private
    """
    print_push(push(name, revision=revision, repo_id=repo, private=private))


def print_push(result: PushResult) -> None:
    if result.new_commit:
        console.print(f"published {result.config} @ {result.revision} to {result.repo_id}")
    else:
        console.print(f"{result.repo_id} already holds {result.config} @ {result.revision}")
    console.print(f"commit: {result.commit}")
    console.print(f"tag: {result.tag}")
    err_console.print(
        f"load it with: from meadow import load_mixture; load_mixture({result.repo_id!r}, "
        f"name={result.config!r}, revision={result.tag!r})",
        style="dim",
    )


def pull_command(
    repo: Annotated[str, typer.Argument(help="ORG/NAME of a dataset repo meadow published.")],
    name: Annotated[str, typer.Option("--name", help="The mixture (config) to pull.")],
    revision: Annotated[
        str | None,
        typer.Option(help="A tag (NAME-REVISION), branch or commit; default the head of main."),
    ] = None,
) -> None:
    """Download a published mixture into the local store.

    Example:

      meadow pull my-org/meadow --name my-mix --revision my-mix-3f2a9c0d1e
    """
    folder = pull(repo, name, revision=revision)
    console.print(f"pulled {repo} {name} into {folder}")
    err_console.print(
        f"load it with: from meadow import load_mixture; load_mixture({name!r}, "
        f"revision={folder.name!r})",
        style="dim",
    )
