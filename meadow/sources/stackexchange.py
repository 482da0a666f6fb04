"""Stack Exchange data dumps: each question paired with its best answer, per site.

medAlpaca's "stack exchange" sets (academia, biology, fitness, health, bioinformatics)
paired questions with answers scoring at least 5. A site's dump is one
`<site>.stackexchange.com.7z`; its `Posts.xml` holds every post as one self-closing `<row>`
whose fields are attributes (Body is escaped HTML). The archive is read as it is, never
extracted: py7zr decodes `Posts.xml` in a thread into a bounded queue and an lxml push
parser reads the chunks; an extracted `Posts.xml` is streamed with `iterparse`.

Which answer belongs to a question is only known once every answer has been seen, so a
file is read twice, with memory flat whatever its size:

1. a byte scan keeps only integers: each question's accepted answer and its best-scoring
   answer, and decides the answer to use;
2. an lxml pass emits the pairs, holding only the half of a pair whose other half is yet
   to come (a question waiting for its answer); past a memory budget those halves wait
   in a temporary SQLite file.
"""

from __future__ import annotations

import lzma
import queue
import re
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, ClassVar

import orjson
import py7zr
import py7zr.exceptions
from lxml import etree
from py7zr.io import Py7zIO, WriterFactory

from meadow.converters.html import html_to_text, normalize_whitespace
from meadow.errors import RawFileError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._readers import bytes_before, safe_iterparse, xml_error_text
from meadow.sources.base import RawFile, Skip, Source

# Host name prefix of each site read -> subset. Health was renamed Medical Sciences.
SITES: dict[str, str] = {
    "academia": "academia",
    "biology": "biology",
    "fitness": "fitness",
    "health": "health",
    "medicalsciences": "health",
    "bioinformatics": "bioinformatics",
}
DOWNLOADED_SITES = ("academia", "biology", "fitness", "medicalsciences", "bioinformatics")
DUMP_URL = "https://archive.org/download/stackexchange/{site}.stackexchange.com.7z"
POSTS = "Posts.xml"
_DOMAIN = ".stackexchange.com"

QUESTION, ANSWER = 1, 2

# Stack Exchange's license timeline (https://stackoverflow.com/help/licensing): content
# is under the license in force when it was last edited. Used only when a row has no
# ContentLicense (dumps before 2019 had none).
_LICENSE_SINCE = (("2018-05-02", "CC-BY-SA-4.0"), ("2011-04-08", "CC-BY-SA-3.0"))
_OLDEST_LICENSE = "CC-BY-SA-2.5"

_CHUNK = 1 << 22  # 4 MiB reads for the byte scan
# py7zr hands over what one compressed block decodes to (~8 MB for a dump, more for very
# repetitive text); it is queued in 1 MiB pieces so that at most 16 MiB wait for the parser.
_PIECE = 1 << 20
_QUEUE_PIECES = 16
PENDING_MEMORY_BYTES = 64 << 20  # text held in memory for half pairs before spilling

# A row as the dumps write it, attributes in their fixed order up to Score; any other
# layout matches only "<row" and is read attribute by attribute (`_slow_row`).
_ROW = re.compile(
    rb'<row(?=[\s/>])(?:\s+Id="(\d+)"\s+PostTypeId="(\d+)"(?:\s+AcceptedAnswerId="(\d+)")?'
    rb'(?:\s+ParentId="(\d+)")?(?:\s+CreationDate="[^"]*")?\s+Score="(-?\d+)")?'
)
_SLOW_ATTRS = {
    name: re.compile(rb"\s" + name.encode() + rb"""\s*=\s*(?:"([^"]*)"|'([^']*)')""")
    for name in ("Id", "PostTypeId", "AcceptedAnswerId", "ParentId", "Score")
}
_OLD_TAGS = re.compile(r"<([^<>]+)>")
_END_TAG = re.compile(rb"</([^\s<>/]+)>$")
_ROW_START = re.compile(rb"<row(?=[\s/>])")  # where `_ROW` matches: the scan's row count
_RANK_SHIFT = 1 << 40  # answer rank = score * 2**40 - id: higher score, then older answer


