"""Generate a realistic Stack Exchange `Posts.xml` (and its `.7z`), and time the source on it.

The file is laid out as the data dumps write it: a UTF-8 BOM, `<posts>`, one self-closing
`<row>` per line (CRLF), every field an attribute, bodies as escaped HTML with paragraphs,
links, inline code, `<pre><code>` blocks, lists and quotes, newlines as `&#xA;`. Ids
increase; most answers follow their question closely and some come much later; about
half of the questions with answers accept one; a few are closed; tag wiki posts are mixed
in. Tags use the old `&lt;a&gt;&lt;b&gt;` form in the first half and `|a|b|` after, and
`ContentLicense` follows the creation date (CC BY-SA 2.5, 3.0, 4.0). Blocks are 70%
paragraphs, 17% lists, 10% quotes and 3% code blocks (about one body in ten has one, as
on the medAlpaca sites, where academia dominates). The text is random medical-sounding
filler: only its size and markup matter here.

    python benchmarks/gen_stackexchange.py /tmp/se --gb 1
    python benchmarks/gen_stackexchange.py /tmp/se --gb 1 --archive --measure
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import time
from array import array
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import medtext  # noqa: E402

_WORDS = (
    *("patients", "disease", "inflammation", "treatment", "diagnosis", "symptoms"),
    *("therapy", "risk", "infection", "chronic", "acute", "severe", "mild", "common"),
    *("rare", "clinical", "findings", "imaging", "biopsy", "blood", "tissue", "cells"),
    *("immune", "response", "pressure", "pain", "fever", "fatigue", "weight", "loss"),
    *("protein", "receptor", "enzyme", "hormone", "level", "serum", "urine", "culture"),
    *("gene", "expression", "sequence", "alignment", "reads", "genome", "variant"),
    *("muscle", "training", "strength", "recovery", "sleep", "diet", "calories"),
    *("paper", "journal", "review", "advisor", "thesis", "grant", "conference"),
)
_TAGS = (
    *("genetics", "immunology", "physiology", "bioinformatics", "rna-seq", "python"),
    *("nutrition", "strength-training", "running", "publications", "peer-review"),
    *("phd", "cardiology", "infection", "vaccination", "sleep", "pharmacology", "r"),
)
_CODE = (
    'import pysam\n\nwith pysam.AlignmentFile("reads.bam") as bam:\n'
    "    for read in bam:\n        if read.mapping_quality < 30 and not read.is_secondary:\n"
    '            print(read.query_name, "low & secondary")\n',
    "library(DESeq2)\ndds <- DESeqDataSetFromMatrix(counts, coldata, design = ~ condition)\n"
    "res <- results(DESeq(dds))\nres[res$padj < 0.05, ]\n",
    "samtools sort -o sorted.bam input.bam && samtools index sorted.bam\n",
    "for (i in 1:10) {\n  if (x[i] > 3 && y[i] <= 2) print(i)\n}\n",
)
_LICENSE_DATES = (
    (datetime(2011, 4, 8), "CC BY-SA 2.5"),
    (datetime(2018, 5, 2), "CC BY-SA 3.0"),
    (datetime.max, "CC BY-SA 4.0"),
)

QUESTION, ANSWER, TAG_WIKI = 1, 2, 5


def _xml_attr(text: str) -> str:
    """Escape as the dumps escape attribute values (they also escape `>` and newlines)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\n", "&#xA;")
    )


def _html_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return medtext.sentence(rng)
    words = rng.choices(_WORDS, k=rng.randint(8, 22))
    return " ".join(words).capitalize() + "."


def _inline(rng: random.Random, sentence: str) -> str:
    words = sentence.split(" ")
    kind = rng.random()
    i = rng.randrange(len(words))
    if kind < 0.2:
        words[i] = f"<code>{words[i]}_id</code>"
    elif kind < 0.35:
        words[i] = (
            f'<a href="https://example.org/{words[i]}" rel="nofollow noreferrer">{words[i]}</a>'
        )
    elif kind < 0.5:
        words[i] = f"<strong>{words[i]}</strong>"
    elif kind < 0.6:
        words[i] = f"<em>{words[i]}</em>"
    return " ".join(words)


