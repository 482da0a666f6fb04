"""Write meadow's bundled Stack Exchange sample: two site dumps as the data dump packs them.

    python scripts/make_sample_stackexchange.py

writes meadow/samples/stackexchange/biology.stackexchange.com.7z and
medicalsciences.stackexchange.com.7z. Each archive holds the eight files of a site dump
(Badges, Comments, PostHistory, PostLinks, Posts, Tags, Users, Votes .xml) written as the
dumps write them: a UTF-8 BOM, CRLF line ends, one self-closing `<row>` per line, bodies
as escaped HTML. Biology uses the newer `|a|b|` tags, Medical Sciences the older
`<a><b>` ones. Every post is invented sample text written for meadow (a comment in each
Posts.xml says so, and the only user is "meadow-sample"), not medical advice. Member
times are fixed, so running this again gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import py7zr
from py7zr.helpers import ArchiveTimestamp

OUT = Path(__file__).resolve().parents[1] / "meadow" / "samples" / "stackexchange"
FIXED_TIME = 1_704_067_200.0  # 2024-01-01T00:00:00Z
NOTICE = (
    "Sample data written for meadow's tests and demos: invented text, not medical advice. "
    "Laid out as a Stack Exchange data dump."
)
USER = 2  # the one sample user; -1 is the Community user, as in the dumps
MEMBERS = (
    "Badges.xml",
    "Comments.xml",
    "PostHistory.xml",
    "PostLinks.xml",
    "Posts.xml",
    "Tags.xml",
    "Users.xml",
    "Votes.xml",
)

# (Id, PostTypeId, extra attributes, Body HTML). Attribute order follows the dumps.
BIOLOGY = [
    (
        1,
        1,
        {
            "AcceptedAnswerId": "3",
            "CreationDate": "2012-03-04T10:15:22.310",
            "Score": "14",
            "ViewCount": "2210",
            "Title": "Why do mature red blood cells have no nucleus?",
            "Tags": "|cell-biology|hematology|",
            "AnswerCount": "2",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>Most of our cells keep their nucleus for life, but mature red blood cells "
        "(erythrocytes) in mammals do not have one.</p>\n\n"
        "<p>What is the advantage of losing it?</p>\n",
    ),
    (
        2,
        2,
        {
            "ParentId": "1",
            "CreationDate": "2012-03-04T11:02:40.117",
            "Score": "2",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>It saves energy, I think.</p>\n",
    ),
    (
        3,
        2,
        {
            "ParentId": "1",
            "CreationDate": "2012-03-04T12:48:05.903",
            "Score": "7",
            "LastEditDate": "2019-06-11T08:30:00.000",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>Losing the nucleus (and most organelles) during maturation has two main "
        "effects:</p>\n\n<ul>\n<li>more room for <strong>haemoglobin</strong>, so each "
        "cell carries more oxygen;</li>\n<li>a smaller, flexible biconcave disc that "
        "squeezes through narrow capillaries.</li>\n</ul>\n\n"
        "<p>The cost is that the cell cannot repair itself, which is one reason it lives "
        "only about 120 days.</p>\n",
    ),
    (
        4,
        1,
        {
            "CreationDate": "2015-09-21T18:40:11.500",
            "Score": "9",
            "ViewCount": "1432",
            "Title": "How does a vaccine teach the immune system to recognise a pathogen?",
            "Tags": "|immunology|vaccination|",
            "AnswerCount": "2",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>A vaccine contains no live disease-causing germ (in most cases), yet the body "
        "reacts faster the next time it meets the real one. How does that work?</p>\n",
    ),
    (
        5,
        2,
        {
            "ParentId": "4",
            "CreationDate": "2015-09-21T20:03:47.027",
            "Score": "11",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>The vaccine shows the immune system an <em>antigen</em>, a harmless piece or "
        "copy of the pathogen. Then:</p>\n\n<ol>\n<li>antigen-presenting cells display "
        "it to T cells;</li>\n<li>B cells that bind it multiply and make antibodies;</li>\n"
        "<li>some of them stay on as long-lived memory cells.</li>\n</ol>\n\n"
        "<p>On a later infection the memory cells respond within days instead of weeks.</p>\n",
    ),
    (
        6,
        2,
        {
            "ParentId": "4",
            "CreationDate": "2015-09-22T07:15:09.662",
            "Score": "6",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>See any immunology textbook, chapter on adaptive immunity.</p>\n",
    ),
    (
        7,
        1,
        {
            "CreationDate": "2016-01-12T09:00:00.000",
            "Score": "1",
            "ViewCount": "88",
            "Title": "Do plants sleep?",
            "Tags": "|botany|",
            "AnswerCount": "1",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>Some leaves fold at night. Is that sleep?</p>\n",
    ),
    (
        8,
        2,
        {
            "ParentId": "7",
            "CreationDate": "2016-01-12T10:30:00.000",
            "Score": "2",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>Not in the animal sense; the folding follows a circadian rhythm.</p>\n",
    ),
    (
        9,
        1,
        {
            "CreationDate": "2017-05-02T14:22:31.000",
            "Score": "-3",
            "ViewCount": "120",
            "Title": "What is the best biology textbook?",
            "Tags": "|books|",
            "AnswerCount": "1",
            "ClosedDate": "2017-05-02T15:00:00.000",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>Which one should I buy?</p>\n",
    ),
    (
        10,
        2,
        {
            "ParentId": "9",
            "CreationDate": "2017-05-02T14:40:00.000",
            "Score": "8",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>That depends on your level; ask your teacher.</p>\n",
    ),
    (
        11,
        4,
        {
            "CreationDate": "2017-06-01T00:00:00.000",
            "Score": "0",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "Questions about how the body defends itself against infection.",
    ),
    (
        12,
        1,
        {
            "AcceptedAnswerId": "13",
            "CreationDate": "2019-02-14T16:05:12.480",
            "Score": "5",
            "ViewCount": "3020",
            "Title": "How can I count the reads in a FASTQ file?",
            "Tags": "|bioinformatics|sequencing|",
            "AnswerCount": "1",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>I have <code>sample_R1.fastq</code> from a sequencing run. Is there a quick "
        "way to count the reads from the command line?</p>\n",
    ),
    (
        13,
        2,
        {
            "ParentId": "12",
            "CreationDate": "2019-02-14T16:30:40.100",
            "Score": "4",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>Each read takes exactly four lines, so divide the line count by 4:</p>\n\n"
        "<pre><code>echo $(( $(wc -l &lt; sample_R1.fastq) / 4 ))\n</code></pre>\n\n"
        "<p>For a gzipped file use <code>zcat sample_R1.fastq.gz | wc -l</code> and "
        "divide by 4 the same way.</p>\n",
    ),
    (
        14,
        1,
        {
            "CreationDate": "2020-08-30T12:00:00.000",
            "Score": "3",
            "ViewCount": "410",
            "Title": "What does a cross-section of a leaf look like?",
            "Tags": "|botany|anatomy|",
            "AnswerCount": "1",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>I am looking for a labelled diagram of the leaf layers.</p>\n",
    ),
    (
        15,
        2,
        {
            "ParentId": "14",
            "CreationDate": "2020-08-30T13:10:00.000",
            "Score": "6",
            "ContentLicense": "CC BY-SA 4.0",
        },
        '<p><img src="https://i.sstatic.net/meadowSample.png" alt="leaf cross-section"></p>\n',
    ),
]

MEDICAL_SCIENCES = [
    (
        1,
        1,
        {
            "AcceptedAnswerId": "2",
            "CreationDate": "2015-04-01T08:12:00.000",
            "Score": "12",
            "ViewCount": "5400",
            "Title": "Why does the body raise its temperature during an infection?",
            "Tags": "<physiology><fever><infection>",
            "AnswerCount": "1",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>A fever feels bad, so why did it evolve? Does it help fight the infection?</p>\n",
    ),
    (
        2,
        2,
        {
            "ParentId": "1",
            "CreationDate": "2015-04-01T09:45:00.000",
            "Score": "15",
            "ContentLicense": "CC BY-SA 3.0",
        },
        "<p>Immune signals called pyrogens reset the hypothalamus to a higher set point. "
        "A moderately higher temperature:</p>\n\n<ul>\n<li>slows the growth of many "
        "bacteria and viruses;</li>\n<li>speeds up several immune responses.</li>\n</ul>\n\n"
        "<blockquote>\n<p>Very high fevers are harmful in themselves and need medical "
        "attention.</p>\n</blockquote>\n",
    ),
    (
        3,
        1,
        {
            "CreationDate": "2018-11-20T21:30:00.000",
            "Score": "4",
            "ViewCount": "800",
            "Title": "How long does caffeine stay in the body?",
            "Tags": "<pharmacology><caffeine>",
            "AnswerCount": "2",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>If I drink a coffee in the afternoon, how much of the caffeine is still there "
        "at bedtime?</p>\n",
    ),
    (
        4,
        2,
        {
            "ParentId": "3",
            "CreationDate": "2018-11-20T22:00:00.000",
            "Score": "3",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>A few hours.</p>\n",
    ),
    (
        5,
        2,
        {
            "ParentId": "3",
            "CreationDate": "2018-11-21T06:10:00.000",
            "Score": "5",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>Caffeine's half-life in healthy adults is roughly <strong>3 to 7 "
        "hours</strong>, so about half of an afternoon coffee can still be present at "
        "bedtime. Pregnancy and some medicines make it longer; smoking makes it "
        "shorter.</p>\n",
    ),
    (
        6,
        1,
        {
            "CreationDate": "2021-02-02T10:00:00.000",
            "Score": "0",
            "ViewCount": "35",
            "Title": "Is there a name for the tendon at the back of the ankle?",
            "Tags": "<anatomy>",
            "AnswerCount": "0",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>The thick one above the heel.</p>\n",
    ),
    # The answer to a deleted question: the question is not in the dump.
    (
        8,
        2,
        {
            "ParentId": "7",
            "CreationDate": "2021-03-03T10:00:00.000",
            "Score": "7",
            "ContentLicense": "CC BY-SA 4.0",
        },
        "<p>An answer whose question was deleted.</p>\n",
    ),
]

TAGS = {
    "biology": ["cell-biology", "hematology", "immunology", "vaccination", "botany"],
    "medicalsciences": ["physiology", "fever", "infection", "pharmacology", "anatomy"],
}


def _attr(text: str) -> str:
    """Escape an attribute value as the dumps do (newlines too)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#xA;")
    )


