"""Reading pieces several sources share (the registry skips modules starting with "_")."""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

from lxml import etree

from meadow.errors import RawFileError


def safe_iterparse(stream: IO[bytes], **options: Any) -> etree.iterparse:
    """lxml's iterparse that never expands entities, loads a DTD or touches the network."""
    settings = {
        "resolve_entities": False,
        "no_network": True,
        "load_dtd": False,
        "remove_comments": True,
        "remove_pis": True,
        "huge_tree": True,
    }
    return etree.iterparse(stream, **{**settings, **options})


def not_utf8_error(path: Path, line: bytes, number: int, *, row: int) -> RawFileError | None:
    """The error for a line that is not UTF-8, or None when it is (then the JSON is bad)."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as bad:
        return RawFileError(
            path,
            f"not valid UTF-8 (byte 0x{line[bad.start]:02x} on line {number}): "
            "re-save the file as UTF-8",
            row=row,
        )
    return None


def json_line_error(
    path: Path, line: bytes, number: int, exc: Exception, *, row: int, expected: str
) -> RawFileError:
    """Why a JSON line could not be read: not UTF-8, cut short, or not JSON."""
    error = not_utf8_error(path, line, number, row=row)
    if error is not None:
        return error
    if not line.endswith(b"\n"):
        problem = "is cut short (the file ends inside it): download the file again"
    else:
        problem = f"is not valid JSON ({exc}); expected {expected}"
    return RawFileError(path, f"line {number} {problem}", row=row)
