"""CORD-19: paper abstracts from `metadata.csv`, one title-writing record per paper.

medAlpaca's `medical_meadow_cord19` is a summarisation set made from CORD-19; its exact
pairing was never published. This adapter pins one and says so: the **input is the
abstract, the output is the paper's title**, with the instruction "Summarize this abstract
into a title." The title is the only author-written summary of the abstract that
`metadata.csv` holds; any other summary would have to be written by a model. A recipe can
change the instruction; the pairing is the adapter's (bump `version` if it changes).

What is read:

* `metadata.csv` (~1M rows, 19 columns, list-valued cells joined by "; ", quoted
  newlines inside cells) is streamed with `pyarrow.csv.open_csv` in batches, every column
  as a string and only the columns used converted; memory stays flat.
* Where a row's abstract is empty and a `document_parses/pdf_json/*.json` parse named in
  its `pdf_json_files` cell is present next to `metadata.csv`, the abstract is taken from
  that parse's `abstract` paragraphs (PMC parses carry none, so `pmc_json_files` is not
  read).

Abstracts and titles are cleaned: whitespace collapsed (line breaks kept), a leading
"Abstract:" label dropped, stray JATS/HTML tags turned into text. Rows are skipped as
`no_abstract`, `no_title`, `short_abstract` (fewer words than the `min_abstract_words`
option, default 10: placeholders such as "[Image: see text]"), `no_cord_uid` and
`duplicate_cord_uid`: CORD-19 repeats a `cord_uid` when a paper comes from several
sources; the first row of a paper that gives a record is kept (the set of kept ids is the
only memory that grows with the file: ~50 MB for CORD-19's ~1M rows).

Each record carries the row's license, mapped from CORD-19's `license` column (see
`LICENSES`): Creative Commons values become SPDX-like ids without a version (CORD-19 does
not say which version), `cc0` becomes `CC0-1.0`, and values that are publisher or
preprint-server terms or open-access colours keep their name as `LicenseRef-CORD19-…`.
"""

from __future__ import annotations

import codecs
import csv
import functools
import hashlib
import io
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, ClassVar, NoReturn

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.csv as pa_csv

from meadow.converters.html import html_to_text
from meadow.errors import RawFileError, excerpt
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._csv import field_limit, find_long_row, long_row_error
from meadow.sources.base import Skip, Source

METADATA = "metadata.csv"
PARSES = "document_parses"

# The columns of metadata.csv, in release order (the reader needs only some of them).
COLUMNS: tuple[str, ...] = (
    "cord_uid",
    "sha",
    "source_x",
    "title",
    "doi",
    "pmcid",
    "pubmed_id",
    "license",
    "abstract",
    "publish_time",
    "authors",
    "journal",
    "mag_id",
    "who_covidence_id",
    "arxiv_id",
    "pdf_json_files",
    "pmc_json_files",
    "url",
    "s2_id",
)
REQUIRED_COLUMNS = ("cord_uid", "title", "abstract", "license")
OPTIONAL_COLUMNS = ("pdf_json_files",)

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

INSTRUCTION = "Summarize this abstract into a title."

_LABEL_STARTS = frozenset({"abstract", "summary", "summary:", "summary ", "summary."})
_ABSTRACT_LABEL = re.compile(r"(?:abstract|summary)\b\s*[:.\-—–]?\s*", re.IGNORECASE)
_MARKUP = re.compile(r"</?(?:p|br|i|b|em|strong|sup|sub|italic|bold|jats:[a-z-]+)\b[^<>]*>", re.I)

_BLOCK_SIZE = 1 << 20  # Arrow batches of ~1 MB: as fast as larger ones, half the memory
_TWO_SPACES = 0x2020  # "  " as a 16-bit word, in either byte order
_SPACES = str.maketrans({"\t": " ", "\xa0": " ", "\x0b": " ", "\x0c": " "})
_SKIP_NO_ABSTRACT = Skip("no_abstract")
_SKIP_NO_TITLE = Skip("no_title")
_SKIP_SHORT = Skip("short_abstract")
_SKIP_DUPLICATE = Skip("duplicate_cord_uid")
_SKIP_NO_UID = Skip("no_cord_uid")

