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
import hashlib
import io
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar, NoReturn

import pyarrow as pa
import pyarrow.csv as pa_csv

from meadow.errors import RawFileError, excerpt
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._cord19_rows import LICENSES as LICENSES  # the names as they were
from meadow.sources._cord19_rows import batch_columns, double_space_rows, license_id, paper
from meadow.sources._cord19_rows import clean_text as clean_text
from meadow.sources._csv import arrow_batches, field_limit, find_long_row, long_row_error
from meadow.sources.base import Rows, Skip, Source

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

INSTRUCTION = "Summarize this abstract into a title."

_BLOCK_SIZE = 1 << 20  # Arrow batches of ~1 MB: as fast as larger ones, half the memory
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
                got = paper(title, abstract, pdfs, parses_root, min_words, spaced)
                if type(got) is Skip:
                    yield got
                    continue
                seen.add(uid)
                title, abstract = got
                yield {"cord_uid": uid, "title": title, "abstract": abstract, "license": license_}

    def batches(self, path: Path) -> Iterator[Rows | Skip]:
        """The records of `read(path)`, a column batch per Arrow batch (`batch_columns`)."""
        path = Path(path)
        columns = _check_header(path)
        wanted = [c for c in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS) if c in columns]
        parses_root = path.parent if (path.parent / PARSES / "pdf_json").is_dir() else None
        min_words = int(self.options_in_effect["min_abstract_words"])
        seen: set[str] = set()
        skipped: Counter = Counter()
        for batch in _batches(path, wanted):
            uids, titles, abstracts, licenses = batch_columns(
                batch, seen, parses_root, min_words, skipped
            )
            if uids:
                yield Rows(input=abstracts, output=titles, source_id=uids, license=licenses)
        for reason, count in skipped.items():
            yield Skip(reason, count=count)

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
        yield from arrow_batches(
            path,
            columns,
            read_options=pa_csv.ReadOptions(block_size=block),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True),
        )
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
