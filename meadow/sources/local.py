"""Your own files: instruction data you already have, mixed like any other source.

`--raw local=PATH` takes one file or a folder of them, in any of these formats:

* `.json`: a JSON array of objects, e.g. one of medAlpaca's `medical_meadow_*.json`
  (`[{"instruction": …, "input": …, "output": …}, …]`); a `.json` file whose first byte is
  `{` is read as JSON lines (what `datasets`' `to_json` writes);
* `.jsonl`: one JSON object per line;
* `.csv`: a header row, then one row per record (quoted fields may span lines);
* `.parquet`.

Each is streamed (ijson's C backend, orjson per line, Arrow batches), so memory stays flat
whatever the size. A row becomes one record through a column mapping the recipe may set;
without one, the medAlpaca layout is expected (`instruction`, `input`, `output`):

    sources:
      local:
        raw: my_data/
        options:
          columns: {input: question, output: answer, id: qid}
          license: CC-BY-4.0

Rows are numbered from 1 in each file (JSON lines: by line); without an `id` column, a
row's source_id is `"{file name}/{row number}"`, and its subset is the file's stem.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from meadow.errors import RawFileError, RecipeError, excerpt
from meadow.schema import Record
from meadow.sources import register_source
from meadow.sources._csv import field_limit, find_long_row, long_row_error
from meadow.sources._json import (
    encoding_error,
    first_bad_utf8,
    first_json_byte,
    json_lines,
    stream_array,
)
from meadow.sources.base import Skip, Source

FIELDS = ("instruction", "input", "output", "id", "subset")
DEFAULT_COLUMNS = {"instruction": "instruction", "input": "input", "output": "output"}
FORMATS = (".json", ".jsonl", ".csv", ".parquet")
BATCH_ROWS = 10_000
CSV_BLOCK_BYTES = 16 << 20  # a CSV row must fit in one block

_FORMAT_NAMES = ".json, .jsonl, .csv or .parquet"
_WANT = f"local reads {_FORMAT_NAMES} files (pass them with --raw local=PATH)"
_JSON_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number"}
_JSON_KINDS.update({bool: "a boolean", type(None): "null"})


@register_source
class LocalSource(Source):
    """Records from your own JSON, JSON-lines, CSV or parquet files.

    Options:
        columns: meadow field -> your column name, for `instruction`, `input`, `output`
            (by default the same names: medAlpaca's layout), `id` (the row's source_id;
            default `"{file name}/{row number}"`) and `subset` (default: the file's stem).
            A column you map must exist; with the default mapping only `output` must: a
            file without `input` gets empty inputs, one without `instruction` the
            recipe's (or the default) instruction.
        license: the license of your data, shown on every row and in the card
            (default "unknown").
        subset: one subset name for every row, instead of each file's stem.

    A recipe's `instruction:` replaces the rows' own. Null values are empty (an empty
    output is counted as `empty_output`), numbers are written out, and a row whose mapped
    values are lists or objects is skipped as `not_text`.
    """

    name = "local"
    description = (
        "Your own instruction data, read from JSON, JSON-lines, CSV or parquet files you "
        "pass with --raw local=PATH. It is your data: its license is the one you give in "
        "the recipe (sources.local.options.license), 'unknown' when none is given."
    )
    homepage = ""  # the data is the user's own; it has no home page
    license = "unknown"  # the user's data; each row carries the license the recipe gives
    citation = ""
    subsets = ()  # from the data: file stems, a fixed name or a column
    raw_files = ()
    how_to_get = (
        "local reads your own files, given with --raw local=PATH: a .json (a JSON array of "
        "objects such as medAlpaca's medical_meadow_*.json, or JSON lines), .jsonl, .csv "
        "(with a header row) or .parquet file, or a folder of them."
    )
    file_suffixes = FORMATS
    missing_files = f"folder holds no {_FORMAT_NAMES} files: {_WANT}"
    version = "1"
    default_options: ClassVar[dict[str, Any]] = {
        "columns": {},
        "license": "unknown",
        "subset": None,
    }

    def __init__(self, *, instruction: str | None = None, **options: Any):
        super().__init__(instruction=instruction, **options)
        self._fixed_instruction = instruction
        given = _checked_columns(self.options_in_effect["columns"])
        self.columns: dict[str, str] = {**DEFAULT_COLUMNS, **given}
        self._explicit = frozenset(given)
        for key in ("license", "subset"):
            value = self.options_in_effect[key]
            if value is None and key == "subset":
                continue
            if not isinstance(value, str) or not value.strip():
                raise RecipeError(
                    f"sources.{self.name}.options.{key}",
                    f"expected a non-empty text, got {value!r}",
                )
        self._license = self.options_in_effect["license"].strip()
        self._subset = (self.options_in_effect["subset"] or "").strip()

    # -- files ----------------------------------------------------------------------------

    def file_shards(self, path: Path) -> list[Path]:
        """The file given, if it is .json, .jsonl, .csv or .parquet."""
        if path.suffix.lower() not in FORMATS:
            raise RawFileError(path, f"cannot read a {path.suffix or 'suffix-less'} file: {_WANT}")
        return [path]

    def parse(self, path: Path) -> Iterator[dict[str, Any] | Skip]:
        """Rows of one file: `{"file", "subset", "number", "row"}`, `row` the raw values."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in FORMATS:
            raise RawFileError(path, f"cannot read a {suffix or 'suffix-less'} file: {_WANT}")
        if suffix == ".csv":
            rows = self._csv_rows(path)
        elif suffix == ".parquet":
            rows = self._parquet_rows(path)
        elif suffix == ".jsonl" or first_json_byte(path) == b"{":
            rows = self._json_lines_rows(path)
        else:
            rows = self._json_array_rows(path)
        file, subset = path.name, self._subset or path.stem
        for number, row in rows:
            if isinstance(row, Skip):
                yield row
            else:
                yield {"file": file, "subset": subset, "number": number, "row": row}

    # -- mapping --------------------------------------------------------------------------

    def to_records(self, item: dict[str, Any]) -> Iterable[Record | Skip]:
        """One record, the mapped columns as instruction, input, output, id and subset."""
        row: Mapping[str, Any] = item["row"]
        values: dict[str, str] = {}
        for field, column in self.columns.items():
            text = _text(row.get(column))
            if text is None:
                return [Skip("not_text")]
            values[field] = text.strip()
        return [
            self.record(
                instruction=self._fixed_instruction or values.get("instruction") or None,
                input=values["input"],
                output=values["output"],
                source_id=values.get("id") or f"{item['file']}/{item['number']}",
                subset=values.get("subset") or item["subset"],
                license=self._license,
            )
        ]

    # -- readers: (row number, values) per row, the columns checked first ------------------

    def _check_columns(self, path: Path, names: Iterable[str]) -> list[str]:
        """The file's columns that the mapping reads; a mapped column it lacks is an error."""
        names = list(names)
        for field, column in self.columns.items():
            if column in names or (field not in self._explicit and field != "output"):
                continue
            hint = "" if field in self._explicit else _MAP_HINT
            raise RawFileError(
                path,
                f"has no column {column!r} (mapped to {field}); its columns are: "
                f"{', '.join(names) or 'none'}{hint}",
            )
        return list(dict.fromkeys(c for c in self.columns.values() if c in names))

    def _json_array_rows(self, path: Path) -> Iterator[tuple[int, Any]]:
        rows = stream_array(path, "a JSON array of objects (one per row)")
        for number, row in enumerate(rows, start=1):
            if type(row) is not dict:
                raise _not_an_object(path, row, number)
            if number == 1:
                self._check_columns(path, row)
            yield number, row

    def _json_lines_rows(self, path: Path) -> Iterator[tuple[int, Any]]:
        first = True
        for number, row in json_lines(path, "one JSON object (a row) per line"):
            if type(row) is not dict:
                raise _not_an_object(path, row, number)
            if first:
                self._check_columns(path, row)
                first = False
            yield number, row

    def _csv_rows(self, path: Path) -> Iterator[tuple[int, Any]]:
        _check_not_empty(path)
        bad_rows: list[Any] = []

        def skip_bad_row(row: Any) -> str:
            bad_rows.append(row)
            return "skip"

        try:  # the header first (Arrow reads one block for it), to check the mapping
            names = pacsv.open_csv(path, parse_options=_csv_parse(skip_bad_row)).schema.names
        except (pa.ArrowException, OSError) as exc:
            raise _csv_error(path, exc) from None
        wanted = self._check_columns(path, names)
        bad_rows.clear()
        number = 0
        try:
            reader = pacsv.open_csv(
                path,
                read_options=pacsv.ReadOptions(block_size=field_limit(CSV_BLOCK_BYTES)),
                parse_options=_csv_parse(skip_bad_row),
                convert_options=pacsv.ConvertOptions(
                    include_columns=wanted, column_types={name: pa.string() for name in wanted}
                ),
            )
            for batch in reader:
                if bad_rows:
                    _check_not_cut_short(path, bad_rows[-1])
                    yield 0, Skip("wrong_column_count", count=len(bad_rows))
                    bad_rows.clear()
                for row in batch.to_pylist():
                    number += 1
                    yield number, row
        except (pa.ArrowException, OSError) as exc:
            raise _csv_error(path, exc) from None
        if bad_rows:
            _check_not_cut_short(path, bad_rows[-1])
            yield 0, Skip("wrong_column_count", count=len(bad_rows))
        _check_quotes_closed(path)

    def _parquet_rows(self, path: Path) -> Iterator[tuple[int, Any]]:
        _check_not_empty(path)
        try:
            parquet = pq.ParquetFile(path)
        except (pa.ArrowException, OSError) as exc:
            raise RawFileError(
                path,
                f"not a readable parquet file ({_first_line(exc)}); it may be cut short: "
                "export it again",
            ) from None
        with parquet:
            wanted = self._check_columns(path, parquet.schema_arrow.names)
            number = 0
            try:
                for batch in parquet.iter_batches(batch_size=BATCH_ROWS, columns=wanted):
                    for row in batch.to_pylist():
                        number += 1
                        yield number, row
            except (pa.ArrowException, OSError) as exc:
                raise RawFileError(
                    path,
                    f"parquet data unreadable after row {number} ({_first_line(exc)}): "
                    "export it again",
                    row=number,
                ) from None


_MAP_HINT = (
    "; map yours with sources.local.options.columns in the recipe "
    "(or --columns local=input:COLUMN,output:COLUMN)"
)


def parse_columns(spec: str, flag: str = "--columns local") -> dict[str, str]:
    """`input:question,output:answer,id:qid` (what `--columns local=…` gives) as the
    `columns` option, meadow field -> your column; a RecipeError naming `flag` otherwise,
    so a typo stops the build before any file is read."""
    example = "e.g. input:question,output:answer"
    mapping: dict[str, str] = {}
    for item in (part.strip() for part in spec.split(",")):
        field, sep, column = (s.strip() for s in item.partition(":"))
        if not sep:
            raise RecipeError(
                flag, f"missing ':' in {item!r}: expected FIELD:COLUMN pairs ({example})"
            )
        if field not in FIELDS:
            raise RecipeError(
                flag,
                f"unknown target column {field!r} in {item!r}; meadow's columns are: "
                f"{', '.join(FIELDS)}",
            )
        if not column:
            raise RecipeError(flag, f"no column name after {field + ':'!r} ({example})")
        if field in mapping:
            raise RecipeError(flag, f"{field!r} is mapped twice ({mapping[field]!r}, {column!r})")
        mapping[field] = column
    return mapping


def _checked_columns(columns: Any) -> dict[str, str]:
    """The recipe's `columns` option, or a RecipeError naming the key that is wrong."""
    key = "sources.local.options.columns"
    if columns is None:
        return {}
    if not isinstance(columns, Mapping):
        raise RecipeError(
            key,
            f"expected a mapping of meadow fields ({', '.join(FIELDS)}) to column names, "
            f"got {columns!r}",
        )
    checked: dict[str, str] = {}
    for field, column in columns.items():
        if field not in FIELDS:
            raise RecipeError(
                f"{key}.{field}", f"unknown field; available: {', '.join(sorted(FIELDS))}"
            )
        if not isinstance(column, str) or not column:
            raise RecipeError(
                f"{key}.{field}", f"expected a column name (text), got {column!r}; quote it"
            )
        checked[field] = column
    return checked


def _text(value: Any) -> str | None:
    """A value as text: null is empty, numbers are written out, lists and objects are None."""
    if type(value) is str:
        return value
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return None
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return None
    return str(value)


def _not_an_object(path: Path, row: Any, number: int) -> RawFileError:
    kind = _JSON_KINDS.get(type(row), "a value")
    return RawFileError(
        path, f"the row is {kind}, not an object of column names and values", row=number
    )


def _check_not_empty(path: Path) -> None:
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 16):
                if chunk.strip():
                    return
    except OSError as exc:
        raise RawFileError(path, f"cannot read the file: {exc.strerror or exc}") from None
    raise RawFileError(path, "empty file: nothing to read; export it again")


