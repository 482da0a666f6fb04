"""Streaming JSON for every source that reads it: arrays, objects and JSON lines.

Large JSON files (PubMedQA's artificial set, the PMC-LLaMA release, ChatDoctor dumps,
MEDIQA-AnS) are read item by item with ijson's C backend, so memory stays flat; JSON lines
go through orjson one line at a time. All errors are `RawFileError`s that say where the
file broke (item or line) and what to do, so every source reports a bad file the same way.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from meadow.errors import RawFileError
from meadow.sources._readers import json_line_error

logger = logging.getLogger("meadow.sources")

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CHUNK = 1 << 16
_C_BACKENDS = ("yajl2_c",)
_backend_checked = False


def check_ijson_backend() -> None:
    """Warn once when ijson runs a pure-Python backend (about 15 times slower)."""
    global _backend_checked
    if not _backend_checked:
        _backend_checked = True
        if ijson.backend not in _C_BACKENDS:
            logger.warning(
                "ijson uses its %r backend, about 15x slower than its C backend (yajl2_c): "
                "reinstall ijson from a wheel for your platform to read JSON sources faster",
                ijson.backend,
            )


def stream_array(path: Path, what: str = "a list of items") -> Iterator[Any]:
    """The elements of a top-level JSON array, one at a time."""
    with open_json(path, b"[", what) as f:
        yield from _stream(path, ijson.items(f, "item", use_float=True))


def stream_object(path: Path, what: str = "an object") -> Iterator[tuple[str, Any]]:
    """The (key, value) members of a top-level JSON object, one at a time."""
    with open_json(path, b"{", what) as f:
        yield from _stream(path, ijson.kvitems(f, "", use_float=True))


def _stream(path: Path, items: Iterator[Any]) -> Iterator[Any]:
    check_ijson_backend()
    count = 0
    try:
        for item in items:
            yield item
            count += 1
    except ijson.JSONError as exc:
        raise json_stream_error(path, exc, count) from None
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


def json_lines(path: Path, expected: str) -> Iterator[tuple[int, Any]]:
    """(line number, value) of every non-blank line of a JSON-lines file."""
    with _open(path) as f:
        first_byte(path, f)
        yield from _lines(path, f, expected)


def stream_array_or_lines(path: Path, what: str = "a list of items") -> Iterator[Any]:
    """The items of a top-level JSON array, or of JSON lines when the file starts with `{`.

    For corpora published as one JSON array whose re-uploads are JSON lines: the first
    byte tells which, and either is streamed (ijson's C backend, or orjson per line).
    """
    with _open(path) as f:
        first = first_byte(path, f)
        if first == b"[":
            yield from _stream(path, ijson.items(f, "item", use_float=True))
        elif first == b"{":
            expected = f"{what}: a JSON array, or JSON lines (one item per line)"
            for _, value in _lines(path, f, expected):
                yield value
        else:
            raise _wrong_start(
                path, first, what, "a JSON array starting with '[', or JSON lines starting with '{'"
            )


def _lines(path: Path, f: IO[bytes], expected: str) -> Iterator[tuple[int, Any]]:
    for number, line in enumerate(f, start=1):
        if number == 1:
            line = line.removeprefix(_UTF8_BOM)
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise json_line_error(path, line, number, exc, row=number, expected=expected) from None
        yield number, value


def open_json(path: Path, opener: bytes, what: str) -> IO[bytes]:
    """The file positioned at its first JSON byte, checked to open `what` (`[` or `{`)."""
    f = _open(path)
    try:
        first = first_byte(path, f)
        if first != opener:
            raise _wrong_start(path, first, what, f"starting with {opener.decode()!r}")
        return f
    except BaseException:
        f.close()
        raise


def _wrong_start(path: Path, first: bytes, what: str, start: str) -> RawFileError:
    """The error for a file whose first byte opens something else than `what`."""
    bad = first_bad_utf8(path)
    if bad is not None:
        return encoding_error(path, *bad)
    return RawFileError(
        path,
        f"expected a JSON file holding {what} ({start}), found {first.decode(errors='replace')!r}",
    )


def first_byte(path: Path, f: IO[bytes]) -> bytes:
    """The first byte of JSON text; `f` is left just after any UTF-8 BOM.

    UTF-16 files and empty files are errors: neither can be read as UTF-8 JSON.
    """
    head = f.read(4)
    if head.startswith(_UTF16_BOMS):
        raise RawFileError(path, "the file is UTF-16, not UTF-8: re-save it as UTF-8")
    start = len(_UTF8_BOM) if head.startswith(_UTF8_BOM) else 0
    f.seek(start)
    while chunk := f.read(_CHUNK):
        stripped = chunk.lstrip()
        if stripped:
            f.seek(start)
            return stripped[:1]
    raise RawFileError(path, "empty file: download it again")


def first_json_byte(path: Path) -> bytes:
    """The first JSON byte of a file: `[` for an array, `{` for an object or JSON lines."""
    with _open(path) as f:
        return first_byte(path, f)


def _open(path: Path) -> IO[bytes]:
    try:
        return Path(path).open("rb")
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


def json_stream_error(path: Path, exc: Exception, count: int) -> RawFileError:
    """Why streaming stopped after `count` items: bad UTF-8, cut short, or not JSON."""
    bad = first_bad_utf8(path)
    if bad is not None:
        return encoding_error(path, *bad, row=count)
    detail = exc.args[0] if exc.args else ""
    if isinstance(detail, bytes):
        detail = detail.decode("utf-8", "replace")
    detail = str(detail).strip().splitlines()[0] if str(detail).strip() else "no detail"
    if "premature EOF" in detail or "Incomplete" in detail:
        return RawFileError(
            path,
            f"the JSON is cut short after {count} items (premature end of file): "
            "download the file again",
            row=count,
        )
    return RawFileError(
        path, f"not valid JSON after {count} items ({detail}): download the file again", row=count
    )


def encoding_error(path: Path, line: int, byte: int, *, row: int | None = None) -> RawFileError:
    return RawFileError(
        path,
        f"not valid UTF-8 (byte 0x{byte:02x} on line {line}): re-save the file as UTF-8",
        row=row,
    )


def first_bad_utf8(path: Path) -> tuple[int, int] | None:
    """(1-based line, value) of the first byte that is not UTF-8; None if all is UTF-8.

    Only read after an error, so the happy path never pays for a second pass.
    """
    line, carry = 1, b""
    with Path(path).open("rb") as f:
        while chunk := f.read(_CHUNK):
            data = carry + chunk
            try:
                data.decode("utf-8")
                carry = b""
            except UnicodeDecodeError as exc:
                if exc.reason == "unexpected end of data" and len(data) - exc.start < 4:
                    carry = data[exc.start :]  # a character split by the chunk boundary
                    data = data[: exc.start]
                else:
                    return line + data.count(b"\n", 0, exc.start), data[exc.start]
            line += data.count(b"\n")
    return (line, carry[0]) if carry else None
