"""StackexchangeSource on Posts.xml files and .7z dumps laid out as the data dumps are.

The fixtures are written as the dumps write them: a UTF-8 BOM, CRLF line ends, one
self-closing `<row>` per line with the attributes in the dumps' order, bodies as escaped
HTML with newlines as `&#xA;`. The newer layout (2020 on) has `|a|b|` tags and a
ContentLicense on every row; the older one (before 2019) has `<a><b>` tags and none.
"""

# The fixtures are rows as the dumps write them, long lines included.
# ruff: noqa: E501

from __future__ import annotations

import textwrap
import threading
from collections import Counter
from pathlib import Path

import py7zr
import pytest

import meadow
from meadow.errors import RawFileError
from meadow.sources import Skip, archive, get_source
from meadow.sources import stackexchange as stackexchange_module
from meadow.sources.stackexchange import StackexchangeSource, parse_tags, post_license
from tests.sources.helpers import collect

SAMPLES = Path(__file__).resolve().parents[2] / "meadow" / "samples" / "stackexchange"
INSTRUCTION = "Answer this question truthfully"
DUMP_MEMBERS = (
    "Badges.xml",
    "Comments.xml",
    "PostHistory.xml",
    "PostLinks.xml",
    "Posts.xml",
    "Tags.xml",
    "Users.xml",
    "Votes.xml",
)