def _csv_parse(invalid_row_handler: Any) -> pacsv.ParseOptions:
    return pacsv.ParseOptions(newlines_in_values=True, invalid_row_handler=invalid_row_handler)


def _csv_error(path: Path, exc: Exception) -> RawFileError:
    message = _first_line(exc)
    if "UTF8" in message or "UTF-8" in message:
        bad = first_bad_utf8(path)
        if bad is not None:
            return encoding_error(path, *bad)
    if "straddling" in message:
        block = field_limit(CSV_BLOCK_BYTES)
        return long_row_error(path, block, find_long_row(path, block), per_row=True, detail=message)
    return RawFileError(path, f"not a readable CSV file ({excerpt(message, 160)}): export it again")


def _check_not_cut_short(path: Path, bad_row: Any) -> None:
    """A bad row that ends the file was cut short if the file stops without a line break,
    or inside a quoted field (an odd number of quote marks in the row)."""
    text = (getattr(bad_row, "text", "") or "").encode("utf-8")
    tail = _tail(path, len(text) + 2)
    if not text or not tail.rstrip(b"\r\n").endswith(text):
        return  # not the last row: a bad row, skipped
    if tail[-1:] not in (b"\n", b"\r") or text.count(b'"') % 2:
        raise RawFileError(
            path, "the file is cut short (its last row is incomplete): export it again"
        )


def _check_quotes_closed(path: Path) -> None:
    """A file that ends without a line break, inside a quoted field, was cut short."""
    if _tail(path, 1) in (b"\n", b"\r", b""):
        return
    quotes = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            quotes += chunk.count(b'"')
    if quotes % 2:
        raise RawFileError(
            path,
            "the file is cut short (it ends inside a quoted field, with no line break): "
            "export it again",
        )


def _tail(path: Path, size: int) -> bytes:
    with path.open("rb") as f:
        f.seek(0, 2)
        f.seek(max(0, f.tell() - size))
        return f.read()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