@register_source
class StackexchangeSource(Source):
    """Question/answer pairs from the Stack Exchange data dumps of five sites.

    Each question is paired with its accepted answer, else its best-scoring answer with a
    score of at least `min_score` (option, default 5); with
    `accepted_needs_min_score: true` an accepted answer must reach it too. input = title,
    blank line, question body; output = the answer body (HTML made plain text, code
    blocks and lists kept readable); license = the answer's ContentLicense (dumps before
    2019 have none: then the license Stack Exchange gave content of the date of the
    answer's last edit); source_id = "question id:answer id"; subset = the site (Medical
    Sciences is `health`).

    Skips, one per post: `no_good_answer` (a question without an answer to use),
    `deleted_or_closed` (a closed question, unless `keep_closed`; answers whose question
    is not in the dump), `empty_question`, `empty_body` (an answer with no text, e.g. only
    an image), `other_post_type` (tag wikis and other non-Q&A posts). Answers that are not
    chosen are alternatives, not bad rows, and are not counted.
    """

    name = "stackexchange"
    description = (
        "Stack Exchange data dumps (academia, biology, fitness, health/medical sciences, "
        "bioinformatics): each question with its accepted or best-scoring answer."
    )
    homepage = "https://archive.org/details/stackexchange"
    license = "CC-BY-SA-4.0"  # rows carry their own (2.5, 3.0 or 4.0)
    citation = r"""@article{han2023medalpaca,
  title   = {MedAlpaca -- An Open-Source Collection of Medical Conversational AI Models and Training Data},
  author  = {Han, Tianyu and Adams, Lisa C. and Papaioannou, Jens-Michalis and Grundmann, Paul and Oberhauser, Tom and L{\"o}ser, Alexander and Truhn, Daniel and Bressem, Keno K.},
  journal = {arXiv preprint arXiv:2304.08247},
  year    = {2023}
}
@misc{stackexchange_dump,
  author       = {{Stack Exchange, Inc.}},
  title        = {Stack Exchange Data Dump},
  howpublished = {\url{https://archive.org/details/stackexchange}},
  note         = {User contributions licensed under CC BY-SA 2.5, 3.0 and 4.0}
}"""  # noqa: E501
    subsets = ("academia", "biology", "fitness", "health", "bioinformatics")
    default_instruction = "Answer this question truthfully"
    raw_files = tuple(
        RawFile(name=f"{site}{_DOMAIN}.7z", url=DUMP_URL.format(site=site))
        for site in DOWNLOADED_SITES
    )
    how_to_get = (
        "download the sites' dumps from https://archive.org/details/stackexchange "
        f"({', '.join(f'{s}{_DOMAIN}.7z' for s in DOWNLOADED_SITES)}) into one folder; "
        "an extracted dump works too as <site>.stackexchange.com/Posts.xml."
    )
    file_suffixes = (".7z", ".xml")
    scrub_pii = True  # posts may link profiles or give addresses
    language = "en"
    version = "1"
    options: ClassVar[dict[str, Any]] = {
        "min_score": 5,
        "accepted_needs_min_score": False,
        "keep_closed": False,
    }

    # -- which files ------------------------------------------------------------------------

    def shards(self, raw: Path) -> list[Path]:
        """One file per site: `<site>.stackexchange.com.7z` or `<site>…/Posts.xml`.

        In a folder, other sites (meta sites, the rest of the full dump) are passed over;
        where a site is there both extracted and packed, the extracted Posts.xml is read.
        """
        raw = Path(raw)
        if raw.is_file():
            site_of(raw)  # raises, saying how to name it
            return [raw]
        if not raw.is_dir():
            raise RawFileError(raw, "no such file or folder")
        found: dict[str, Path] = {}
        for path in sorted(raw.rglob("*")):
            name = path.name.lower()
            if name == POSTS.lower() and path.is_file():
                host = _host_of_folder(path.parent)
                if host is None:
                    if _is_other_site(path.parent.name):
                        continue  # e.g. stackoverflow.com-Posts/ of the full dump
                    raise RawFileError(path, _UNKNOWN_SITE)
                if _subset_of_host(host) is not None:
                    found[host] = path  # an extracted dump wins over its archive
            elif name.endswith(_DOMAIN + ".7z") and path.is_file():
                host = name[: -len(".7z")]
                if _subset_of_host(host) is not None:
                    found.setdefault(host, path)
        if not found:
            raise RawFileError(raw, f"folder holds no Stack Exchange dump: expected {_EXPECTED}")
        return sorted(found.values())

    # -- parsing ------------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Pairs `{site, subset, question, answer}` of one dump; Skips for the rest."""
        path = Path(path)
        site, subset = site_of(path)
        choice = _choose_answers(
            _scan_rows(_chunks(path), path),
            min_score=int(self.settings["min_score"]),
            accepted_needs_min_score=bool(self.settings["accepted_needs_min_score"]),
        )
        if choice.orphans:
            yield Skip("deleted_or_closed", count=choice.orphans)
        yield from _pair_posts(
            path, choice.chosen, site=site, subset=subset, keep_closed=self.settings["keep_closed"]
        )

    # -- mapping ------------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One record: title and question body in, answer body out."""
        question, answer = item["question"], item["answer"]
        title = normalize_whitespace(question["title"])
        body = html_to_text(question["body"])
        text = f"{title}\n\n{body}" if title and body else title or body
        if not text:
            return [Skip("empty_question")]
        output = html_to_text(answer["body"])
        if not output:
            return [Skip("empty_body")]
        return [
            self.record(
                input=text,
                output=output,
                source_id=f"{question['id']}:{answer['id']}",
                subset=item["subset"],
                license=post_license(answer),
            )
        ]


