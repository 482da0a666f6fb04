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

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, ClassVar

import py7zr
from lxml import etree

from meadow.errors import RawFileError
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._readers import (
    cleared,
    file_elements,
    pushed_elements,
    tag_starts_before,
    xml_error_text,
)
from meadow.sources._stackexchange_rows import pair_columns, pair_texts
from meadow.sources._stackexchange_scan import choose_answers, scan_rows
from meadow.sources.archive import file_chunks, member_chunks
from meadow.sources.base import RawFile, Rows, Skip, Source
from meadow.sources.pending import PendingStore

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

# Stack Exchange's license timeline (https://stackoverflow.com/help/licensing): content
# is under the license in force when it was last edited. Used only when a row has no
# ContentLicense (dumps before 2019 had none).
_LICENSE_SINCE = (("2018-05-02", "CC-BY-SA-4.0"), ("2011-04-08", "CC-BY-SA-3.0"))
_OLDEST_LICENSE = "CC-BY-SA-2.5"

PENDING_MEMORY_BYTES = 64 << 20  # text held in memory for half pairs before spilling

_OLD_TAGS = re.compile(r"<([^<>]+)>")


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

    Skips, counted per post: `no_good_answer` (a question without an answer to use),
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
    default_options: ClassVar[dict[str, Any]] = {
        "min_score": 5,
        "accepted_needs_min_score": False,
        "keep_closed": False,
    }

    # -- which files ------------------------------------------------------------------------

    def file_shards(self, path: Path) -> list[Path]:
        """`<site>.stackexchange.com.7z` or `<site>…/Posts.xml` of a site read."""
        site_of(path)  # raises, saying how to name it
        return [path]

    def folder_shards(self, folder: Path) -> list[Path]:
        """One file per site: `<site>.stackexchange.com.7z` or `<site>…/Posts.xml`.

        Other sites (meta sites, the rest of the full dump) are passed over; where a
        site is there both extracted and packed, the extracted Posts.xml is read.
        """
        found: dict[str, Path] = {}
        for path in sorted(folder.rglob("*")):
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
            raise RawFileError(folder, f"folder holds no Stack Exchange dump: expected {_EXPECTED}")
        return sorted(found.values())

    # -- parsing ------------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Pairs `{site, subset, question, answer}` of one dump; Skips for the rest."""
        path = Path(path)
        site, subset = site_of(path)
        choice = choose_answers(
            scan_rows(_chunks(path), path, empty=_EMPTY),
            min_score=int(self.options_in_effect["min_score"]),
            accepted_needs_min_score=bool(self.options_in_effect["accepted_needs_min_score"]),
        )
        if choice.orphans:
            yield Skip("deleted_or_closed", count=choice.orphans)
        yield from _pair_posts(
            path,
            choice.chosen,
            site=site,
            subset=subset,
            keep_closed=self.options_in_effect["keep_closed"],
        )

    # -- mapping ------------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One record: title and question body in, answer body out."""
        got = pair_texts(item)
        if type(got) is Skip:
            return [got]
        text, output = got
        question, answer = item["question"], item["answer"]
        return [
            self.record(
                input=text,
                output=output,
                source_id=f"{question['id']}:{answer['id']}",
                subset=item["subset"],
                license=post_license(answer),
            )
        ]

    def batches(self, path: Path) -> Iterator[Rows | Skip]:
        """The records of `read(path)` as columns, filled from the pairs (no `Record`)."""
        return pair_columns(self.parse(path), post_license)


# -- sites and licenses ---------------------------------------------------------------------

_EXPECTED = (
    " or ".join(f"{site}{_DOMAIN}.7z" for site in SITES)
    + ", or such a name as a folder holding Posts.xml"
)
_EMPTY = f"empty file: download the dump again ({_EXPECTED})"
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
    return file_chunks(path)


def _archive_chunks(path: Path) -> Iterator[bytes]:
    """Posts.xml of a .7z, decoded in a thread while the caller parses what came before."""
    return member_chunks(
        path,
        member=lambda archive: _posts_member(path, archive),
        empty=_EMPTY,
        again="download the dump again",
    )


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


# -- pass 2: the texts -----------------------------------------------------------------------


def _pending_size(value: dict[str, Any]) -> int:
    return len(value["body"]) + len(value.get("title", "")) + 200


def _pair_posts(
    path: Path, chosen: dict[int, int], *, site: str, subset: str, keep_closed: bool
) -> Iterator[dict[str, Any] | Skip]:
    """Pairs in file order, each yielded when its second half is read; the posts skipped
    are counted and yielded as one `Skip(reason, count=n)` per reason at the end."""
    pending = PendingStore(PENDING_MEMORY_BYTES, size=_pending_size, prefix="meadow-stackexchange-")
    skipped: Counter[str] = Counter()
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
                    skipped["deleted_or_closed"] += 1
                    continue
                if answer_id is None:
                    skipped["no_good_answer"] += 1
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
                skipped["other_post_type"] += 1
        if chosen:
            raise RawFileError(
                path, "changed while it was being read (posts went missing): read it again"
            )
    finally:
        pending.close()
    for reason, count in skipped.items():
        yield Skip(reason, count=count)


def _posts_rows(path: Path) -> Iterator[etree._Element]:
    """Every <row> element, cleared (with its earlier siblings) once the caller is done."""
    if path.suffix.lower() == ".7z":
        elements = pushed_elements(
            _archive_chunks(path), "row", lambda root: _check_root(path, root)
        )
    else:
        elements = file_elements(path, "row", lambda root: _check_root(path, root))
    try:
        yield from cleared(elements)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(path, exc) from None


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
    try:
        with closing(_chunks(path)) as chunks:  # type: ignore[type-var]
            rows = tag_starts_before(chunks, "row", line, column or None)
    except (RawFileError, OSError):
        return None
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