def dump_text(text: str, *, bom: bool = True) -> bytes:
    """Dedented XML with CRLF line ends (and the BOM) as the dumps write it."""
    body = textwrap.dedent(text).lstrip("\n").rstrip("\n").replace("\n", "\r\n")
    return ("\ufeff" if bom else "").encode() + body.encode("utf-8")


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def write_7z(path: Path, members: dict[str, bytes]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with py7zr.SevenZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(data, name)
    return path


EMPTY_TABLE = """
    <?xml version="1.0" encoding="utf-8"?>
    <{root}>
    </{root}>
"""


def dump_members(posts: bytes) -> dict[str, bytes]:
    """The eight files of a site dump; all but Posts.xml empty."""
    return {
        name: posts
        if name == "Posts.xml"
        else dump_text(EMPTY_TABLE.format(root=name.removesuffix(".xml").lower()))
        for name in DUMP_MEMBERS
    }


def run(path: Path, **options) -> tuple[list[tuple[str, str, str, str, str]], Counter[str]]:
    """Records as (subset, source_id, input, output, license), and skip counts."""
    records, skips = collect(StackexchangeSource(**options), path)
    for item in records:
        assert item.instruction == INSTRUCTION
        assert item.source == "stackexchange"
    return [(r.subset, r.source_id, r.input, r.output, r.license) for r in records], skips


# -- the newer dump layout ---------------------------------------------------------------

NEW_POSTS = """
    <?xml version="1.0" encoding="utf-8"?>
    <posts>
      <row Id="1" PostTypeId="1" AcceptedAnswerId="3" CreationDate="2020-01-05T10:00:00.000" Score="12" ViewCount="340" Body="&lt;p&gt;I run every day &amp;amp; my resting heart rate is 52.&lt;/p&gt;&#xA;&#xA;&lt;p&gt;Is that &lt;em&gt;too&lt;/em&gt; low?&lt;/p&gt;&#xA;" OwnerUserId="7" LastActivityDate="2020-01-06T09:00:00.000" Title="Is a resting heart rate of 52   normal for a runner?" Tags="|cardio|heart-rate|" AnswerCount="2" CommentCount="1" ContentLicense="CC BY-SA 4.0" />
      <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2020-01-05T11:00:00.000" Score="20" Body="&lt;p&gt;Yes, endurance training enlarges the heart.&lt;/p&gt;&#xA;" OwnerUserId="8" LastActivityDate="2020-01-05T11:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="3" PostTypeId="2" ParentId="1" CreationDate="2020-01-05T12:00:00.000" Score="3" Body="&lt;p&gt;For trained runners it is common:&lt;/p&gt;&#xA;&#xA;&lt;ul&gt;&#xA;&lt;li&gt;the heart pumps more blood per beat;&lt;/li&gt;&#xA;&lt;li&gt;so it needs fewer beats at rest.&lt;/li&gt;&#xA;&lt;/ul&gt;&#xA;&#xA;&lt;p&gt;See a doctor if you feel &lt;strong&gt;dizzy&lt;/strong&gt; or faint.&lt;/p&gt;&#xA;" OwnerUserId="9" LastEditorUserId="9" LastEditDate="2020-02-01T08:00:00.000" LastActivityDate="2020-02-01T08:00:00.000" CommentCount="2" ContentLicense="CC BY-SA 4.0" />
      <row Id="4" PostTypeId="1" CreationDate="2020-02-10T09:30:00.000" Score="6" ViewCount="120" Body="&lt;p&gt;How do I count the reads in a FASTQ file?&lt;/p&gt;&#xA;" OwnerUserId="7" LastActivityDate="2020-02-11T09:30:00.000" Title="Counting reads in a FASTQ file" Tags="|fastq|command-line|" AnswerCount="2" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="5" PostTypeId="2" ParentId="4" CreationDate="2020-02-10T10:00:00.000" Score="5" Body="&lt;p&gt;A read is four lines:&lt;/p&gt;&#xA;&#xA;&lt;pre&gt;&lt;code&gt;echo $(( $(wc -l &amp;lt; reads.fastq) / 4 ))&#xA;&lt;/code&gt;&lt;/pre&gt;&#xA;" OwnerUserId="10" LastActivityDate="2020-02-10T10:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="6" PostTypeId="2" ParentId="4" CreationDate="2020-02-11T10:00:00.000" Score="5" Body="&lt;p&gt;Use &lt;code&gt;seqkit stats&lt;/code&gt;.&lt;/p&gt;&#xA;" OwnerUserId="11" LastActivityDate="2020-02-11T10:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="7" PostTypeId="1" CreationDate="2020-03-01T09:00:00.000" Score="1" ViewCount="40" Body="&lt;p&gt;Do plants sleep?&lt;/p&gt;&#xA;" OwnerUserId="7" LastActivityDate="2020-03-01T10:00:00.000" Title="Plant sleep" Tags="|botany|" AnswerCount="1" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="8" PostTypeId="2" ParentId="7" CreationDate="2020-03-01T10:00:00.000" Score="4" Body="&lt;p&gt;Their leaves follow a circadian rhythm.&lt;/p&gt;&#xA;" OwnerUserId="8" LastActivityDate="2020-03-01T10:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="9" PostTypeId="1" CreationDate="2020-04-01T09:00:00.000" Score="-2" ViewCount="30" Body="&lt;p&gt;Which book should I buy?&lt;/p&gt;&#xA;" OwnerUserId="7" LastActivityDate="2020-04-01T10:00:00.000" Title="Best textbook?" Tags="|books|" AnswerCount="1" CommentCount="0" ClosedDate="2020-04-01T12:00:00.000" ContentLicense="CC BY-SA 4.0" />
      <row Id="10" PostTypeId="2" ParentId="9" CreationDate="2020-04-01T10:00:00.000" Score="9" Body="&lt;p&gt;Ask your teacher.&lt;/p&gt;&#xA;" OwnerUserId="8" LastActivityDate="2020-04-01T10:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="11" PostTypeId="5" CreationDate="2020-04-02T00:00:00.000" Score="0" Body="&lt;p&gt;Questions about the heart.&lt;/p&gt;&#xA;" OwnerUserId="-1" LastActivityDate="2020-04-02T00:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="12" PostTypeId="2" ParentId="14" CreationDate="2020-05-01T10:00:00.000" Score="8" Body="&lt;p&gt;About 1.5 litres a day from food and drink, more in heat.&lt;/p&gt;&#xA;" OwnerUserId="8" LastActivityDate="2020-05-01T10:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 3.0" />
      <row Id="13" PostTypeId="2" ParentId="99" CreationDate="2020-05-02T10:00:00.000" Score="30" Body="&lt;p&gt;An answer whose question was deleted.&lt;/p&gt;&#xA;" OwnerUserId="8" LastActivityDate="2020-05-02T10:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="14" PostTypeId="1" AcceptedAnswerId="12" CreationDate="2020-05-03T10:00:00.000" Score="5" ViewCount="90" Body="&lt;p&gt;How much water does an adult need?&lt;/p&gt;&#xA;" OwnerUserId="7" LastActivityDate="2020-05-03T10:00:00.000" Title="Daily water needs" Tags="|nutrition|" AnswerCount="2" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
      <row Id="15" PostTypeId="2" ParentId="14" CreationDate="2020-05-03T11:00:00.000" Score="1" Body="&lt;p&gt;Eight glasses.&lt;/p&gt;&#xA;" OwnerUserId="9" LastActivityDate="2020-05-03T11:00:00.000" CommentCount="0" ContentLicense="CC BY-SA 4.0" />
    </posts>
"""

HEART_INPUT = (
    "Is a resting heart rate of 52 normal for a runner?\n\n"
    "I run every day & my resting heart rate is 52.\n\nIs that too low?"
)
HEART_ACCEPTED = (
    "For trained runners it is common:\n\n"
    "- the heart pumps more blood per beat;\n- so it needs fewer beats at rest.\n\n"
    "See a doctor if you feel dizzy or faint."
)
FASTQ = (
    "Counting reads in a FASTQ file\n\nHow do I count the reads in a FASTQ file?",
    "A read is four lines:\n\necho $(( $(wc -l < reads.fastq) / 4 ))",
)
WATER = (
    "Daily water needs\n\nHow much water does an adult need?",
    "About 1.5 litres a day from food and drink, more in heat.",
)


@pytest.fixture
def new_posts_xml(tmp_path: Path) -> Path:
    """An extracted newer dump: fitness.stackexchange.com/Posts.xml."""
    return write(tmp_path / "fitness.stackexchange.com" / "Posts.xml", dump_text(NEW_POSTS))


@pytest.fixture
def new_dump_7z(tmp_path: Path) -> Path:
    """The same posts in a site's .7z, next to the seven other files of a dump."""
    return write_7z(
        tmp_path / "dumps" / "fitness.stackexchange.com.7z", dump_members(dump_text(NEW_POSTS))
    )


def test_question_is_paired_with_its_accepted_answer(new_posts_xml: Path) -> None:
    records, _ = run(new_posts_xml)
    assert records[0] == ("fitness", "1:3", HEART_INPUT, HEART_ACCEPTED, "CC-BY-SA-4.0")


def test_without_an_accepted_answer_the_best_scoring_one_is_used(new_posts_xml: Path) -> None:
    records, _ = run(new_posts_xml)
    # 5 and 6 both score 5: the older answer wins the tie.
    assert records[1] == ("fitness", "4:5", *FASTQ, "CC-BY-SA-4.0")


def test_counts_and_skip_reasons(new_posts_xml: Path) -> None:
    records, skips = run(new_posts_xml)
    assert [r[1] for r in records] == ["1:3", "4:5", "14:12"]
    assert skips == {"no_good_answer": 1, "deleted_or_closed": 2, "other_post_type": 1}


def test_answer_before_its_question_is_paired_and_keeps_its_license(new_posts_xml: Path) -> None:
    records, _ = run(new_posts_xml)
    assert records[2] == ("fitness", "14:12", *WATER, "CC-BY-SA-3.0")


def test_min_score_option_lowers_the_bar(new_posts_xml: Path) -> None:
    records, skips = run(new_posts_xml, min_score=4)
    assert [r[1] for r in records] == ["1:3", "4:5", "7:8", "14:12"]
    assert "no_good_answer" not in skips


def test_accepted_answers_can_be_made_to_meet_the_min_score(new_posts_xml: Path) -> None:
    records, _ = run(new_posts_xml, accepted_needs_min_score=True)
    assert records[0][1:4] == (
        "1:2",
        HEART_INPUT,
        "Yes, endurance training enlarges the heart.",
    )
    assert [r[1] for r in records] == ["1:2", "4:5", "14:12"]


def test_closed_questions_are_skipped_unless_kept(new_posts_xml: Path) -> None:
    records, skips = run(new_posts_xml, keep_closed=True)
    assert records[2][:3] == ("fitness", "9:10", "Best textbook?\n\nWhich book should I buy?")
    assert skips["deleted_or_closed"] == 1  # only the answer to the deleted question


def test_unknown_option_is_refused() -> None:
    with pytest.raises(meadow.errors.RecipeError, match="min_score"):
        StackexchangeSource(min_scor=3)


def test_7z_dump_is_read_directly_with_the_same_records(
    new_posts_xml: Path, new_dump_7z: Path
) -> None:
    assert run(new_dump_7z) == run(new_posts_xml)


def test_rows_in_another_attribute_layout_are_read_alike(tmp_path: Path) -> None:
    """A Posts.xml re-saved by another tool: attributes reordered, single quotes, tabs."""
    text = textwrap.dedent("""
        <?xml version='1.0' encoding='UTF-8'?>
        <posts>
          <row Score="12" Id="1" Title="Q one" PostTypeId="1" AcceptedAnswerId="2" Body="&lt;p&gt;First?&lt;/p&gt;" />
          <row\tId='2'\tPostTypeId='2' ParentId='1' Score='1' Body='&lt;p&gt;Accepted.&lt;/p&gt;' ContentLicense='CC BY-SA 4.0'/>
          <row Id="3" PostTypeId="1" DeletionDate="" Score="2" Title="Q three" Body="&lt;p&gt;Third?&lt;/p&gt;"></row>
          <row Id="4" ParentId="3" PostTypeId="2" Score="7" Body="&lt;p&gt;Best.&lt;/p&gt;" ContentLicense="CC BY-SA 3.0" />
        </posts>""").lstrip()
    path = write(tmp_path / "biology" / "Posts.xml", text.encode())
    records, _ = run(path)
    assert records == [
        ("biology", "1:2", "Q one\n\nFirst?", "Accepted.", "CC-BY-SA-4.0"),
        ("biology", "3:4", "Q three\n\nThird?", "Best.", "CC-BY-SA-3.0"),
    ]


def test_waiting_halves_spill_to_disk_with_the_same_records(
    new_posts_xml: Path, monkeypatch
) -> None:
    expected = run(new_posts_xml)
    monkeypatch.setattr(stackexchange_module, "PENDING_MEMORY_BYTES", 0)
    assert run(new_posts_xml) == expected


def test_parse_keeps_the_raw_fields_for_other_mappings(new_posts_xml: Path) -> None:
    items = [i for i in StackexchangeSource().parse(new_posts_xml) if not isinstance(i, Skip)]
    first = items[0]
    assert first["site"] == "fitness.stackexchange.com"
    assert first["question"]["tags"] == ["cardio", "heart-rate"]
    assert first["question"]["score"] == 12
    assert first["answer"]["accepted"] is True
    assert first["answer"]["score"] == 3
    assert items[1]["answer"]["accepted"] is False


def test_stopping_early_stops_the_decoding_thread(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(archive, "PIECE_BYTES", 1024)
    monkeypatch.setattr(archive, "QUEUE_PIECES", 2)
    rows = "".join(
        f'  <row Id="{2 * i + 1}" PostTypeId="1" AcceptedAnswerId="{2 * i + 2}" Score="1" Body="&lt;p&gt;question {i}&lt;/p&gt;" Title="Q{i}" />\r\n'
        f'  <row Id="{2 * i + 2}" PostTypeId="2" ParentId="{2 * i + 1}" Score="1" Body="&lt;p&gt;answer {i}&lt;/p&gt;" />\r\n'
        for i in range(2_000)
    )
    posts = ('<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n' + rows + "</posts>").encode()
    path = write_7z(tmp_path / "academia.stackexchange.com.7z", {"Posts.xml": posts})

    def decoding() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "meadow-7z-decode"]

    items = StackexchangeSource().parse(path)
    assert next(items)["question"]["id"] == 1
    assert decoding()  # waiting for the parser to take more
    items.close()
    assert not decoding()


# -- the older dump layout: <a><b> tags, no ContentLicense -----------------------------------

OLD_POSTS = """
    <?xml version="1.0" encoding="utf-8"?>
    <posts>
      <row Id="1" PostTypeId="1" AcceptedAnswerId="2" CreationDate="2010-11-02T14:12:31.340" Score="25" ViewCount="1201" Body="&lt;p&gt;Why does a fever rise in the evening?&lt;/p&gt;&#xA;" OwnerUserId="3" LastActivityDate="2016-01-01T00:00:00.000" Title="Evening fever" Tags="&lt;fever&gt;&lt;physiology&gt;" AnswerCount="1" CommentCount="0" FavoriteCount="3" />
      <row Id="2" PostTypeId="2" ParentId="1" CreationDate="2010-11-02T15:00:00.000" Score="17" Body="&lt;p&gt;Body temperature follows a daily rhythm and peaks in the evening.&lt;/p&gt;&#xA;" OwnerUserId="4" LastActivityDate="2010-11-02T15:00:00.000" CommentCount="0" />
      <row Id="3" PostTypeId="1" CreationDate="2014-06-01T09:00:00.000" Score="9" ViewCount="500" Body="&lt;p&gt;Is it safe to exercise with a cold?&lt;/p&gt;&#xA;" OwnerUserId="3" LastActivityDate="2018-06-10T00:00:00.000" Title="Exercise with a cold" Tags="&lt;exercise&gt;" AnswerCount="1" CommentCount="0" />
      <row Id="4" PostTypeId="2" ParentId="3" CreationDate="2014-06-01T10:00:00.000" Score="11" Body="&lt;p&gt;Light exercise is usually fine if the symptoms are above the neck.&lt;/p&gt;&#xA;" OwnerUserId="4" LastEditorUserId="4" LastEditDate="2018-06-10T00:00:00.000" LastActivityDate="2018-06-10T00:00:00.000" CommentCount="0" />
      <row Id="5" PostTypeId="1" CreationDate="2016-03-01T09:00:00.000" Score="5" ViewCount="50" Body="&lt;p&gt;What is a normal blood pressure?&lt;/p&gt;&#xA;" OwnerUserId="3" LastActivityDate="2016-03-01T09:00:00.000" Title="Normal blood pressure" Tags="&lt;blood-pressure&gt;" AnswerCount="1" CommentCount="0" />
      <row Id="6" PostTypeId="2" ParentId="5" CreationDate="2016-03-01T10:00:00.000" Score="6" Body="&lt;p&gt;Below 120/80 mmHg for most adults.&lt;/p&gt;&#xA;" OwnerUserId="4" LastActivityDate="2016-03-01T10:00:00.000" CommentCount="0" />
    </posts>
"""


@pytest.fixture
def old_posts_xml(tmp_path: Path) -> Path:
    """An extracted pre-2019 dump of Health, in a folder named after the site."""
    return write(tmp_path / "health.stackexchange.com" / "Posts.xml", dump_text(OLD_POSTS))


def test_without_content_license_the_last_edit_date_decides(old_posts_xml: Path) -> None:
    records, skips = run(old_posts_xml)
    assert [(r[0], r[1], r[4]) for r in records] == [
        ("health", "1:2", "CC-BY-SA-2.5"),  # written 2010
        ("health", "3:4", "CC-BY-SA-4.0"),  # written 2014, edited 2018-06-10
        ("health", "5:6", "CC-BY-SA-3.0"),  # written 2016
    ]
    assert not skips


def test_old_dump_items_have_their_tags(old_posts_xml: Path) -> None:
    items = [i for i in StackexchangeSource().parse(old_posts_xml) if not isinstance(i, Skip)]
    assert items[0]["question"]["tags"] == ["fever", "physiology"]


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        ("<fever><physiology>", ["fever", "physiology"]),
        ("|fever|physiology|", ["fever", "physiology"]),
        ("|c++|", ["c++"]),
        ("", []),
        (None, []),
    ],
)
def test_tags_in_both_dump_forms(value: str | None, tags: list[str]) -> None:
    assert parse_tags(value) == tags


