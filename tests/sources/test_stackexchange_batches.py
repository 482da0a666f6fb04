"""Stack Exchange's column path (`StackexchangeSource.batches`) against `read`, and the
HTML cleaner's split-based fast path against the tag scan it replaces."""

# ruff: noqa: E501  (posts read best as the dumps write them, one row a line)

from __future__ import annotations

import random
from pathlib import Path

import pytest

from meadow.converters import html
from meadow.sources import _stackexchange_rows as stackexchange_rows
from meadow.sources import stackexchange as stackexchange_module
from meadow.sources.stackexchange import StackexchangeSource
from tests.sources.helpers import assert_batches_match_read
from tests.sources.test_stackexchange import (
    NEW_POSTS,
    OLD_POSTS,
    dump_members,
    dump_text,
    write,
    write_7z,
)

# Posts whose bodies hit every branch of the cleaning: empty texts, markup the fast path
# must hand back to the tag scan (comments, unclosed tags, quoted ">"), pre blocks (lxml),
# entities, over-long raw texts (with MEADOW_MAX_FIELD_CHARS lowered).
EDGE_POSTS = """
    <?xml version="1.0" encoding="utf-8"?>
    <posts>
      <row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2020-01-05T10:00:00.000" Score="12" Body="&lt;p&gt; &lt;/p&gt;" Title=" " Tags="|a|" ContentLicense="CC BY-SA 4.0" />
      <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2020-01-05T11:00:00.000" Score="20" Body="&lt;p&gt;An answer to nothing.&lt;/p&gt;" ContentLicense="CC BY-SA 4.0" />
      <row Id="3" PostTypeId="1" AcceptedAnswerId="4" CreationDate="2020-01-05T10:00:00.000" Score="12" Body="&lt;p&gt;Why?&lt;/p&gt;" Title="Image answer" Tags="|a|" ContentLicense="CC BY-SA 4.0" />
      <row Id="4" PostTypeId="2" ParentId="3" CreationDate="2020-01-05T11:00:00.000" Score="20" Body="&lt;p&gt;&lt;img src=&quot;https://i.sstatic.net/a.png&quot; alt=&quot;a &gt; b&quot; /&gt;&lt;/p&gt;" ContentLicense="CC BY-SA 4.0" />
      <row Id="5" PostTypeId="1" AcceptedAnswerId="6" CreationDate="2020-01-05T10:00:00.000" Score="12" Body="&lt;p&gt;x&lt;y and &lt;!-- a &lt;p&gt; comment --&gt; &lt;a href=&quot;/q?a=1&amp;amp;b=&gt;&quot;&gt;link&lt;/a&gt;&lt;/p&gt;" Title="Hostile   markup" Tags="|a|" ContentLicense="CC BY-SA 4.0" />
      <row Id="6" PostTypeId="2" ParentId="5" CreationDate="2020-01-05T11:00:00.000" Score="20" Body="&lt;P CLASS='x'&gt;Upper&lt;/P&gt;&lt;br/&gt;&lt;br /&gt;&lt;hr&gt;&lt;h2 id=&quot;s&quot;&gt;Head&lt;/h2&gt;&lt;blockquote&gt;&lt;p&gt;quote&#xA;  &lt;/p&gt;&lt;/blockquote&gt;&lt;ol&gt;&lt;li&gt;one&lt;/li&gt;&lt;li&gt;two&lt;/ol&gt;&lt;table&gt;&lt;tr&gt;&lt;td&gt;a&lt;/td&gt;&lt;td&gt;b&lt;/td&gt;&lt;/tr&gt;&lt;/table&gt;&#xA0;&amp;nbsp;&amp;amp;&amp;#x41;&lt;p" ContentLicense="CC BY-SA 4.0" />
      <row Id="7" PostTypeId="1" AcceptedAnswerId="8" CreationDate="2020-01-05T10:00:00.000" Score="12" Body="&lt;p&gt;Code?&lt;/p&gt;" Title="Pre" Tags="|a|" ContentLicense="CC BY-SA 4.0" />
      <row Id="8" PostTypeId="2" ParentId="7" CreationDate="2020-01-05T11:00:00.000" Score="20" Body="&lt;pre&gt;&lt;code&gt;a  &lt;b&gt;b&lt;/b&gt;&#xA;  c&lt;/code&gt;&lt;/pre&gt;&lt;p&gt;after&lt;/p&gt;" ContentLicense="CC BY-SA 4.0" />
      <row Id="9" PostTypeId="1" AcceptedAnswerId="10" CreationDate="2020-01-05T10:00:00.000" Score="12" Body="{long}" Title="Long raw body" Tags="|a|" ContentLicense="CC BY-SA 4.0" />
      <row Id="10" PostTypeId="2" ParentId="9" CreationDate="2020-01-05T11:00:00.000" Score="20" Body="&lt;p&gt;Fine.&lt;/p&gt;" ContentLicense="CC BY-SA 4.0" />
      <row Id="11" PostTypeId="1" CreationDate="2020-01-05T10:00:00.000" Score="12" Body="&lt;p&gt;Title only?&lt;/p&gt;" Title="" Tags="|a|" ContentLicense="CC BY-SA 4.0" />
      <row Id="12" PostTypeId="2" ParentId="11" CreationDate="2020-01-05T11:00:00.000" Score="6" Body="Plain text, no markup at all." />
      <row Id="13" PostTypeId="5" CreationDate="2020-04-02T00:00:00.000" Score="0" Body="&lt;p&gt;Tag wiki.&lt;/p&gt;" />
    </posts>
"""