def _block_pool(rng: random.Random, size: int) -> list[str]:
    """Escaped HTML blocks (paragraphs, lists, code, quotes) that bodies are made of."""
    pool = []
    for i in range(size):
        kind = i % 100  # 70% paragraphs, 17% lists, 3% code blocks, 10% quotes
        if kind < 70:
            html = "<p>" + " ".join(_inline(rng, _sentence(rng)) for _ in range(rng.randint(1, 5)))
            html += "</p>"
        elif kind < 87:
            tag = "ol" if kind >= 82 else "ul"
            items = "".join(
                f"<li>{_inline(rng, _sentence(rng))}</li>\n" for _ in range(rng.randint(2, 5))
            )
            html = f"<{tag}>\n{items}</{tag}>"
        elif kind < 90:
            html = f"<pre><code>{_html_text(rng.choice(_CODE))}</code></pre>"
        else:
            html = f"<blockquote>\n<p>{_sentence(rng)}</p>\n</blockquote>"
        pool.append(_xml_attr(html + "\n"))
    return pool


def _license(created: datetime) -> str:
    for until, name in _LICENSE_DATES:
        if created < until:
            return name
    return _LICENSE_DATES[-1][1]


def _plan(rng: random.Random, n_rows: int) -> tuple[bytearray, array, array, dict[int, int]]:
    """Post types, parents, scores (index = Id - 1) and each question's accepted answer."""
    types = bytearray(n_rows)
    parents = array("i", bytes(4 * n_rows))
    scores = array("i", bytes(4 * n_rows))
    questions: list[int] = []
    answers_of: dict[int, list[int]] = {}
    for i in range(n_rows):
        post_id = i + 1
        r = rng.random()
        if r < 0.02 and questions:
            types[i] = TAG_WIKI
        elif r < 0.37 or not questions:
            types[i] = QUESTION
            questions.append(post_id)
            scores[i] = int(rng.expovariate(1 / 6)) - 1
        else:
            types[i] = ANSWER
            if rng.random() < 0.8:
                parent = questions[-1 - min(int(rng.expovariate(1 / 40)), len(questions) - 1)]
            else:
                parent = rng.choice(questions)
            parents[i] = parent
            scores[i] = int(rng.expovariate(1 / 4)) - 1
            answers_of.setdefault(parent, []).append(post_id)
    accepted = {}
    for question, answers in answers_of.items():
        if rng.random() < 0.55:
            best = max(answers, key=lambda a: scores[a - 1])
            accepted[question] = best if rng.random() < 0.7 else rng.choice(answers)
    return types, parents, scores, accepted


