"""The nesting cap of streamed JSON: bytes checked before ijson parses them.

Apart from `_json.py` so that the readers read as the formats they stream; only
`_json.py` uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Any

import numpy as np

from meadow.errors import RawFileError

CHUNK = 1 << 16
"""Bytes per read of a JSON file."""
MAX_JSON_DEPTH = 1024
"""Deepest nesting read (the top-level array or object is level 1): orjson's own limit."""
_OPEN, _OPEN_MASK = 0x7B, 0x20  # `[` (0x5b) and `{` (0x7b) differ only in bit 0x20
# Bytes the exact lexer drops: all but quotes and brackets.
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


class DepthGuard:
    """The file as ijson reads it, refusing nesting deeper than `MAX_JSON_DEPTH` before
    ijson parses the bytes that would open it.

    The cheap bound: right after an item ends the depth is 1, so while parsing a chunk it
    is at most 1 + the `[`/`{` bytes counted since the chunk before the one in which the
    last item ended (strings included: an overcount is safe). Real files stay far below
    the limit (a few hundred per 64 KB chunk at most). When the bound reaches it, the file
    is lexed exactly from its start (strings and escapes skipped) and from then on every
    chunk is, so only a file that really nests too deep is refused, and memory stays
    bounded whatever the input.
    """

    def __init__(self, path: Path, f: IO[bytes], limit: int = MAX_JSON_DEPTH):
        self.path, self._f, self.limit = path, f, limit
        self.items = 0  # items completed so far, set by the reader
        self._items_seen = 0
        self._start = self._offset = f.tell()
        self._window = self._last = 0  # openers since the last possible sync; last chunk's
        self._lexer: Lexer | None = None
        self._fill = CHUNK  # bytes per read: 64 KiB, growing while no quote is read
        self.last_read = 0  # bytes of the last read

    @property
    def offset(self) -> int:
        """The file offset up to which ijson has been given the bytes."""
        return self._offset

    def start_of_last_read(self) -> int:
        """Where the bytes of the last read start: ijson has not parsed any byte before."""
        return self._offset - self.last_read

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        if data:
            self._check(data)
        return data

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)[: self._fill]
        n = self._f.readinto(view)
        if n:
            self._check(view[:n])
            quoted = buffer.find(b'"', 0, n) >= 0 if isinstance(buffer, bytearray) else True
            self._fill = CHUNK if quoted else min(len(view) * 4, len(buffer))
        return n

    def _check(self, data: bytes | memoryview) -> None:
        start, self._offset = self._offset, self._offset + len(data)
        self.last_read = len(data)
        if self._lexer is not None:
            self._lexer.feed(bytes(data), start)
            return
        bytes_ = np.frombuffer(data, np.uint8)
        opened = int(np.count_nonzero((bytes_ | _OPEN_MASK) == _OPEN))
        if self.items != self._items_seen:  # an item ended in the last chunk (or the one before)
            self._items_seen = self.items
            self._window = self._last
        self._window += opened
        self._last = opened
        if 1 + self._window > self.limit:
            self._lexer = Lexer(self.path, self.limit, self._start)
            self._lexer.catch_up(start)
            self._lexer.feed(bytes(data), start)


class Lexer:
    """The exact nesting depth of JSON bytes fed in order: strings and escapes skipped."""

    def __init__(self, path: Path, limit: int, start: int = 0):
        self.path, self.limit, self.start = path, limit, start
        self.depth = 0
        self.in_string = False
        self.escaped = False  # the next byte is escaped by a backslash

    def catch_up(self, end: int) -> None:
        """Lex the file from its first JSON byte up to `end` (what ijson was given)."""
        with Path(self.path).open("rb") as f:
            f.seek(self.start)
            offset = self.start
            while offset < end and (chunk := f.read(min(CHUNK * 16, end - offset))):
                self.feed(chunk, offset)
                offset += len(chunk)

    def feed(self, data: bytes, offset: int) -> None:
        """Advance over `data` (starting at file offset `offset`); raise when too deep."""
        before = (self.depth, self.in_string, self.escaped)
        body = data
        if self.escaped:
            body, self.escaped = body[1:], False
        run = len(body) - len(body.rstrip(b"\\"))
        if run % 2:  # a backslash escaping the first byte of the next chunk
            body, self.escaped = body[:-1], True
        marks = body.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
        marks = marks.replace(b'""', b"")  # empty strings, or a string's end and the next's start
        if self.in_string:
            marks = b'"' + marks
        if b'"' in marks:
            parts = marks.split(b'"')
            self.in_string = len(parts) % 2 == 0
            marks = b"".join(parts[0::2])
        else:
            self.in_string = False
        opened = marks.count(b"[") + marks.count(b"{")
        if self.depth + opened > self.limit:
            steps = np.frombuffer(marks, np.uint8)
            path = np.cumsum(np.where((steps | _OPEN_MASK) == _OPEN, 1, -1)) + self.depth
            if int(path.max()) > self.limit:
                raise self._too_deep(data, offset, before)
        self.depth = max(0, self.depth + 2 * opened - len(marks))

    def _too_deep(self, data: bytes, offset: int, state: tuple[int, bool, bool]) -> RawFileError:
        """The error, naming the byte at which the limit is crossed (found byte by byte)."""
        depth, in_string, escaped = state
        where = offset
        for i, byte in enumerate(data):
            if escaped:
                escaped = False
            elif in_string:
                if byte == 0x5C:
                    escaped = True
                elif byte == 0x22:
                    in_string = False
            elif byte == 0x22:
                in_string = True
            elif byte in (0x5B, 0x7B):
                depth += 1
                if depth > self.limit:
                    where = offset + i
                    break
            elif byte in (0x5D, 0x7D):
                depth -= 1
        return too_deep_error(self.path, f"at byte {where:,}")


def too_deep_error(path: Path, where: str, row: int | None = None) -> RawFileError:
    """The one error for JSON nested deeper than `MAX_JSON_DEPTH`, wherever it is found."""
    return RawFileError(
        path,
        f"JSON nested deeper than {MAX_JSON_DEPTH} levels {where}; real files are a few "
        "levels deep: is it corrupt, or not a file of this source?",
        row=row,
    )
