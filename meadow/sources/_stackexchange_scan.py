"""Stack Exchange, pass 1: which answer goes with each question, from integers only.

A byte scan of Posts.xml keeps each question's accepted answer and its best-scoring
answer; `choose_answers` then decides. Apart from `stackexchange.py` so that the adapter
reads as the pairing it does; only that adapter uses it (the registry skips "_" modules).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from meadow.errors import RawFileError

QUESTION, ANSWER = 1, 2

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
_END_TAG = re.compile(rb"</([^\s<>/]+)>$")
_RANK_SHIFT = 1 << 40  # answer rank = score * 2**40 - id: higher score, then older answer


class Choice:
    """The answer chosen for each question, and how many answered questions are gone."""

    __slots__ = ("chosen", "orphans")

    def __init__(self, chosen: dict[int, int], orphans: int):
        self.chosen = chosen
        self.orphans = orphans


def scan_rows(
    chunks: Iterable[bytes], path: Path, *, empty: str
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
        raise RawFileError(path, empty)
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


def choose_answers(
    rows: Iterable[tuple[int, int, int, int, int | None]],
    *,
    min_score: int,
    accepted_needs_min_score: bool,
) -> Choice:
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
    return Choice(chosen, orphans)