@pytest.mark.parametrize(
    ("post", "license"),
    [
        ({"license": "CC BY-SA 2.5"}, "CC-BY-SA-2.5"),
        ({"license": "CC BY-SA 4.0", "created": "2009-01-01"}, "CC-BY-SA-4.0"),
        ({"created": "2011-04-07T23:59:59.999"}, "CC-BY-SA-2.5"),
        ({"created": "2011-04-08T00:00:00.000"}, "CC-BY-SA-3.0"),
        ({"created": "2012-01-01", "edited": "2018-05-02T00:00:00.000"}, "CC-BY-SA-4.0"),
        ({}, "CC-BY-SA-4.0"),
    ],
)
def test_post_license(post: dict, license: str) -> None:
    assert post_license(post) == license


def test_question_with_no_text_and_answer_with_no_text_are_skipped() -> None:
    source = StackexchangeSource()
    answer = {"id": 2, "body": "<p>Fine.</p>", "license": "CC BY-SA 4.0"}
    empty_question = {"id": 1, "title": " ", "body": "<p> </p>"}
    item = {"subset": "biology", "question": empty_question, "answer": answer}
    assert list(source.to_records(item)) == [Skip("empty_question")]
    image_only = {"id": 3, "body": '<p><img src="https://i.sstatic.net/a.png"></p>'}
    item = {
        "subset": "biology",
        "question": {"id": 1, "title": "Q", "body": ""},
        "answer": image_only,
    }
    assert list(source.to_records(item)) == [Skip("empty_body")]


