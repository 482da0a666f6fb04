"""The shared JSON reader (meadow.sources._json) on hostile nesting: bounded, one-line errors.

ijson keeps one path string per open level, so memory grows with the square of the depth:
on the code before the guard, the 400 KB file below took 23.6 GB. The hostile reads run in
a child process under an address-space limit, so a regression fails instead of filling
the machine.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meadow.errors import RawFileError
from meadow.sources import _json, _json_depth
from meadow.sources._json import stream_array, stream_object
from tests.sources.helpers import peak_traced

ROOT = Path(__file__).resolve().parents[2]
MAX_JSON_DEPTH = 1024  # the documented limit (README), orjson's own


def read_limited(code: str, *, memory: int = 2 << 30) -> subprocess.CompletedProcess[str]:
    """Run `code` in a child Python whose address space is capped at `memory` bytes."""
    prelude = textwrap.dedent(
        f"""
        import resource
        resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


# -- the inputs ---------------------------------------------------------------------------


def test_nested_json_arrays_are_refused_with_the_depth(tmp_path: Path) -> None:
    """The 400 KB `[[[[…` file that drove a chatdoctor build to 23.6 GB."""
    path = tmp_path / "HealthCareMagic-100k.json"
    path.write_bytes(b"[" * 200_000 + b"]" * 200_000)
    done = read_limited(
        f"""
        from meadow.errors import RawFileError
        from meadow.sources.chatdoctor import ChatDoctorSource
        try:
            list(ChatDoctorSource().records({str(path)!r}))
        except RawFileError as exc:
            print(exc)
        """
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == (
        f"{path}: JSON nested deeper than 1024 levels at byte 1,024; real files are "
        "a few levels deep: is it corrupt, or not a file of this source?"
    )


def test_nested_json_object_is_refused_not_read_as_zero_rows(tmp_path: Path) -> None:
    """The 1 MB nested object that reached 10 GB and then "succeeded" with 0 rows."""
    path = tmp_path / "ori_pqau.json"
    path.write_bytes(b'{"a":' * 200_000 + b"1" + b"}" * 200_000)
    done = read_limited(
        f"""
        from meadow.errors import RawFileError
        from meadow.sources.pubmedqa import PubMedQASource
        try:
            print(list(PubMedQASource().records({str(path)!r})))
        except RawFileError as exc:
            print(exc)
        """
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith(
        f"{path}: JSON nested deeper than 1024 levels at byte 5,120;"
    )


def test_nested_json_line_names_the_line_not_a_cut_short_file(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_bytes(b'{"input": "q", "output": "a"}\n' + b"[" * 5000 + b"]" * 5000)
    with pytest.raises(
        RawFileError, match=r"rows\.jsonl, row 2: JSON nested deeper than 1024 levels on line 2;"
    ):
        list(_json.json_lines(path, "rows"))


@pytest.mark.parametrize("opener", [b"[", b'{"k":'])
def test_deep_nesting_is_refused_on_little_memory(tmp_path: Path, opener: bytes) -> None:
    """Depth 10,000 took ~250 MB of path strings before; now the read stops at level 1025
    (what remains is ijson's 16 MiB read buffer, allocated but barely touched)."""
    closer = b"]" if opener == b"[" else b"}"
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" + opener * 10_000 + b"1" + closer * 10_000 + b"]")

    def read() -> None:
        with pytest.raises(RawFileError, match="JSON nested deeper than 1024 levels"):
            list(stream_array(path))

    assert peak_traced(read) < 32 << 20


# -- the limit itself -----------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["array", "object", "lines"])
def test_the_limit_is_1024_levels_in_every_layout(tmp_path: Path, layout: str) -> None:
    def write(depth: int) -> Path:  # `depth` levels in all, the top-level container included
        inner = "[" * (depth - 1) + "]" * (depth - 1)
        text = {"array": f"[{inner}]", "object": f'{{"k": {inner}}}', "lines": f"[{inner}]"}[layout]
        path = tmp_path / f"{layout}-{depth}.json"
        path.write_text(text)
        return path

    def read(path: Path) -> list:
        if layout == "array":
            return list(stream_array(path))
        if layout == "object":
            return list(stream_object(path))
        return list(_json.json_lines(path, "rows"))

    assert _json_depth.MAX_JSON_DEPTH == MAX_JSON_DEPTH
    assert len(read(write(MAX_JSON_DEPTH))) == 1
    with pytest.raises(RawFileError, match="JSON nested deeper than 1024 levels"):
        read(write(MAX_JSON_DEPTH + 1))


def test_brackets_quotes_and_escapes_inside_strings_are_not_nesting(tmp_path: Path) -> None:
    """Strings full of brackets push the cheap bound over the limit; the exact lexer then
    sees they are text, and the file is read whole."""
    text = '[[[{"a": "}]\\"\\\\", "b": "x\\\\"}' + '\\"' * 3
    rows = [{"id": i, "text": text * 20, "tags": [[i], [i + 1]]} for i in range(3000)]
    path = tmp_path / "dense.json"
    path.write_text(json.dumps(rows, indent=1))
    assert list(stream_array(path)) == rows


def test_a_long_string_is_read_in_linear_time(tmp_path: Path) -> None:
    """yajl re-scans a string that spans reads: 64 KiB reads made this quadratic (minutes)."""
    path = tmp_path / "long.json"
    with path.open("w") as f:
        f.write('[{"a": "')
        for _ in range(8):
            f.write("word " * 1_000_000)
        f.write('"}, {"b": 1}]')
    started = time.process_time()
    items = list(stream_array(path))
    assert [len(item.get("a", "")) for item in items] == [40_000_000, 0]
    assert time.process_time() - started < 2  # read 64 KiB at a time: ~6 s (200 MB: minutes)


def test_dense_but_shallow_arrays_are_read_exactly(tmp_path: Path) -> None:
    rows = [[[i, i + 1], [i + 2]] for i in range(50_000)]  # ~3,000 `[` per 64 KB chunk
    path = tmp_path / "pairs.json"
    path.write_text(json.dumps(rows))
    assert list(stream_array(path)) == rows


def test_a_deep_value_after_many_rows_names_its_byte(tmp_path: Path) -> None:
    head = json.dumps([{"input": "q", "output": "a"}] * 5000)[:-1]
    path = tmp_path / "late.json"
    path.write_text(head + ", " + "[" * 2000 + "]" * 2000 + "]")
    start = len(head) + 2
    with pytest.raises(
        RawFileError,
        match=rf"late\.json: JSON nested deeper than 1024 levels at byte {start + 1023:,};",
    ):
        list(stream_array(path))


# -- the exact lexer against a byte-by-byte reference -------------------------------------------


def _reference_peak(data: bytes) -> int:
    depth = peak = 0
    in_string = escaped = False
    for byte in data:
        if escaped:
            escaped = False
        elif in_string:
            escaped = byte == 0x5C
            in_string = byte != 0x22
        elif byte == 0x22:
            in_string = True
        elif byte in b"[{":
            depth += 1
            peak = max(peak, depth)
        elif byte in b"]}":
            depth -= 1
    return peak


_TEXT = st.text(alphabet='ab[]{}"\\\n', max_size=8)
_JSON = st.recursive(
    st.none() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(
    value=_JSON,
    cuts=st.lists(st.integers(1, 40), min_size=1, max_size=50),
    slack=st.integers(-2, 1),
)
def test_the_exact_lexer_agrees_with_a_byte_by_byte_one_whatever_the_chunks(
    value: object, cuts: list[int], slack: int
) -> None:
    data = json.dumps([value]).encode()
    peak = _reference_peak(data)
    limit = max(1, peak + slack)
    lexer = _json_depth.Lexer(Path("x.json"), limit)
    offset, i = 0, 0
    refused = False
    try:
        while offset < len(data):
            size = cuts[i % len(cuts)]
            lexer.feed(data[offset : offset + size], offset)
            offset, i = offset + size, i + 1
    except RawFileError:
        refused = True
    assert refused == (peak > limit)


# -- batches: items in lists, each with a bound on its strings' length ------------------------


def _longest(value) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return max([len(k) for k in value] + [_longest(v) for v in value.values()], default=0)
    if isinstance(value, (list, tuple)):
        return max((_longest(v) for v in value), default=0)
    return 0


@pytest.mark.parametrize("indent", [None, 2])
def test_batches_give_the_streamed_items_and_bound_every_string(tmp_path: Path, indent) -> None:
    import random

    from meadow.sources._json import array_batches, array_or_lines_batches, object_batches

    rng = random.Random(5)
    items = []
    for i in range(3000):
        size = rng.choice([5, 50, 500, 70_000, 300_000]) if i % 97 == 0 else rng.randint(0, 400)
        items.append({"n": i, "text": "é" * (size // 2) + "x" * size, "more": [{"a": "q" * 3}]})
    array = tmp_path / "a.json"
    array.write_text(json.dumps(items, indent=indent, ensure_ascii=bool(indent)), encoding="utf-8")
    batches = list(array_batches(array))
    assert len(batches) > 3
    assert [item for batch, _ in batches for item in batch] == list(_json.stream_array(array))
    for batch, bound in batches:
        assert _longest(batch) <= bound
    lines = tmp_path / "a.jsonl"
    lines.write_text("".join(json.dumps(item) + "\n\n" for item in items), encoding="utf-8")
    line_batches = list(array_or_lines_batches(lines))
    assert [item for batch, _ in line_batches for item in batch] == items
    assert all(_longest(batch) <= bound for batch, bound in line_batches)
    keyed = tmp_path / "o.json"
    keyed.write_text(json.dumps({str(i): item for i, item in enumerate(items)}, indent=indent))
    pairs = list(object_batches(keyed))
    assert [p for batch, _ in pairs for p in batch] == list(_json.stream_object(keyed))
    assert all(_longest(batch) <= bound for batch, bound in pairs)


def test_batches_report_a_broken_file_with_the_items_before_it(tmp_path: Path) -> None:
    from meadow.sources._json import array_batches

    path = tmp_path / "cut.json"
    path.write_text('[{"a": "x"}, {"a": "y"}, {"a": ', encoding="utf-8")
    with pytest.raises(RawFileError, match="cut short after 2 items"):
        list(array_batches(path))


def test_texts_to_clean_names_exactly_the_texts_that_need_it() -> None:
    import random

    from meadow.sources._readers import texts_to_clean

    def needs(text: str) -> bool:
        clean = text.isascii() and text.isprintable() and "  " not in text
        return not (clean and text[:1] != " " and text[-1:] != " ")

    rng = random.Random(2)
    alphabet = ["a", "b", " ", " ", "\n", "\t", "\r", "é", "\x7f", "\x00", "\u00a0", "x"]
    for _ in range(3000):
        texts = [
            "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 7)))
            for _ in range(rng.randint(0, 9))
        ]
        assert texts_to_clean(texts) == [i for i, text in enumerate(texts) if needs(text)]
