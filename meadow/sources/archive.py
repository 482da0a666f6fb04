"""Raw bytes in chunks: from a file, or from one member of a .7z archive, never extracted.

A .7z member is decoded by py7zr in a thread that writes into a bounded queue, so the
reader parses one chunk while the next is decoded, and memory stays at the queue's size
whatever the member's. Stopping early (an error, a reader that has seen enough) cancels
the thread. Used by sources whose dumps come as .7z (Stack Exchange); not a source
itself, so the registry imports it without finding anything to register.
"""

from __future__ import annotations

import lzma
import queue
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import py7zr
import py7zr.exceptions
from py7zr.io import Py7zIO, WriterFactory

from meadow.errors import RawFileError

CHUNK_BYTES = 1 << 22  # 4 MiB reads of a plain file
# py7zr hands over what one compressed block decodes to (~8 MB for a dump, more for very
# repetitive text); it is queued in 1 MiB pieces so that at most 16 MiB wait for the parser.
PIECE_BYTES = 1 << 20
QUEUE_PIECES = 16
DECODER_THREAD = "meadow-7z-decode"

ARCHIVE_ERRORS = (
    py7zr.exceptions.ArchiveError,
    py7zr.exceptions.Bad7zFile,
    py7zr.exceptions.CrcError,
    py7zr.exceptions.DecompressionError,
    py7zr.exceptions.UnsupportedCompressionMethodError,
    py7zr.exceptions.PasswordRequired,
    lzma.LZMAError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    OSError,
)
"""What py7zr raises for a damaged, cut or unsupported archive."""

_END = object()


def describe(exc: BaseException) -> str:
    """`Type: message` of an exception, or just its type when it has no message."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def file_chunks(path: Path) -> Iterator[bytes]:
    """A plain file's bytes in `CHUNK_BYTES` reads; a read error is a RawFileError."""
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK_BYTES):
                yield chunk
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


def open_7z(path: Path, *, empty: str, again: str) -> py7zr.SevenZipFile:
    """The archive, opened; `empty` is said for an empty file, `again` after other errors."""
    try:
        if path.stat().st_size == 0:
            raise RawFileError(path, empty)
        return py7zr.SevenZipFile(path, "r")
    except ARCHIVE_ERRORS as exc:
        raise RawFileError(path, f"not a readable .7z archive ({describe(exc)}): {again}") from None


def member_chunks(
    path: Path,
    *,
    member: Callable[[py7zr.SevenZipFile], str],
    empty: str,
    again: str,
) -> Iterator[bytes]:
    """One member of a .7z (named by `member(archive)`), decoded in a thread.

    `empty` and `again` word the errors as `open_7z` does; a member that fails to decode
    is "damaged or cut short", then `again`.
    """
    archive = open_7z(path, empty=empty, again=again)
    try:
        name = member(archive)
    except BaseException:
        archive.close()
        raise
    chunks: queue.Queue = queue.Queue(maxsize=QUEUE_PIECES)
    cancel = threading.Event()

    def decode() -> None:
        try:
            archive.extract(targets=[name], factory=_QueueFactory(chunks, cancel))
            outcome: object = _END
        except _Cancelled:
            return
        except BaseException as exc:  # handed to the reading thread
            outcome = exc
        finally:
            archive.close()
        while not cancel.is_set():
            try:
                chunks.put(outcome, timeout=0.1)
                return
            except queue.Full:
                continue

    thread = threading.Thread(target=decode, name=DECODER_THREAD, daemon=True)
    thread.start()
    try:
        while True:
            item = chunks.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                if isinstance(item, Exception):  # whatever fails in the decoder is the archive's
                    raise RawFileError(
                        path,
                        f"{name} in the archive cannot be decoded ({describe(item)}): the "
                        f"archive is damaged or cut short; {again}",
                    ) from None
                raise item
            yield item
    finally:
        cancel.set()
        while thread.is_alive():
            try:
                while True:
                    chunks.get_nowait()
            except queue.Empty:
                pass
            thread.join(0.05)


class _Cancelled(Exception):
    """Raised inside py7zr's decoding thread when the reader stopped early."""


class _QueueWriter(Py7zIO):
    """Where py7zr writes decoded bytes: straight into a bounded queue."""

    def __init__(self, chunks: queue.Queue, cancel: threading.Event):
        self._chunks = chunks
        self._cancel = cancel
        self._size = 0

    def write(self, s: bytes | bytearray) -> int:
        view = memoryview(s)
        for start in range(0, len(view), PIECE_BYTES):
            piece = bytes(view[start : start + PIECE_BYTES])
            while True:
                if self._cancel.is_set():
                    raise _Cancelled
                try:
                    self._chunks.put(piece, timeout=0.1)
                    break
                except queue.Full:
                    continue
        self._size += len(view)
        return len(view)

    def read(self, size: int | None = None) -> bytes:
        return b""

    def seek(self, offset: int, whence: int = 0) -> int:
        return 0

    def flush(self) -> None:
        return None

    def size(self) -> int:
        return self._size


class _QueueFactory(WriterFactory):
    def __init__(self, chunks: queue.Queue, cancel: threading.Event):
        self._chunks = chunks
        self._cancel = cancel

    def create(self, filename: str) -> Py7zIO:
        return _QueueWriter(self._chunks, self._cancel)
