"""CORD-19's rows: cleaning abstracts and titles, and the column fast path of a build.

`paper` is the per-row rule (clean, then skip as `no_abstract`, `no_title` or
`short_abstract`) that `Cord19Source.parse` applies to every row. `batch_columns` gives the
same result for a whole Arrow batch of `metadata.csv` without a Python step per row for
the rows the rule would leave as they are: numpy and `pyarrow.compute` find, over the
batch's buffers, the rows whose abstract and title hold no markup, no line break, tab,
no-break space or double space, start and end with a printable ASCII character, carry no
"Abstract"/"Summary" label and are long enough; those are kept as the CSV gives them. The
test is conservative (a non-ASCII first or last character, or a pair of spaces spanning
two cells, sends a row the slow way), and every other row goes through `paper` itself,
so the result is the same by construction.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from pathlib import Path, PurePosixPath

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from meadow.converters.html import html_to_text
from meadow.sources.base import Skip

# CORD-19's `license` values → the license id each record carries.
LICENSES: dict[str, str] = {
    "cc-by": "CC-BY",
    "cc-by-sa": "CC-BY-SA",
    "cc-by-nd": "CC-BY-ND",
    "cc-by-nc": "CC-BY-NC",
    "cc-by-nc-sa": "CC-BY-NC-SA",
    "cc-by-nc-nd": "CC-BY-NC-ND",
    "cc0": "CC0-1.0",
    "pd": "LicenseRef-public-domain",
    "els-covid": "LicenseRef-CORD19-els-covid",  # Elsevier's COVID-19 resource centre terms
    "no-cc": "LicenseRef-CORD19-no-cc",  # publisher terms, no Creative Commons license
    "biorxiv": "LicenseRef-CORD19-biorxiv",  # preprint server terms
    "medrxiv": "LicenseRef-CORD19-medrxiv",
    "arxiv": "LicenseRef-CORD19-arxiv",
    "green-oa": "LicenseRef-CORD19-green-oa",  # open-access status, license not stated
    "bronze-oa": "LicenseRef-CORD19-bronze-oa",
    "hybrid-oa": "LicenseRef-CORD19-hybrid-oa",
    "gold-oa": "LicenseRef-CORD19-gold-oa",
    "unk": "LicenseRef-CORD19-unknown",
    "": "LicenseRef-CORD19-unknown",
}
_LICENSE_SLUG = re.compile(r"[^A-Za-z0-9.]+")

_LABEL_STARTS = frozenset({"abstract", "summary", "summary:", "summary ", "summary."})
_ABSTRACT_LABEL = re.compile(r"(?:abstract|summary)\b\s*[:.\-—–]?\s*", re.IGNORECASE)
_MARKUP = re.compile(r"</?(?:p|br|i|b|em|strong|sup|sub|italic|bold|jats:[a-z-]+)\b[^<>]*>", re.I)

_BLOCK_SIZE = 1 << 20  # Arrow batches of ~1 MB: as fast as larger ones, half the memory
_TWO_SPACES = 0x2020  # "  " as a 16-bit word, in either byte order
_SPACES = str.maketrans({"\t": " ", "\xa0": " ", "\x0b": " ", "\x0c": " "})
_SKIP_NO_ABSTRACT = Skip("no_abstract")
_SKIP_NO_TITLE = Skip("no_title")
_SKIP_SHORT = Skip("short_abstract")


def clean_text(text: str, spaced: bool | None = None) -> str:
    """Whitespace collapsed as `normalize_whitespace` does, and stray markup removed.

    Most abstracts need neither, and finding that out with a few `in` tests costs far
    less than splitting and joining every text. `spaced` says whether the text holds two
    spaces in a row, when the caller found that out in bulk (`double_space_rows`): that
    is the one test `in` is slow at.
    """
    if "<" in text and _MARKUP.search(text):
        return html_to_text(text)
    if spaced is None:
        spaced = "  " in text
    if (
        spaced
        or "\n" in text
        or "\t" in text
        or "\r" in text
        or "\xa0" in text
        or text[:1].isspace()
        or text[-1:].isspace()
    ):
        return collapse_whitespace(text)
    return text


def collapse_whitespace(text: str) -> str:
    """Runs of spaces as one, line breaks kept (at most one blank line), ends stripped.

    What `normalize_whitespace` gives for ASCII whitespace and no-break spaces, with
    `str.replace` passes instead of splitting every line into words: several times faster
    on abstract-sized texts.
    """
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\t" in text or "\xa0" in text or "\x0b" in text or "\x0c" in text:
        text = text.translate(_SPACES)
    while "  " in text:
        text = text.replace("  ", " ")
    if "\n" in text:
        text = text.replace(" \n", "\n").replace("\n ", "\n")
        while "\n\n\n" in text:
            text = text.replace("\n\n\n", "\n\n")
    return text.strip()


def clean_abstract(text: str) -> str:
    """An abstract cleaned as `clean_text`, without a leading "Abstract:" label."""
    text = clean_text(text)
    return _strip_label(text) if text[:8].lower() in _LABEL_STARTS else text


def _strip_label(text: str) -> str:
    match = _ABSTRACT_LABEL.match(text)
    return text[match.end() :] if match else text


def double_space_rows(column: pa.Array) -> np.ndarray:
    """Which strings of an Arrow string column hold two spaces in a row, found in bulk.

    Looking for "  " with `in` is the slow part of checking a text (spaces are frequent,
    so the search keeps stopping). Here numpy compares the column's byte buffer as 16-bit
    words with "  " at even and at odd offsets (a few passes over 1/2 of the bytes) and
    maps the hits to rows through the offsets; a pair that spans two strings flags the
    first, which then ends in a space and needs cleaning anyway.
    """
    n = len(column)
    flagged = np.zeros(n, dtype=bool)
    buffers = column.buffers()
    if n == 0 or buffers[2] is None:
        return flagged
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=column.offset + n + 1)
    offsets = offsets[column.offset :]
    base, size = int(offsets[0]), int(offsets[-1] - offsets[0])
    if size < 2:
        return flagged
    data = buffers[2]
    even = np.frombuffer(data, dtype=np.uint16, count=size // 2, offset=base)
    odd = np.frombuffer(data, dtype=np.uint16, count=(size - 1) // 2, offset=base + 1)
    hits = np.concatenate(
        (np.flatnonzero(even == _TWO_SPACES) * 2, np.flatnonzero(odd == _TWO_SPACES) * 2 + 1)
    )
    if hits.size:
        flagged[np.searchsorted(offsets, hits + base, side="right") - 1] = True
    return flagged


@functools.lru_cache(maxsize=256)
def license_id(value: str) -> str:
    """The license id of a CORD-19 `license` value (unknown values kept, as LicenseRef)."""
    key = value.strip().lower()
    found = LICENSES.get(key)
    if found is None:
        found = "LicenseRef-CORD19-" + _LICENSE_SLUG.sub("-", key).strip("-")
    return found


def abstract_from_parses(root: Path, cell: str) -> str:
    """The abstract of the first pdf_json parse named in `cell` that has one, else ""."""
    for name in cell.split(";"):
        name = name.strip()
        parts = PurePosixPath(name).parts
        if not name or name.startswith("/") or ".." in parts or ":" in name:
            continue  # only paths inside the release folder
        try:
            data = orjson.loads((root / name).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            continue  # a parse that is missing or damaged: try the next one
        paragraphs = data.get("abstract") if isinstance(data, dict) else None
        if not isinstance(paragraphs, list):
            continue
        texts = [
            clean_text(p["text"])
            for p in paragraphs
            if isinstance(p, dict) and isinstance(p.get("text"), str)
        ]
        text = clean_abstract("\n\n".join(t for t in texts if t))
        if text:
            return text
    return ""


def paper(
    title: str,
    abstract: str,
    pdfs: str,
    parses_root: Path | None,
    min_words: int,
    spaced: bool | None = None,
) -> tuple[str, str] | Skip:
    """One row's (title, abstract) cleaned, or the Skip that drops it (see the module)."""
    if abstract:
        abstract = clean_text(abstract, spaced)
        if abstract[:8].lower() in _LABEL_STARTS:
            abstract = _strip_label(abstract)
    elif pdfs and parses_root is not None:
        abstract = abstract_from_parses(parses_root, pdfs)
    if not abstract:
        return _SKIP_NO_ABSTRACT
    title = clean_text(title)
    if not title:
        return _SKIP_NO_TITLE
    if len(abstract) < 16 * min_words and len(abstract.split()) < min_words:
        return _SKIP_SHORT
    return title, abstract