CITATION = r"""@inproceedings{wang-etal-2020-cord,
  title     = {{CORD-19}: The {COVID-19} Open Research Dataset},
  author    = {Wang, Lucy Lu and Lo, Kyle and Chandrasekhar, Yoganand and Reas, Russell and Yang, Jiangjiang and Burdick, Doug and Eide, Darrin and Funk, Kathryn and Katsis, Yannis and Kinney, Rodney Michael and Li, Yunyao and Liu, Ziyang and Merrill, William and Mooney, Paul and Murdick, Dewey A. and Rishi, Devvret and Sheehan, Jerry and Shen, Zhihong and Stilson, Brandon and Wade, Alex D. and Wang, Kuansan and Wang, Nancy Xin Ru and Wilhelm, Christopher and Xie, Boya and Raymond, Douglas M. and Weld, Daniel S. and Etzioni, Oren and Kohlmeier, Sebastian},
  booktitle = {Proceedings of the 1st Workshop on {NLP} for {COVID-19} at {ACL} 2020},
  year      = {2020},
  url       = {https://www.aclweb.org/anthology/2020.nlpcovid19-acl.1}
}"""  # noqa: E501


@register_source
class Cord19Source(Source):
    """CORD-19 `metadata.csv` (and optional pdf_json parses): abstract → title records.

    `--raw cord19=FOLDER` names a CORD-19 release folder holding `metadata.csv` and,
    optionally, `document_parses/pdf_json/*.json`; a bare `metadata.csv` file works too.
    """

    name = "cord19"
    description = (
        "CORD-19, the COVID-19 Open Research Dataset (Allen AI): paper abstracts from "
        "metadata.csv, each paired with its paper's title as a summarisation task "
        "(medAlpaca's medical_meadow_cord19). Each row keeps the paper's own license."
    )
    homepage = "https://github.com/allenai/cord19"
    license = "other"  # the CORD-19 dataset license, with a per-paper license on each row
    citation = CITATION
    subsets = ()
    default_instruction = INSTRUCTION
    raw_files = ()
    how_to_get = (
        "CORD-19 was retired in 2022 and cannot be downloaded by meadow: get a release "
        "(e.g. cord-19_2022-06-02.tar.gz) from Allen AI's historical releases "
        "(https://github.com/allenai/cord19, 'Historical releases') or the Kaggle "
        "'COVID-19 Open Research Dataset Challenge (CORD-19)' "
        "(https://www.kaggle.com/datasets/allen-institute-for-ai/CORD-19-research-challenge); "
        "extract it and pass the folder holding metadata.csv (and, optionally, the "
        "extracted document_parses/ folder)."
    )
    file_suffixes = (".csv",)
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {"min_abstract_words": 10}

    def file_shards(self, path: Path) -> list[Path]:
        """`metadata.csv` itself; the parses beside it are read while it is parsed.

        The parses are not shards of their own (a row needs its parse), so their names
        and sizes go into the cache fingerprint instead (see `fingerprint_data`).
        """
        self._parses_signature = _parses_signature(path.parent / PARSES / "pdf_json")
        return [path]

    def folder_shards(self, folder: Path) -> list[Path]:
        """The folder's `metadata.csv` (the parses beside it are read with it)."""
        metadata = folder / METADATA
        if not metadata.is_file():
            raise RawFileError(
                folder,
                f"folder holds no {METADATA} (expected {METADATA} and, optionally, "
                f"{PARSES}/pdf_json/*.json, as in a CORD-19 release folder)",
            )
        return self.file_shards(metadata)

    def fingerprint_data(self) -> dict[str, Any]:
        """The base fingerprint plus the pdf_json parses seen by `shards` (names, sizes)."""
        data = super().fingerprint_data()
        signature = getattr(self, "_parses_signature", None)
        if signature:
            data["pdf_json_parses"] = signature
        return data

    # -- parsing ------------------------------------------------------------------------

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Papers of `metadata.csv` with an abstract and a title, first row per cord_uid.

        Yields `{"cord_uid", "title", "abstract", "license"}` with title and abstract
        cleaned (whitespace, a leading "Abstract" label, stray markup).
        """
        path = Path(path)
        columns = _check_header(path)
        wanted = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in columns]
        parses_root = path.parent if (path.parent / PARSES / "pdf_json").is_dir() else None
        min_words = int(self.options_in_effect["min_abstract_words"])
        seen: set[str] = set()
        for batch in _batches(path, wanted):
            uids = batch.column("cord_uid").to_pylist()
            titles = batch.column("title").to_pylist()
            abstract_column = batch.column("abstract")
            abstracts = abstract_column.to_pylist()
            licenses = batch.column("license").to_pylist()
            if parses_root is not None and "pdf_json_files" in columns:
                pdf_files = batch.column("pdf_json_files").to_pylist()
            else:
                pdf_files = [""] * len(uids)
            rows = zip(
                uids,
                titles,
                abstracts,
                double_space_rows(abstract_column).tolist(),
                licenses,
                pdf_files,
                strict=True,
            )
            for uid, title, abstract, spaced, license_, pdfs in rows:
                uid = uid.strip()
                if not uid:
                    yield _SKIP_NO_UID
                    continue
                if uid in seen:
                    yield _SKIP_DUPLICATE
                    continue
                if abstract:
                    abstract = clean_text(abstract, spaced)
                    if abstract[:8].lower() in _LABEL_STARTS:
                        abstract = _strip_label(abstract)
                elif pdfs:
                    abstract = abstract_from_parses(parses_root, pdfs)
                if not abstract:
                    yield _SKIP_NO_ABSTRACT
                    continue
                title = clean_text(title)
                if not title:
                    yield _SKIP_NO_TITLE
                    continue
                if len(abstract) < 16 * min_words and len(abstract.split()) < min_words:
                    yield _SKIP_SHORT
                    continue
                seen.add(uid)
                yield {"cord_uid": uid, "title": title, "abstract": abstract, "license": license_}

    # -- mapping ------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """Abstract as input, title as output, the row's license mapped to an id."""
        return (
            self.record(
                input=item["abstract"],
                output=item["title"],
                source_id=item["cord_uid"],
                license=license_id(item["license"]),
            ),
        )