# -- sites and licenses ---------------------------------------------------------------------

_EXPECTED = (
    " or ".join(f"{site}{_DOMAIN}.7z" for site in SITES)
    + ", or such a name as a folder holding Posts.xml"
)
_UNKNOWN_SITE = (
    "cannot tell which site this Posts.xml is from: put it in a folder named after the "
    "site, e.g. biology.stackexchange.com/Posts.xml (sites read: "
    + ", ".join(SITES)
    + "), or pass the site's .7z as it is"
)


def _subset_of_host(host: str) -> str | None:
    if not host.endswith(_DOMAIN):
        return None
    return SITES.get(host[: -len(_DOMAIN)])


def _is_other_site(folder_name: str) -> bool:
    """A folder named after a site this source does not read (superuser.com, …)."""
    name = folder_name.lower()
    return name.endswith(".com") or ".com-" in name or ".net" in name


def _host_of_folder(folder: Path) -> str | None:
    """`biology.stackexchange.com` for a folder named so, or named `biology`."""
    name = folder.name.lower()
    if name.endswith(_DOMAIN):
        return name
    return f"{name}{_DOMAIN}" if name in SITES else None


def site_of(path: Path) -> tuple[str, str]:
    """(site host, subset) of a dump file, from its name or its folder's name."""
    name = path.name.lower()
    if name == POSTS.lower():
        host = _host_of_folder(path.parent)
        if host is None:
            raise RawFileError(path, _UNKNOWN_SITE)
    elif name.endswith(".7z"):
        host = name[: -len(".7z")]
    else:
        raise RawFileError(path, f"not a Stack Exchange dump file: expected {_EXPECTED}")
    subset = _subset_of_host(host)
    if subset is None:
        raise RawFileError(
            path, f"{host} is not one of the sites this source reads: expected {_EXPECTED}"
        )
    return host, subset


def normalize_license(value: str) -> str:
    """`CC BY-SA 4.0` -> `CC-BY-SA-4.0` (SPDX-like)."""
    return "-".join(value.replace("-", " ").split())


def post_license(post: dict[str, Any]) -> str:
    """A post's ContentLicense; without one, the license in force at its last edit."""
    if post.get("license"):
        return normalize_license(post["license"])
    date = post.get("edited") or post.get("created") or ""
    for since, name in _LICENSE_SINCE:
        if date >= since:
            return name
    return _OLDEST_LICENSE if date else StackexchangeSource.license


