"""Hostile texts for the PII scrubber (issue 14, sections 4, 5 and 8).

* Adversarial texts: runs of newlines, spaces, digits, dots, `@`, `http://`, keywords,
  that make a backtracking regex quadratic. Today's code took 19 s on `"Thanks"` and 20,000
  newlines; each case prints the time and the time per 100 KB (the scrubber is linear, so
  the two scale together).
* A chatdoctor build whose rows link to `www.health℀info.com`, a host that NFKC changes
  (urlsplit raised ValueError and the build stopped).
* Throughput on ChatDoctor-like text (benchmarks/gen_chatdoctor.py) and on the labelled
  patient messages of tests/quality/pii_snippets.yaml, in MB/s.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml

from meadow import build
from meadow.errors import MeadowError
from meadow.quality.pii import Scrubber

SNIPPETS = Path(__file__).resolve().parents[2] / "tests" / "quality" / "pii_snippets.yaml"


def _scrub_line(text: str) -> str:
    """Scrub `text` once and say how long it took, per 100 KB too, and what was replaced."""
    scrubber = Scrubber()
    start = time.perf_counter()
    scrubbed = scrubber.scrub(text)
    ms = (time.perf_counter() - start) * 1000
    per_100k = ms * 100_000 / len(text)
    replaced = ", ".join(f"{k}={n}" for k, n in sorted(scrubber.counts.items())) or "nothing"
    return (
        f"scrubbed {len(text) / 1000:.0f} KB in {ms:.1f} ms ({per_100k:.1f} ms per 100 KB), "
        f"replaced {replaced}, {len(scrubbed) / 1000:.0f} KB out"
    )


def _text(make: Callable[[], str]) -> Callable[[Path], str]:
    return lambda work: _scrub_line(make())


# The size (20 KB) where today's code is quadratic, so a --baseline run ends.
ADVERSARIAL = {
    "pii-thanks-newlines": lambda: "Thanks" + "\n" * 20_000,
    "pii-newlines": lambda: "\n" * 20_000,
    "pii-greeting-newlines": lambda: "Hi " + "\n" * 20_000,
    "pii-name-spaces": lambda: "Thanks, John" + " " * 20_000 + "x",
    "pii-signoff-space-newlines": lambda: "Thanks" + " \n" * 10_000 + "x",
    "pii-spaces": lambda: "Regards " + " " * 100_000,
    "pii-digits": lambda: "9" * 100_000 + "x",
    "pii-dots": lambda: "a" + "." * 100_000,
    "pii-at-signs": lambda: "a@" * 50_000,
    "pii-schemes": lambda: "http://" * 15_000,
    "pii-keywords": lambda: "MRN ID zip DOB born phone " * 4_000,
    "pii-relations": lambda: "my son " * 15_000,
}


def nfkc_url_build(work: Path) -> str:
    """A chatdoctor build (a PII-scrubbed source) whose three rows link to a host NFKC changes."""
    rows = [
        {
            "instruction": "Answer as a doctor.",
            "input": f"I read on www.health℀info.com that gout comes from diet, question {i}?",
            "output": f"Gout comes from uric acid crystals in a joint; diet is one factor {i}.",
        }
        for i in range(3)
    ]
    folder = work / "chatdoctor"
    folder.mkdir(parents=True)
    (folder / "HealthCareMagic-100k.json").write_text(json.dumps(rows), encoding="utf-8")
    try:
        result = build(sources=["chatdoctor"], raw={"chatdoctor": folder}, name="nfkc")
    except MeadowError as err:
        return f"{type(err).__name__}: {err}"
    replaced = result.manifest["sources"]["chatdoctor"].get("pii_replaced", {})
    return f"built: {result.rows} rows, pii replaced {sum(replaced.values())}"


def _throughput(texts: list[str], label: str) -> str:
    size = sum(len(t.encode("utf-8")) for t in texts)
    counts: Counter[str] = Counter()
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        for text in texts:
            scrubber = Scrubber()
            scrubber.scrub(text)
            counts.update(scrubber.counts)
        best = min(best, time.process_time() - start)
    per_text = best / len(texts) * 1e6
    return (
        f"{label}: {len(texts):,} texts, {size / 1e6:.2f} MB, {size / 1e6 / best:.2f} MB/s "
        f"({per_text:.0f} us per text, CPU time), replaced {sum(counts.values()) // 3}"
    )


def throughput_chatdoctor(work: Path) -> str:
    """MB/s on ChatDoctor-like questions and answers (benchmarks/gen_chatdoctor.py)."""
    from gen_chatdoctor import make_file

    rows = json.loads(make_file(work / "chatdoctor", 2_000).read_text(encoding="utf-8"))
    return _throughput([t for r in rows for t in (r["input"], r["output"])], "chatdoctor-like")


def throughput_snippets(work: Path) -> str:
    """MB/s on the labelled patient messages, dense in personal details."""
    entries = yaml.safe_load(SNIPPETS.read_text(encoding="utf-8"))
    return _throughput([e["text"] for e in entries] * 20, "pii-dense snippets")


CASES = {name: _text(make) for name, make in ADVERSARIAL.items()}
CASES["pii-nfkc-url-build"] = nfkc_url_build
CASES["pii-throughput-chatdoctor"] = throughput_chatdoctor
CASES["pii-throughput-snippets"] = throughput_snippets