# -- whole batches ---------------------------------------------------------------------------

_SPECIAL_BYTES = (ord("<"), ord("\t"), ord("\n"), ord("\r"))
_WORDS = (_TWO_SPACES, int.from_bytes("\xa0".encode(), "little"))  # "  ", "\xa0" in UTF-8
_LABEL = "^(?:abstract|summary)"


def plain_rows(column: pa.Array) -> np.ndarray:
    """Which strings of a column `clean_text` surely leaves as they are (see the module):
    non-empty, none of its trigger bytes, first and last byte printable ASCII."""
    n = len(column)
    buffers = column.buffers()
    if n == 0 or buffers[2] is None:
        return np.zeros(n, dtype=bool)
    offsets = np.frombuffer(buffers[1], dtype=np.int32, count=column.offset + n + 1)
    offsets = offsets[column.offset :]
    base, size = int(offsets[0]), int(offsets[-1] - offsets[0])
    data = np.frombuffer(buffers[2], dtype=np.uint8, count=size, offset=base)
    special = data == _SPECIAL_BYTES[0]
    for byte in _SPECIAL_BYTES[1:]:
        special |= data == byte
    hits = [np.flatnonzero(special)]
    even = np.frombuffer(buffers[2], dtype="<u2", count=size // 2, offset=base)
    odd = np.frombuffer(buffers[2], dtype="<u2", count=max(size - 1, 0) // 2, offset=base + 1)
    for word in _WORDS:
        hits.append(np.flatnonzero(even == word) * 2)
        hits.append(np.flatnonzero(odd == word) * 2 + 1)
    starts, ends = offsets[:-1] - base, offsets[1:] - base
    plain = ends > starts  # an empty cell's first and last bytes below are another's
    if size == 0:
        return plain
    first, last = data[np.minimum(starts, size - 1)], data[np.maximum(ends - 1, 0)]
    plain &= (first > 0x20) & (first < 0x7F) & (last > 0x20) & (last < 0x7F)
    found = np.concatenate(hits)
    if found.size:
        plain[np.searchsorted(offsets, found + base, side="right") - 1] = False
    return plain


def batch_columns(
    batch: pa.RecordBatch,
    seen: set[str],
    parses_root: Path | None,
    min_words: int,
    skipped: Counter,
) -> tuple[list[str], list[str], list[str], list[str]]:
    """The kept rows of one batch as (cord_uid, title, abstract, license id) columns, in
    order, with `seen` updated and the rows dropped counted in `skipped`: what `parse`
    and `to_records` give row by row."""
    titles, abstracts = batch.column("title"), batch.column("abstract")
    fast = plain_rows(abstracts) & plain_rows(titles)
    fast &= ~pc.match_substring_regex(abstracts, _LABEL, ignore_case=True).to_numpy(
        zero_copy_only=False
    )
    fast &= pc.utf8_length(abstracts).to_numpy(zero_copy_only=False) >= 16 * min_words
    # 0: kept as it is; 1: no abstract (and no parse to take one from); 2: `paper` decides
    kinds = np.where(fast, 0, 2)
    has_pdfs = parses_root is not None and "pdf_json_files" in batch.schema.names
    if not has_pdfs:
        kinds[pc.binary_length(abstracts).to_numpy(zero_copy_only=False) == 0] = 1
    decided: dict[int, tuple[str, str] | Skip] = {}
    slow = np.flatnonzero(kinds == 2)
    if slow.size:
        rows = batch.take(pa.array(slow, pa.int32()))
        cells = [rows.column("title").to_pylist(), rows.column("abstract").to_pylist()]
        cells.append(rows.column("pdf_json_files").to_pylist() if has_pdfs else [""] * len(rows))
        for i, title, abstract, pdfs in zip(slow.tolist(), *cells, strict=True):
            decided[i] = paper(title, abstract, pdfs, parses_root, min_words)
    keep: list[int] = []
    uids: list[str] = []
    cleaned: dict[int, tuple[str, str]] = {}
    for i, (uid, kind) in enumerate(
        zip(batch.column("cord_uid").to_pylist(), kinds.tolist(), strict=True)
    ):
        uid = uid.strip()
        if not uid:
            skipped["no_cord_uid"] += 1
            continue
        if uid in seen:
            skipped["duplicate_cord_uid"] += 1
            continue
        if kind:
            got = decided[i] if kind == 2 else _SKIP_NO_ABSTRACT
            if type(got) is Skip:
                skipped[got.reason] += 1
                continue
            cleaned[len(keep)] = got
        seen.add(uid)
        keep.append(i)
        uids.append(uid)
    if not keep:
        return [], [], [], []
    taken = batch.select(["title", "abstract", "license"]).take(pa.array(keep, pa.int32()))
    out_titles = taken.column("title").to_pylist()
    out_abstracts = taken.column("abstract").to_pylist()
    licenses = taken.column("license").dictionary_encode()
    names = [license_id(value) for value in licenses.dictionary.to_pylist()]
    out_licenses = [names[j] for j in licenses.indices.to_numpy().tolist()]
    for j, (title, abstract) in cleaned.items():
        out_titles[j], out_abstracts[j] = title, abstract
    return uids, out_titles, out_abstracts, out_licenses