# -- cleaning ---------------------------------------------------------------------------------


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


# -- the CSV -----------------------------------------------------------------------------------


def _check_header(path: Path) -> list[str]:
    """The header's column names; RawFileError for an empty file or a missing column."""
    try:
        with path.open("rb") as f:
            first = f.readline(1 << 20)
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    if not first.strip(b"\xef\xbb\xbf \t\r\n"):
        raise RawFileError(
            path, f"empty file: this is not a CORD-19 {METADATA}; download the release again"
        )
    try:
        header = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        _raise_encoding_error(path)
    columns = next(csv.reader(io.StringIO(header)), [])
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            raise RawFileError(
                path,
                f"missing column {column!r}: not a CORD-19 {METADATA} (its header is "
                f"{excerpt(', '.join(columns))}; expected {', '.join(COLUMNS)})",
            )
    return columns


def _batches(path: Path, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """Arrow batches of `columns` (all strings), errors turned into RawFileError.

    A row must fit in one block (1 MB; `MEADOW_CSV_FIELD_MB` raises it): a larger one is
    named with its line, and told apart from a quote that never closes.
    """
    block = field_limit(_BLOCK_SIZE)
    try:
        reader = pa_csv.open_csv(
            path,
            read_options=pa_csv.ReadOptions(block_size=block),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
            convert_options=pa_csv.ConvertOptions(
                include_columns=columns,
                column_types=dict.fromkeys(columns, pa.string()),
                strings_can_be_null=False,
            ),
        )
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                return
            yield batch
    except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
        message = str(exc)
        if "UTF8" in message or "UTF-8" in message:
            _raise_encoding_error(path)
        if "straddling" in message:
            found = find_long_row(path, block)
            header = _check_header(path)
            error = long_row_error(path, block, found, header=header, per_row=True, detail=message)
            raise error from None
        raise RawFileError(
            path,
            f"malformed or truncated CSV ({excerpt(message, 160)}): download {METADATA} again",
        ) from None
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None


def _raise_encoding_error(path: Path) -> NoReturn:
    """Find the first byte that is not UTF-8 and raise with its line and CSV row."""
    line, row, byte = find_invalid_utf8(path)
    raise RawFileError(
        path,
        f"not UTF-8 text: byte 0x{byte:02x} at line {line} cannot be decoded; "
        "re-save the file as UTF-8",
        row=row,
    )


def find_invalid_utf8(path: Path) -> tuple[int, int | None, int]:
    """(line, CSV data row, byte) of the first byte that is not UTF-8; line is 1-based.

    The row is counted as CSV counts rows (a newline inside a quoted cell does not end
    one; the first data row is row 1, the header has none). Read line by line, so any
    file size is fine; only called once a decode has failed.
    """
    rows_done, in_quotes = 0, False  # records ended so far, the header included
    with path.open("rb") as f:
        for line_no, raw in enumerate(f, 1):
            if line_no == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return line_no, (rows_done or None), raw[exc.start]
            if raw.count(b'"') % 2:
                in_quotes = not in_quotes
            if not in_quotes:
                rows_done += 1
    return line_no, None, 0  # not reached for a file that failed to decode


def _parses_signature(folder: Path) -> str | None:
    """A digest of the pdf_json parses' names and sizes (None when there are none)."""
    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    entries = []
    with os.scandir(folder) as it:
        for entry in it:
            if entry.name.endswith(".json") and entry.is_file():
                entries.append((entry.name, entry.stat().st_size))
    if not entries:
        return None
    for name, size in sorted(entries):
        digest.update(f"{name}\x1f{size}\n".encode())
    return f"{len(entries)}:{digest.hexdigest()[:16]}"