def _document(root: str, rows: list[str], *, comment: bool = False) -> bytes:
    lines = ['\ufeff<?xml version="1.0" encoding="utf-8"?>']
    if comment:
        lines.append(f"<!-- {NOTICE} -->")
    lines.append(f"<{root}>")
    lines.extend(f"  <row {row} />" for row in rows)
    lines.append(f"</{root}>")
    return "\r\n".join(lines).encode("utf-8")


def _posts(posts: list[tuple[int, int, dict[str, str], str]]) -> bytes:
    rows = []
    for post_id, post_type, extra, body in posts:
        attrs = {"Id": str(post_id), "PostTypeId": str(post_type)}
        for key in ("AcceptedAnswerId", "ParentId", "CreationDate", "Score", "ViewCount"):
            if key in extra:
                attrs[key] = extra[key]
        attrs["Body"] = body
        attrs["OwnerUserId"] = str(USER if post_type in (1, 2) else -1)
        if "LastEditDate" in extra:
            attrs["LastEditorUserId"] = str(USER)
            attrs["LastEditDate"] = extra["LastEditDate"]
        attrs["LastActivityDate"] = extra.get("LastEditDate", extra["CreationDate"])
        for key in ("Title", "Tags", "AnswerCount"):
            if key in extra:
                attrs[key] = extra[key]
        attrs["CommentCount"] = "0"
        for key in ("ClosedDate", "ContentLicense"):
            if key in extra:
                attrs[key] = extra[key]
        rows.append(" ".join(f'{key}="{_attr(value)}"' for key, value in attrs.items()))
    return _document("posts", rows, comment=True)


