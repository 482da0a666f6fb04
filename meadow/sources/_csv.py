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
* `labelled_sentences` (with `clean_sentence` and `int_label`), for the labelled PubMed
  sentences of the two Yu/Li corpora: label check, cleaning and de-duplication.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from meadow.converters.html import normalize_whitespace
from meadow.errors import RawFileError
from meadow.sources.base import Skip

_RESAVE = "re-save it as UTF-8 (in a spreadsheet: CSV UTF-8)"
_TRUNCATED = "the file is cut short ({detail}); download or export it again"
# "\xa0", "\u2009" and "\\u2005" left in the text as escape sequences by upstream scripts.
_LITERAL_ESCAPE = re.compile(r"\\{1,2}(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4}))")


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
            f"missing column {missing[0]!r} (the header has {', '.join(header)}; "
            f"expected {', '.join(required)}); is this the right file?",
        )
    return header


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
