"""Streaming JSON for every source that reads it: arrays, objects and JSON lines.

Large JSON files (PubMedQA's artificial set, the PMC-LLaMA release, ChatDoctor dumps,
MEDIQA-AnS) are read item by item with ijson's C backend, so memory stays flat; JSON lines
go through orjson one line at a time. All errors are `RawFileError`s that say where the
file broke (item or line) and what to do, so every source reports a bad file the same way.

Nesting is capped at `MAX_JSON_DEPTH` levels (1024, orjson's own limit, so arrays, objects
and JSON lines share one bound; real corpora are about 5 deep). ijson keeps a path string
per open level, so memory grows with the square of the depth: a 400 KB file of `[[[[…`
took 23 GB. The cap is checked on the bytes before ijson parses them (`_json_depth.DepthGuard`), at
the cost of one vectorised pass counting `[` and `{`.
"""

from __future__ import annotations

import codecs
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from meadow.errors import RawFileError
from meadow.sources._json_depth import CHUNK as _CHUNK
from meadow.sources._json_depth import DepthGuard, too_deep_error
from meadow.sources._readers import json_line_error

logger = logging.getLogger("meadow.sources")

_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_C_BACKENDS = ("yajl2_c",)
_backend_checked = False

# ijson's buffer; the guard fills 64 KiB of it per read, more inside a long string: yajl
# re-scans a string that spans reads from its start, so a 200 MB string read 64 KiB at a
# time cost minutes (quadratic), and read in growing pieces costs a second.
_BUFFER = 1 << 24


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
        yield from _stream(path, f, _array_items)


def stream_object(path: Path, what: str = "an object") -> Iterator[tuple[str, Any]]:
    """The (key, value) members of a top-level JSON object, one at a time."""
    with open_json(path, b"{", what) as f:
        yield from _stream(path, f, _object_items)


def _array_items(f: Any) -> Iterator[Any]:
    return ijson.items(f, "item", use_float=True, buf_size=_BUFFER)


def _object_items(f: Any) -> Iterator[tuple[str, Any]]:
    return ijson.kvitems(f, "", use_float=True, buf_size=_BUFFER)


def _stream(path: Path, f: IO[bytes], parse: Callable[[Any], Iterator[Any]]) -> Iterator[Any]:
    """The items `parse` streams out of `f`, through the depth guard."""
    check_ijson_backend()
    guard = DepthGuard(path, f)
    count = 0
    try:
        for item in parse(guard):
            yield item
            count += 1
            guard.items = count  # an item ended: the guard's bound restarts from depth 1
    except ijson.JSONError as exc:
        raise json_stream_error(path, exc, count) from None
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


# Items per batch (`*_batches`), and the bytes after which a batch is cut short: small enough
# that a batch's bytes stay far below `max_field_chars()`, so its bound spares the per-item
# `has_text_over` walk, and that its items stay in the CPU's cache (lists of 1,024 items, or
# 256 PubMedQA items, about 850 KB, made the parse a third slower).
BATCH_ITEMS = 256
BATCH_BYTES = 1 << 18


def array_batches(
    path: Path, what: str = "a list of items", size: int = BATCH_ITEMS
) -> Iterator[tuple[list[Any], int]]:
    """The elements of a top-level JSON array in lists, each with `bound`: no string in
    the list is longer (characters) than it, so a source checks lengths per list, not per
    item. One Python loop per item instead of a chain of generators."""
    with open_json(path, b"[", what) as f:
        yield from _batches(path, f, _array_items, size)


def object_batches(
    path: Path, what: str = "an object", size: int = BATCH_ITEMS
) -> Iterator[tuple[list[tuple[str, Any]], int]]:
    """The (key, value) members of a top-level JSON object in lists, as `array_batches`."""
    with open_json(path, b"{", what) as f:
        yield from _batches(path, f, _object_items, size)


