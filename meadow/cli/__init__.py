"""The `meadow` command. Each command group lives in its own module; this only joins them.

Errors meadow raises on purpose print as one line and exit 1; anything else prints one
line too, and `MEADOW_DEBUG=1` shows the full traceback. Whatever is printed has its
secrets masked (`meadow.errors.scrub_secrets`): a server that echoes the Hugging Face
token or an API key in an error body would otherwise show it, in the one line or in the
message of any exception of the traceback's chain.
"""

from __future__ import annotations

import os
import re
import sys
import traceback

import typer

from meadow._version import __version__
from meadow.cli._common import err_console
from meadow.cli.audit import audit_command
from meadow.cli.build import build_command
from meadow.cli.eval import eval_command
from meadow.cli.fetch import fetch_command
from meadow.cli.hub import pull_command, push_command
from meadow.cli.manage import cache_app, rm_command
from meadow.cli.plan import plan_command
from meadow.cli.show import list_command, show_command
from meadow.cli.sources import sources_command
from meadow.cli.train import generate_command, init_model_command, train_command
from meadow.errors import MeadowError, scrub_secrets

app = typer.Typer(
    name="meadow",
    help="Medical instruction-tuning data from raw public corpora, reproducibly.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion
)


def _version(value: bool) -> None:
    if value:
        print(f"meadow {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Medical instruction-tuning data from raw public corpora, reproducibly."""


app.command("sources")(sources_command)
app.command("build")(build_command)
app.command("plan")(plan_command)
app.command("show")(show_command)
app.command("list")(list_command)
app.command("fetch")(fetch_command)
app.command("push")(push_command)
app.command("pull")(pull_command)
app.command("train")(train_command)
app.command("generate")(generate_command)
app.command("init-model")(init_model_command)
app.command("audit")(audit_command)
app.command("eval")(eval_command)
app.command("rm")(rm_command)
app.add_typer(cache_app)


def _debug() -> bool:
    return os.environ.get("MEADOW_DEBUG", "").strip().lower() in {"1", "true", "yes"}


def _is_usage_error(exc: Exception) -> bool:
    # typer's (vendored) click raises these; they know how to print themselves
    return callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int)


_FLAG_VALUE = re.compile(r"unexpected extra argument.*\((true|false|yes|no|on|off|1|0)\b", re.I)


def _usage_error_line(exc: Exception) -> str:
    """click's usage error in meadow's one-line form: `error: …`, then where the help is."""
    message = exc.format_message()  # type: ignore[attr-defined]
    if _FLAG_VALUE.search(message):  # `--llm true`
        message += "; a flag takes no value: give it alone to switch it on"
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None)
    return f"error: {message} (see '{command} --help')" if command else f"error: {message}"


def _show_flags_as_flags() -> None:
    """typer's rich help writes a flag's type (`--llm <bool>`), as if it took a value; a flag
    takes none (`--llm`, `--packing/--no-packing`), so its type column stays empty."""
    from typer.core import TyperOption

    display_type_rich = getattr(TyperOption, "display_type_rich", None)
    if display_type_rich is None or getattr(display_type_rich, "meadow_flags", False):
        return  # a typer without a rich type column (older ones), or already done

    def flag_aware(self: TyperOption, ctx: typer.Context) -> str | None:
        return None if self.is_flag and not self.count else display_type_rich(self, ctx)

    flag_aware.meadow_flags = True  # type: ignore[attr-defined]
    TyperOption.display_type_rich = flag_aware  # type: ignore[method-assign]


_show_flags_as_flags()


def _configured_token() -> str | None:
    """The Hugging Face token in use (HF_TOKEN or the `hf auth login` cache), to mask it."""
    try:
        from huggingface_hub import get_token

        return get_token()
    except Exception:  # no huggingface_hub, an unreadable token file: nothing to mask
        return None


def _print_error(line: str) -> None:
    err_console.print(
        scrub_secrets(line, [_configured_token()]), style="red", highlight=False, soft_wrap=True
    )


def _print_traceback(exc: BaseException) -> None:
    """The traceback MEADOW_DEBUG asks for, chained exceptions included, secrets masked."""
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    sys.stderr.write(scrub_secrets(text, [_configured_token()]))
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    try:
        code = app(args=argv, standalone_mode=False, prog_name="meadow")
    except typer.Exit as exc:
        code = exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        err_console.print("interrupted")
        code = 130
    except MeadowError as exc:
        if _debug():
            _print_traceback(exc)
        else:
            _print_error(f"error: {exc}")
        code = 1
    except Exception as exc:
        if _is_usage_error(exc):  # bad flags: the parser's message as one line, exit code 2
            if type(exc).__name__ == "NoArgsIsHelpError":  # `meadow` alone: the help
                exc.show()
            else:
                _print_error(_usage_error_line(exc))
            code = exc.exit_code
        elif _debug():
            _print_traceback(exc)
            code = 1
        else:  # an unexpected failure still gets one line
            _print_error(
                f"error: {type(exc).__name__}: {exc} (run with MEADOW_DEBUG=1 for the traceback)"
            )
            code = 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
