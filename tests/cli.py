"""Running the `meadow` command inside a test."""

from __future__ import annotations

from meadow.cli import main


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `meadow ARGV`."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code or 0, out, err