def test_question_with_title_only_has_the_title_as_input() -> None:
    item = {
        "subset": "academia",
        "question": {"id": 1, "title": "What is a postdoc?", "body": ""},
        "answer": {"id": 2, "body": "<p>A research job after a PhD.</p>"},
    }
    (record,) = StackexchangeSource().to_records(item)
    assert (record.input, record.output, record.source_id) == (
        "What is a postdoc?",
        "A research job after a PhD.",
        "1:2",
    )


# -- which files a folder gives ------------------------------------------------------------


def test_folder_reads_known_sites_and_passes_over_others(tmp_path: Path) -> None:
    posts = dump_text(NEW_POSTS)
    write_7z(tmp_path / "biology.stackexchange.com.7z", {"Posts.xml": posts})
    write_7z(tmp_path / "medicalsciences.stackexchange.com.7z", {"Posts.xml": posts})
    write_7z(tmp_path / "biology.meta.stackexchange.com.7z", {"Posts.xml": posts})
    write_7z(tmp_path / "chemistry.stackexchange.com.7z", {"Posts.xml": posts})
    write(tmp_path / "fitness.stackexchange.com.7z.part", b"partial download")
    write(tmp_path / "academia.stackexchange.com" / "Posts.xml", posts)
    write(tmp_path / "academia.stackexchange.com" / "Users.xml", b"<users />")
    write(tmp_path / "academia.stackexchange.com.7z", b"not read: the extracted dump wins")
    write(tmp_path / "superuser.com" / "Posts.xml", posts)
    write(tmp_path / "stackoverflow.com-Posts" / "Posts.xml", posts)
    assert [p.relative_to(tmp_path).as_posix() for p in StackexchangeSource().shards(tmp_path)] == [
        "academia.stackexchange.com/Posts.xml",
        "biology.stackexchange.com.7z",
        "medicalsciences.stackexchange.com.7z",
    ]
    records, _ = run(tmp_path)
    assert Counter(r[0] for r in records) == {"academia": 3, "biology": 3, "health": 3}


