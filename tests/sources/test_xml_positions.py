"""Reading an XML error's position back from the bytes, whatever lxml build reported it."""

from __future__ import annotations

import io
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from meadow.sources._readers import bytes_before, xml_error_text


def reference(text: str, line: int, column: int | None) -> bytes:
    """What comes before (line, column), counted in characters, from the decoded text."""
    lines = text.split("\n")
    if line > len(lines):
        return text.encode()
    before = "".join(piece + "\n" for piece in lines[: line - 1])
    current = lines[line - 1]
    return (before + (current if column is None else current[: column - 1])).encode()


def pieces(data: bytes, sizes: list[int]) -> list[bytes]:
    out, start = [], 0
    for size in sizes:
        out.append(data[start : start + size])
        start += size
    out.append(data[start:])
    return out


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from("ab<\n é€😀"), max_size=60),
    sizes=st.lists(st.integers(min_value=1, max_value=7), max_size=20),
    line=st.integers(min_value=1, max_value=8),
    column=st.one_of(st.none(), st.integers(min_value=1, max_value=15)),
)
def test_bytes_before_a_position_count_characters_across_any_chunking(
    text: str, sizes: list[int], line: int, column: int | None
) -> None:
    # Chunks cut lines and multi-byte characters anywhere; a column is in characters.
    got = b"".join(bytes_before(pieces(text.encode(), sizes), line, column))
    assert got == reference(text, line, column)


def test_bytes_before_stop_at_the_end_of_a_line_shorter_than_the_column() -> None:
    assert b"".join(bytes_before([b"ab\ncd\nef"], 2, 40)) == b"ab\ncd"


def syntax_error(data: bytes) -> etree.XMLSyntaxError:
    with pytest.raises(etree.XMLSyntaxError) as caught:
        for _ in etree.iterparse(io.BytesIO(data)):
            pass
    return caught.value


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        # libxml2 2.12 (lxml 5): "Input is not proper UTF-8, indicate encoding !\nBytes: …";
        # 2.13 on: "Invalid bytes in character encoding, line 3, column 12".
        (b'<?xml version="1.0"?>\n<a>\n<b>caf\xe9 au lait</b></a>', r"UTF-8|encoding"),
        (b"<a>\n<b>salt & pepper</b></a>", r"EntityRef"),
    ],
    ids=["not utf-8", "bare ampersand"],
)
def test_xml_error_text_is_one_line_without_its_position(data: bytes, reason: str) -> None:
    text = xml_error_text(syntax_error(data))
    assert "\n" not in text
    assert "column" not in text
    assert text
    assert re.search(reason, text)
