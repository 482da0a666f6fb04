"""Reading pieces several sources share (the registry skips modules starting with "_")."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

import numpy as np
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


_POSITION = re.compile(r",? line \d+, column \d+$")


def xml_error_text(exc: etree.XMLSyntaxError) -> str:
    """libxml2's reason for an XML error, on one line and without its position.

    The message differs between the libxml2 builds lxml ships: up to 2.12 an encoding
    error goes on with a second line ("Bytes: 0xE9 0x3F …"), from 2.13 on every message
    ends with ", line L, column C". Callers name the line themselves, in one line.
    """
    text = str(exc.msg or exc).split("\n", 1)[0].strip()
    return _POSITION.sub("", text).rstrip(" ,!") or type(exc).__name__


_CONTINUATION = bytes(range(0x80, 0xC0))  # UTF-8 bytes that do not start a character


def bytes_before(chunks: Iterable[bytes], line: int, column: int | None) -> Iterator[bytes]:
    """The bytes of a text before a parser's (line, column) position, read again in order.

    `line` and `column` are 1-based, the column counted in characters as libxml2 counts
    it (a UTF-8 character is one column, whatever its length); without a column, the
    whole line is included. Used after an error, to tell which record the parser was in
    from the bytes themselves rather than from how far the parser had read ahead, which
    differs between lxml versions. Memory: one chunk.
    """
    newlines = max(line - 1, 0)
    chars = column - 1 if column is not None and column > 0 else None
    for chunk in chunks:
        start = 0
        if newlines:
            found = chunk.count(b"\n")
            if found < newlines:
                newlines -= found
                yield chunk
                continue
            for _ in range(newlines):
                start = chunk.index(b"\n", start) + 1
            newlines = 0
            yield chunk[:start]
        end = chunk.find(b"\n", start)
        stop = len(chunk) if end < 0 else end
        if chars is not None:
            segment = chunk[start:stop]
            leads = len(segment.translate(None, _CONTINUATION))
            if leads > chars:  # the position is inside this chunk
                yield segment[: _nth_character(segment, chars)]
                return
            chars -= leads
        if end >= 0:  # the line ends before the column: up to its end
            yield chunk[start:end]
            return
        yield chunk[start:]


def tag_starts_before(chunks: Iterable[bytes], tag: str, line: int, column: int | None) -> int:
    """How many `<tag` start tags begin before a parser's (line, column) position.

    Counted in the bytes themselves (see `bytes_before`), so an error names the element
    it is in however far the parser had read ahead; a start tag cut in two by a chunk
    boundary is counted once.
    """
    opening = b"<" + tag.encode()
    starts = re.compile(re.escape(opening) + rb"(?=[\s/>])")
    keep = len(opening)  # a match is one byte longer: never inside the kept tail
    count = 0
    tail = b""
    for piece in bytes_before(chunks, line, column):
        text = tail + piece
        count += len(starts.findall(text))
        tail = text[-keep:]
    if tail == opening:  # the position is right after a start tag's name
        count += 1
    return count


def cleared(elements: Iterator[etree._Element]) -> Iterator[etree._Element]:
    """Each element, then cleared with its earlier siblings: memory stays flat on a
    flat document however long it is. Closes `elements` when done."""
    try:
        for element in elements:
            yield element
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    finally:
        elements.close()  # type: ignore[attr-defined]


def file_elements(
    path: Path, tag: str, check_root: Callable[[etree._Element | None], None]
) -> Iterator[etree._Element]:
    """The `tag` elements of an XML file as each ends; `check_root` sees the root once."""
    try:
        with path.open("rb") as stream:
            events = safe_iterparse(
                stream, events=("end",), tag=tag, remove_comments=False, remove_pis=False
            )
            checked = False
            for _, element in events:
                if not checked:
                    check_root(element.getparent())
                    checked = True
                yield element
            if not checked:
                check_root(events.root)
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


def pushed_elements(
    chunks: Iterable[bytes], tag: str, check_root: Callable[[etree._Element | None], None]
) -> Iterator[etree._Element]:
    """The `tag` elements of XML given in chunks (a member of an archive), as each ends."""
    parser = etree.XMLPullParser(
        events=("end",), tag=tag, resolve_entities=False, no_network=True, load_dtd=False
    )
    checked = False
    for chunk in chunks:
        parser.feed(chunk)
        for _, element in parser.read_events():
            if not checked:
                check_root(element.getparent())
                checked = True
            yield element
    root = parser.close()
    if not checked:
        check_root(root)


def _nth_character(data: bytes, n: int) -> int:
    """Byte offset where character `n` (0-based) of UTF-8 `data` starts."""
    low, high = 0, len(data)  # smallest prefix holding n + 1 characters, minus one byte
    while low < high:
        middle = (low + high) // 2
        if len(data[: middle + 1].translate(None, _CONTINUATION)) > n:
            high = middle
        else:
            low = middle + 1
    return low


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


def texts_to_clean(texts: list[str]) -> list[int]:
    """Positions of the texts whose whitespace may need cleaning: not ASCII, or holding a
    control character, two spaces in a row or a space at either end. The others are one
    line of single-spaced printable ASCII, which every source's cleaning keeps as it is.

    Checked for the whole list at once (numpy over the joined bytes): tested one text at a
    time, these checks cost more than parsing the JSON they came from. It may name a text
    that is clean already, never miss one that is not.
    """
    flags = list(map(str.isascii, texts))
    if all(flags):
        positions, ascii_texts, out = None, texts, []
    else:
        positions = [i for i, flag in enumerate(flags) if flag]
        ascii_texts = [texts[i] for i in positions]
        out = [i for i, flag in enumerate(flags) if not flag]
    if ascii_texts:
        data = np.frombuffer("\n".join(ascii_texts).encode("ascii"), np.uint8)
        lengths = np.fromiter(map(len, ascii_texts), np.int64, len(ascii_texts))
        ends = np.cumsum(lengths + 1) - 1  # where each text's separator is (past the last)
        starts = ends - lengths
        bad = (data < 0x20) | (data == 0x7F)  # the "\n" separators too, told apart below
        space = data == 0x20
        bad[:-1] |= space[:-1] & space[1:]
        where = np.flatnonzero(bad)
        owner = np.searchsorted(starts, where, side="right") - 1
        found = owner[where != ends[owner]]
        full = lengths > 0
        edge = np.flatnonzero(full)[space[starts[full]] | space[ends[full] - 1]]
        dirty = np.union1d(found, edge).tolist()
        out += dirty if positions is None else [positions[i] for i in dirty]
    return sorted(out)