def test_posts_xml_in_a_folder_named_by_the_short_site_name(tmp_path: Path) -> None:
    path = write(tmp_path / "bioinformatics" / "Posts.xml", dump_text(NEW_POSTS))
    records, _ = run(path)
    assert {r[0] for r in records} == {"bioinformatics"}


# -- files that cannot be read ---------------------------------------------------------------


def test_posts_xml_whose_site_cannot_be_told(tmp_path: Path) -> None:
    path = write(tmp_path / "dump" / "Posts.xml", dump_text(NEW_POSTS))
    with pytest.raises(
        RawFileError, match=r"cannot tell which site.*biology.stackexchange.com/Posts.xml"
    ):
        StackexchangeSource().shards(path)
    with pytest.raises(RawFileError, match="cannot tell which site"):
        StackexchangeSource().shards(tmp_path)


def test_folder_without_a_dump_names_the_expected_files(tmp_path: Path) -> None:
    write(tmp_path / "notes.txt", b"nothing here")
    with pytest.raises(
        RawFileError,
        match=r"holds no Stack Exchange dump: expected academia.stackexchange.com.7z or .*medicalsciences.stackexchange.com.7z",
    ):
        StackexchangeSource().shards(tmp_path)


def test_archive_of_another_site_is_refused(tmp_path: Path) -> None:
    path = write_7z(tmp_path / "chemistry.stackexchange.com.7z", {"Posts.xml": b"<posts/>"})
    with pytest.raises(RawFileError, match="chemistry.stackexchange.com is not one of the sites"):
        StackexchangeSource().shards(path)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", b"")
    with pytest.raises(RawFileError, match=r"Posts.xml: empty file"):
        list(StackexchangeSource().parse(path))
    write(path, b"\xef\xbb\xbf\r\n")
    with pytest.raises(RawFileError, match="empty file"):
        list(StackexchangeSource().parse(path))
    archive = write(tmp_path / "biology.stackexchange.com.7z", b"")
    with pytest.raises(RawFileError, match=r"biology.stackexchange.com.7z: empty file"):
        list(StackexchangeSource().parse(archive))