def parse_tags(value: str | None) -> list[str]:
    """Tags in either dump form: `<a><b>` (older) or `|a|b|` (newer)."""
    if not value:
        return []
    if value.startswith("<"):
        return _OLD_TAGS.findall(value)
    return [tag for tag in value.split("|") if tag]


# -- reading bytes: a file or the Posts.xml inside a .7z ---------------------------------------


def _chunks(path: Path) -> Iterator[bytes]:
    if path.suffix.lower() == ".7z":
        return _archive_chunks(path)
    return _file_chunks(path)


def _file_chunks(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                yield chunk
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


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
        for start in range(0, len(view), _PIECE):
            piece = bytes(view[start : start + _PIECE])
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


_ARCHIVE_ERRORS = (
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
_END = object()


def _open_archive(path: Path) -> py7zr.SevenZipFile:
    try:
        if path.stat().st_size == 0:
            raise RawFileError(path, f"empty file: download the dump again ({_EXPECTED})")
        return py7zr.SevenZipFile(path, "r")
    except _ARCHIVE_ERRORS as exc:
        raise RawFileError(
            path, f"not a readable .7z archive ({_describe(exc)}): download the dump again"
        ) from None


def _posts_member(path: Path, archive: py7zr.SevenZipFile) -> str:
    names = [info.filename for info in archive.list() if not info.is_directory]
    for name in names:
        if name.replace("\\", "/").rsplit("/", 1)[-1].lower() == POSTS.lower():
            return name
    listed = ", ".join(names[:10]) or "nothing"
    raise RawFileError(
        path,
        f"the archive holds no {POSTS} (it holds {listed}): "
        "download the site's full dump, <site>.stackexchange.com.7z",
    )


def _archive_chunks(path: Path) -> Iterator[bytes]:
    """Posts.xml of a .7z, decoded in a thread while the caller parses what came before."""
    archive = _open_archive(path)
    try:
        member = _posts_member(path, archive)
    except BaseException:
        archive.close()
        raise
    chunks: queue.Queue = queue.Queue(maxsize=_QUEUE_PIECES)
    cancel = threading.Event()

    def decode() -> None:
        try:
            archive.extract(targets=[member], factory=_QueueFactory(chunks, cancel))
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

    thread = threading.Thread(target=decode, name="meadow-7z-decode", daemon=True)
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
                        f"{member} in the archive cannot be decoded ({_describe(item)}): the "
                        "archive is damaged or cut short; download the dump again",
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


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


# -- pass 1: integers only ------------------------------------------------------------------


class _Choice:
    """The answer chosen for each question, and how many answered questions are gone."""

    __slots__ = ("chosen", "orphans")

    def __init__(self, chosen: dict[int, int], orphans: int):
        self.chosen = chosen
        self.orphans = orphans


def _scan_rows(
    chunks: Iterable[bytes], path: Path
) -> Iterator[tuple[int, int, int, int, int | None]]:
    """(Id, PostTypeId, AcceptedAnswerId or 0, ParentId or 0, Score) of every row, fast.

    A byte scan, no XML parse: inside a well-formed attribute value "<" is always
    escaped, so "<row" only ever starts a row. Errors the scan cannot see (encoding,
    malformed markup) are reported by the lxml pass that follows.
    """
    buf = b""
    row = 0
    seen_bytes = False
    for chunk in chunks:
        if not seen_bytes:
            if not chunk:
                continue
            seen_bytes = True
            if chunk[:2] in (b"\xff\xfe", b"\xfe\xff"):
                raise RawFileError(path, "is UTF-16 encoded: re-save it as UTF-8", row=1)
        buf = buf + chunk if buf else chunk
        last = None
        for match in _ROW.finditer(buf):
            if last is not None:
                row += 1
                yield _row_ids(last, buf, match.start(), path, row)
            last = match
        # keep the last row (it may go on in the next chunk), or what could end the file
        buf = buf[-64:] if last is None else buf[last.start() :]
    tail = buf.rstrip(b" \t\r\n")
    if not seen_bytes or not tail.lstrip(b"\xef\xbb\xbf \t\r\n"):
        raise RawFileError(path, f"empty file: download the dump again ({_EXPECTED})")
    if not tail.endswith(b"</posts>"):
        end_tag = _END_TAG.search(tail[-64:])
        if end_tag:
            raise RawFileError(
                path,
                f"not a Stack Exchange Posts.xml: its root element is "
                f"<{end_tag.group(1).decode(errors='replace')}>, not <posts>",
            )
        raise RawFileError(
            path,
            "is cut short (it does not end with </posts>): download or extract the dump again",
            row=row + 1,
        )
    if buf.startswith(b"<row"):
        row += 1
        yield _row_ids(_ROW.match(buf), buf, len(buf), path, row)  # type: ignore[arg-type]


def _row_ids(
    match: re.Match[bytes], buf: bytes, end: int, path: Path, row: int
) -> tuple[int, int, int, int, int | None]:
    post_id, post_type, accepted, parent, score = match.groups()
    if post_id is None:  # not the dump's own layout
        return _slow_row(buf[match.start() : end], path, row)
    if parent is None and post_type == b"2":
        raise RawFileError(path, "an answer row has no ParentId attribute", row=row)
    return (
        int(post_id),
        int(post_type),
        int(accepted) if accepted else 0,
        int(parent) if parent else 0,
        int(score),
    )


def _slow_row(segment: bytes, path: Path, row: int) -> tuple[int, int, int, int, int | None]:
    values: dict[str, int | None] = {}
    for name, pattern in _SLOW_ATTRS.items():
        found = pattern.search(segment)
        if found is None:
            values[name] = None
            continue
        text = found.group(1) if found.group(1) is not None else found.group(2)
        try:
            values[name] = int(text)
        except ValueError:
            raise RawFileError(
                path, f"the {name} attribute is not a number ({text[:20]!r})", row=row
            ) from None
    for name in ("Id", "PostTypeId"):
        if values[name] is None:
            raise RawFileError(
                path,
                f"a row has no {name} attribute: is this the dump's Posts.xml?",
                row=row,
            )
    if values["PostTypeId"] == ANSWER:
        for name in ("ParentId", "Score"):
            if values[name] is None:
                raise RawFileError(path, f"an answer row has no {name} attribute", row=row)
    return (
        values["Id"],  # type: ignore[return-value]
        values["PostTypeId"],  # type: ignore[return-value]
        values["AcceptedAnswerId"] or 0,
        values["ParentId"] or 0,
        values["Score"],
    )


def _choose_answers(
    rows: Iterable[tuple[int, int, int, int, int | None]],
    *,
    min_score: int,
    accepted_needs_min_score: bool,
) -> _Choice:
    """Pick each question's answer: accepted if it is there, else the best one ≥ min_score."""
    accepted: dict[int, int] = {}  # question id -> accepted answer id (0: none)
    best: dict[int, int] = {}  # question id -> rank of its best answer
    accepted_score: dict[int, int] = {}  # question id -> score of its accepted answer
    early: list[tuple[int, int, int]] = []  # answers seen before their question
    for post_id, post_type, accepted_id, parent, score in rows:
        if post_type == QUESTION:
            accepted[post_id] = accepted_id
        elif post_type == ANSWER:
            rank = score * _RANK_SHIFT - post_id  # type: ignore[operator]
            if rank > best.get(parent, rank - 1):
                best[parent] = rank
            wanted = accepted.get(parent)
            if wanted == post_id:
                accepted_score[parent] = score  # type: ignore[assignment]
            elif wanted is None:
                early.append((parent, post_id, score))  # type: ignore[arg-type]
    for parent, post_id, score in early:
        if accepted.get(parent) == post_id:
            accepted_score[parent] = score

    chosen: dict[int, int] = {}
    for question, accepted_id in accepted.items():
        score = accepted_score.get(question)
        if (
            accepted_id
            and score is not None
            and (score >= min_score or not accepted_needs_min_score)
        ):
            chosen[question] = accepted_id
            continue
        rank = best.get(question)
        if rank is not None:
            score = -(-rank // _RANK_SHIFT)
            if score >= min_score:
                chosen[question] = score * _RANK_SHIFT - rank
    orphans = sum(1 for question in best if question not in accepted)
    return _Choice(chosen, orphans)


# -- pass 2: the texts -----------------------------------------------------------------------


class _Pending:
    """Halves of pairs waiting for the other half, by question id.

    Kept in a dict while their text is under PENDING_MEMORY_BYTES; beyond that every
    waiting half is moved into a temporary SQLite file, so memory stays flat even when
    answers come long after their questions.
    """

    def __init__(self, budget: int):
        self._budget = budget
        self._memory: dict[int, dict[str, Any]] = {}
        self._bytes = 0
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._db: sqlite3.Connection | None = None
        self._on_disk = 0

    @staticmethod
    def _size(value: dict[str, Any]) -> int:
        return len(value["body"]) + len(value.get("title", "")) + 200

    def put(self, key: int, value: dict[str, Any]) -> None:
        self._memory[key] = value
        self._bytes += self._size(value)
        if self._bytes > self._budget:
            self._spill()

    def pop(self, key: int) -> dict[str, Any] | None:
        value = self._memory.pop(key, None)
        if value is not None:
            self._bytes -= self._size(value)
            return value
        if not self._on_disk:
            return None
        assert self._db is not None
        found = self._db.execute("SELECT value FROM pending WHERE key = ?", (key,)).fetchone()
        if found is None:
            return None
        self._db.execute("DELETE FROM pending WHERE key = ?", (key,))
        self._on_disk -= 1
        return orjson.loads(found[0])

    def __len__(self) -> int:
        return len(self._memory) + self._on_disk

    def _spill(self) -> None:
        if self._db is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="meadow-stackexchange-")
            self._db = sqlite3.connect(Path(self._tmp.name) / "pending.sqlite")
            self._db.execute("PRAGMA journal_mode = OFF")
            self._db.execute("PRAGMA synchronous = OFF")
            self._db.execute("CREATE TABLE pending (key INTEGER PRIMARY KEY, value BLOB)")
        self._db.executemany(
            "INSERT OR REPLACE INTO pending VALUES (?, ?)",
            ((key, orjson.dumps(value)) for key, value in self._memory.items()),
        )
        self._on_disk = self._db.execute("SELECT count(*) FROM pending").fetchone()[0]
        self._memory.clear()
        self._bytes = 0

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _pair_posts(
    path: Path, chosen: dict[int, int], *, site: str, subset: str, keep_closed: bool
) -> Iterator[dict[str, Any] | Skip]:
    """Pairs in file order, each yielded when its second half is read."""
    pending = _Pending(PENDING_MEMORY_BYTES)
    try:
        for row in _posts_rows(path):
            get = row.get
            post_type = get("PostTypeId")
            if post_type == "1":
                question_id = int(get("Id"))
                answer_id = chosen.get(question_id)
                if get("ClosedDate") and not keep_closed:
                    if answer_id is not None:
                        del chosen[question_id]
                        pending.pop(question_id)  # its answer, if that came first
                    yield Skip("deleted_or_closed")
                    continue
                if answer_id is None:
                    yield Skip("no_good_answer")
                    continue
                question = {
                    "id": question_id,
                    "title": get("Title") or "",
                    "body": _body(row, path),
                    "tags": parse_tags(get("Tags")),
                    "score": int(get("Score") or 0),
                    "accepted_answer_id": int(get("AcceptedAnswerId") or 0),
                    "created": get("CreationDate"),
                    "license": get("ContentLicense"),
                }
                answer = pending.pop(question_id)
                if answer is None:
                    pending.put(question_id, question)  # its answer comes later
                else:
                    del chosen[question_id]
                    yield _pair(question, answer, site, subset)
            elif post_type == "2":
                parent, answer_id = int(get("ParentId")), int(get("Id"))
                if chosen.get(parent) != answer_id:
                    continue  # not the answer chosen for its question
                answer = {
                    "id": answer_id,
                    "body": _body(row, path),
                    "score": int(get("Score") or 0),
                    "created": get("CreationDate"),
                    "edited": get("LastEditDate"),
                    "license": get("ContentLicense"),
                }
                question = pending.pop(parent)
                if question is None:
                    pending.put(parent, answer)  # its question comes later
                else:
                    del chosen[parent]
                    yield _pair(question, answer, site, subset)
            else:
                yield Skip("other_post_type")
        if chosen:
            raise RawFileError(
                path, "changed while it was being read (posts went missing): read it again"
            )
    finally:
        pending.close()


def _posts_rows(path: Path) -> Iterator[etree._Element]:
    """Every <row> element, cleared (with its earlier siblings) once the caller is done."""
    elements = _pull_rows(path) if path.suffix.lower() == ".7z" else _file_rows(path)
    try:
        for element in elements:
            yield element
            element.clear()
            parent = element.getparent()
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(path, exc) from None
    finally:
        elements.close()


def _file_rows(path: Path) -> Iterator[etree._Element]:
    try:
        with path.open("rb") as stream:
            events = safe_iterparse(
                stream, events=("end",), tag="row", remove_comments=False, remove_pis=False
            )
            checked = False
            for _, element in events:
                if not checked:
                    _check_root(path, element.getparent())
                    checked = True
                yield element
            if not checked:
                _check_root(path, events.root)
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


def _pull_rows(path: Path) -> Iterator[etree._Element]:
    parser = etree.XMLPullParser(
        events=("end",), tag="row", resolve_entities=False, no_network=True, load_dtd=False
    )
    checked = False
    for chunk in _archive_chunks(path):
        parser.feed(chunk)
        for _, element in parser.read_events():
            if not checked:
                _check_root(path, element.getparent())
                checked = True
            yield element
    root = parser.close()
    if not checked:
        _check_root(path, root)


def _check_root(path: Path, root: etree._Element | None) -> None:
    tag = root.tag if root is not None else None
    if tag != "posts":
        raise RawFileError(
            path,
            f"not a Stack Exchange Posts.xml: its root element is <{tag}>, not <posts>",
        )


def _syntax_error(path: Path, exc: etree.XMLSyntaxError) -> RawFileError:
    message = xml_error_text(exc)
    line = exc.lineno
    row = _row_at(path, exc)
    if "UTF-8" in message or "encoding" in message.lower():
        return RawFileError(
            path, f"is not valid UTF-8 (at line {line}): re-save the file as UTF-8", row=row
        )
    return RawFileError(
        path,
        f"malformed XML at line {line} ({message}): the file is damaged or cut short; "
        "download or extract the dump again",
        row=row,
    )


def _row_at(path: Path, exc: etree.XMLSyntaxError) -> int | None:
    """The row libxml2's error position is in: rows that start before it, counted again.

    The number of rows the parser had handed over is no measure: how far it reads ahead
    before it reports an error differs between lxml versions (lxml 6 fails on a small
    file before yielding any row). The file is read again up to the error's line and
    column, on this error path only, and its row starts are counted as the byte scan
    counts them. None when the position is unknown or comes before the first row.
    """
    line, column = exc.position or (exc.lineno, 0)
    if not line or line < 1:
        return None
    rows = 0
    tail = b""  # a "<row" cut in two by a chunk boundary is counted in the next piece
    try:
        with closing(_chunks(path)) as chunks:  # type: ignore[type-var]
            for piece in bytes_before(chunks, line, column or None):
                text = tail + piece
                rows += len(_ROW_START.findall(text))  # a match is 5 bytes: never in tail
                tail = text[-4:]
    except (RawFileError, OSError):
        return None
    if tail == b"<row":  # the error is right after a row's start tag name
        rows += 1
    return rows or None


def _body(row: etree._Element, path: Path) -> str:
    body = row.get("Body")
    if body is None:
        raise RawFileError(
            path, f"post {row.get('Id')} has no Body attribute: is this the dump's Posts.xml?"
        )
    return body


def _pair(
    question: dict[str, Any], answer: dict[str, Any], site: str, subset: str
) -> dict[str, Any]:
    answer["accepted"] = answer["id"] == question["accepted_answer_id"]
    return {"site": site, "subset": subset, "question": question, "answer": answer}