@pytest.fixture
def edge_posts(tmp_path: Path) -> Path:
    long = "&lt;p&gt;" + "&lt;b&gt;x&lt;/b&gt; " * 300 + "&lt;/p&gt;"  # 1,800 raw, 600 clean
    text = EDGE_POSTS.replace("{long}", long)
    return write(tmp_path / "biology.stackexchange.com" / "Posts.xml", dump_text(text))


@pytest.mark.parametrize("limit", [None, "1000"])
def test_edge_posts_give_the_rows_and_skips_of_read(
    edge_posts: Path, monkeypatch: pytest.MonkeyPatch, limit: str | None
) -> None:
    if limit:  # the long raw body is then a field_too_long skip, though its text is short
        monkeypatch.setenv("MEADOW_MAX_FIELD_CHARS", limit)
    assert assert_batches_match_read(StackexchangeSource(), edge_posts) >= 3
    skips = {s.reason for s in StackexchangeSource().batches(edge_posts) if not hasattr(s, "input")}
    assert {"empty_question", "empty_body", "other_post_type"} <= skips
    assert ("field_too_long" in skips) == bool(limit)


@pytest.mark.parametrize(
    "options",
    [{}, {"min_score": 0}, {"accepted_needs_min_score": True}, {"keep_closed": True}],
)
def test_both_dump_layouts_with_every_option(tmp_path: Path, options: dict) -> None:
    new = write(tmp_path / "fitness.stackexchange.com" / "Posts.xml", dump_text(NEW_POSTS))
    old = write(tmp_path / "health.stackexchange.com" / "Posts.xml", dump_text(OLD_POSTS))
    for path in (new, old, tmp_path):
        assert assert_batches_match_read(StackexchangeSource(**options), path) > 0


def test_archives_spilled_halves_and_many_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_7z(tmp_path / "fitness.stackexchange.com.7z", dump_members(dump_text(NEW_POSTS)))
    monkeypatch.setattr(stackexchange_module, "PENDING_MEMORY_BYTES", 0)
    monkeypatch.setattr(stackexchange_rows, "BATCH_ROWS", 2)
    assert assert_batches_match_read(StackexchangeSource(), tmp_path) == 3


def test_generated_dump(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from gen_stackexchange import make_posts

    posts = make_posts(tmp_path / "academia.stackexchange.com" / "Posts.xml", 1_000_000, seed=5)
    monkeypatch.setattr(stackexchange_rows, "BATCH_ROWS", 97)
    assert assert_batches_match_read(StackexchangeSource(), posts) > 50


def test_split_tag_path_gives_the_tag_scan_text() -> None:
    """`markup_to_text` (split on plain tags) equals the `_TAG` scan it skips, on random
    markup, hostile pieces included."""
    pieces = [
        *("<p>", "</p>", "<P CLASS=a>", "<li>", "</li>", "<ul>", "<br/>", "<br />", "<hr>"),
        *("<td>", "</td>", "<h2 id='x'>", '<a href="x>y">', '<a title="<p>">', "<a:b>"),
        *("<!-- <p> -->", "<!--", "<?x?>", "</ p>", "< p>", "x<y", "<p", ">", '"', "'"),
        *("&amp;", "&lt;p&gt;", "&amp", "\xa0", "\n", " ", "  ", "\t", "word", "\ue000"),
    ]
    rng = random.Random(11)
    for _ in range(5_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 14)))
        scanned = html._finish(html.html_lib.unescape(html._TAG.sub(html._tag_marker, text)))
        assert html.markup_to_text(text) == scanned, repr(text)