def test_truncated_posts_xml(tmp_path: Path) -> None:
    data = dump_text(NEW_POSTS)
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", data[: len(data) // 2])
    with pytest.raises(RawFileError, match=r"is cut short \(it does not end with </posts>\)"):
        list(StackexchangeSource().parse(path))


def test_truncated_7z(tmp_path: Path, new_dump_7z: Path) -> None:
    data = new_dump_7z.read_bytes()
    path = write(tmp_path / "biology.stackexchange.com.7z", data[: len(data) - 200])
    with pytest.raises(
        RawFileError, match=r"biology.stackexchange.com.7z: .*download the dump again"
    ):
        list(StackexchangeSource().parse(path))


def test_corrupt_7z_data(tmp_path: Path) -> None:
    filler = "".join(
        f'  <row Id="{100 + i}" PostTypeId="1" Score="1" Body="&lt;p&gt;{i * 7919 % 10007}&lt;/p&gt;" Title="t" />\n'
        for i in range(2_000)
    )
    posts = dump_text(NEW_POSTS.replace("</posts>", filler + "</posts>"))
    data = bytearray(write_7z(tmp_path / "a" / "x.7z", {"Posts.xml": posts}).read_bytes())
    data[1000:1100] = bytes(b ^ 0x55 for b in data[1000:1100])
    path = write(tmp_path / "biology.stackexchange.com.7z", bytes(data))
    with pytest.raises(
        RawFileError,
        match=r"Posts.xml in the archive cannot be decoded \(.*\): the archive is damaged",
    ):
        list(StackexchangeSource().parse(path))