def _members(site: str, posts: list[tuple[int, int, dict[str, str], str]]) -> dict[str, bytes]:
    users = [
        'Id="-1" Reputation="1" CreationDate="2012-01-01T00:00:00.000" '
        'DisplayName="Community" AboutMe="&lt;p&gt;Hi, I am not really a person.&lt;/p&gt;" '
        'Views="0" UpVotes="0" DownVotes="0" AccountId="-1"',
        f'Id="{USER}" Reputation="101" CreationDate="2012-01-01T00:00:00.000" '
        f'DisplayName="meadow-sample" AboutMe="{_attr("<p>" + NOTICE + "</p>")}" '
        'Views="0" UpVotes="0" DownVotes="0" AccountId="2"',
    ]
    tags = [f'Id="{i}" TagName="{name}" Count="1"' for i, name in enumerate(TAGS[site], start=1)]
    documents = {
        "Badges.xml": _document("badges", []),
        "Comments.xml": _document("comments", []),
        "PostHistory.xml": _document("posthistory", []),
        "PostLinks.xml": _document("postlinks", []),
        "Posts.xml": _posts(posts),
        "Tags.xml": _document("tags", tags),
        "Users.xml": _document("users", users),
        "Votes.xml": _document("votes", []),
    }
    return {name: documents[name] for name in MEMBERS}


def write_archive(path: Path, members: dict[str, bytes]) -> Path:
    """A .7z of `members` (LZMA2), with fixed member times so the bytes are reproducible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    stamp = ArchiveTimestamp.from_datetime(FIXED_TIME)
    with py7zr.SevenZipFile(path, "w", filters=[{"id": py7zr.FILTER_LZMA2, "preset": 9}]) as z:
        for name, data in members.items():
            z.writestr(data, name)
            info = z.header.files_info.files[-1]
            for key in ("creationtime", "lastwritetime", "lastaccesstime"):
                info[key] = stamp
    return path


def main() -> None:
    for site, posts in (("biology", BIOLOGY), ("medicalsciences", MEDICAL_SCIENCES)):
        path = write_archive(OUT / f"{site}.stackexchange.com.7z", _members(site, posts))
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
