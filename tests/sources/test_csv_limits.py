"""Fields larger than a CSV reader takes, and file content quoted in error messages.

`find_long_row` and `long_row_error` (meadow/sources/_csv.py) serve every CSV reader:
pyarrow's (cord19, umls, local: a row must fit in one block) and Python's `csv` (mmlu,
health_advice, pubmed_causal). `meadow.errors.excerpt` is how any of them quotes a file.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meadow.errors import RawFileError, excerpt
from meadow.sources._csv import LongRow, find_long_row
from meadow.sources.umls import UmlsSource
from tests.sources.helpers import collect, write_file

# -- excerpt ------------------------------------------------------------------------------------


def test_excerpt_escapes_terminal_sequences() -> None:
    assert excerpt("title\x1b]0;owned\x07\x1b[2J\u202eend\r\n") == (
        r"title\x1b]0;owned\x07\x1b[2J\u202eend\r\n"
    )


def test_excerpt_of_bytes_escapes_what_is_not_utf8() -> None:
    assert excerpt(b"caf\xe9 \x1b[2J ok") == r"caf\xe9 \x1b[2J ok"


def test_excerpt_is_bounded_and_says_it_was_cut() -> None:
    assert excerpt("x" * 10**7, 10) == "x" * 10 + "…"
    assert excerpt(b"y" * 10**7, 10) == "y" * 10 + "…"
    assert excerpt("\x1b" * 100, 10) == r"\x1b\x1b" + "…"  # an escape is never cut in two
    assert excerpt("short", 10) == "short"


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.binary()), st.integers(1, 120))
def test_excerpt_is_printable_and_at_most_limit_plus_the_ellipsis(content, limit) -> None:
    shown = excerpt(content, limit)
    assert shown.isprintable()
    assert len(shown) <= limit + 1
    if isinstance(content, str) and content.isprintable() and len(content) <= limit:
        assert shown == content


# -- find_long_row -------------------------------------------------------------------------------


def test_long_row_is_found_with_its_line_field_and_sizes() -> None:
    data = b'a,b,c\n1,"two\nlines",3\n4,' + b"x" * 5000 + b",6\n7,8,9\n"
    assert find_long_row(io.BytesIO(data), 1000) == LongRow(4, 2, 5000, 5004, False)
    assert find_long_row(io.BytesIO(data), 1000, from_line=5) is None
    assert find_long_row(io.BytesIO(data), 10_000) is None


def test_long_row_across_scan_chunks_and_quoted_delimiters() -> None:
    big = b'"' + b"y, " * 1_000_000 + b'"'  # 3 MB: several 1 MB chunks, commas inside quotes
    data = b"h1,h2\nok,ok\n" + big + b",z\n"
    found = find_long_row(io.BytesIO(data), 1 << 20)
    assert found == LongRow(3, 1, len(big), len(big) + 2, False)


def test_a_quote_that_never_closes_is_reported_as_such() -> None:
    data = b'a,b\n1,"open\n' + b"more text\n" * 10
    found = find_long_row(io.BytesIO(data), 50)
    assert found is not None and found.unclosed and found.line == 2 and found.field == 2


# -- umls: a line longer than a block ------------------------------------------------------------


def test_an_rrf_line_longer_than_the_block_is_named_not_called_damaged(tmp_path: Path) -> None:
    meta = tmp_path / "META"
    write_file(meta, "MRCONSO.RRF", "C0000001|ENG|P|L1|PF|S1|Y|A1||||MSH|MH|D1|Asthma|0|N||\n")
    definition = "Asthma is a disease of the airways. " * 60_000  # 2.1 MB
    write_file(
        meta,
        "MRDEF.RRF",
        f"C0000001|A1|AT1||MSH|A short one.|N||\nC0000001|A1|AT2||MSH|{definition}|N||\n",
    )
    write_file(meta, "MRREL.RRF", "")
    with pytest.raises(
        RawFileError,
        match=r"MRDEF\.RRF: line 2: field 6 \(DEF\) is 2\.1 MB, over the 1 MB a CSV row may "
        r"hold here; if the file is right, raise the limit with MEADOW_CSV_FIELD_MB=3 \(MB\)$",
    ):
        collect(UmlsSource(), meta / "MRDEF.RRF")
