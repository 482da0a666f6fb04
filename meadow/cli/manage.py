"""`meadow rm` and `meadow cache clean`: reclaim disk, after saying what goes and its size."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from meadow.cli._common import console
from meadow.cli.sources import find_source
from meadow.errors import ConfirmationError
from meadow.llm.cache import default_cache_path
from meadow.parse_runner import CachedSource, cached_sources, remove_cached_sources
from meadow.sources import list_sources
from meadow.store import plan_removal, remove_revisions

cache_app = typer.Typer(
    name="cache",
    help="Meadow's caches under MEADOW_HOME: `meadow cache clean` frees their disk.",
    no_args_is_help=True,
)

_YES = typer.Option("--yes", "-y", help="Remove without asking.")


def human_size(n: int) -> str:
    """Bytes as people read them: `512 B`, `3.4 MB`."""
    size = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{n} B"  # not reached


def interactive() -> bool:
    """Whether there is a person at a terminal to answer a question."""
    return sys.stdin is not None and sys.stdin.isatty()


def _confirm(command: str, yes: bool) -> bool:
    """True to go ahead: --yes, or a person who answered yes; refuses without a terminal."""
    if yes:
        return True
    if not interactive():
        raise ConfirmationError(
            f"{command}: no terminal to ask on, so nothing was removed; pass --yes to remove"
        )
    if typer.confirm("Remove them?", default=False):
        return True
    console.print("nothing removed")
    return False


def _say(line: str) -> None:
    console.print(line, highlight=False, soft_wrap=True, markup=False)


def rm_command(
    name: Annotated[str, typer.Argument(help="Mixture name in the local store.")],
    revision: Annotated[
        str | None,
        typer.Option(help="Only this revision (a prefix is enough); default: every revision."),
    ] = None,
    yes: Annotated[bool, _YES] = False,
) -> None:
    """Remove a built mixture (every revision) or one revision of it from the local store.

    Removing the revision the name points at points the name at the one built before it;
    removing the last one removes the name. Sizes are shown, and you are asked, first.

    Examples:

      meadow rm my-mix --revision 3f2a9c0d

      meadow rm my-mix --yes
    """
    removal = plan_removal(name, revision)
    _say(f"to remove from the local store ({name}):")
    for rev, folder in removal.folders.items():
        _say(f"  {rev}  {human_size(removal.sizes[rev]):>9}  {folder}")
    if removal.whole_name:
        _say(f"no revision of {name} is left: the name goes too")
    _say(f"in all: {human_size(removal.bytes)}")
    if not _confirm("meadow rm", yes):
        raise typer.Exit(1)
    latest = remove_revisions(removal)
    count = len(removal.folders)
    freed = f"removed {count} revision{'s' if count != 1 else ''} ({human_size(removal.bytes)})"
    _say(f"{freed}; {name} now points at {latest}" if latest else f"{freed}; {name} is gone")


@cache_app.command("clean")
def cache_clean_command(
    source: Annotated[
        str | None, typer.Option("--source", help="Only this source's parse caches.")
    ] = None,
    llm: Annotated[
        bool,
        typer.Option("--llm", help="Also the LLM step's reply cache (paid-for replies)."),
    ] = False,
    yes: Annotated[bool, _YES] = False,
) -> None:
    """Remove the parse caches (every source's, or one's): the next build parses again.

    Built mixtures and downloaded raw files are kept; the LLM replies only with --llm.

    Examples:

      meadow cache clean --source anki

      meadow cache clean --llm --yes
    """
    caches = cached_sources(source)
    if source is not None and not caches and source not in list_sources():
        find_source(source)  # an unknown name: the error says which names are close
    llm_files = _llm_cache_files() if llm else []
    if not caches and not llm_files:
        which = f"source {source}" if source else "any source"
        _say(
            f"nothing to remove: no parse cache of {which}"
            + ("" if llm else " (--llm: LLM replies)")
        )
        return
    total = sum(c.bytes for c in caches) + sum(p.stat().st_size for p in llm_files)
    _print_caches(caches, llm_files)
    _say(f"in all: {human_size(total)}")
    if not _confirm("meadow cache clean", yes):
        raise typer.Exit(1)
    remove_cached_sources(caches)
    for path in llm_files:
        path.unlink(missing_ok=True)
    _say(f"removed {human_size(total)}")


def _print_caches(caches: list[CachedSource], llm_files: list[Path]) -> None:
    if caches:
        _say("parse caches to remove:")
        for cache in caches:
            parses = f"{cache.parses} parse{'s' if cache.parses != 1 else ''}"
            _say(f"  {cache.source:<14} {parses:>9}  {human_size(cache.bytes):>9}  {cache.path}")
    if llm_files:
        _say("LLM reply cache to remove:")
        for path in llm_files:
            _say(f"  {human_size(path.stat().st_size):>9}  {path}")


def _llm_cache_files() -> list[Path]:
    """The reply cache's SQLite file and its journal files."""
    path = default_cache_path()
    return sorted(p for p in path.parent.glob(f"{path.name}*") if p.is_file())