def test_7z_without_posts_xml(tmp_path: Path) -> None:
    path = write_7z(tmp_path / "biology.stackexchange.com.7z", {"Users.xml": b"<users />"})
    with pytest.raises(RawFileError, match=r"holds no Posts.xml \(it holds Users.xml\)"):
        list(StackexchangeSource().parse(path))


def test_not_utf8_names_the_line_and_row(tmp_path: Path) -> None:
    data = dump_text(NEW_POSTS).replace(b"Plant sleep", "Plant sl\u00e9ep".encode("latin-1"))
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", data)
    with pytest.raises(
        RawFileError,
        match=r"Posts.xml, row 7: is not valid UTF-8 \(at line 9\): re-save the file as UTF-8",
    ):
        list(StackexchangeSource().parse(path))


def test_utf16_file(tmp_path: Path) -> None:
    text = textwrap.dedent(NEW_POSTS).lstrip().replace('encoding="utf-8"', 'encoding="utf-16"')
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", text.encode("utf-16"))
    with pytest.raises(RawFileError, match="UTF-16 encoded: re-save it as UTF-8"):
        list(StackexchangeSource().parse(path))


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    data = dump_text(NEW_POSTS).replace(b"Ask your teacher.", b"Ask & see.")
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", data)
    with pytest.raises(
        RawFileError, match=r"row 10: malformed XML at line 12 .*download or extract"
    ):
        list(StackexchangeSource().parse(path))


def many_posts(count: int, *, bad: int, fault: str, one_line: bool = False) -> bytes:
    """`count` question/answer rows (rows 2k-1 and 2k), row `bad` broken by `fault`.

    Bodies hold "é" (two bytes, one column for libxml2) so that a column counted in
    bytes would land in the wrong row; `one_line` writes every row on one line.
    """
    rows = []
    for number in range(1, count + 1):
        body = f"&lt;p&gt;Post {number}: caf\u00e9 au lait.&lt;/p&gt;"
        if number == bad:
            body = body.replace(": caf", ": & caf" if fault == "ampersand" else ": \x00caf")
        if number % 2:
            row = (
                f'<row Id="{number}" PostTypeId="1" AcceptedAnswerId="{number + 1}" '
                f'CreationDate="2020-01-01T00:00:00.000" Score="6" Body="{body}" '
                f'Title="Question {number}" Tags="|a|" ContentLicense="CC BY-SA 4.0" />'
            )
        else:
            row = (
                f'<row Id="{number}" PostTypeId="2" ParentId="{number - 1}" '
                f'CreationDate="2020-01-01T00:00:00.000" Score="6" Body="{body}" '
                f'ContentLicense="CC BY-SA 4.0" />'
            )
        rows.append(row)
    data = ("  " if one_line else "\r\n  ").join(rows)
    text = f'\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n  {data}\r\n</posts>'
    encoded = text.encode("utf-8")
    if fault == "latin-1":  # one "é" of the bad row written as Latin-1, not UTF-8
        encoded = encoded.replace(b"\x00caf\xc3\xa9", b"caf\xe9")
    return encoded


@pytest.mark.parametrize("one_line", [False, True], ids=["row per line", "rows on one line"])
@pytest.mark.parametrize("fault", ["ampersand", "latin-1"])
@pytest.mark.parametrize("bad", [1, 2, 9, 150, 400])
def test_an_xml_error_names_the_row_it_is_in(
    tmp_path: Path, bad: int, fault: str, one_line: bool
) -> None:
    # Which row the parser had handed over when it failed depends on lxml's read-ahead
    # (lxml 6 fails before the first row of a small file): the row comes from the bytes.
    path = write(
        tmp_path / "biology.stackexchange.com" / "Posts.xml",
        many_posts(400, bad=bad, fault=fault, one_line=one_line),
    )
    line = 3 if one_line else bad + 2
    if fault == "latin-1":
        problem = rf"is not valid UTF-8 \(at line {line}\): re-save"
    else:
        problem = rf"malformed XML at line {line} \(.*\): the file is damaged"
    with pytest.raises(RawFileError, match=rf"Posts.xml, row {bad}: {problem}"):
        list(StackexchangeSource().parse(path))