def _batches(
    path: Path, f: IO[bytes], parse: Callable[[Any], Iterator[Any]], size: int
) -> Iterator[tuple[list[Any], int]]:
    """`_stream` in lists. The bound: an item ends within the last chunk read before it is
    handed out, so every string of the items handed out since lies within the bytes from
    that chunk's start on, and a string has at least one byte per character."""
    check_ijson_backend()
    guard = DepthGuard(path, f)
    batch: list[Any] = []
    append = batch.append
    since = guard.start_of_last_read()
    try:
        for item in parse(guard):
            append(item)
            guard.items += 1  # an item ended: the guard's bound restarts from depth 1
            if len(batch) >= size or guard._offset - since >= BATCH_BYTES:
                yield batch, guard.offset - since
                batch = []
                append = batch.append
                since = guard.start_of_last_read()
    except ijson.JSONError as exc:
        raise json_stream_error(path, exc, guard.items) from None
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if batch:
        yield batch, guard.offset - since


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
            yield from _stream(path, f, _array_items)
        elif first == b"{":
            expected = f"{what}: a JSON array, or JSON lines (one item per line)"
            for _, value in _lines(path, f, expected):
                yield value
        else:
            raise _wrong_start(
                path, first, what, "a JSON array starting with '[', or JSON lines starting with '{'"
            )


def json_line_batches(
    path: Path, expected: str, size: int = BATCH_ITEMS
) -> Iterator[tuple[list[tuple[int, Any]], int]]:
    """(line number, value) of a JSON-lines file's non-blank lines in lists, each with a
    bound on its strings' length (its longest line, in bytes), as `array_batches`."""
    with _open(path) as f:
        first_byte(path, f)
        yield from _line_batches(path, f, expected, size)


def array_or_lines_batches(
    path: Path, what: str = "a list of items", size: int = BATCH_ITEMS
) -> Iterator[tuple[list[Any], int]]:
    """`stream_array_or_lines` in lists, each with a bound, as `array_batches`."""
    with _open(path) as f:
        first = first_byte(path, f)
        if first == b"[":
            yield from _batches(path, f, _array_items, size)
        elif first == b"{":
            expected = f"{what}: a JSON array, or JSON lines (one item per line)"
            for pairs, bound in _line_batches(path, f, expected, size):
                yield [value for _, value in pairs], bound
        else:
            raise _wrong_start(
                path, first, what, "a JSON array starting with '[', or JSON lines starting with '{'"
            )


def _line_batches(
    path: Path, f: IO[bytes], expected: str, size: int
) -> Iterator[tuple[list[tuple[int, Any]], int]]:
    batch: list[tuple[int, Any]] = []
    bound = 0
    for number, value, length in _parsed_lines(path, f, expected):
        batch.append((number, value))
        if length > bound:
            bound = length
        if len(batch) >= size:
            yield batch, bound
            batch, bound = [], 0
    if batch:
        yield batch, bound


# How orjson says a line is nested deeper than 1024 levels: from 3.9.15, and from 3.12 on.
_ORJSON_TOO_DEEP = ("array and object recursion depth exceeded", "depth limit exceeded")


def _lines(path: Path, f: IO[bytes], expected: str) -> Iterator[tuple[int, Any]]:
    for number, value, _ in _parsed_lines(path, f, expected):
        yield number, value


def _parsed_lines(path: Path, f: IO[bytes], expected: str) -> Iterator[tuple[int, Any, int]]:
    """(line number, value, bytes of the line) of every non-blank line."""
    for number, line in enumerate(f, start=1):
        if number == 1:
            line = line.removeprefix(_UTF8_BOM)
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise _line_error(path, line, number, exc, expected) from None
        yield number, value, len(line)


def _line_error(
    path: Path, line: bytes, number: int, exc: orjson.JSONDecodeError, expected: str
) -> RawFileError:
    if str(exc).startswith(_ORJSON_TOO_DEEP):  # orjson's cap: MAX_JSON_DEPTH
        return too_deep_error(path, f"on line {number}", number)
    return json_line_error(path, line, number, exc, row=number, expected=expected)


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