def make_posts(path: Path, target_bytes: int, seed: int = 0) -> Path:
    """Write a Posts.xml of about `target_bytes` (~1,600 bytes a row) at `path`."""
    rng = random.Random(seed)
    pool = _block_pool(rng, 20_000)
    n_rows = int(target_bytes / 1550 * 1.1) + 10
    types, parents, scores, accepted = _plan(rng, n_rows)
    answer_count: dict[int, int] = {}
    for i in range(n_rows):
        if types[i] == ANSWER:
            answer_count[parents[i]] = answer_count.get(parents[i], 0) + 1
    start = datetime(2010, 6, 1)
    step = (datetime(2024, 3, 1) - start) / n_rows
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        head = '\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<posts>\r\n'
        out.write(head)
        written += len(head.encode())
        lines: list[str] = []
        for i in range(n_rows):
            post_id = i + 1
            created = start + step * i + timedelta(seconds=rng.randrange(3600))
            stamp = created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{rng.randrange(1000):03d}"
            kind = types[i]
            body = "".join(rng.choices(pool, k=rng.randint(1, 5)))
            user = rng.randrange(2, 90_000)
            common = f'CreationDate="{stamp}" Score="{scores[i]}" '
            license_ = _license(created)
            if kind == QUESTION:
                tags = rng.sample(_TAGS, rng.randint(1, 4))
                if i < n_rows // 2:
                    tag_text = "".join(f"&lt;{t}&gt;" for t in tags)
                else:
                    tag_text = "|" + "|".join(tags) + "|"
                acc = accepted.get(post_id)
                acc_attr = f'AcceptedAnswerId="{acc}" ' if acc else ""
                closed = f'ClosedDate="{stamp}" ' if rng.random() < 0.03 else ""
                line = (
                    f'  <row Id="{post_id}" PostTypeId="1" {acc_attr}{common}'
                    f'ViewCount="{rng.randrange(20, 90_000)}" Body="{body}" '
                    f'OwnerUserId="{user}" LastActivityDate="{stamp}" '
                    f'Title="{_xml_attr(medtext.question(rng))}" Tags="{tag_text}" '
                    f'AnswerCount="{answer_count.get(post_id, 0)}" '
                    f'CommentCount="{rng.randrange(6)}" '
                    f'{closed}ContentLicense="{license_}" />\r\n'
                )
            elif kind == ANSWER:
                line = (
                    f'  <row Id="{post_id}" PostTypeId="2" ParentId="{parents[i]}" {common}'
                    f'Body="{body}" OwnerUserId="{user}" LastActivityDate="{stamp}" '
                    f'CommentCount="{rng.randrange(6)}" ContentLicense="{license_}" />\r\n'
                )
            else:
                line = (
                    f'  <row Id="{post_id}" PostTypeId="5" {common}Body="{body}" '
                    f'OwnerUserId="-1" LastActivityDate="{stamp}" CommentCount="0" '
                    f'CommunityOwnedDate="{stamp}" ContentLicense="{license_}" />\r\n'
                )
            lines.append(line)
            written += len(line)  # ASCII only
            if len(lines) >= 2000:
                out.write("".join(lines))
                lines.clear()
                if written >= target_bytes:
                    break
        out.write("".join(lines))
        out.write("</posts>")
    return path


def make_archive(xml_path: Path, archive_path: Path, *, preset: int = 1) -> Path:
    """Pack `xml_path` as `Posts.xml` into a `.7z` (LZMA2, as the dumps are packed)."""
    import py7zr

    archive_path.parent.mkdir(parents=True, exist_ok=True)
    filters = [{"id": py7zr.FILTER_LZMA2, "preset": preset}]
    with py7zr.SevenZipFile(archive_path, "w", filters=filters) as archive:
        archive.write(xml_path, "Posts.xml")
    return archive_path


# -- measurements (each in its own process, so that peak memory is its own) ------------


def _bare_iterparse(path: Path) -> int:
    """The ceiling: lxml's iterparse over every row, clearing as it goes, nothing else."""
    from lxml import etree

    rows = 0
    with path.open("rb") as f:
        for _, elem in etree.iterparse(f, tag="row", resolve_entities=False, no_network=True):
            rows += 1
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    return rows


def _bare_archive(path: Path) -> int:
    """The .7z ceiling: py7zr decoding in a thread into lxml's push parser, nothing else."""
    from lxml import etree

    from meadow.sources.stackexchange import _archive_chunks

    rows = 0
    parser = etree.XMLPullParser(
        events=("end",), tag="row", resolve_entities=False, no_network=True
    )
    for chunk in _archive_chunks(path):
        parser.feed(chunk)
        for _, elem in parser.read_events():
            rows += 1
            elem.clear()
            while elem.getprevious() is not None:
                del elem.getparent()[0]
    parser.close()
    return rows


def _source_loop(path: Path) -> int:
    """What the build does before writing parquet: parse, pair, clean, make records."""
    from meadow.sources import Skip
    from meadow.sources.stackexchange import StackexchangeSource

    source = StackexchangeSource()
    records = 0
    for shard in source.shards(path):
        for item in source.records(shard):
            if not isinstance(item, Skip):
                records += 1
    return records


