"""Reading the small CSV corpora (mmlu, health_advice, pubmed_causal) and cleaning their text.

These corpora are a few MB at most, so they are read with Python's `csv` module rather than
`pyarrow.csv` (the fastest path for CSVs of GBs, see performance.md): at these sizes the
reader is not what costs, the per-row record building is, and `csv` knows the line every
row starts on, which the error messages need. Everything the three sources share lives
here, once:

* decoding as UTF-8 (a BOM is allowed) with the line of the first undecodable byte named;
* the file-level errors: empty, cut short inside a quoted field or in its last row;
* rows with the wrong number of cells or broken quoting, skipped with a reason;
* a header with its required columns checked;
* the largest field a CSV may hold (`field_limit`, raised with `MEADOW_CSV_FIELD_MB`) and,
  when a file holds a larger one, where it is (`find_long_row`, `long_row_error`): the
  pyarrow readers (cord19, umls, local) share these too;
* `labelled_sentences` (with `clean_sentence` and `int_label`), for the labelled PubMed
  sentences of the two Yu/Li corpora: label check, cleaning and de-duplication.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import os
import re
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import pyarrow as pa
import pyarrow.csv as pa_csv

from meadow.converters.html import normalize_whitespace
from meadow.errors import RawFileError, RecipeError, excerpt
from meadow.sources.base import Skip

_RESAVE = "re-save it as UTF-8 (in a spreadsheet: CSV UTF-8)"
_TRUNCATED = "the file is cut short ({detail}); download or export it again"
# "\xa0", "\u2009" and "\\u2005" left in the text as escape sequences by upstream scripts.
_LITERAL_ESCAPE = re.compile(r"\\{1,2}(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))")

FIELD_LIMIT_ENV = "MEADOW_CSV_FIELD_MB"
MB = 1 << 20
_MAX_FIELD_MB = 1024
_SCAN_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class CsvRow:
    """One data row of a CSV file.

    Attributes:
        number: 1-based, the header not counted (a stable id for headerless corpora).
        line: the line the row starts on, for messages.
        cells: the row's cells, as text.
        fields: the cells by column name, when the file has a header.
    """

    number: int
    line: int
    cells: list[str]
    fields: dict[str, str] | None = None


def open_binary(path: Path) -> BinaryIO:
    """A raw file opened for reading, or a RawFileError saying why it cannot be."""
    try:
        return path.open("rb")
    except IsADirectoryError:
        raise RawFileError(path, "is a folder, expected a .csv file") from None
    except OSError as exc:
        raise RawFileError(path, f"cannot be opened: {exc.strerror or exc}") from exc


def read_rows(
    stream: BinaryIO,
    where: Path,
    *,
    columns: int | None = None,
    required: Sequence[str] | None = None,
) -> Iterator[CsvRow | Skip]:
    """Rows of a CSV, each with the same number of cells, as `CsvRow`s or `Skip`s.

    Headerless files give `columns`, the cell count every row must have. Files with a
    header give `required` instead: the columns that must be in the header (the header
    sets the count, and each row gets `fields`). Rows with broken quoting are skipped
    (`malformed_csv_row`), rows with another cell count too (`wrong_column_count`), except
    a short last row in a file that does not end with a line break: the file was cut
    short, which raises. `stream` must be seekable (to find the line of a byte that is
    not UTF-8, and the file's last byte).
    """
    if (columns is None) == (required is None):
        raise TypeError("read_rows needs either `columns` (no header) or `required` (header)")
    limit = field_limit(csv.field_size_limit())
    if limit > csv.field_size_limit():  # process-wide: only ever raised, never lowered
        csv.field_size_limit(limit)
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, strict=True)
    header: list[str] | None = None
    number = 0
    pending: CsvRow | None = None  # a row is yielded once the next one shows it is not last
    try:
        while True:
            start = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    detail = f"a quoted field opened on line {start} never closes"
                    raise RawFileError(where, _TRUNCATED.format(detail=detail)) from None
                if "field larger than field limit" in str(exc):
                    # the reader cannot resynchronise: the rest of the field would be rows
                    found = find_long_row(stream, limit, from_line=start, per_field=True)
                    raise long_row_error(where, limit, found, header=header) from None
                yield Skip("malformed_csv_row")
                continue
            if not cells:  # csv gives [] for a blank line
                continue
            if required is not None and header is None:
                header = _checked_header(cells, required, where)
                columns = len(header)
                continue
            if pending is not None:
                yield _complete(pending, columns, header)
            number += 1
            pending = CsvRow(number, start, cells)
    except UnicodeDecodeError as exc:
        line = _first_bad_line(stream)
        at = f"line {line}" if line else "somewhere"
        raise RawFileError(
            where,
            f"is not UTF-8 text ({at}: {exc.reason}, byte 0x{exc.object[exc.start]:02x}); "
            + _RESAVE,
        ) from None
    finally:
        # Hand the stream back to its owner, who closes it; if it is closed already (the
        # rows were abandoned after the owner's `with` ended), there is nothing to do.
        with contextlib.suppress(ValueError):
            text.detach()
    if required is not None and header is None:
        raise RawFileError(where, "the file is empty (no header row); download it again")
    if pending is None:
        if required is None:
            raise RawFileError(where, "the file is empty (no rows); download or export it again")
        return
    if len(pending.cells) < columns and not _ends_with_newline(stream):
        detail = f"its last row, line {pending.line}, has {len(pending.cells)} of {columns} columns"
        raise RawFileError(where, _TRUNCATED.format(detail=detail))
    yield _complete(pending, columns, header)


def labelled_sentences(
    path: Path, *, required: Sequence[str], labels: Container[int], seen: set[str]
) -> Iterator[dict[str, Any] | Skip]:
    """Rows of a CSV of labelled sentences (`label` and `sentence` columns among `required`).

    Yields `{"label": int, "sentence": cleaned, "raw_sentence": stripped, "fields": row}`,
    or a Skip: `bad_label` (not in `labels`), `empty_sentence`, and `duplicate_sentence`
    for a cleaned sentence already in `seen` (which each new sentence is added to, so the
    first occurrence is kept).
    """
    with open_binary(path) as stream:
        for row in read_rows(stream, path, required=required):
            if isinstance(row, Skip):
                yield row
                continue
            fields: dict[str, str] = row.fields or {}
            label = int_label(fields["label"])
            if label not in labels:
                yield Skip("bad_label")
                continue
            raw_sentence = fields["sentence"].strip()
            sentence = clean_sentence(raw_sentence)
            if not sentence:
                yield Skip("empty_sentence")
            elif sentence in seen:
                yield Skip("duplicate_sentence")
            else:
                seen.add(sentence)
                yield {
                    "label": label,
                    "sentence": sentence,
                    "raw_sentence": raw_sentence,
                    "fields": fields,
                }


def clean_sentence(text: str) -> str:
    """A PubMed sentence as a sentence: escapes decoded, stray quotes and spaces removed.

    The upstream CSVs keep escape sequences as text (`25\\u2009mg`, `the\\xa0effect`),
    trailing spaces, doubled spaces, and quote marks left over from a broken export
    (`" Our study suggests …` or `… migrants."`). Mojibake (`PPARÎ´`) is left as it is:
    guessing the original encoding would change correct text too.
    """
    if "\\" in text:
        text = _LITERAL_ESCAPE.sub(_unescape, text)
    text = normalize_whitespace(text)
    quotes = text.count('"')
    if quotes == 2 and len(text) > 1 and text[0] == text[-1] == '"':
        text = text[1:-1]
    elif quotes % 2 == 1:
        if text.startswith('"'):
            text = text[1:]
        elif text.endswith('"'):
            text = text[:-1]
    return text.strip()


def int_label(value: str) -> int | None:
    """A class label as an int: "1", or "1.0" as a float column writes it; None otherwise."""
    try:
        number = float(value.strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _unescape(match: re.Match[str]) -> str:
    return chr(int(match.group(1) or match.group(2), 16))


def _checked_header(cells: list[str], required: Sequence[str], where: Path) -> list[str]:
    header = [name.strip() for name in cells]
    missing = [name for name in required if name not in header]
    if missing:
        raise RawFileError(
            where,
            f"missing column {missing[0]!r} (the header has {excerpt(', '.join(header))}; "
            f"expected {', '.join(required)}); is this the right file?",
        )
    return header


# -- fields larger than a reader takes ---------------------------------------------------------


def field_limit(default: int) -> int:
    """The largest CSV field (for pyarrow, row) a reader takes, in bytes.

    `MEADOW_CSV_FIELD_MB` when it is set (a number of MB, 1 MB = 2**20 bytes, up to 1024),
    else the reader's `default`: pyarrow's block size (1 MB for cord19 and umls, 16 MB
    for local files; a row must fit in one block), 131,072 characters for Python's `csv`
    (mmlu, health_advice, pubmed_causal). A larger field stops the read with its line;
    the limit never changes what a file that fits gives.
    """
    value = os.environ.get(FIELD_LIMIT_ENV, "").strip()
    if not value:
        return default
    try:
        mb = float(value)
    except ValueError:
        mb = math.nan
    if not 0 < mb <= _MAX_FIELD_MB:  # NaN fails too
        raise RecipeError(
            FIELD_LIMIT_ENV,
            f"expected a size in MB, more than 0 and at most {_MAX_FIELD_MB}, got "
            f"{excerpt(value, 20)!r}",
        )
    return max(1, int(mb * MB))


@dataclass(frozen=True, slots=True)
class LongRow:
    """The first CSV row over a size limit, as `find_long_row` finds it.

    Attributes:
        line: the line the row starts on (1-based, the header's line is 1).
        field: the 1-based position of the row's largest field.
        field_bytes, row_bytes: the sizes of that field and of the whole row.
        unclosed: a quote opened in the row never closes before the end of the file.
    """

    line: int
    field: int
    field_bytes: int
    row_bytes: int
    unclosed: bool


def find_long_row(
    source: Path | BinaryIO,
    limit: int,
    *,
    delimiter: bytes = b",",
    quoting: bool = True,
    from_line: int = 1,
    per_field: bool = False,
) -> LongRow | None:
    """The first row starting on `from_line` or later over `limit` bytes (with `per_field`,
    holding a field over it), or None. CSV quoting is followed (`"` opens and closes a
    field, which may hold delimiters and line breaks); `quoting=False` for files without
    (UMLS's RRF). Read in 1 MB chunks, so memory stays flat whatever the row's size; only
    called once a reader has failed (a plain Python scan, ~10 s per GB of short fields).
    """
    own = isinstance(source, Path)
    stream: BinaryIO = source.open("rb") if isinstance(source, Path) else source
    special = re.compile(b"[" + re.escape(delimiter) + (b'"' if quoting else b"") + b"\n]")
    line = row_line = field = longest = 1
    field_bytes = row_bytes = longest_bytes = 0
    in_quotes = False

    def over() -> bool:
        size = max(longest_bytes, field_bytes) if per_field else row_bytes
        return row_line >= from_line and size > limit

    def found(unclosed: bool) -> LongRow:
        at, size = (field, field_bytes) if field_bytes > longest_bytes else (longest, longest_bytes)
        return LongRow(row_line, at, size, row_bytes, unclosed)

    try:
        stream.seek(0)
        while chunk := stream.read(_SCAN_CHUNK):
            pos, size = 0, len(chunk)
            while pos < size:
                if in_quotes:  # only the closing quote matters: jump to it, counting lines
                    close = chunk.find(b'"', pos)
                    stop = size if close < 0 else close + 1
                    line += chunk.count(b"\n", pos, stop)
                    field_bytes += stop - pos
                    row_bytes += stop - pos
                    in_quotes, pos = close < 0, stop  # "" inside a quoted field reopens it
                    continue
                match = special.search(chunk, pos)
                stop = size if match is None else match.start()
                field_bytes += stop - pos
                row_bytes += stop - pos
                if match is None:
                    break
                pos = match.end()
                byte = chunk[stop]
                if byte == 0x22:  # a quote mark opens a quoted part
                    in_quotes = True
                elif byte == 0x0A:  # the row ends
                    if over():
                        return found(False)
                    line += 1
                    row_line, field, longest = line, 1, 1
                    field_bytes = row_bytes = longest_bytes = 0
                    continue
                else:  # the delimiter: the field ends
                    if field_bytes > longest_bytes:
                        longest, longest_bytes = field, field_bytes
                    field += 1
                    field_bytes = -1  # the delimiter is not the next field's
                field_bytes += 1
                row_bytes += 1
        return found(in_quotes) if over() or in_quotes and row_line >= from_line else None
    except (OSError, ValueError):
        return None
    finally:
        if own:
            stream.close()


def long_row_error(
    where: Path,
    limit: int,
    found: LongRow | None,
    *,
    header: Sequence[str] | None = None,
    per_row: bool = False,
    detail: str = "",
) -> RawFileError:
    """What to tell a user whose CSV holds a field (or, for pyarrow, a row) over `limit`.

    A quote that never closes is a damaged file (download or export it again); a field
    that is really that large may be right, and the message says how to raise the limit.
    `detail` is the reader's own message, shown (as an excerpt) when no row was found.
    """
    unit = "row" if per_row else "field"
    raise_it = f"if the file is right, raise the limit with {FIELD_LIMIT_ENV}="
    if found is None:
        return RawFileError(
            where,
            f"a CSV {unit} is larger than the {_size(limit)} a {unit} may hold here, or a "
            f"quote mark opens a field that never closes ({excerpt(detail)}); check the "
            f"file's quoting, or {raise_it}N (MB)",
        )
    name = (
        f" ({excerpt(header[found.field - 1], 40)})"
        if header and found.field <= len(header)
        else ""
    )
    if found.unclosed:
        return RawFileError(
            where,
            f"line {found.line}: a quote mark in field {found.field}{name} opens a field that "
            f"never closes: the rest of the file ({_size(found.field_bytes)}) would be one "
            "field; the file is damaged or cut short: download or export it again",
        )
    size = found.row_bytes if per_row else found.field_bytes
    what = (
        f"the row is {_size(size)}"
        if per_row and found.field_bytes <= limit
        else (f"field {found.field}{name} is {_size(found.field_bytes)}")
    )
    return RawFileError(
        where,
        f"line {found.line}: {what}, over the {_size(limit)} a CSV {unit} may hold here; "
        f"{raise_it}{math.ceil(size * 1.1 / MB)} (MB)",
    )


def _size(n: int) -> str:
    """A size for a message: `512 bytes`, `128 KB` (the csv module's default), `3.2 MB`."""
    if n < 1024:
        return f"{n} bytes"
    if n < MB:
        return f"{n / 1024:.0f} KB"
    mb = n / MB
    return f"{mb:.0f} MB" if mb == int(mb) or mb >= 100 else f"{mb:.1f} MB"


def _complete(row: CsvRow, columns: int, header: list[str] | None) -> CsvRow | Skip:
    if len(row.cells) != columns:
        return Skip("wrong_column_count")
    if header is None:
        return row
    return CsvRow(row.number, row.line, row.cells, dict(zip(header, row.cells, strict=True)))


def _ends_with_newline(stream: BinaryIO) -> bool:
    try:
        stream.seek(-1, io.SEEK_END)
        return stream.read(1) in (b"\n", b"\r")
    except (OSError, ValueError):
        return True  # cannot tell: take the short row as a bad row, not a cut file


def _first_bad_line(stream: BinaryIO) -> int | None:
    """The 1-based line of the first byte that is not UTF-8 (the stream must be seekable)."""
    try:
        stream.seek(0)
    except (OSError, ValueError):
        return None
    for number, line in enumerate(stream, 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return number
    return None


def arrow_batches(
    path: Path,
    columns: Sequence[str],
    *,
    read_options: pa_csv.ReadOptions,
    parse_options: pa_csv.ParseOptions,
) -> Iterator[pa.RecordBatch]:
    """Arrow batches of `columns` of a delimited file (CORD-19's CSV, UMLS's RRF), every
    value a non-null string. pyarrow's errors pass through as they come: each source says
    in its own words what is wrong with its file."""
    reader = pa_csv.open_csv(
        path,
        read_options=read_options,
        parse_options=parse_options,
        convert_options=pa_csv.ConvertOptions(
            include_columns=list(columns),
            column_types=dict.fromkeys(columns, pa.string()),
            strings_can_be_null=False,
        ),
    )
    while True:
        try:
            yield reader.read_next_batch()
        except StopIteration:
            return