def test_an_xml_error_names_its_row_across_read_boundaries(tmp_path: Path, monkeypatch) -> None:
    # 7-byte reads cut "<row", the two bytes of "é" and the line ends apart.
    monkeypatch.setattr(archive, "CHUNK_BYTES", 7)
    for one_line in (False, True):
        path = write(
            tmp_path / str(one_line) / "biology.stackexchange.com" / "Posts.xml",
            many_posts(30, bad=23, fault="ampersand", one_line=one_line),
        )
        with pytest.raises(RawFileError, match=r"row 23: malformed XML at line"):
            list(StackexchangeSource().parse(path))


def test_an_xml_error_in_a_7z_names_its_row(tmp_path: Path) -> None:
    path = write_7z(
        tmp_path / "biology.stackexchange.com.7z",
        dump_members(many_posts(60, bad=41, fault="latin-1")),
    )
    with pytest.raises(
        RawFileError, match=r"\.7z, row 41: is not valid UTF-8 \(at line 43\): re-save"
    ):
        list(StackexchangeSource().parse(path))


def test_row_without_post_type_is_named(tmp_path: Path) -> None:
    data = dump_text(NEW_POSTS).replace(
        b' PostTypeId="1" CreationDate="2020-03-01', b' CreationDate="2020-03-01'
    )
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", data)
    with pytest.raises(RawFileError, match=r"row 7: a row has no PostTypeId attribute"):
        list(StackexchangeSource().parse(path))


def test_answer_without_parent_is_named(tmp_path: Path) -> None:
    data = dump_text(NEW_POSTS).replace(b' ParentId="7"', b"")
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", data)
    with pytest.raises(RawFileError, match=r"row 8: an answer row has no ParentId attribute"):
        list(StackexchangeSource().parse(path))


def test_chosen_post_without_body_is_named(tmp_path: Path) -> None:
    data = dump_text(NEW_POSTS).replace(b' Body="&lt;p&gt;Ask your teacher.&lt;/p&gt;&#xA;"', b"")
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", data)
    with pytest.raises(RawFileError, match=r"post 10 has no Body attribute"):
        list(StackexchangeSource(keep_closed=True).parse(path))


def test_another_dump_file_named_posts_xml(tmp_path: Path) -> None:
    users = dump_text("""
        <?xml version="1.0" encoding="utf-8"?>
        <users>
        </users>
    """)
    path = write(tmp_path / "biology.stackexchange.com" / "Posts.xml", users)
    with pytest.raises(RawFileError, match="root element is <users>, not <posts>"):
        list(StackexchangeSource().parse(path))


# -- registry, sample, build ------------------------------------------------------------------


def test_registered_with_its_metadata() -> None:
    assert get_source("stackexchange") is StackexchangeSource
    info = StackexchangeSource.info()
    assert info["subsets"] == ["academia", "biology", "fitness", "health", "bioinformatics"]
    assert [f["url"] for f in info["raw_files"]] == [
        f"https://archive.org/download/stackexchange/{site}.stackexchange.com.7z"
        for site in ("academia", "biology", "fitness", "medicalsciences", "bioinformatics")
    ]
    assert all(f["sha256"] is None for f in info["raw_files"])
    assert "han2023medalpaca" in info["citation"]


def test_bundled_sample_parses_with_its_skips() -> None:
    records, skips = run(SAMPLES)
    assert [(r[0], r[1]) for r in records] == [
        ("biology", "1:3"),
        ("biology", "4:5"),
        ("biology", "12:13"),
        ("health", "1:2"),
        ("health", "3:5"),
    ]
    assert skips == {
        "no_good_answer": 2,
        "deleted_or_closed": 2,
        "other_post_type": 1,
        "empty_body": 1,
    }
    assert all("meadow" not in r[2] + r[3] for r in records)


def test_sample_builds_into_a_mixture() -> None:
    result = meadow.build(sources=["stackexchange"], raw={"stackexchange": SAMPLES}, name="t")
    stats = result.manifest["sources"]["stackexchange"]
    assert stats["skipped"] == {
        "deleted_or_closed": 2,
        "empty_body": 1,
        "no_good_answer": 2,
        "other_post_type": 1,
    }
    mixture = meadow.load_mixture("t")
    loaded = [row for split in mixture.values() for row in split]
    assert len(loaded) == 5
    assert {row["subset"] for row in loaded} == {"biology", "health"}
    assert {row["license"] for row in loaded} == {"CC-BY-SA-3.0", "CC-BY-SA-4.0"}