_ROUTES = {"ceiling": _bare_iterparse, "ceiling_7z": _bare_archive, "source": _source_loop}


def _run_one(kind: str, path: Path) -> None:
    start = time.perf_counter()
    n = _ROUTES[kind](path)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{n} {seconds:.3f} {peak:.1f}")


def measure(
    xml_path: Path, archive_path: Path | None = None, repeat: int = 1
) -> list[dict[str, float | str]]:
    """Rows/s, MB/s (of Posts.xml) and peak RSS of each route, each in a fresh process.

    Routes run interleaved `repeat` times; the fastest run is kept (other processes only
    ever add time), with the median next to it, and the largest peak. rows/s counts the
    rows of Posts.xml (posts), whatever the route yields.
    """
    size = xml_path.stat().st_size
    routes = [
        ("ceiling: lxml iterparse + clear, Posts.xml", "ceiling", xml_path),
        ("meadow: StackexchangeSource().records, Posts.xml", "source", xml_path),
    ]
    if archive_path is not None:
        routes += [
            ("ceiling: py7zr thread + XMLPullParser, .7z", "ceiling_7z", archive_path),
            ("meadow: StackexchangeSource().records, .7z", "source", archive_path),
        ]
    runs: dict[str, list[tuple[int, float, float]]] = {label: [] for label, _, _ in routes}
    for _ in range(repeat):
        for label, kind, path in routes:
            done = subprocess.run(
                [sys.executable, __file__, "--_run", kind, str(path)],
                check=True,
                capture_output=True,
                text=True,
            )
            n, seconds, peak = done.stdout.split()
            runs[label].append((int(n), float(seconds), float(peak)))
    rows = runs[routes[0][0]][0][0]
    results = []
    for label, _, _ in routes:
        seconds = min(t for _, t, _ in runs[label])
        results.append(
            {
                "route": label,
                "items": runs[label][0][0],
                "seconds": round(seconds, 2),
                "median_seconds": round(statistics.median(t for _, t, _ in runs[label]), 2),
                "rows_per_s": round(rows / seconds),
                "mb_per_s": round(size / seconds / 1e6, 1),
                "peak_rss_mib": max(p for _, _, p in runs[label]),
            }
        )
    ceiling = results[0]["seconds"]
    for result in results:
        result["vs_iterparse_ceiling"] = round(float(ceiling) / float(result["seconds"]), 2)
    return results


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--_run":
        sys.path.insert(0, str(HERE.parent))
        _run_one(sys.argv[2], Path(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="writes FOLDER/biology.stackexchange.com/…")
    parser.add_argument("--gb", type=float, default=1.0, help="size of Posts.xml in GB")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--archive", action="store_true", help="also write the .7z")
    parser.add_argument("--measure", action="store_true", help="time the source afterwards")
    parser.add_argument("--repeat", type=int, default=1, help="runs per route (median)")
    args = parser.parse_args()
    xml_path = args.folder / "biology.stackexchange.com" / "Posts.xml"
    archive_path = args.folder / "archives" / "biology.stackexchange.com.7z"
    if not xml_path.exists():
        start = time.perf_counter()
        make_posts(xml_path, int(args.gb * 1e9), args.seed)
        mb = xml_path.stat().st_size / 1e6
        print(f"wrote {xml_path} ({mb:.0f} MB) in {time.perf_counter() - start:.1f} s")
    if args.archive and not archive_path.exists():
        start = time.perf_counter()
        make_archive(xml_path, archive_path)
        mb = archive_path.stat().st_size / 1e6
        print(f"wrote {archive_path} ({mb:.0f} MB) in {time.perf_counter() - start:.1f} s")
    if args.measure:
        for result in measure(xml_path, archive_path if args.archive else None, args.repeat):
            print(result)


if __name__ == "__main__":
    main()
